"""Training speed of a 784-128-10 MLP on Fashion-MNIST: spinnpop's
emulator against PyTorch on the CPU and the numpy reference, on the same
network, initial weights, data and sample order, measured in one run."""

from __future__ import annotations

import time

import numpy as np

import spinnpop as sp
from spinnpop.datasets import load_fashion_mnist
from spinnpop.reference import NumpyNetwork

#: Learning rate by batch size (one-sample steps need smaller ones).
RATES, MOMENTUM = {1: 0.001, 32: 0.01}, 0.9


def build():
    """The network in a fresh session; returns its populations and
    projections."""
    sp.setup(seed=0)
    populations = [sp.Population(784, sp.Input(), label="pixels"),
                   sp.Population(128, sp.ReLU(), label="hidden",
                                 neurons_per_core=32),
                   sp.Population(10, sp.Softmax(), label="classes")]
    projections = [sp.Projection(a, b, sp.AllToAllConnector())
                   for a, b in zip(populations, populations[1:])]
    return populations, projections


#: What the emulated machine used in the last emulator run.
machine_use = {}


def spinnpop_emulator(x, y, batch_size):
    build()
    start = time.perf_counter()
    history = sp.train(x, y, epochs=1, batch_size=batch_size,
                       loss="sparse_categorical_crossentropy",
                       optimizer=sp.SGD(RATES[batch_size], MOMENTUM),
                       shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    cores = sp.counters().cores
    machine_use.update(cores=len(cores),
                       chips=len({core.chip for core in cores}),
                       dtcm=max(core.dtcm_bytes for core in cores),
                       packets=sum(core.sent for core in cores) / len(x))
    sp.end()
    return seconds, history.history["loss"][0]


def numpy_reference(x, y, batch_size):
    populations, projections = build()
    model = NumpyNetwork.from_network(populations, projections)
    sp.end()
    targets = np.eye(10, dtype=np.float32)[y]
    start = time.perf_counter()
    losses = model.train({"pixels": x}, {"classes": targets},
                         {"classes": "cross_entropy"}, np.arange(len(x)),
                         batch_size, len(x), RATES[batch_size], MOMENTUM)
    return time.perf_counter() - start, float(losses.mean())


def pytorch(x, y, batch_size):
    import torch
    populations, projections = build()
    layers = []
    for projection, population in zip(projections, populations[1:]):
        layer = torch.nn.Linear(projection.pre.size, population.size)
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(projection.get("weight").T))
            layer.bias.zero_()
        layers.append(layer)
    sp.end()
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1])
    optimizer = torch.optim.SGD(model.parameters(), lr=RATES[batch_size],
                                momentum=MOMENTUM)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    total = 0.0
    start = time.perf_counter()
    for first in range(0, len(x), batch_size):
        loss = torch.nn.functional.cross_entropy(
            model(xs[first:first + batch_size]), ys[first:first + batch_size])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(ys[first:first + batch_size])
    return time.perf_counter() - start, total / len(x)


def run(samples: int = 10_000) -> list:
    """[(peer, batch size, samples/s, mean training loss)]."""
    (x, y), _ = load_fashion_mnist()
    x, y = x[:samples], y[:samples]
    peers = [("spinnpop emulator", spinnpop_emulator),
             ("PyTorch CPU", pytorch), ("numpy reference", numpy_reference)]
    rows = []
    for name, peer in peers:
        # Warm-up, untimed: the first call of a process imports the tool
        # chain (or PyTorch's kernels), which no row should be charged.
        peer(x[:64], y[:64], 32)
        for batch_size in (1, 32):
            seconds, loss = peer(x, y, batch_size)
            rows.append((name, batch_size, len(x) / seconds, loss))
    return rows
