"""Validation, callbacks and progress in ``train``, as Keras users expect
them: each checked against what the same training gives without them."""

import csv

import numpy as np
import pytest

import spinnpop as sp
from conftest import data, mlp
from spinnpop.saving import weights_by_name

TRAIN = dict(batch_size=8, loss="sparse_categorical_crossentropy",
             verbose=0)


def network():
    return mlp([6, 8, 3], ["relu", "softmax"])


class Recorder(sp.callbacks.Callback):
    """Keeps every epoch's logs and weights, and calls in order."""

    def __init__(self):
        self.calls, self.logs, self.weights = [], [], []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"begin{epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"end{epoch}")
        self.logs.append(dict(logs))
        self.weights.append(self.model.get_weights())

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def test_val_loss_is_evaluate_on_the_same_data(session):
    # In fixed point, so that "changes nothing" can be bit for bit: each
    # epoch is then a run of its own, which changes the cores' timing, and
    # in float32 a batch's gradients are summed in the order its samples
    # finish.
    sp.setup(seed=7, numeric="fixed")
    network()
    x, y = data(40, 6, 3)
    xv, yv = data(12, 6, 3, seed=5)
    recorder = Recorder()
    history = sp.train(x, y, epochs=3, validation_data=(xv, yv),
                       callbacks=[recorder], **TRAIN)
    assert recorder.calls == ["train_begin", "begin0", "end0", "begin1",
                              "end1", "begin2", "end2", "train_end"]
    assert set(history.history) == {"loss", "accuracy", "val_loss",
                                    "val_accuracy"}
    last = sp.evaluate(xv, yv)
    assert history.history["val_loss"][-1] == last["loss"]
    assert history.history["val_accuracy"][-1] == last["accuracy"]
    # Validation changes nothing of the training itself.
    trained = {k: v.copy() for k, v in recorder.weights[-1].items()}
    loss = history.history["loss"]
    sp.end()
    sp.setup(seed=7, numeric="fixed")
    network()
    plain = sp.train(x, y, epochs=3, **TRAIN)
    assert plain.history["loss"] == loss
    for name, array in weights_by_name().items():
        np.testing.assert_array_equal(array, trained[name])


def test_validation_split_holds_out_the_last_samples(session):
    # In fixed point, for the reason test_val_loss_is_evaluate_on_the_same_
    # data gives: in float32 the weights may differ in the last bit.
    sp.setup(seed=7, numeric="fixed")
    network()
    x, y = data(40, 6, 3)
    history = sp.train(x, y, epochs=2, validation_split=0.25, **TRAIN)
    assert history.params["samples"] == 30
    assert history.history["val_loss"][-1] == sp.evaluate(x[30:],
                                                          y[30:])["loss"]
    trained = weights_by_name()
    sp.setup(seed=7, numeric="fixed")
    network()
    sp.train(x[:30], y[:30], epochs=2, **TRAIN)
    for name, array in weights_by_name().items():
        np.testing.assert_array_equal(array, trained[name])


def _keras_stop(val_loss, patience, min_delta=0.0):
    """The epochs Keras' EarlyStopping lets run, and its best epoch, from
    the validation losses of a full training."""
    best, best_epoch, wait = None, 0, 0
    for epoch, value in enumerate(val_loss):
        wait += 1
        if best is None or value + min_delta < best:
            best, best_epoch, wait = value, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch + 1, best_epoch
    return len(val_loss), best_epoch


@pytest.mark.parametrize("patience, min_delta", [(1, 0.0), (2, 10.0)])
def test_early_stopping_stops_at_keras_epoch_with_best_weights(
        patience, min_delta):
    x, y = data(48, 6, 3)
    xv, yv = data(24, 6, 3, seed=9)
    kwargs = dict(TRAIN, validation_data=(xv, yv))
    kwargs["optimizer"] = sp.SGD(0.8, 0.9)   # big steps: val_loss wanders
    sp.setup(seed=3)
    network()
    full = Recorder()
    val_loss = sp.train(x, y, epochs=8, callbacks=[full],
                        **kwargs).history["val_loss"]
    sp.end()
    epochs, best = _keras_stop(val_loss, patience, min_delta)
    assert epochs < 8, "the case must stop early"
    sp.setup(seed=3)
    try:
        network()
        kwargs["optimizer"] = sp.SGD(0.8, 0.9)
        stopper = sp.callbacks.EarlyStopping(
            patience=patience, min_delta=min_delta,
            restore_best_weights=True)
        history = sp.train(x, y, epochs=8, callbacks=[stopper], **kwargs)
        assert history.history["val_loss"] == val_loss[:epochs]
        assert stopper.best_epoch == best
        for name, array in weights_by_name().items():
            np.testing.assert_array_equal(array, full.weights[best][name])
    finally:
        sp.end()


def test_a_callback_stops_training(session):
    network()
    x, y = data(16, 6, 3)

    class StopAfterTwo(sp.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch == 1

    history = sp.train(x, y, epochs=5, callbacks=[StopAfterTwo()], **TRAIN)
    assert history.epoch == [0, 1]


def test_learning_rate_schedule_reaches_the_cores(session):
    """A schedule's rates give the weights of separate calls at those
    rates (plain SGD: the rate only scales each step)."""
    x, y = data(16, 6, 3)
    network()
    scheduled = sp.SGD(0.1)
    history = sp.train(
        x, y, epochs=2, shuffle=False, optimizer=scheduled,
        callbacks=[sp.callbacks.LearningRateScheduler(
            lambda epoch, rate: 0.1 if epoch == 0 else 0.02)], **TRAIN)
    assert history.history["learning_rate"] == [0.1, 0.02]
    assert scheduled.learning_rate == 0.02
    stepped = weights_by_name()
    sp.end()
    sp.setup(seed=7)
    network()
    sp.train(x, y, epochs=1, shuffle=False, optimizer=sp.SGD(0.1), **TRAIN)
    sp.train(x, y, epochs=1, shuffle=False, optimizer=sp.SGD(0.02), **TRAIN)
    for name, array in weights_by_name().items():
        np.testing.assert_array_equal(array, stepped[name])


def test_csv_logger_and_checkpoints(session, tmp_path):
    network()
    x, y = data(24, 6, 3)
    log = tmp_path / "log.csv"
    checkpoint = str(tmp_path / "w-{epoch:02d}-{loss:.3f}.npz")
    history = sp.train(
        x, y, epochs=3, validation_split=0.25,
        callbacks=[sp.callbacks.CSVLogger(log),
                   sp.callbacks.ModelCheckpoint(checkpoint,
                                                save_weights_only=True)],
        **TRAIN)
    with open(log) as file:
        rows = list(csv.DictReader(file))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    assert [float(r["val_loss"]) for r in rows] == \
        history.history["val_loss"]
    saved = sorted(p.name for p in tmp_path.glob("w-*.npz"))
    assert saved == [f"w-{e + 1:02d}-{loss:.3f}.npz" for e, loss in
                     enumerate(history.history["loss"])]
    final = sp.predict(x)
    sp.load_weights(tmp_path / saved[-1])
    np.testing.assert_array_equal(sp.predict(x), final)


def test_progress_bar_and_lines(session, capsys):
    network()
    x, y = data(16, 6, 3)
    sp.train(x, y, epochs=2, **dict(TRAIN, verbose=2))
    out = capsys.readouterr()
    assert out.out.count("Epoch ") == 2 and "Epoch 2/2 - loss:" in out.out
    sp.train(x, y, epochs=2, **dict(TRAIN, verbose=1))
    err = capsys.readouterr().err
    assert "Epoch 2/2" in err and "16/16" in err and "sample/s" in err
    sp.train(x, y, epochs=1, **TRAIN)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("kwargs, message", [
    (dict(optimizer="adagrad"), "unknown optimizer"),
    (dict(metrics=["f1"]), "unknown metric"),
    (dict(metrics="accuracy"), "list of metric names"),
    (dict(callbacks=["early_stopping"]), "expected callback objects"),
    (dict(validation_split=0), r"validation_split in \(0, 1\)"),
    (dict(validation_split=1.0), r"validation_split in \(0, 1\)"),
    (dict(validation_split=0.99), "both need at least one"),
    (dict(validation_split=1e-20), "both need at least one"),
    (dict(validation_data=([1.0],)), r"validation_data=\(x, y\)"),
    (dict(validation_data=(np.zeros((2, 6)), [0, 1]),
          validation_split=0.5), "not both"),
    (dict(verbose=3), "expected verbose"),
])
def test_bad_training_options(session, kwargs, message):
    network()
    x, y = data(16, 6, 3)
    with pytest.raises(sp.ConfigurationError, match=message):
        sp.train(x, y, **dict(TRAIN, **kwargs))


@pytest.mark.parametrize("make, message", [
    (lambda: sp.callbacks.EarlyStopping(mode="up"), "expected mode"),
    (lambda: sp.callbacks.EarlyStopping(patience=-1), "patience"),
    (lambda: sp.callbacks.EarlyStopping(monitor=3), "monitor"),
    (lambda: sp.callbacks.ModelCheckpoint(None), "filepath"),
    (lambda: sp.callbacks.LearningRateScheduler(0.1), "schedule"),
    (lambda: sp.callbacks.CSVLogger("log.csv", separator=";;"),
     "separator"),
])
def test_bad_callback_settings(make, message):
    with pytest.raises(sp.ConfigurationError, match=message):
        make()


def test_callbacks_that_need_labels_refuse_before_training(session,
                                                           tmp_path):
    pre = sp.Population(6, sp.Input())
    post = sp.Population(3, sp.Softmax())
    sp.Projection(pre, post, sp.AllToAllConnector())
    sp.Projection(pre, post, sp.AllToAllConnector())
    x, y = data(16, 6, 3)
    for callback in (sp.callbacks.EarlyStopping(monitor="loss",
                                                restore_best_weights=True),
                     sp.callbacks.ModelCheckpoint(tmp_path / "w.npz")):
        with pytest.raises(sp.ConfigurationError, match="unique labels"):
            sp.train(x, y, epochs=2, callbacks=[callback], **TRAIN)
        with pytest.raises(sp.NotSetUpError):   # nothing has run
            sp.counters()


def test_a_schedule_with_a_bad_rate_is_refused(session):
    network()
    x, y = data(16, 6, 3)
    with pytest.raises(sp.ConfigurationError, match="learning_rate"):
        sp.train(x, y, epochs=2, callbacks=[
            sp.callbacks.LearningRateScheduler(lambda e: -1.0)], **TRAIN)
