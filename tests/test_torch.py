"""Optional: the same training in PyTorch (CPU, float32) ends with the same
weights, from the same initial weights and sample order."""

import numpy as np
import pytest

import spinnpop as sp

from conftest import (assert_close, assert_same_as_torch, data, mlp,
                      torch_linears)

torch = pytest.importorskip("torch")


def torch_train(populations, projections, x, labels, epochs, batch_size,
                learning_rate, momentum, optimizer="SGD", **settings):
    layers = torch_linears(projections)
    # cross_entropy takes the output's own softmax
    activations = {"relu": torch.relu, "tanh": torch.tanh,
                   "sigmoid": torch.sigmoid,
                   "softmax": lambda a: torch.softmax(a, dim=1),
                   "linear": lambda a: a}
    parameters = [p for layer in layers for p in layer.parameters()]
    if optimizer != "Adam":
        settings["momentum"] = momentum
    optimizer = getattr(torch.optim, optimizer)(parameters, lr=learning_rate,
                                                **settings)
    xs, ys = torch.from_numpy(x), torch.from_numpy(labels)
    for _ in range(epochs):
        for first in range(0, len(x), batch_size):
            a = xs[first:first + batch_size]
            for layer, population in zip(layers, populations[1:]):
                a = layer(a)
                if population is not populations[-1]:
                    a = activations[population.celltype.activation](a)
            loss = torch.nn.functional.cross_entropy(
                a, ys[first:first + batch_size])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return layers


@pytest.mark.parametrize("momentum, sgd", [
    (0.0, {}), (0.9, {}), (0.9, dict(nesterov=True)),
    (0.9, dict(nesterov=True, weight_decay=0.01)),
    (0.0, dict(weight_decay=0.05))])
def test_matches_pytorch(session, momentum, sgd):
    populations, projections = mlp([8, 12, 9, 4],
                                   ["relu", "tanh", "softmax"],
                                   neurons_per_core=5)
    x, labels = data(37, 8, 4)
    layers = torch_train(populations, projections, x, labels, 3, 8, 0.2,
                         momentum, **sgd)
    sp.train(x, labels, epochs=3, batch_size=8,
             loss="sparse_categorical_crossentropy",
             optimizer=sp.SGD(0.2, momentum, **sgd), shuffle=False,
             verbose=0)
    assert_same_as_torch(layers, projections)


def test_a_hidden_softmax_matches_pytorch(session):
    populations, projections = mlp([8, 12, 9, 4],
                                   ["relu", "softmax", "softmax"],
                                   neurons_per_core=4)
    x, labels = data(37, 8, 4)
    layers = torch_train(populations, projections, x, labels, 3, 8, 0.5,
                         0.9)
    sp.train(x, labels, epochs=3, batch_size=8,
             loss="sparse_categorical_crossentropy",
             optimizer=sp.SGD(0.5, 0.9), shuffle=False, verbose=0)
    assert_same_as_torch(layers, projections, rtol=1e-4)


def test_a_shaped_hidden_softmax_matches_pytorch(session):
    """Softmax over the channels at each position (dim=-1 of (B, H, W, C),
    Keras' axis=-1), split over cores by rows."""
    inp = sp.Population(6, sp.Input(), label="in")
    maps = sp.Population((3, 2, 4), sp.Softmax(), label="maps",
                         neurons_per_core=8)
    out = sp.Population(5, sp.Softmax(), label="out")
    projections = [sp.Projection(inp, maps, sp.AllToAllConnector()),
                   sp.Projection(maps, out, sp.AllToAllConnector())]
    rng = np.random.default_rng(5)
    for population in (maps, out):
        population.set(bias=rng.normal(0, 0.1, population.size))
    layers = torch_linears(projections)
    x, labels = data(37, 6, 5)
    parameters = [p for layer in layers for p in layer.parameters()]
    optimizer = torch.optim.SGD(parameters, lr=0.5, momentum=0.9)
    xs, ys = torch.from_numpy(x), torch.from_numpy(labels)
    for _ in range(3):
        for first in range(0, len(x), 8):
            hidden = torch.softmax(layers[0](xs[first:first + 8]).reshape(
                -1, 3, 2, 4), dim=-1).reshape(-1, 24)
            loss = torch.nn.functional.cross_entropy(
                layers[1](hidden), ys[first:first + 8])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    sp.train(x, labels, epochs=3, batch_size=8,
             loss="sparse_categorical_crossentropy",
             optimizer=sp.SGD(0.5, 0.9), shuffle=False, verbose=0)
    assert_same_as_torch(layers, projections, rtol=1e-4)


@pytest.mark.parametrize("ours, theirs", [
    (sp.Adam(0.01), dict(optimizer="Adam")),
    (sp.Adam(0.02, 0.8, 0.99, 1e-6, 0.01),
     dict(optimizer="Adam", betas=(0.8, 0.99), eps=1e-6,
          weight_decay=0.01)),
    (sp.RMSprop(0.01), dict(optimizer="RMSprop")),
    (sp.RMSprop(0.005, 0.9, 0.5, 1e-6, 0.02),
     dict(optimizer="RMSprop", alpha=0.9, momentum=0.5, eps=1e-6,
          weight_decay=0.02))], ids=["adam", "adam-settings", "rmsprop",
                                     "rmsprop-settings"])
def test_adaptive_optimizers_match_pytorch(session, ours, theirs):
    populations, projections = mlp([8, 12, 9, 4],
                                   ["relu", "tanh", "softmax"],
                                   neurons_per_core=5)
    x, labels = data(37, 8, 4)
    theirs = dict(theirs, momentum=theirs.get("momentum", 0.0))
    layers = torch_train(populations, projections, x, labels, 3, 8,
                         ours.learning_rate, **theirs)
    sp.train(x, labels, epochs=3, batch_size=8,
             loss="sparse_categorical_crossentropy", optimizer=ours,
             shuffle=False, verbose=0)
    assert_same_as_torch(layers, projections, rtol=1e-4)


class ChannelsLast(torch.nn.Module):
    """Keras' Flatten of a channels-first tensor."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).reshape(len(x), -1)


def test_lenet_matches_pytorch(session):
    """Convolutions ('same' and 'valid'), max and average pooling, a
    flatten into dense layers: the same training as torch.nn layers."""
    image = sp.Population((10, 10, 1), sp.Input(), label="image")
    c1 = sp.Population((10, 10, 4), sp.ReLU(), label="c1",
                       neurons_per_core=80)
    s2 = sp.Population((5, 5, 4), sp.Linear(), label="s2")
    c3 = sp.Population((3, 3, 6), sp.Tanh(), label="c3")
    s4 = sp.Population((2, 2, 6), sp.Linear(), label="s4")
    f5 = sp.Population(8, sp.ReLU(), label="f5")
    out = sp.Population(3, sp.Softmax(), label="out")
    conv1 = sp.Projection(image, c1, sp.ConvolutionConnector(
        5, padding="same"))
    sp.Projection(c1, s2, sp.PoolingConnector(2))
    conv3 = sp.Projection(s2, c3, sp.ConvolutionConnector(3))
    sp.Projection(c3, s4, sp.PoolingConnector(2, 1, "average"))
    dense5 = sp.Projection(s4, f5, sp.AllToAllConnector())
    dense6 = sp.Projection(f5, out, sp.AllToAllConnector())

    def conv(projection, padding):
        kernel = projection.get("weight")
        layer = torch.nn.Conv2d(kernel.shape[2], kernel.shape[3],
                                kernel.shape[:2], padding=padding)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(kernel).permute(3, 2, 0, 1))
            layer.bias.zero_()
        return layer

    def dense(projection):
        layer = torch.nn.Linear(*projection.shape)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(projection.get("weight").T))
            layer.bias.zero_()
        return layer

    model = torch.nn.Sequential(
        conv(conv1, 2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        conv(conv3, 0), torch.nn.Tanh(), torch.nn.AvgPool2d(2, 1),
        ChannelsLast(), dense(dense5), torch.nn.ReLU(), dense(dense6))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(19, 10, 10, 1)).astype(np.float32)
    labels = rng.integers(0, 3, 19)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    xs = torch.from_numpy(x).permute(0, 3, 1, 2)
    ys = torch.from_numpy(labels)
    for _ in range(2):
        for first in range(0, len(x), 5):
            loss = torch.nn.functional.cross_entropy(
                model(xs[first:first + 5]), ys[first:first + 5])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    sp.train(x, labels, epochs=2, batch_size=5,
             loss="sparse_categorical_crossentropy",
             optimizer=sp.SGD(0.05, 0.9), shuffle=False, verbose=0)
    for projection, layer, to_ours in (
            (conv1, model[0], (2, 3, 1, 0)), (conv3, model[3], (2, 3, 1, 0))):
        assert_close(projection.get("weight"),
                     layer.weight.detach().permute(*to_ours).numpy(), 1e-4)
    assert_close(c1.get("bias"), model[0].bias.detach().numpy(), 1e-4)
    assert_close(dense5.get("weight"), model[7].weight.detach().numpy().T,
                 1e-4)
    assert_close(out.get("bias"), model[9].bias.detach().numpy(), 1e-4)
    assert len(sp.counters().of(c1)) == 5          # bands of 2 rows
