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


def images(n, shape, seed=1):
    """``n`` normal random samples of ``shape``, float32."""
    return np.random.default_rng(seed).normal(
        size=(n,) + shape).astype(np.float32)


def trained_for_export(optimizer):
    """A strided 'same' convolution, max and average pooling and a softmax,
    trained one epoch with ``optimizer``: what the exporters must copy.
    Returns the convolution population and the samples it saw."""
    image = sp.Population((9, 9, 2), sp.Input())
    conv = sp.Population((5, 5, 3), sp.ReLU())
    pooled = sp.Population((4, 4, 3), sp.Linear())
    averaged = sp.Population((2, 2, 3), sp.Tanh())
    out = sp.Population(4, sp.Softmax())
    for pre, post, connector in (
            (image, conv, sp.ConvolutionConnector(4, 2, "same")),
            (conv, pooled, sp.PoolingConnector(2, 1)),
            (pooled, averaged, sp.PoolingConnector(2, operation="average")),
            (averaged, out, sp.AllToAllConnector())):
        sp.Projection(pre, post, connector)
    x = images(12, (9, 9, 2))
    labels = np.random.default_rng(2).integers(0, 4, 12)
    sp.train(x, labels, epochs=1, batch_size=4,
             loss="sparse_categorical_crossentropy",
             optimizer=optimizer, shuffle=False, verbose=0)
    return conv, x


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


def assert_same_as_fixed_reference(sizes, activations, x, y, loss,
                                   c_loss="mse", targets=None):
    """Trains an MLP of ``sizes`` in fixed point (a fresh session) and
    asserts that its losses, weights and biases are the bits of the numpy
    fixed-point reference (tests/fixed_reference.py) on the same initial
    weights and order. ``y`` is what ``train`` takes; ``targets`` what the
    reference takes, if different (one-hot rows for class labels);
    ``c_loss`` the reference's name of the loss after a non-softmax."""
    from fixed_reference import FixedMLP
    sp.setup(seed=4, numeric="fixed")
    try:
        populations, projections = mlp(sizes, activations,
                                       neurons_per_core=4)
        reference = FixedMLP([p.get("weight") for p in projections],
                             [p.get("bias") for p in populations[1:]],
                             activations, c_loss)
        history = sp.train(x, y, epochs=2, batch_size=6, loss=loss,
                           optimizer=sp.SGD(0.3, 0.9), shuffle=False,
                           verbose=0)
        assert sp.counters().saturations == 0
        weights, biases, losses = reference.train(
            x, y if targets is None else targets, 2, 6, 0.3, 0.9)
        assert history.history["loss"] == losses
        for projection, expected in zip(projections, weights):
            np.testing.assert_array_equal(projection.get("weight"),
                                          expected.astype(np.float32))
        for population, expected in zip(populations[1:], biases):
            np.testing.assert_array_equal(population.get("bias"),
                                          expected.astype(np.float32))
    finally:
        sp.end()
