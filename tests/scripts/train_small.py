"""A small training, prediction, a run that recovers a lost packet and
one that stalls, runs with a dead core, a dead link and random drops,
then convolutional trainings (float32, and fixed point with routers
timing packets out): what the
subprocess tests (tool-chain configuration, sanitizers) run."""

import os
import sys

import numpy as np

import spinnpop as sp
from spinnpop.backends.emulator.backend import (
    CoreFault, LinkFault, PacketLoss)
from spinnpop.control import current_state
from spinnpop.mapping.mapped import Traffic

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from conftest import every_kind, mlp  # noqa: E402

sp.setup(seed=1)
pixels = sp.Population(6, sp.Input(), label="pixels")
hidden = sp.Population(7, sp.Tanh(), label="hidden", neurons_per_core=3)
out = sp.Population(3, sp.Softmax(), label="out", neurons_per_core=2)
sp.Projection(pixels, hidden, sp.AllToAllConnector())
sp.Projection(hidden, out, sp.AllToAllConnector())
sp.Projection(pixels, out, sp.AllToAllConnector())
rng = np.random.default_rng(0)
x = rng.normal(size=(20, 6)).astype(np.float32)
y = rng.integers(0, 3, 20)
history = sp.train(x, y, epochs=2, batch_size=6,
                   loss="sparse_categorical_crossentropy",
                   optimizer=sp.SGD(0.1, momentum=0.9), verbose=0)
assert np.isfinite(history.history["loss"]).all()
assert sp.predict(x).shape == (20, 3)
whole = sp.evaluate(x, y)
current_state().backend.faults = [PacketLoss(0, Traffic.FORWARD, 30, 1)]
# The re-sent packet comes later, and float32 sums follow arrival order.
recovered = sp.evaluate(x, y)
assert recovered["accuracy"] == whole["accuracy"]
assert abs(recovered["loss"] - whole["loss"]) <= 1e-6 * whole["loss"]
assert sp.counters().dropped == 1
current_state().backend.faults = [PacketLoss(0, Traffic.FORWARD, 30, 10**9)]
try:
    sp.evaluate(x, y)
except sp.StallError as error:
    assert "is missing" in str(error)
else:
    raise AssertionError("the lost packets went unnoticed")

# A core that stops dead, a chip link that goes down mid-run (routes
# resolved again without it) and random drops at every router, on a
# network spilling onto three chips.
for fault, options, error in (
        (CoreFault(1, 3, 50), {}, sp.RunError),
        (LinkFault(0, 0, 0, 100), {}, sp.StallError),
        (None, {"drop_rate": 0.01}, None)):
    sp.setup(seed=1, **options)
    mlp([6, 40, 4], ["tanh", "softmax"], neurons_per_core=2)
    current_state().backend.faults = [fault] if fault else []
    try:
        sp.train(x, rng.integers(0, 4, 20), epochs=2, batch_size=4,
                 loss="sparse_categorical_crossentropy", verbose=0)
    except sp.SpinnpopError as raised:
        assert error is not None and isinstance(raised, error), raised
    else:
        assert error is None, f"{fault} went unnoticed"

# A hidden softmax split over cores (its cores exchange their shares of
# the errors' sum) and one at each position of a shaped population.
sp.setup(seed=1)
populations, _ = mlp([6, 8, 4], ["softmax", "softmax"], neurons_per_core=3)
maps = sp.Population((2, 2, 3), sp.Softmax(), neurons_per_core=6)
sp.Projection(populations[0], maps, sp.AllToAllConnector())
sp.Projection(maps, populations[-1], sp.AllToAllConnector())
history = sp.train(x, rng.integers(0, 4, 20), epochs=2, batch_size=4,
                   loss="sparse_categorical_crossentropy", verbose=0)
assert np.isfinite(history.history["loss"]).all()

# Every kind, split over cores, with each pooling both on a convolution's
# cores and on its own; the second time with packet interrupts inside
# callbacks and bounded send queues, the third in fixed point; Adam and
# RMSprop in float32.
x = rng.normal(size=(10, 6, 6, 2)).astype(np.float32)
y = rng.integers(0, 4, 10)
for pooling, options, optimizer in (
        (("average", "max"), {}, sp.Adam(0.01, weight_decay=0.01)),
        (("max", "average"), {"preemption_seed": 1},
         sp.RMSprop(0.01, momentum=0.5)),
        (("average", "max"), {"numeric": "fixed", "router_timeout": True},
         sp.SGD(0.1, 0.9))):
    sp.setup(seed=2, **options)
    every_kind((6, 6, 2), pooling)
    history = sp.train(x, y, epochs=2, batch_size=4,
                       loss="sparse_categorical_crossentropy",
                       optimizer=optimizer, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert sp.predict(x).shape == (10, 4)
    assert not sp.counters().of("s3") and sp.counters().of("s4")
    sp.end()

# Lost activations of an input split over cores, asked for one by one by
# their keys (worked out from the sending core's rows).
sp.setup(seed=3, drop_rate=0.02)
image = sp.Population((6, 6, 2), sp.Input(), neurons_per_core=2 * 6 * 2)
conv = sp.Population((6, 6, 3), sp.ReLU(), neurons_per_core=3 * 6 * 3)
out = sp.Population(4, sp.Softmax())
sp.Projection(image, conv, sp.ConvolutionConnector(3, padding="same"))
sp.Projection(conv, out, sp.AllToAllConnector())
sp.train(x, y, epochs=2, batch_size=4, verbose=0,
         loss="sparse_categorical_crossentropy")
assert sum(c.requests for c in sp.counters().cores) > 0
sp.end()
print("ok")
