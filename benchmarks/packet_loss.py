"""What recovering lost packets costs: MLP training on the digits and on
Fashion-MNIST with routers dropping packets at random (``drop_rate``, per
router a packet reaches), against the same training without drops, in one
run: host time, packets sent, and how far the weights moved (the sums of
re-sent packets are taken in another order: float32 rounding)."""

from __future__ import annotations

import time

import numpy as np

import spinnpop as sp
from spinnpop.datasets import load_digits, load_fashion_mnist

RATES = (0.0, 1e-4, 1e-3, 1e-2)
BATCH, LEARNING_RATE, MOMENTUM = 32, 0.01, 0.9


def _train(x, y, sizes, drop_rate):
    sp.setup(seed=0, drop_rate=drop_rate)
    try:
        populations = [sp.Population(sizes[0], sp.Input(), label="pixels"),
                       sp.Population(sizes[1], sp.ReLU(), label="hidden",
                                     neurons_per_core=32),
                       sp.Population(sizes[2], sp.Softmax(),
                                     label="classes")]
        projections = [sp.Projection(a, b, sp.AllToAllConnector())
                       for a, b in zip(populations, populations[1:])]
        start = time.perf_counter()
        sp.train(x, y, epochs=1, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy",
                 optimizer=sp.SGD(LEARNING_RATE, MOMENTUM), shuffle=False,
                 verbose=0)
        seconds = time.perf_counter() - start
        cores = sp.counters().cores
        return dict(seconds=seconds,
                    sent=sum(core.sent for core in cores),
                    dropped=sp.counters().dropped,
                    resends=sum(core.resends for core in cores),
                    requests=sum(core.requests for core in cores),
                    weights=[p.get("weight") for p in projections])
    finally:
        sp.end()


def run(samples: int) -> list:
    """Rows of (data set, drop rate, measurements, largest relative weight
    difference from the run without drops)."""
    (digits_x, digits_y), _ = load_digits()
    (fashion_x, fashion_y), _ = load_fashion_mnist()
    rows = []
    for name, x, y, sizes in (
            ("digits 64-32-10", digits_x, digits_y, (64, 32, 10)),
            ("Fashion-MNIST 784-128-10", fashion_x[:samples],
             fashion_y[:samples], (784, 128, 10))):
        x = x.reshape(len(x), -1)
        _train(x[:BATCH], y[:BATCH], sizes, 0.0)     # warm the tool chain
        base = None
        for rate in RATES:
            result = _train(x, y, sizes, rate)
            base = base or result
            moved = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
                        for a, b in zip(result["weights"], base["weights"]))
            rows.append((name, rate, result, moved))
    return rows
