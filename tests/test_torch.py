"""Optional: the same training in PyTorch (CPU, float32) ends with the same
weights, from the same initial weights and sample order."""

import numpy as np
import pytest

import spinnpop as sp

from conftest import assert_close, data, mlp

torch = pytest.importorskip("torch")


def torch_train(populations, projections, x, labels, epochs, batch_size,
                learning_rate, momentum):
    layers = []
    for projection, population in zip(projections, populations[1:]):
        layer = torch.nn.Linear(projection.pre.size, population.size)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(projection.get("weight").T))
            layer.bias.copy_(torch.from_numpy(population.get("bias")))
        layers.append(layer)
    activations = {"relu": torch.relu, "tanh": torch.tanh,
                   "sigmoid": torch.sigmoid}
    parameters = [p for layer in layers for p in layer.parameters()]
    optimizer = torch.optim.SGD(parameters, lr=learning_rate,
                                momentum=momentum)
    xs, ys = torch.from_numpy(x), torch.from_numpy(labels)
    for _ in range(epochs):
        for first in range(0, len(x), batch_size):
            a = xs[first:first + batch_size]
            for layer, population in zip(layers, populations[1:]):
                a = layer(a)
                if population.celltype.activation in activations:
                    a = activations[population.celltype.activation](a)
            loss = torch.nn.functional.cross_entropy(
                a, ys[first:first + batch_size])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return layers


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_matches_pytorch(session, momentum):
    populations, projections = mlp([8, 12, 9, 4],
                                   ["relu", "tanh", "softmax"],
                                   neurons_per_core=5)
    x, labels = data(37, 8, 4)
    layers = torch_train(populations, projections, x, labels, 3, 8, 0.2,
                         momentum)
    sp.train(x, labels, epochs=3, batch_size=8,
             loss="sparse_categorical_crossentropy",
             optimizer=sp.SGD(0.2, momentum), shuffle=False, verbose=0)
    for layer, projection, population in zip(layers, projections,
                                             populations[1:]):
        assert_close(projection.get("weight"),
                     layer.weight.detach().numpy().T)
        assert_close(population.get("bias"), layer.bias.detach().numpy())
