"""Fixed-point training (setup(numeric="fixed")): formats that the C and the
host agree on, maths close to the exact values and the same bits on the
ARM968, results bit-identical whatever the order packets arrive in, the
split over cores or the packets lost, accuracy as float32's, and numbers
out of range refused or counted."""

import os
import re
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import spinnpop as sp
from conftest import assert_same_as_fixed_reference, data, mlp
from spinnpop.datasets import load_digits
from spinnpop.numeric import FIXED, FLOAT32
from test_maths import COMMON, COMPILER, QEMU, ROOT

PROBE = os.path.join(ROOT, "tests", "c", "fixed_maths_probe.c")
FRACTION = 2.0 ** FIXED.values.fraction_bits


def test_the_c_formats_are_the_hosts():
    with open(os.path.join(COMMON, "numeric_fixed_impl.h")) as header:
        text = header.read()
    defined = dict(re.findall(r"#define (\w+_FRACTION) (\d+)", text))
    assert int(defined["VALUE_FRACTION"]) == FIXED.values.fraction_bits
    assert int(defined["WEIGHT_FRACTION"]) == FIXED.weights.fraction_bits


def test_the_host_rounds_to_nearest_and_back():
    x = np.array([0, 1e-7, 0.3, -1.5, 2047.5, -2047.5], np.float32)
    words = FIXED.values.encode(x, "x")
    back = FIXED.values.decode(words)
    assert np.all(np.abs(back - x) <= 0.5 / FRACTION)
    assert words.view(np.int32)[3] == -3 << 19
    assert np.array_equal(FLOAT32.values.decode(FLOAT32.values.encode(x,
                                                                      "x")), x)


@pytest.fixture(scope="module")
def host_words(tmp_path_factory):
    binary = str(tmp_path_factory.mktemp("fixed") / "probe")
    return _run([shutil.which("gcc"), "-O3", "-Wall", "-Wextra", "-I",
                 COMMON, PROBE, "-o", binary], [binary])


def _run(compile_command, run_command):
    subprocess.run(compile_command, check=True, capture_output=True)
    lines = subprocess.run(run_command, check=True, capture_output=True,
                           text=True).stdout.splitlines()
    words = np.array([[int(w, 16) for w in line.split()]
                      for line in lines[:-1]], dtype=np.uint32)
    return words, int(lines[-1])


def test_maths_close_to_the_exact_values(host_words):
    words, saturations = host_words
    values = words.view(np.int32) / FRACTION
    x, got = values[:, 0], values[:, 1:]
    limit = FIXED.values.limit
    with np.errstate(all="ignore"):
        exact = np.stack([np.exp(x), np.log(np.abs(x)), np.tanh(x),
                          1 / (1 + np.exp(-x)), 1 / x], axis=1)
    ulps = {"exp": None, "log": 1, "tanh": 2, "sigmoid": 1, "1/x": 0.5}
    for column, (name, limit_ulps) in enumerate(ulps.items()):
        held = np.isfinite(exact[:, column]) & (np.abs(exact[:, column])
                                                < limit) & (x != 0)
        error = np.abs(got[held, column] - exact[held, column]) * FRACTION
        # exp's error is relative: 5e-7 of results up to 2048
        allowed = (limit_ulps if name != "exp"
                   else np.maximum(1, 5e-7 * exact[held, 0] * FRACTION))
        assert np.all(error <= allowed), name
        # beyond the range: held at the limit, and counted
        over = np.isfinite(exact[:, column]) & (np.abs(exact[:, column])
                                                > limit)
        assert np.all(np.abs(got[over, column]) == (2 ** 31 - 1) / FRACTION)
    assert saturations > 0


@pytest.mark.skipif(COMPILER is None or QEMU is None,
                    reason="needs Debian's gcc-arm-none-eabi and qemu-user")
def test_maths_same_bits_on_the_arm968(host_words, tmp_path):
    binary = str(tmp_path / "probe.elf")
    arm = _run([COMPILER, "-O2", "-march=armv5te", "-marm",
                "-mfloat-abi=soft", "--specs=rdimon.specs", "-I", COMMON,
                PROBE, "-o", binary], [QEMU, binary])
    assert np.array_equal(arm[0], host_words[0]) and arm[1] == host_words[1]


def _deep(setup, neurons_per_core=None, hidden=("relu", "sigmoid")):
    """Weights and losses of a deep MLP trained in fixed point."""
    sp.setup(seed=3, numeric="fixed", **setup)
    try:
        populations, projections = mlp([9, 14, 11, 5],
                                       [*hidden, "softmax"],
                                       neurons_per_core=neurons_per_core)
        x, labels = data(23, 9, 5)
        history = sp.train(x, labels, epochs=2, batch_size=6,
                           optimizer=sp.SGD(0.3, 0.9), verbose=0,
                           loss="sparse_categorical_crossentropy")
        return ([p.get("weight") for p in projections]
                + [p.get("bias") for p in populations[1:]],
                history.history["loss"])
    finally:
        sp.end()


def _conv(setup, rows_per_core):
    """Weights and losses of a small convolutional network (shared
    gradients summed over its cores) trained in fixed point."""
    sp.setup(seed=3, numeric="fixed", **setup)
    try:
        image = sp.Population((8, 8, 1), sp.Input(), label="image")
        conv = sp.Population((8, 8, 3), sp.ReLU(), label="conv",
                             neurons_per_core=rows_per_core * 8 * 3)
        pooled = sp.Population((4, 4, 3), sp.Linear(), label="pooled")
        out = sp.Population(4, sp.Softmax(), label="out",
                            neurons_per_core=4 // rows_per_core)
        projections = [
            sp.Projection(image, conv,
                          sp.ConvolutionConnector(3, padding="same")),
            sp.Projection(conv, pooled, sp.PoolingConnector(2)),
            sp.Projection(pooled, out, sp.AllToAllConnector())]
        rng = np.random.default_rng(5)
        x = rng.uniform(0, 1, (12, 8, 8, 1)).astype(np.float32)
        labels = rng.integers(0, 4, 12)
        history = sp.train(x, labels, epochs=2, batch_size=4,
                           optimizer=sp.SGD(0.1, 0.9), verbose=0,
                           loss="sparse_categorical_crossentropy")
        return ([p.get("weight") for p in projections if p.shape]
                + [conv.get("bias"), out.get("bias")],
                history.history["loss"])
    finally:
        sp.end()


def assert_identical(runs):
    (weights, losses), *others = runs
    for other_weights, other_losses in others:
        assert other_losses == losses
        for mine, theirs in zip(weights, other_weights):
            assert np.array_equal(mine, theirs)


def test_bit_identical_whatever_the_order_split_and_losses():
    assert_identical([
        _deep({}), _deep({"reorder_seed": 2}), _deep({}, neurons_per_core=3),
        _deep({"samples_in_flight": 3, "reorder_seed": 5},
              neurons_per_core=7),
        _deep({"drop_rate": 1e-2}, neurons_per_core=4)])


def test_a_hidden_softmax_bit_identical_whatever_the_split():
    """Its cores add their shares of sum_j a_j e_j exactly."""
    hidden = ("relu", "softmax")
    assert_identical([
        _deep({}, hidden=hidden), _deep({}, neurons_per_core=3, hidden=hidden),
        _deep({"reorder_seed": 2, "drop_rate": 1e-2}, neurons_per_core=4,
              hidden=hidden)])


def _shaped_softmax(setup, rows_per_core):
    """Weights and losses of a network with a softmax at each position of
    a shaped population, trained in fixed point."""
    sp.setup(seed=3, numeric="fixed", **setup)
    try:
        inp = sp.Population(6, sp.Input())
        maps = sp.Population((4, 2, 3), sp.Softmax(),
                             neurons_per_core=rows_per_core and 6
                             * rows_per_core)
        out = sp.Population((4, 1, 3), sp.Softmax(),
                            neurons_per_core=rows_per_core and 3
                            * rows_per_core)
        projections = [sp.Projection(inp, maps, sp.AllToAllConnector()),
                       sp.Projection(maps, out, sp.AllToAllConnector())]
        rng = np.random.default_rng(5)
        x = rng.normal(0, 1, (12, 6)).astype(np.float32)
        y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, (12, 4))]
        history = sp.train(x, y.reshape(12, -1), epochs=2, batch_size=4,
                           optimizer=sp.SGD(0.3, 0.9), verbose=0,
                           loss="categorical_crossentropy")
        return ([p.get("weight") for p in projections]
                + [maps.get("bias"), out.get("bias")],
                history.history["loss"])
    finally:
        sp.end()


def test_a_shaped_softmax_bit_identical_whatever_the_split():
    # Rows of one and of two positions per core: the loss too is the
    # same however the positions are split.
    assert_identical([_shaped_softmax({}, None), _shaped_softmax({}, 1),
                      _shaped_softmax({}, 2),
                      _shaped_softmax({"reorder_seed": 3}, 1)])


def test_convolutions_bit_identical_whatever_the_order_split_and_losses():
    assert_identical([
        _conv({}, 2), _conv({"reorder_seed": 4}, 2), _conv({}, 4),
        _conv({"drop_rate": 1e-2, "reorder_seed": 1}, 1)])


def _digits(numeric):
    (x, labels), (x_test, labels_test) = load_digits()
    sp.setup(seed=1, numeric=numeric)
    try:
        inputs = sp.Population(64, sp.Input())
        hidden = sp.Population(32, sp.ReLU())
        out = sp.Population(10, sp.Softmax())
        sp.Projection(inputs, hidden, sp.AllToAllConnector())
        sp.Projection(hidden, out, sp.AllToAllConnector())
        history = sp.train(x, labels, epochs=4, batch_size=16,
                           optimizer=sp.SGD(0.1), verbose=0,
                           loss="sparse_categorical_crossentropy")
        return (sp.evaluate(x_test, labels_test)["accuracy"],
                np.array(history.history["loss"]))
    finally:
        sp.end()


def test_digits_as_accurate_as_float32():
    """Within half a point of float32's accuracy, and the losses agree
    to four decimals epoch by epoch (README)."""
    fixed, fixed_losses = _digits("fixed")
    single, single_losses = _digits("float32")
    assert abs(fixed - single) <= 0.005
    np.testing.assert_allclose(fixed_losses, single_losses, atol=1e-4)


def test_saturation_is_counted_and_warned_of():
    sp.setup(numeric="fixed")
    try:
        inputs = sp.Population(40, sp.Input())
        out = sp.Population(2, sp.Linear())
        sp.Projection(inputs, out, sp.AllToAllConnector()).set(weight=100.0)
        x = np.full((3, 40), 1.0, np.float32)   # 40 x 100: beyond 2048
        with pytest.warns(sp.SaturationWarning, match="saturated"):
            sp.predict(x)
        assert sp.counters().saturations > 0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sp.predict(x / 100)
        assert sp.counters().saturations == 0
    finally:
        sp.end()


@pytest.mark.parametrize("case, message", [
    ("x", r"x for .*\[0, 3\] is 3000.0, which the s11.20 format"),
    ("y", r"y for .* is -2500.0"),
    ("weight", r"weights of .* is 200.0, which the s7.24 format"),
    ("rate", r"learning_rate=1e-09 rounds to 0"),
])
def test_numbers_out_of_range_refused_before_mapping(case, message):
    sp.setup(numeric="fixed")
    try:
        inputs = sp.Population(4, sp.Input())
        out = sp.Population(2, sp.Linear())
        projection = sp.Projection(inputs, out, sp.AllToAllConnector())
        x, y = np.zeros((3, 4)), np.zeros((3, 2))
        rate = 0.1
        if case == "x":
            x[0, 3] = 3000
        elif case == "y":
            y[1, 1] = -2500
        elif case == "weight":
            projection.set(weight=200.0)
        else:
            rate = 1e-9
        with pytest.raises(sp.DataError, match=message):
            sp.train(x, y, loss="mse", optimizer=sp.SGD(rate), verbose=0)
        assert sp.control.current_state().last_run is None
    finally:
        sp.end()


def test_unknown_numeric_type():
    with pytest.raises(sp.ConfigurationError, match="'fixed'"):
        sp.setup(numeric="int8")


@pytest.mark.parametrize("activations, loss", [
    (["relu", "sigmoid", "softmax"], "sparse_categorical_crossentropy"),
    (["tanh", "linear"], "mse"),
])
def test_bit_identical_to_the_numpy_fixed_point_reference(activations,
                                                          loss):
    sizes = [9, 14, 11, 5][:len(activations) + 1]
    x, labels = data(20, 9, sizes[-1])
    y = np.eye(sizes[-1], dtype=np.float32)[labels]
    assert_same_as_fixed_reference(sizes, activations, x,
                                   labels if loss != "mse" else y, loss,
                                   targets=y)
