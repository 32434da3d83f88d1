"""Every misuse gets a spinnpop exception saying what was wrong, raised
before anything runs."""

import numpy as np
import pytest

import spinnpop as sp

from conftest import data, mlp


def small_network():
    return mlp([4, 5, 3], ["relu", "softmax"])


def train(x, y, **options):
    settings = dict(epochs=1, batch_size=4,
                    loss="sparse_categorical_crossentropy", verbose=0)
    settings.update(options)
    return sp.train(x, y, **settings)


def test_calls_before_setup():
    sp.end()
    with pytest.raises(sp.NotSetUpError, match="setup"):
        sp.Population(3, sp.Input())
    with pytest.raises(sp.NotSetUpError, match="setup"):
        sp.train(np.zeros((2, 3)), np.zeros(2), loss="mse")
    with pytest.raises(sp.NotSetUpError, match="setup"):
        sp.set_number_of_neurons_per_core(sp.ReLU, 4)


def test_objects_of_another_session():
    sp.setup()
    old_in = sp.Population(3, sp.Input())
    old_out = sp.Population(2, sp.ReLU())
    sp.setup()
    new = sp.Population(2, sp.ReLU())
    with pytest.raises(sp.NotSetUpError, match="earlier spinnpop session"):
        sp.Projection(old_in, new, sp.AllToAllConnector())
    with pytest.raises(sp.NotSetUpError, match="earlier"):
        old_out.get("bias")
    sp.end()


def test_weights_and_biases_checked(session):
    _, (p1, _) = small_network()
    with pytest.raises(sp.ShapeError, match=r"shape \(4, 5\).*\(5, 4\)"):
        p1.set(weight=np.zeros((5, 4)))
    bad = np.zeros((4, 5))
    bad[1, 2] = np.nan
    with pytest.raises(sp.DataError, match=r"nan at index \(1, 2\)"):
        p1.set(weight=bad)
    with pytest.raises(sp.ShapeError):
        p1.set(weight=np.zeros(5))
    with pytest.raises(sp.ConfigurationError, match="'weight'"):
        p1.get("delay")
    with pytest.raises(sp.ConfigurationError, match="'array'"):
        p1.get("weight", format="list")
    p1.set(weight=0.5)
    assert (p1.get("weight") == 0.5).all()


def test_bias_checked(session):
    (inp, hid, _), _ = small_network()
    with pytest.raises(sp.ShapeError, match=r"\(5,\)"):
        hid.set(bias=np.zeros(4))
    with pytest.raises(sp.DataError, match="inf"):
        hid.set(bias=np.full(5, np.inf))
    with pytest.raises(sp.ConfigurationError, match="Input"):
        inp.get("bias")


def test_data_shape_and_values(session):
    small_network()
    x, y = data(8, 4, 3)
    with pytest.raises(sp.ShapeError, match=r"\(n_samples, 4\).*\(8, 5\)"):
        train(np.zeros((8, 5)), y)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(sp.DataError, match=r"nan at index \(3, 1\)"):
        train(bad, y)
    bad[3, 1] = np.inf
    with pytest.raises(sp.DataError, match="inf"):
        train(bad, y)
    with pytest.raises(sp.ShapeError, match="different numbers|shape"):
        train(x, y[:5])
    with pytest.raises(sp.DataError, match="numeric"):
        train(np.array([["a"] * 4] * 8), y)


def test_labels_checked(session):
    small_network()
    x, y = data(8, 4, 3)
    bad = y.copy()
    bad[2] = 3
    with pytest.raises(sp.DataError, match=r"label 3 at index 2.*\[0, 3\)"):
        train(x, bad)
    with pytest.raises(sp.DataError, match="out of range"):
        train(x, -np.ones(8, int))
    with pytest.raises(sp.ShapeError, match="class indices"):
        train(x, np.zeros((8, 3)))
    with pytest.raises(sp.ShapeError, match="sparse_categorical"):
        train(x, y, loss="categorical_crossentropy")
    with pytest.raises(sp.DataError, match=r"\[0, 1\]"):
        train(x, np.full((8, 3), 2.0), loss="categorical_crossentropy")
    with pytest.raises(sp.DataError, match="whole numbers"):
        train(x, y + 0.5)


def test_loss_must_fit_the_output(session):
    populations, _ = mlp([4, 5, 3], ["relu", "sigmoid"])
    x, y = data(8, 4, 3)
    with pytest.raises(sp.NetworkError, match="needs a Softmax"):
        train(x, y)
    with pytest.raises(sp.ConfigurationError, match="unknown loss"):
        train(x, y, loss="hinge")
    with pytest.raises(sp.ConfigurationError, match="needs a loss"):
        sp.train(x, y)


def test_mse_after_softmax_is_refused(session):
    small_network()
    x, _ = data(8, 4, 3)
    with pytest.raises(sp.NetworkError, match="'mse' is not supported"):
        train(x, np.zeros((8, 3)), loss="mse")


def test_run_settings(session):
    small_network()
    x, y = data(8, 4, 3)
    for name, value in (("epochs", 0), ("batch_size", -1),
                        ("epochs", 1.5), ("batch_size", True)):
        with pytest.raises(sp.ConfigurationError, match=name):
            train(x, y, **{name: value})
    with pytest.raises(sp.ConfigurationError, match="learning_rate"):
        sp.SGD(learning_rate=0)
    with pytest.raises(sp.ConfigurationError, match="momentum"):
        sp.SGD(momentum=1.0)
    with pytest.raises(sp.ConfigurationError, match="optimizer"):
        train(x, y, optimizer="adam")


def test_setup_arguments():
    with pytest.raises(sp.ConfigurationError, match="unknown backend"):
        sp.setup(backend="nest")
    with pytest.raises(sp.ConfigurationError, match="not in this version"):
        sp.setup(backend="spinnaker", machine="host")
    with pytest.raises(sp.ConfigurationError,
                       match=r"unknown option\(s\) \['machine'\]"):
        sp.setup(machine="host")
    with pytest.raises(sp.ConfigurationError, match="seed"):
        sp.setup(seed=-1)
    with pytest.raises(sp.ConfigurationError, match="n_boards"):
        sp.setup(n_boards=0)


def test_population_arguments(session):
    with pytest.raises(sp.ConfigurationError, match="size"):
        sp.Population(0, sp.Input())
    with pytest.raises(sp.ConfigurationError, match="size"):
        sp.Population((3, -1), sp.Input())
    with pytest.raises(sp.ConfigurationError, match="cell type"):
        sp.Population(3, "relu")
    with pytest.raises(sp.ConfigurationError, match="neurons_per_core"):
        sp.Population(3, sp.ReLU(), neurons_per_core=0)
    with pytest.raises(sp.ConfigurationError, match="cell type"):
        sp.set_number_of_neurons_per_core("ReLU", 4)


def test_network_structure(session):
    inp = sp.Population(3, sp.Input(), label="in")
    hid = sp.Population(4, sp.ReLU(), label="hid")
    out = sp.Population(2, sp.Softmax(), label="out")
    with pytest.raises(sp.NetworkError, match="Input"):
        sp.Projection(hid, inp, sp.AllToAllConnector())
    sp.Projection(inp, hid, sp.AllToAllConnector())
    x, y = data(6, 3, 2)
    with pytest.raises(sp.NetworkError, match="'out' has no incoming"):
        train(x, y)
    sp.Projection(hid, out, sp.AllToAllConnector())
    sp.Projection(out, hid, sp.AllToAllConnector())
    with pytest.raises(sp.NetworkError, match="Softmax .* only at outputs"):
        train(x, y)


def test_cycles_are_refused(session):
    inp = sp.Population(3, sp.Input(), label="in")
    a = sp.Population(4, sp.ReLU(), label="a")
    b = sp.Population(4, sp.ReLU(), label="b")
    out = sp.Population(2, sp.Softmax(), label="out")
    for pre, post in ((inp, a), (a, b), (b, a), (b, out)):
        sp.Projection(pre, post, sp.AllToAllConnector())
    x, y = data(6, 3, 2)
    with pytest.raises(sp.NetworkError, match="cycle"):
        train(x, y)


def test_several_inputs_need_a_dict(session):
    a = sp.Population(3, sp.Input(), label="a")
    b = sp.Population(2, sp.Input(), label="b")
    out = sp.Population(2, sp.Softmax(), label="out")
    sp.Projection(a, out, sp.AllToAllConnector())
    sp.Projection(b, out, sp.AllToAllConnector())
    x, y = data(6, 3, 2)
    with pytest.raises(sp.ConfigurationError, match="as a dict"):
        train(x, y)
    with pytest.raises(sp.ConfigurationError, match=r"missing \['b'\]"):
        train({a: x}, y)


def test_neurons_per_core_that_cannot_fit_dtcm(session):
    inp = sp.Population(784, sp.Input())
    hid = sp.Population(3000, sp.ReLU(), label="wide",
                        neurons_per_core=3000)
    out = sp.Population(10, sp.Softmax())
    sp.Projection(inp, hid, sp.AllToAllConnector())
    sp.Projection(hid, out, sp.AllToAllConnector())
    x = np.zeros((4, 784), np.float32)
    with pytest.raises(sp.ResourceError,
                       match=r"'wide'.*DTCM.*neurons_per_core <= \d+"):
        train(x, np.zeros(4, int))


def test_network_bigger_than_the_machine(session):
    inp = sp.Population(4, sp.Input())
    hid = sp.Population(900, sp.ReLU(), label="huge", neurons_per_core=1)
    out = sp.Population(2, sp.Softmax())
    sp.Projection(inp, hid, sp.AllToAllConnector())
    sp.Projection(hid, out, sp.AllToAllConnector())
    x, y = data(4, 4, 2)
    with pytest.raises(sp.ResourceError, match=r"needs 90\d cores.*n_boards"):
        train(x, y)


def test_data_bigger_than_a_chip(session):
    inp = sp.Population(64, sp.Input(), label="pixels", neurons_per_core=64)
    out = sp.Population(2, sp.Softmax())
    sp.Projection(inp, out, sp.AllToAllConnector())
    x = np.zeros((500_000, 64), np.float32)
    with pytest.raises(sp.ResourceError, match="'pixels'.*SDRAM.*DATA"):
        train(x, np.zeros(500_000, int))


def test_fan_in_too_wide_for_any_split(session):
    inp = sp.Population(30_000, sp.Input())
    out = sp.Population(2, sp.Softmax(), label="narrow")
    sp.Projection(inp, out, sp.AllToAllConnector())
    with pytest.raises(sp.ResourceError,
                       match=r"'narrow'.*even with one neuron.*30000 inputs"):
        train(np.zeros((4, 30_000), np.float32), np.zeros(4, int))


def test_fan_in_beyond_what_a_core_can_index(session):
    inp = sp.Population(70_000, sp.Input())
    out = sp.Population(2, sp.Softmax(), label="wide")
    sp.Projection(inp, out, sp.AllToAllConnector())
    with pytest.raises(sp.NetworkError, match=r"'wide' has 70000 inputs"):
        train(np.zeros((1, 70_000), np.float32), np.zeros(1, int))
