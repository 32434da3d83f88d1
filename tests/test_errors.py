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
        train(x, y, optimizer="adagrad")


def test_setup_arguments():
    with pytest.raises(sp.ConfigurationError, match="unknown backend"):
        sp.setup(backend="nest")
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
    sp.Population(2, sp.Softmax(), label="out")
    with pytest.raises(sp.NetworkError, match="Input"):
        sp.Projection(hid, inp, sp.AllToAllConnector())
    sp.Projection(inp, hid, sp.AllToAllConnector())
    x, y = data(6, 3, 2)
    with pytest.raises(sp.NetworkError, match="'out' has no incoming"):
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


def test_convolution_and_pooling_arguments(session):
    for bad in (0, -1, 2.5, (3,), (3, 0), True, "3"):
        with pytest.raises(sp.ConfigurationError, match="kernel_size"):
            sp.ConvolutionConnector(bad)
        with pytest.raises(sp.ConfigurationError, match="pool_size"):
            sp.PoolingConnector(bad)
    with pytest.raises(sp.ConfigurationError, match=r"strides.*\(1, -2\)"):
        sp.ConvolutionConnector(3, strides=(1, -2))
    with pytest.raises(sp.ConfigurationError, match="strides"):
        sp.PoolingConnector(2, strides=0)
    with pytest.raises(sp.ConfigurationError, match="'valid' or 'same'"):
        sp.ConvolutionConnector(3, padding="full")
    with pytest.raises(sp.ConfigurationError, match="'max' or 'average'"):
        sp.PoolingConnector(2, operation="min")


def test_shapes_a_convolution_or_pooling_needs(session):
    image = sp.Population((6, 6, 2), sp.Input(), label="image")
    with pytest.raises(sp.NetworkError,
                       match=r"kernel_size \(7, 7\) is larger than the "
                             r"input \(6, 6\)"):
        sp.Projection(image, sp.Population((1, 1, 3), sp.ReLU()),
                      sp.ConvolutionConnector(7))
    with pytest.raises(sp.NetworkError,
                       match=r"'maps' has shape \(6, 6, 3\).*gives "
                             r"\(4, 4, 3\).*of shape \(4, 4, 3\)"):
        sp.Projection(image, sp.Population((6, 6, 3), sp.ReLU(),
                                           label="maps"),
                      sp.ConvolutionConnector(3))
    with pytest.raises(sp.NetworkError, match=r"gives \(3, 3, 2\)"):
        sp.Projection(image, sp.Population((3, 3, 4), sp.Linear()),
                      sp.PoolingConnector(2))
    with pytest.raises(sp.NetworkError, match=r"pool_size \(8, 8\).*larger"):
        sp.Projection(image, sp.Population((1, 1, 2), sp.Linear()),
                      sp.PoolingConnector(8))
    with pytest.raises(sp.NetworkError, match=r"\(height, width, channels\)"
                                              r".*'flat' has shape \(72,\)"):
        sp.Projection(image, sp.Population(72, sp.ReLU(), label="flat"),
                      sp.ConvolutionConnector(1))
    with pytest.raises(sp.NetworkError, match=r"same shape.*\(6, 6, 2\).*"
                                              r"\(6, 6, 3\)"):
        sp.Projection(image, sp.Population((6, 6, 3), sp.ReLU()),
                      sp.OneToOneConnector())


def test_convolution_weights_and_biases(session):
    image = sp.Population((6, 6, 2), sp.Input(), label="image")
    maps = sp.Population((6, 6, 3), sp.ReLU(), label="maps")
    pooled = sp.Population((3, 3, 3), sp.Linear(), label="pooled")
    conv = sp.Projection(image, maps, sp.ConvolutionConnector(
        3, padding="same"))
    pool = sp.Projection(maps, pooled, sp.PoolingConnector(2))
    assert conv.get("weight").shape == (3, 3, 2, 3)
    limit = np.sqrt(6 / (9 * 2 + 9 * 3))          # Keras' Glorot uniform
    assert 0.8 * limit < np.abs(conv.get("weight")).max() <= limit
    with pytest.raises(sp.ShapeError, match=r"\(3, 3, 2, 3\).*\(3, 3, 3, 2\)"):
        conv.set(weight=np.zeros((3, 3, 3, 2)))
    assert maps.get("bias").shape == (3,)
    with pytest.raises(sp.ShapeError, match=r"\(3,\)"):
        maps.set(bias=np.zeros(108))
    with pytest.raises(sp.ConfigurationError, match="no weights"):
        pool.get("weight")
    with pytest.raises(sp.ConfigurationError, match="fed by pooling"):
        pooled.get("bias")


def test_a_bias_set_before_its_convolution(session):
    image = sp.Population((4, 4, 1), sp.Input())
    maps = sp.Population((4, 4, 2), sp.ReLU(), label="maps")
    maps.set(bias=0.5)                   # one per neuron: no projection yet
    with pytest.raises(sp.NetworkError, match="make the projections first"):
        sp.Projection(image, maps, sp.ConvolutionConnector(1))


def test_populations_a_kind_cannot_take(session):
    image = sp.Population((4, 4, 1), sp.Input(), label="image")
    mixed = sp.Population((4, 4, 2), sp.ReLU(), label="mixed")
    sp.Projection(image, mixed, sp.ConvolutionConnector(1))
    sp.Projection(image, mixed, sp.AllToAllConnector())
    out = sp.Population(2, sp.Softmax())
    sp.Projection(mixed, out, sp.AllToAllConnector())
    x, y = np.zeros((3, 16), np.float32), np.zeros(3, int)
    with pytest.raises(sp.NetworkError, match="'mixed'.*cannot be combined"):
        train(x, y)
    sp.setup()
    image = sp.Population((4, 4, 1), sp.Input())
    pooled = sp.Population((2, 2, 1), sp.Linear(), label="pooled")
    for operation in ("max", "average"):
        sp.Projection(image, pooled, sp.PoolingConnector(
            2, operation=operation))
    out = sp.Population(2, sp.Softmax())
    sp.Projection(pooled, out, sp.AllToAllConnector())
    with pytest.raises(sp.NetworkError, match="'pooled' is fed by pooling "
                                              "and by 1 other"):
        train(x, y)
    sp.setup()
    image = sp.Population((4, 4, 1), sp.Input())
    maps = sp.Population((4, 4, 2), sp.Softmax(), label="maps")
    sp.Projection(image, maps, sp.ConvolutionConnector(1))
    with pytest.raises(sp.NetworkError, match="Softmax population 'maps'"):
        train(x, np.zeros((3, 32)), loss="categorical_crossentropy")


def test_shaped_data_and_rows_per_core(session):
    image = sp.Population((4, 5, 2), sp.Input(), label="image")
    maps = sp.Population((4, 5, 3), sp.ReLU(), label="maps",
                         neurons_per_core=10)
    out = sp.Population(2, sp.Softmax())
    sp.Projection(image, maps, sp.ConvolutionConnector(3, padding="same"))
    sp.Projection(maps, out, sp.AllToAllConnector())
    y = np.zeros(3, int)
    with pytest.raises(sp.ShapeError, match=r"\(n_samples, 40\) or "
                                            r"\(n_samples, 4, 5, 2\)"):
        train(np.zeros((3, 39)), y)
    with pytest.raises(sp.ShapeError, match=r"\(3, 4, 2, 5\)"):
        train(np.zeros((3, 4, 2, 5)), y)
    with pytest.raises(sp.ResourceError, match=r"whole rows of 15 neurons.*"
                                               r"neurons_per_core >= 15"):
        train(np.zeros((3, 4, 5, 2)), y)


def test_values_beyond_float32_are_refused(session):
    populations, projections = small_network()
    with pytest.raises(sp.DataError, match="beyond float32"):
        projections[0].set(weight=1e39)
    with pytest.raises(sp.DataError, match="beyond float32"):
        populations[1].set(bias=np.full(5, -1e39))
    x, labels = data(8, 4, 3)
    x = x.astype(np.float64)
    x[2, 1] = 1e39
    with pytest.raises(sp.DataError, match=r"1e\+39 at index \(2, 1\)"):
        train(x, labels)
    with pytest.raises(sp.DataError, match="beyond float32"):
        train(data(8, 4, 3)[0], np.full((8, 3), 1e39), loss="mse")


def test_ragged_and_complex_data_are_refused(session):
    small_network()
    with pytest.raises(sp.DataError, match="rectangular"):
        train([[1, 2, 3, 4], [1, 2]], [0, 1])
    x, labels = data(8, 4, 3)
    with pytest.raises(sp.DataError, match="complex"):
        train(x + 1j, labels)
    with pytest.raises(sp.DataError, match="complex"):
        train(x, labels + 0j)


def test_labels_of_populations_are_unique(session):
    sp.Population(3, sp.Input(), label="out")
    with pytest.raises(sp.ConfigurationError, match="'out' exists already"):
        sp.Population(2, sp.Softmax(), label="out")
    sp.Population(2, sp.ReLU(), label="population2")
    unnamed = sp.Population(2, sp.ReLU())
    assert unnamed.label not in ("out", "population2")


def test_sizes_are_checked_before_anything_is_allocated(session):
    with pytest.raises(sp.ResourceError, match="n_boards"):
        sp.Population(10 ** 12, sp.Input())
    big = [sp.Population(2_000_000, cell) for cell in (sp.Input(), sp.ReLU())]
    with pytest.raises(sp.ResourceError, match=r"\(2000000, 2000000\)"):
        sp.Projection(*big, sp.AllToAllConnector())


def test_huge_epochs_and_batches_allocate_nothing_up_front(session,
                                                           monkeypatch):
    """The sample order is drawn run by run, so asking for 10**9 epochs
    costs nothing before the first run (stopped here at once); a batch
    bigger than the data is all of it, as in Keras."""
    from spinnpop.training import runner

    class Stop(Exception):
        pass

    def first_run(*args, **kwargs):
        raise Stop

    small_network()
    x, labels = data(8, 4, 3)
    monkeypatch.setattr(runner, "_execute", first_run)
    with pytest.raises(Stop):
        train(x, labels, epochs=10 ** 9)
    monkeypatch.undo()
    history = train(x, labels, batch_size=2 ** 32 + 1)
    assert len(history.history["loss"]) == 1
