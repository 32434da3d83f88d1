"""Shared fixtures: a fresh session per test, small networks, and
comparison with the numpy reference."""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.reference import NumpyNetwork

CELLS = {"linear": sp.Linear, "relu": sp.ReLU, "sigmoid": sp.Sigmoid,
         "tanh": sp.Tanh, "softmax": sp.Softmax}


@pytest.fixture
def session():
    sp.setup(seed=7)
    yield
    sp.end()


def mlp(sizes, activations, neurons_per_core=None, seed=0):
    """An MLP: sizes[0] inputs, then one population per activation.
    Biases start random (not zero) so that they are tested too."""
    rng = np.random.default_rng(seed)
    populations = [sp.Population(sizes[0], sp.Input(), label="in")]
    for i, (size, activation) in enumerate(zip(sizes[1:], activations)):
        population = sp.Population(size, CELLS[activation](),
                                   label=f"layer{i + 1}",
                                   neurons_per_core=neurons_per_core)
        population.set(bias=rng.normal(0, 0.1, size))
        populations.append(population)
    projections = [sp.Projection(pre, post, sp.AllToAllConnector())
                   for pre, post in zip(populations, populations[1:])]
    return populations, projections


def every_kind(shape=(9, 8, 2), pooling=("average", "max")):
    """A network of every kind, split over cores: two convolutions and a
    one-to-one shortcut, pooling on the second convolution's cores
    (``pooling[0]``) and overlapping pooling on cores of its own
    (``pooling[1]``) into a sigmoid; returns the populations."""
    rows, width, channels = shape
    image = sp.Population(shape, sp.Input(), label="image")
    c1 = sp.Population((rows, width, 3), sp.ReLU(), label="c1",
                       neurons_per_core=2 * width * 3)
    c2 = sp.Population((rows, width, 3), sp.Tanh(), label="c2",
                       neurons_per_core=3 * width * 3)
    s3 = sp.Population((rows // 2, width // 2, 3), sp.Linear(), label="s3")
    s4 = sp.Population((rows // 2 - 1, width // 2 - 1, 3), sp.Sigmoid(),
                       label="s4", neurons_per_core=(width // 2 - 1) * 3)
    out = sp.Population(4, sp.Softmax(), label="out")
    same = sp.ConvolutionConnector(3, padding="same")
    for pre, post, connector in (
            (image, c1, same), (c1, c2, same),
            (c1, c2, sp.OneToOneConnector()),
            (c2, s3, sp.PoolingConnector(2, operation=pooling[0])),
            (s3, s4, sp.PoolingConnector(2, 1, pooling[1])),
            (s4, out, sp.AllToAllConnector())):
        sp.Projection(pre, post, connector)
    return [image, c1, c2, s3, s4, out]


def reference(populations, projections):
    return NumpyNetwork.from_network(populations, projections)


def data(n, n_in, n_out, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, n_in)).astype(np.float32)
    labels = rng.integers(0, n_out, n)
    return x, labels


def assert_close(actual, expected, rtol=1e-5):
    """Within ``rtol`` relative, entries near zero measured against the
    largest magnitude of the array."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol,
                               atol=rtol * float(np.abs(expected).max()))


def assert_matches(populations, projections, ref, rtol=1e-5):
    trained = [p for p in projections if p.shape is not None]
    for projection, weights in zip(trained, ref.weights(), strict=True):
        assert_close(projection.get("weight"), weights, rtol)
    for population in populations:
        if population._bias_shape() is not None:
            assert_close(population.get("bias"),
                         ref.biases[population.label], rtol)


def torch_linears(projections) -> list:
    """A torch.nn.Linear per dense projection, with its weights and the
    bias of the population it feeds (PyTorch imported here: optional)."""
    import torch
    layers = []
    for projection in projections:
        layer = torch.nn.Linear(projection.pre.size, projection.post.size)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(projection.get("weight").T))
            layer.bias.copy_(torch.from_numpy(projection.post.get("bias")))
        layers.append(layer)
    return layers


def assert_same_as_torch(layers, projections, rtol=1e-5):
    """Each torch.nn.Linear's weights and bias are its projection's and
    the bias of the population that projection feeds."""
    for layer, projection in zip(layers, projections, strict=True):
        assert_close(projection.get("weight"),
                     layer.weight.detach().numpy().T, rtol)
        assert_close(projection.post.get("bias"),
                     layer.bias.detach().numpy(), rtol)
