"""A small training, prediction and stalled run, then a convolutional
training: what the subprocess tests (tool-chain configuration, sanitizers)
run."""

import numpy as np

import spinnpop as sp
from spinnpop.backends.emulator.backend import PacketLoss
from spinnpop.control import current_state
from spinnpop.mapping.mapped import Traffic

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
current_state().backend.packet_loss = PacketLoss(0, Traffic.FORWARD, 30, 1)
try:
    sp.evaluate(x, y)
except sp.StallError as error:
    assert "missing 1 of" in str(error)
else:
    raise AssertionError("the lost packet went unnoticed")

# Every kind, split over cores: convolutions with shared kernels, a
# shortcut, max and average pooling.
sp.setup(seed=2)
image = sp.Population((6, 6, 2), sp.Input(), label="image")
c1 = sp.Population((6, 6, 3), sp.ReLU(), label="c1", neurons_per_core=36)
c2 = sp.Population((6, 6, 3), sp.Tanh(), label="c2", neurons_per_core=54)
s3 = sp.Population((3, 3, 3), sp.Linear(), label="s3", neurons_per_core=9)
s4 = sp.Population((2, 2, 3), sp.Sigmoid(), label="s4")
out = sp.Population(3, sp.Softmax(), label="out")
same = sp.ConvolutionConnector(3, padding="same")
for pre, post, connector in (
        (image, c1, same), (c1, c2, same), (c1, c2, sp.OneToOneConnector()),
        (c2, s3, sp.PoolingConnector(2)),
        (s3, s4, sp.PoolingConnector(2, 1, "average")),
        (s4, out, sp.AllToAllConnector())):
    sp.Projection(pre, post, connector)
x = rng.normal(size=(10, 6, 6, 2)).astype(np.float32)
y = rng.integers(0, 3, 10)
history = sp.train(x, y, epochs=2, batch_size=4,
                   loss="sparse_categorical_crossentropy",
                   optimizer=sp.SGD(0.1, momentum=0.9), verbose=0)
assert np.isfinite(history.history["loss"]).all()
assert sp.predict(x).shape == (10, 3)
sp.end()
print("ok")
