"""Saving and loading weights and whole sessions: a loaded session predicts
the same bits and trains on exactly as the saved one would have."""

import importlib.util

import numpy as np
import pytest

import spinnpop as sp
from conftest import data, every_kind, mlp
from spinnpop.saving import weights_by_name

TRAIN = dict(batch_size=4, loss="sparse_categorical_crossentropy",
             verbose=0)


def assert_same_weights(expected: dict):
    actual = weights_by_name()
    assert set(actual) == set(expected)
    for name, array in expected.items():
        np.testing.assert_array_equal(actual[name], array, err_msg=name)


OPTIMIZERS = {"sgd": lambda: sp.SGD(0.05, 0.9),
              "adam": lambda: sp.Adam(0.01, weight_decay=0.01),
              "rmsprop": lambda: sp.RMSprop(0.01, momentum=0.5)}


@pytest.mark.parametrize("numeric, optimizer", [
    ("float32", "sgd"), ("fixed", "sgd"), ("float32", "adam"),
    ("float32", "rmsprop")])
def test_a_loaded_session_predicts_and_trains_on_as_the_saved_one(
        tmp_path, numeric, optimizer):
    make = OPTIMIZERS[optimizer]
    x, y = data(20, 6, 3)
    path = tmp_path / "run.spinnpop"
    # Uninterrupted: two training calls in one session.
    sp.setup(seed=4, numeric=numeric)
    mlp([6, 8, 3], ["tanh", "softmax"], neurons_per_core=3)
    optimizer = make()
    sp.train(x, y, epochs=2, optimizer=optimizer, **TRAIN)
    middle = sp.predict(x)
    sp.train(x, y, epochs=2, optimizer=optimizer, **TRAIN)
    sp.end()
    # The same, saved after the first call and loaded by another session.
    sp.setup(seed=4, numeric=numeric)
    mlp([6, 8, 3], ["tanh", "softmax"], neurons_per_core=3)
    optimizer = make()
    sp.train(x, y, epochs=2, optimizer=optimizer, **TRAIN)
    sp.save(path)
    uninterrupted_optimizer = optimizer
    sp.train(x, y, epochs=2, optimizer=optimizer, **TRAIN)
    expected = weights_by_name()
    sp.end()
    sp.setup(seed=99, numeric=numeric)      # seed and order come from the file
    try:
        loaded = sp.load(path)
        assert list(loaded.populations) == ["in", "layer1", "layer2"]
        assert loaded.populations["layer1"].neurons_per_core == 3
        np.testing.assert_array_equal(sp.predict(x), middle)
        assert repr(loaded.optimizer) == repr(optimizer)
        assert loaded.optimizer.steps == 10
        sp.train(x, y, epochs=2, optimizer=loaded.optimizer, **TRAIN)
        assert_same_weights(expected)
        resumed = loaded.optimizer.state_by_name()
        original = uninterrupted_optimizer.state_by_name()
        assert set(resumed) == set(original) and resumed
        for name, buffer in resumed.items():
            np.testing.assert_array_equal(buffer, original[name], name)
    finally:
        sp.end()


def test_a_convolutional_session_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (6, 9, 8, 2)).astype(np.float32)
    y = rng.integers(0, 4, 6)
    sp.setup(seed=2)
    every_kind()
    sp.train(x, y, epochs=1, **TRAIN)
    predicted = sp.predict(x)
    weights = weights_by_name()
    sp.save(tmp_path / "conv.npz")
    sp.setup(seed=2)
    try:
        sp.load(tmp_path / "conv.npz")
        assert_same_weights(weights)
        np.testing.assert_array_equal(sp.predict(x), predicted)
    finally:
        sp.end()


def test_weights_go_to_a_network_of_the_same_labels(session, tmp_path):
    x, y = data(12, 6, 3)
    mlp([6, 8, 3], ["relu", "softmax"])
    sp.train(x, y, epochs=1, **TRAIN)
    predicted = sp.predict(x)
    sp.save_weights(tmp_path / "w.npz")
    sp.setup(seed=123)
    mlp([6, 8, 3], ["relu", "softmax"], seed=5)
    sp.load_weights(tmp_path / "w.npz")
    np.testing.assert_array_equal(sp.predict(x), predicted)


def test_a_weights_file_of_another_network_is_refused(session, tmp_path):
    mlp([6, 8, 3], ["relu", "softmax"])
    sp.save_weights(tmp_path / "w.npz")
    sp.setup(seed=7)
    mlp([6, 5, 3], ["relu", "softmax"])
    before = weights_by_name()
    with pytest.raises(sp.ConfigurationError, match=r"in->layer1/weight "
                       r"has shape \(6, 8\), the network's has \(6, 5\)"):
        sp.load_weights(tmp_path / "w.npz")
    assert_same_weights(before)             # nothing half-loaded
    sp.setup(seed=7)
    mlp([6, 8, 3], ["relu", "softmax"])
    sp.Population(2, sp.Sigmoid(), label="extra")
    with pytest.raises(sp.ConfigurationError,
                       match=r"missing \['population/extra/bias'\]"):
        sp.load_weights(tmp_path / "w.npz")


@pytest.mark.parametrize("case, message", [
    ("weights only", "holds weights only"),
    ("not empty", "already has 1 population"),
    ("numeric", r"call setup\(numeric='float32'\)"),
    ("missing", "no file"),
    ("not npz", "not a spinnpop weights file"),
    ("npy", "not a spinnpop weights file"),
])
def test_bad_loads(tmp_path, case, message):
    sp.setup()
    try:
        mlp([4, 3], ["softmax"])
        sp.save_weights(tmp_path / "w.npz")
        sp.save(tmp_path / "s.npz")
        (tmp_path / "junk.npz").write_text("not an archive")
        with open(tmp_path / "array.npz", "wb") as file:
            np.save(file, np.zeros(3))
        path = {"weights only": "w.npz", "missing": "nothing.npz",
                "not npz": "junk.npz", "npy": "array.npz"}.get(case,
                                                               "s.npz")
        sp.setup(numeric="fixed" if case == "numeric" else "float32")
        if case == "not empty":
            sp.Population(4, sp.Input())
        with pytest.raises(sp.ConfigurationError, match=message):
            sp.load(tmp_path / path)
    finally:
        sp.end()


def test_a_file_that_fails_to_load_leaves_the_session_as_it_was(tmp_path):
    sp.setup()
    try:
        mlp([4, 3], ["softmax"])
        sp.save(tmp_path / "good.npz")
        with np.load(tmp_path / "good.npz") as file:
            arrays = dict(file)
        arrays["projection/in->layer1/weight"] = np.zeros((2, 2))
        with open(tmp_path / "bad.npz", "wb") as file:
            np.savez(file, **arrays)
        weights = weights_by_name()
        sp.setup()
        with pytest.raises(sp.ConfigurationError, match="has shape"):
            sp.load(tmp_path / "bad.npz")
        sp.load(tmp_path / "good.npz")          # as in a fresh session
        assert_same_weights(weights)
    finally:
        sp.end()


def test_labels_must_be_unique_to_save(session, tmp_path):
    pre = sp.Population(3, sp.Input())
    post = sp.Population(2, sp.Softmax())
    sp.Projection(pre, post, sp.AllToAllConnector())
    sp.Projection(pre, post, sp.AllToAllConnector())
    with pytest.raises(sp.ConfigurationError, match="unique labels"):
        sp.save_weights(tmp_path / "w.npz")


@pytest.mark.skipif(importlib.util.find_spec("h5py") is not None,
                    reason="h5py is installed")
def test_hdf5_without_h5py_says_what_to_install(session, tmp_path):
    mlp([4, 3], ["softmax"])
    with pytest.raises(sp.ConfigurationError, match="pip install h5py"):
        sp.save_weights(tmp_path / "w.h5")


def test_hdf5_round_trip(session, tmp_path):
    pytest.importorskip("h5py")
    mlp([4, 3], ["softmax"])
    weights = weights_by_name()
    sp.save(tmp_path / "s.h5")
    sp.setup()
    sp.load(tmp_path / "s.h5")
    assert_same_weights(weights)
