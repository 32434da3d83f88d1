"""binary_crossentropy and mae, computed on the output cores: the numpy
reference's losses and weights (and PyTorch's, where installed), XOR among
several labels, Keras' binary accuracy, a saturated sigmoid's finite loss,
fixed point bit for bit as fixed_reference.py and across splits, and the
clear errors."""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.training.schedule import epoch_orders

from conftest import (assert_close, assert_matches,
                      assert_same_as_fixed_reference, assert_same_as_torch,
                      data, mlp, reference, torch_linears)

N, BATCH = 29, 8


def labels(n, size, seed=3):
    return (np.random.default_rng(seed).uniform(0, 1, (n, size))
            > 0.5).astype(np.float32)


def train_both(populations, projections, x, y, loss, kind, epochs=3):
    ref = reference(populations, projections)
    history = sp.train(x, y, epochs=epochs, batch_size=BATCH, loss=loss,
                       optimizer=sp.SGD(0.5, 0.5), shuffle=False, verbose=0)
    out = populations[-1].label
    losses = ref.train({"in": x}, {out: y.reshape(len(x), -1)}, {out: kind},
                       np.tile(np.arange(len(x)), epochs), BATCH, len(x),
                       0.5, 0.5)
    assert_close(history.history["loss"],
                 losses.reshape(epochs, len(x)).mean(axis=1))
    assert_matches(populations, projections, ref)
    return history


@pytest.mark.parametrize("neurons_per_core", [None, 2])
def test_binary_crossentropy_with_several_labels(session, neurons_per_core):
    populations, projections = mlp([6, 9, 4], ["relu", "sigmoid"],
                                   neurons_per_core=neurons_per_core)
    x, _ = data(N, 6, 4)
    train_both(populations, projections, x, labels(N, 4),
               "binary_crossentropy", "binary_cross_entropy")


def test_binary_crossentropy_of_one_label_as_a_vector(session):
    populations, projections = mlp([6, 5, 1], ["tanh", "sigmoid"])
    x, _ = data(N, 6, 1)
    train_both(populations, projections, x, labels(N, 1)[:, 0],
               "binary_crossentropy", "binary_cross_entropy")


@pytest.mark.parametrize("output", ["linear", "tanh", "relu"])
def test_mae(session, output):
    populations, projections = mlp([6, 9, 3], ["relu", output],
                                   neurons_per_core=2)
    x, _ = data(N, 6, 3)
    y = np.random.default_rng(2).uniform(0, 1, (N, 3)).astype(np.float32)
    train_both(populations, projections, x, y, "mae", "mae")


def test_xor_and_or_learnt_as_three_labels(session):
    """Without PyTorch: a sigmoid per label (XOR, AND, OR of the inputs)
    learns all three, as the numpy reference does step by step."""
    populations, projections = mlp([2, 8, 3], ["tanh", "sigmoid"],
                                   neurons_per_core=2)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.stack([x[:, 0] != x[:, 1], x.min(axis=1), x.max(axis=1)],
                 axis=1).astype(np.float32)
    x, y = np.tile(x, (100, 1)), np.tile(y, (100, 1))
    history = train_both(populations, projections, x, y,
                         "binary_crossentropy", "binary_cross_entropy",
                         epochs=4)
    assert history.history["accuracy"][-1] == 1.0
    assert history.history["loss"][-1] < 0.1


@pytest.mark.parametrize("numeric", ["float32", "fixed"])
def test_a_saturated_sigmoid_has_a_finite_loss(numeric):
    """Taken from z, the loss of a sigmoid that rounds to 0 or 1 is still
    softplus(z) - y z (log(0) would make it infinite)."""
    sp.setup(numeric=numeric)
    try:
        inputs = sp.Population(2, sp.Input())
        out = sp.Population(4, sp.Sigmoid())
        sp.Projection(inputs, out, sp.AllToAllConnector()).set(weight=0.0)
        z = np.array([40, -40, 3, -2], np.float32)
        out.set(bias=z)
        y = np.array([[0, 1, 0, 1]], np.float32)
        expected = (np.logaddexp(0, z) - y * z).mean()
        result = sp.evaluate(np.zeros((1, 2)), y,
                             loss="binary_crossentropy")
        np.testing.assert_allclose(result["loss"], expected, rtol=1e-5)
    finally:
        sp.end()


@pytest.mark.parametrize("output, loss, c_name", [
    ("sigmoid", "binary_crossentropy", "binary_cross_entropy"),
    ("tanh", "mae", "mae"),
])
def test_fixed_point_bit_identical_to_the_numpy_fixed_point_reference(
        output, loss, c_name):
    x, _ = data(20, 9, 5)
    assert_same_as_fixed_reference([9, 14, 5], ["relu", output], x,
                                   labels(20, 5), loss, c_name)


@pytest.mark.parametrize("shuffle", [False, True])
def test_binary_accuracy_is_keras(session, shuffle):
    """Outputs above 0.5 against the labels, each sample's as it went
    through (before its batch's update), averaged over labels."""
    populations, projections = mlp([6, 9, 4], ["relu", "sigmoid"])
    x, _ = data(N, 6, 4)
    y = labels(N, 4)
    ref = reference(populations, projections)
    history = sp.train(x, y, epochs=2, batch_size=BATCH,
                       loss="binary_crossentropy", metrics=["accuracy"],
                       optimizer=sp.SGD(0.5, 0.5), shuffle=shuffle,
                       verbose=0, validation_data=(x[:10], y[:10]))
    expected = []
    for epoch in epoch_orders(7, 0, N, 2, shuffle).reshape(2, N):
        correct = []
        for first in range(0, N, BATCH):
            picked = epoch[first:first + BATCH]
            _, a = ref.forward({"in": x[picked]})
            correct.append((a["layer2"] > 0.5) == y[picked])
            ref.train_batch({"in": x[picked]}, {"layer2": y[picked]},
                            {"layer2": "binary_cross_entropy"}, 0.5, 0.5)
        expected.append(np.concatenate(correct).mean())
    np.testing.assert_array_equal(history.history["accuracy"], expected)
    assert history.history["val_accuracy"][-1] == (
        (sp.predict(x[:10]) > 0.5) == y[:10]).mean()


@pytest.mark.parametrize("loss, output", [("binary_crossentropy", "sigmoid"),
                                          ("mae", "tanh")])
def test_fixed_point_bit_identical_whatever_the_split(loss, output):
    x, _ = data(N, 6, 4)
    runs = []
    for neurons_per_core, options in ((None, {}), (1, {"reorder_seed": 2})):
        sp.setup(seed=3, numeric="fixed", **options)
        try:
            populations, projections = mlp([6, 9, 4], ["relu", output],
                                           neurons_per_core=neurons_per_core)
            history = sp.train(x, labels(N, 4), epochs=2, batch_size=BATCH,
                               loss=loss, optimizer=sp.SGD(0.3, 0.9),
                               verbose=0)
            runs.append((history.history["loss"],
                         [p.get("weight") for p in projections]))
        finally:
            sp.end()
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_xor_through_a_hidden_softmax_matches_pytorch(session):
    """The network of the project spinnpop grew from: 2-64 relu-64 tanh-64
    softmax-1 sigmoid, binary cross-entropy, on XOR."""
    torch = pytest.importorskip("torch")
    populations, projections = mlp([2, 64, 64, 64, 1],
                                   ["relu", "tanh", "softmax", "sigmoid"],
                                   neurons_per_core=16)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([[0], [1], [1], [0]], np.float32)
    layers = torch_linears(projections)
    model = torch.nn.Sequential(
        layers[0], torch.nn.ReLU(), layers[1], torch.nn.Tanh(), layers[2],
        torch.nn.Softmax(dim=1), layers[3])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(20):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            model(torch.from_numpy(x)), torch.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    sp.train(x, y, epochs=20, batch_size=4, loss="binary_crossentropy",
             optimizer=sp.Adam(0.01), shuffle=False, verbose=0)
    assert_same_as_torch(layers, projections, rtol=1e-4)


@pytest.mark.parametrize("loss", ["binary_crossentropy", "mae"])
def test_losses_match_pytorch(session, loss):
    torch = pytest.importorskip("torch")
    # BCEWithLogitsLoss takes the sigmoid's input; L1Loss the output.
    criterion = {"binary_crossentropy": torch.nn.BCEWithLogitsLoss,
                 "mae": torch.nn.L1Loss}[loss]()
    output = "sigmoid" if loss == "binary_crossentropy" else "linear"
    populations, projections = mlp([6, 9, 4], ["relu", output],
                                   neurons_per_core=3)
    x, _ = data(N, 6, 4)
    y = labels(N, 4)
    layers = torch_linears(projections)
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(3):
        for first in range(0, N, BATCH):
            # The mean over a batch's samples and labels: spinnpop's mean
            # over a sample's labels, then over the batch.
            loss_value = criterion(model(xs[first:first + BATCH]),
                                   ys[first:first + BATCH])
            optimizer.zero_grad()
            loss_value.backward()
            optimizer.step()
    sp.train(x, y, epochs=3, batch_size=BATCH, loss=loss,
             optimizer=sp.SGD(0.5, 0.5), shuffle=False, verbose=0)
    assert_same_as_torch(layers, projections, rtol=1e-4)


@pytest.mark.parametrize("output, loss, y, error, message", [
    ("relu", "binary_crossentropy", None, sp.NetworkError,
     "needs a Sigmoid output"),
    ("softmax", "mae", None, sp.NetworkError,
     "'mae' is not supported after a Softmax"),
    ("sigmoid", "binary_crossentropy", 1.5, sp.DataError, r"in \[0, 1\]"),
])
def test_bad_input(session, output, loss, y, error, message):
    mlp([4, 3], [output])
    x, _ = data(8, 4, 3)
    targets = np.zeros((8, 3), np.float32) if y is None \
        else np.full((8, 3), y, np.float32)
    with pytest.raises(error, match=message):
        sp.train(x, targets, loss=loss, verbose=0)
