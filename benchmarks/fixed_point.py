"""Fixed point against float32: the same network, initial weights, sample
order and hyperparameters trained on the emulator in each numeric type,
test accuracy compared (the issue's bar: within 0.5 percentage points),
with the saturations fixed point counted."""

from __future__ import annotations

import numpy as np

import spinnpop as sp
from lenet_family import BATCH, MOMENTUM, NETWORKS, RATE, build, phases

#: The networks compared, as the LeNet family writes them.
COMPARED = {"MLP 784-128-10": [("dense", 128)],
            "LeNet-5": NETWORKS["LeNet-5"]}


def train(layers: list, numeric: str, x, y, x_test, y_test,
          epochs: int) -> dict:
    """Test accuracy and saturations of one training."""
    build(layers, 0, numeric)
    optimizer = sp.SGD(RATE, MOMENTUM)
    saturations = 0
    for run_epochs, rate in phases(epochs):
        optimizer.learning_rate = rate
        sp.train(x, y, epochs=run_epochs, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy", optimizer=optimizer,
                 verbose=0)
        saturations += sp.counters().saturations
    accuracy = float(np.mean(np.argmax(sp.predict(x_test), 1) == y_test))
    sp.end()
    return dict(accuracy=accuracy, saturations=saturations)


def run(data, epochs: int, samples: int, networks=None):
    """Yields (network, {numeric: result}) for each compared network."""
    (x, y), (x_test, y_test) = data
    x, y = x[:samples].reshape(-1, 28, 28, 1), y[:samples]
    x_test = x_test.reshape(-1, 28, 28, 1)
    for name, layers in COMPARED.items():
        if networks and name not in networks:
            continue
        yield name, {numeric: train(layers, numeric, x, y, x_test, y_test,
                                    epochs)
                     for numeric in ("float32", "fixed")}
