"""Trains, predicts, evaluates and ends, checking after each call that the
process is as it was: its SIGINT handler, excepthook and warning filters,
and no exit handlers piling up; then a training interrupted by SIGINT,
which stops at a batch end.
Prints "ok"; the test checks that nothing is left on disk after exit."""

import atexit
import contextlib
import io
import os
import signal
import sys
import threading
import time
import warnings

import numpy as np

registered = []
_register, _unregister = atexit.register, atexit.unregister


def register(function, *args, **kwargs):
    registered.append(function)
    return _register(function, *args, **kwargs)


def unregister(function):
    registered[:] = [f for f in registered if f != function]
    return _unregister(function)


atexit.register, atexit.unregister = register, unregister

import spinnpop as sp  # noqa: E402
from spinnpop.reference import NumpyNetwork  # noqa: E402
from spinnpop.training.schedule import epoch_orders  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from conftest import data, mlp  # noqa: E402


def snapshot():
    return (signal.getsignal(signal.SIGINT), sys.excepthook,
            list(warnings.filters), threading.active_count())


before = snapshot()
sp.setup(seed=1)
populations, projections = mlp([6, 16, 3], ["tanh", "softmax"],
                               neurons_per_core=8)
x, y = data(64, 6, 3)
train = dict(loss="sparse_categorical_crossentropy", verbose=0)
handlers = None
for call in (lambda: sp.train(x, y, **dict(train, verbose=1)),
             lambda: sp.predict(x),
             lambda: sp.evaluate(x, y), lambda: sp.train(x, y, **train)):
    call()
    assert snapshot() == before, "the process's handlers or filters changed"
    if handlers is None:          # the first call imports the tools
        handlers = list(registered)
    assert registered == handlers, f"exit handlers piled up: {registered}"


class CtrlC(io.StringIO):
    """Standard output that sends SIGINT once the third epoch is reported,
    so that it comes while the cores are running."""

    sent = None

    def write(self, text):
        if self.sent is None and text.startswith("Epoch 3/"):
            self.sent = time.monotonic()
            os.kill(os.getpid(), signal.SIGINT)
        return super().write(text)


def interrupted(populations, projections, inputs, call):
    """Ctrl-C in the middle of a long training: KeyboardInterrupt within
    about a second, and the weights those of a batch end (as the numpy
    reference has them after some number of batches), as many as the
    optimizer counts."""
    reference = NumpyNetwork.from_network(populations, projections)
    out = CtrlC()
    optimizer = sp.SGD(0.01)
    try:
        with contextlib.redirect_stdout(out):
            sp.train({populations[i]: x for i, x in inputs.items()}, y,
                     epochs=10 ** 6, optimizer=optimizer,
                     **dict(train, verbose=2))
    except KeyboardInterrupt as interrupt:
        waited = time.monotonic() - out.sent
        assert waited < 1.5, f"KeyboardInterrupt came {waited:.1f} s late"
        assert len(interrupt.history.history["loss"]) >= 3
    else:
        raise AssertionError("the training was not interrupted")
    weights = [p.get("weight") for p in projections]
    order = epoch_orders(1, call, len(y), 10_000, shuffle=True)
    targets = np.eye(3, dtype=np.float32)[y]
    output = populations[-1].label
    for first in range(0, len(order), 32):
        picked = order[first:first + 32]
        reference.train_batch(
            {populations[i].label: x[picked] for i, x in inputs.items()},
            {output: targets[picked]}, {output: "cross_entropy"}, 0.01, 0.0)
        if all(np.allclose(a, b, rtol=1e-4, atol=1e-6)
               for a, b in zip(weights, reference.weights())):
            assert optimizer.steps == reference.steps, (optimizer.steps,
                                                        reference.steps)
            return
    raise AssertionError("the weights are not those of any batch end")


interrupted(populations, projections, {0: x}, call=2)
assert snapshot() == before
# Two input populations, each on cores of its own: they stop together.
sp.setup(seed=1)
pixels = [sp.Population(3, sp.Input(), label=f"in{i}") for i in (0, 1)]
hidden = sp.Population(8, sp.Tanh(), label="hidden")
out = sp.Population(3, sp.Softmax(), label="out")
projections = [sp.Projection(p, hidden, sp.AllToAllConnector())
               for p in pixels] + [
    sp.Projection(hidden, out, sp.AllToAllConnector())]
interrupted(pixels + [hidden, out], projections,
            {0: x[:, :3], 1: x[:, 3:]}, call=0)
assert snapshot() == before
sp.end()
assert snapshot() == before
print("ok")
