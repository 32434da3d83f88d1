"""float32 training on the emulator matches the independent numpy
reference: same initial weights, same sample order, several batches and
epochs (the last batch of each epoch short)."""

import numpy as np
import pytest

import spinnpop as sp

from conftest import assert_close, assert_matches, data, mlp, reference

N, EPOCHS, BATCH = 29, 3, 8


def train_both(populations, projections, x, targets, loss, kind,
               learning_rate=0.2, momentum=0.0, shuffle=False, **sgd):
    ref = reference(populations, projections)
    optimizer = sp.SGD(learning_rate, momentum, **sgd)
    history = sp.train(x, targets, epochs=EPOCHS, batch_size=BATCH,
                       loss=loss, optimizer=optimizer, shuffle=shuffle,
                       verbose=0)
    out = populations[-1]
    y = (np.eye(out.size, dtype=np.float32)[targets]
         if loss == "sparse_categorical_crossentropy" else targets)
    order = np.tile(np.arange(len(x)), EPOCHS)
    losses = ref.train({"in": x}, {out.label: y}, {out.label: kind}, order,
                       BATCH, len(x), learning_rate, momentum, **sgd)
    expected = losses.reshape(EPOCHS, len(x)).mean(axis=1)
    assert_close(history.history["loss"], expected)
    return ref


@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_hidden_activations_with_cross_entropy(session, activation,
                                               momentum):
    populations, projections = mlp([6, 9, 4], [activation, "softmax"])
    x, labels = data(N, 6, 4)
    ref = train_both(populations, projections, x, labels,
                     "sparse_categorical_crossentropy", "cross_entropy",
                     momentum=momentum)
    assert_matches(populations, projections, ref)


@pytest.mark.parametrize("sgd", [dict(nesterov=True),
                                 dict(weight_decay=0.05),
                                 dict(nesterov=True, weight_decay=0.01)])
def test_nesterov_and_weight_decay(session, sgd):
    populations, projections = mlp([6, 9, 4], ["relu", "softmax"],
                                   neurons_per_core=4)
    x, labels = data(N, 6, 4)
    ref = train_both(populations, projections, x, labels,
                     "sparse_categorical_crossentropy", "cross_entropy",
                     momentum=0.9, **sgd)
    assert_matches(populations, projections, ref)


@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "tanh"])
def test_output_activations_with_mse(session, activation):
    populations, projections = mlp([5, 7, 3], ["tanh", activation])
    x, _ = data(N, 5, 3)
    targets = np.random.default_rng(2).uniform(
        0, 1, (N, 3)).astype(np.float32)
    ref = train_both(populations, projections, x, targets, "mse", "mse",
                     momentum=0.5)
    assert_matches(populations, projections, ref)


@pytest.mark.parametrize("neurons_per_core", [None, 3])
@pytest.mark.parametrize("output, loss", [
    ("softmax", "cross_entropy"), ("sigmoid", "mse")])
def test_a_hidden_softmax(session, neurons_per_core, output, loss):
    """Its deltas a_i (e_i - sum_j a_j e_j) need every neuron's error: with
    3 neurons per core, its 8 neurons' cores agree on the sum by packets."""
    populations, projections = mlp([6, 9, 8, 4], ["relu", "softmax", output],
                                   neurons_per_core=neurons_per_core)
    x, labels = data(N, 6, 4)
    if loss == "mse":
        targets = np.random.default_rng(2).uniform(
            0, 1, (N, 4)).astype(np.float32)
        ref = train_both(populations, projections, x, targets, "mse", "mse",
                         learning_rate=0.5, momentum=0.5)
    else:
        ref = train_both(populations, projections, x, labels,
                         "sparse_categorical_crossentropy", "cross_entropy",
                         learning_rate=0.5, momentum=0.5)
    assert_matches(populations, projections, ref)


@pytest.mark.parametrize("rows_per_core", [None, 1])
@pytest.mark.parametrize("output", ["flat", "shaped"])
def test_a_shaped_softmax(session, rows_per_core, output):
    """On a (rows, width, channels) population a softmax normalises the
    channels at each position (Keras' axis=-1), on the core holding the
    row; at an output, cross-entropy is the mean over positions."""
    rng = np.random.default_rng(4)
    inp = sp.Population(6, sp.Input(), label="in")
    maps = sp.Population((3, 2, 4), sp.Softmax(), label="maps",
                         neurons_per_core=rows_per_core and 8)
    out = sp.Population(5 if output == "flat" else (3, 1, 5), sp.Softmax(),
                        label="out", neurons_per_core=rows_per_core and (
                            3 if output == "flat" else 5))
    projections = [sp.Projection(inp, maps, sp.AllToAllConnector()),
                   sp.Projection(maps, out, sp.AllToAllConnector())]
    for population in (maps, out):
        population.set(bias=rng.normal(0, 0.1, population.size))
    x, _ = data(N, 6, 5)
    y = np.eye(5, dtype=np.float32)[
        rng.integers(0, 5, (N, out.size // 5))].reshape(N, -1)
    ref = train_both([inp, maps, out], projections, x, y,
                     "categorical_crossentropy", "cross_entropy",
                     learning_rate=0.5, momentum=0.5)
    assert_matches([inp, maps, out], projections, ref)


def test_categorical_crossentropy_with_soft_targets(session):
    populations, projections = mlp([6, 8, 5], ["relu", "softmax"])
    x, _ = data(N, 6, 5)
    targets = np.random.default_rng(3).dirichlet(np.ones(5), N)
    ref = train_both(populations, projections, x,
                     targets.astype(np.float32), "categorical_crossentropy",
                     "cross_entropy")
    assert_matches(populations, projections, ref)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_three_hidden_layers(session, momentum):
    populations, projections = mlp([7, 9, 8, 6, 4],
                                   ["relu", "tanh", "sigmoid", "softmax"],
                                   neurons_per_core=3)
    x, labels = data(N, 7, 4)
    ref = train_both(populations, projections, x, labels,
                     "sparse_categorical_crossentropy", "cross_entropy",
                     momentum=momentum)
    assert_matches(populations, projections, ref)


def test_projections_into_one_population_add(session):
    """A residual shortcut: in -> h1 -> h2 -> out plus h1 -> out."""
    populations, projections = mlp([5, 6, 6, 3], ["relu", "tanh", "softmax"],
                                   neurons_per_core=4)
    projections.append(sp.Projection(populations[1], populations[3],
                                     sp.AllToAllConnector()))
    x, labels = data(N, 5, 3)
    ref = train_both(populations, projections, x, labels,
                     "sparse_categorical_crossentropy", "cross_entropy",
                     momentum=0.9)
    assert_matches(populations, projections, ref)


def test_shuffled_epochs_follow_the_documented_order(session):
    from spinnpop.training.schedule import epoch_orders
    populations, projections = mlp([4, 6, 3], ["sigmoid", "softmax"])
    x, labels = data(N, 4, 3)
    ref = reference(populations, projections)
    sp.train(x, labels, epochs=EPOCHS, batch_size=BATCH,
             loss="sparse_categorical_crossentropy", optimizer=sp.SGD(0.2),
             verbose=0)
    order = epoch_orders(7, 0, N, EPOCHS, shuffle=True)
    ref.train({"in": x}, {"layer2": np.eye(3, dtype=np.float32)[labels]},
              {"layer2": "cross_entropy"}, order, BATCH, N, 0.2)
    assert_matches(populations, projections, ref)


def test_second_train_continues_and_predict_follows(session):
    populations, projections = mlp([6, 8, 3], ["relu", "softmax"])
    x, labels = data(N, 6, 3)
    ref = reference(populations, projections)
    optimizer = sp.SGD(0.1, momentum=0.9)
    y = np.eye(3, dtype=np.float32)[labels]
    order = np.tile(np.arange(N), EPOCHS)
    for _ in range(2):
        sp.train(x, labels, epochs=EPOCHS, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy", optimizer=optimizer,
                 shuffle=False, verbose=0)
        ref.train({"in": x}, {"layer2": y}, {"layer2": "cross_entropy"},
                  order, BATCH, N, 0.1, 0.9)
    assert_matches(populations, projections, ref)
    _, outputs = ref.forward({"in": x})
    assert_close(sp.predict(x), outputs["layer2"])
    results = sp.evaluate(x, labels)
    expected = ref.losses(outputs, {"layer2": y},
                          {"layer2": "cross_entropy"}).mean()
    assert results["loss"] == pytest.approx(expected, rel=1e-5)
    accuracy = (outputs["layer2"].argmax(axis=1) == labels).mean()
    assert results["accuracy"] == pytest.approx(accuracy)


def test_several_inputs_and_outputs(session):
    """Two input populations, a shared hidden layer, a softmax output with
    cross-entropy and a linear one with mse; losses add."""
    rng = np.random.default_rng(4)
    a = sp.Population(4, sp.Input(), label="a")
    b = sp.Population((2, 3), sp.Input(), label="b")
    hidden = sp.Population(7, sp.Tanh(), label="hidden", neurons_per_core=3)
    classes = sp.Population(3, sp.Softmax(), label="classes")
    values = sp.Population(2, sp.Linear(), label="values")
    projections = [sp.Projection(pre, post, sp.AllToAllConnector())
                   for pre, post in ((a, hidden), (b, hidden),
                                     (hidden, classes), (hidden, values),
                                     (b, values))]
    populations = [a, b, hidden, classes, values]
    xa = rng.normal(size=(N, 4)).astype(np.float32)
    xb = rng.normal(size=(N, 2, 3)).astype(np.float32)
    labels = rng.integers(0, 3, N)
    targets = rng.normal(size=(N, 2)).astype(np.float32)
    ref = reference(populations, projections)
    history = sp.train({a: xa, b: xb}, {classes: labels, values: targets},
                       epochs=EPOCHS, batch_size=BATCH,
                       loss={classes: "sparse_categorical_crossentropy",
                             values: "mse"},
                       optimizer=sp.SGD(0.1, 0.5), shuffle=False, verbose=0)
    kinds = {"classes": "cross_entropy", "values": "mse"}
    y = {"classes": np.eye(3, dtype=np.float32)[labels], "values": targets}
    losses = ref.train({"a": xa, "b": xb.reshape(N, 6)}, y, kinds,
                       np.tile(np.arange(N), EPOCHS), BATCH, N, 0.1, 0.5)
    assert_close(history.history["loss"],
                 losses.reshape(EPOCHS, N).mean(axis=1))
    assert set(history.history) == {"loss", "classes_loss", "values_loss",
                                    "classes_accuracy"}
    assert_matches(populations, projections, ref)
    outputs = sp.predict({a: xa, b: xb})
    _, expected = ref.forward({"a": xa, "b": xb.reshape(N, 6)})
    for population in (classes, values):
        assert_close(outputs[population], expected[population.label])


def test_two_projections_between_one_pair(session):
    populations, projections = mlp([5, 6, 3], ["relu", "softmax"],
                                   neurons_per_core=4)
    projections.append(sp.Projection(populations[1], populations[2],
                                     sp.AllToAllConnector()))
    x, labels = data(N, 5, 3)
    ref = train_both(populations, projections, x, labels,
                     "sparse_categorical_crossentropy", "cross_entropy")
    assert_matches(populations, projections, ref)


def test_regression_reports_no_accuracy(session):
    populations, projections = mlp([3, 5, 1], ["tanh", "linear"])
    x, _ = data(N, 3, 1)
    y = x.sum(axis=1)
    history = sp.train(x, y, epochs=2, batch_size=4, loss="mse",
                       verbose=0)
    assert set(history.history) == {"loss"}
    assert set(sp.evaluate(x, y)) == {"loss"}
    assert sp.predict(x).shape == (N, 1)


def test_long_runs_are_split_without_changing_anything(
        session, monkeypatch):
    """Runs too long for the per-step records go as several runs of whole
    epochs (training) or of consecutive samples (inference)."""
    from spinnpop.training import schedule
    populations, projections = mlp([4, 6, 3], ["relu", "softmax"])
    x, labels = data(N, 4, 3)
    monkeypatch.setattr(schedule, "STEP_RECORDS_PER_CORE", 20 * N)
    ref = train_both(populations, projections, x, labels,
                     "sparse_categorical_crossentropy", "cross_entropy",
                     momentum=0.9)
    assert_matches(populations, projections, ref)
    _, outputs = ref.forward({"in": x})
    assert_close(sp.predict(x), outputs["layer2"])
