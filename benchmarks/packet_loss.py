"""What recovering lost packets costs: MLP training on the digits and on
Fashion-MNIST, and LeNet-5 on Fashion-MNIST, with routers dropping packets
at random (``drop_rate``, per router a packet reaches), against the same
training without drops, in one run: host time, the cost model's time on a
chip (where each stall waits out a core's patience), packets sent, and how
far the weights moved (the sums of re-sent packets are taken in another
order: float32 rounding)."""

from __future__ import annotations

import time

import numpy as np

import spinnpop as sp
from spinnpop.datasets import load_digits, load_fashion_mnist

import lenet_family

RATES = (0.0, 1e-4, 1e-3, 1e-2)
BATCH, LEARNING_RATE, MOMENTUM = 32, 0.01, 0.9
#: LeNet-5 trains on fewer samples: it sends about 50 times the packets.
LENET_SAMPLES = 512


def _mlp(sizes):
    """A builder of the MLP with ``sizes``: its trained projections."""
    def build(drop_rate):
        sp.setup(seed=0, drop_rate=drop_rate)
        populations = [sp.Population(sizes[0], sp.Input(), label="pixels"),
                       sp.Population(sizes[1], sp.ReLU(), label="hidden",
                                     neurons_per_core=32),
                       sp.Population(sizes[2], sp.Softmax(),
                                     label="classes")]
        return [sp.Projection(a, b, sp.AllToAllConnector())
                for a, b in zip(populations, populations[1:])]
    return build


def _lenet5(drop_rate):
    built = lenet_family.build(lenet_family.NETWORKS["LeNet-5"], 0,
                               drop_rate=drop_rate)
    return [projection for _, projection in built if projection.shape]


def _train(x, y, build, drop_rate):
    try:
        projections = build(drop_rate)
        start = time.perf_counter()
        sp.train(x, y, epochs=1, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy",
                 optimizer=sp.SGD(LEARNING_RATE, MOMENTUM), shuffle=False,
                 verbose=0)
        seconds = time.perf_counter() - start
        cores = sp.counters().cores
        return dict(seconds=seconds, chip_seconds=sp.cost().seconds,
                    sent=sum(core.sent for core in cores),
                    dropped=sp.counters().dropped,
                    resends=sum(core.resends for core in cores),
                    requests=sum(core.requests for core in cores),
                    weights=[p.get("weight") for p in projections])
    finally:
        sp.end()


def run(samples: int) -> list:
    """Rows of (network, drop rate, measurements, largest relative weight
    difference from the run without drops)."""
    (digits_x, digits_y), _ = load_digits()
    (fashion_x, fashion_y), _ = load_fashion_mnist()
    lenet = min(samples, LENET_SAMPLES)
    rows = []
    for name, x, y, build in (
            ("digits 64-32-10", digits_x.reshape(len(digits_x), -1),
             digits_y, _mlp((64, 32, 10))),
            ("Fashion-MNIST 784-128-10",
             fashion_x[:samples].reshape(-1, 784), fashion_y[:samples],
             _mlp((784, 128, 10))),
            (f"LeNet-5 ({lenet} samples)",
             fashion_x[:lenet].reshape(-1, 28, 28, 1),
             fashion_y[:lenet], _lenet5)):
        _train(x[:BATCH], y[:BATCH], build, 0.0)     # warm the tool chain
        base = None
        for rate in RATES:
            result = _train(x, y, build, rate)
            base = base or result
            moved = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
                        for a, b in zip(result["weights"], base["weights"]))
            rows.append((name, rate, result, moved))
    return rows
