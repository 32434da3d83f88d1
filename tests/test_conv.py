"""Convolution, pooling and shortcuts on the emulator: float32 training
matches the independent numpy reference from the same initial weights and
sample order, splitting a population over cores changes nothing, shared
kernels stay identical on every core, and the packets are the protocol's."""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.backends import running
from spinnpop.control import current_state
from spinnpop.mapping.regions import Region

from conftest import assert_close, assert_matches, every_kind, reference

N, EPOCHS, BATCH = 11, 2, 4      # the last batch of each epoch is short
RTOL = 1e-4


def data(shape, n_classes, n=N, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n,) + shape).astype(np.float32)
    return x, rng.integers(0, n_classes, n)


def classifier(populations, projections, n_classes=3):
    """A flatten into a dense softmax after the last population."""
    out = sp.Population(n_classes, sp.Softmax(), label="out")
    projections.append(sp.Projection(populations[-1], out,
                                     sp.AllToAllConnector()))
    populations.append(out)
    return populations, projections


def random_biases(populations, seed=5):
    rng = np.random.default_rng(seed)
    for population in populations:
        if population._bias_shape() is not None:
            population.set(bias=rng.normal(0, 0.1,
                                           population._bias_shape()))


def train_both(populations, projections, x, labels, momentum=0.9,
               learning_rate=0.1, rtol=RTOL):
    """Trains the emulator and the reference; compares losses, weights,
    biases and predictions."""
    random_biases(populations)
    ref = reference(populations, projections)
    out = populations[-1]
    history = sp.train(x, labels, epochs=EPOCHS, batch_size=BATCH,
                       loss="sparse_categorical_crossentropy",
                       optimizer=sp.SGD(learning_rate, momentum),
                       shuffle=False, verbose=0)
    y = np.eye(out.size, dtype=np.float32)[labels]
    losses = ref.train({populations[0].label: x.reshape(len(x), -1)},
                       {out.label: y}, {out.label: "cross_entropy"},
                       np.tile(np.arange(len(x)), EPOCHS), BATCH, len(x),
                       learning_rate, momentum)
    assert_close(history.history["loss"],
                 losses.reshape(EPOCHS, len(x)).mean(axis=1), rtol)
    assert_matches(populations, projections, ref, rtol)
    _, outputs = ref.forward({populations[0].label: x.reshape(len(x), -1)})
    assert_close(sp.predict(x), outputs[out.label], rtol)
    return ref


@pytest.mark.parametrize("kernel", [1, 3, 5])
@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_convolution_matches_the_reference(session, kernel, strides,
                                           padding):
    conv = sp.ConvolutionConnector(kernel, strides, padding)
    image = sp.Population((7, 6, 2), sp.Input(), label="image")
    maps = sp.Population(conv.output_size(image.shape) + (3,), sp.Tanh(),
                         label="maps")
    populations, projections = classifier(
        [image, maps], [sp.Projection(image, maps, conv)])
    x, labels = data(image.shape, 3)
    train_both(populations, projections, x, labels)


@pytest.mark.parametrize("operation", ["max", "average"])
@pytest.mark.parametrize("pool_size, strides", [(2, None), (3, None),
                                                (3, 2), (2, 1)])
def test_pooling_matches_the_reference(session, operation, pool_size,
                                       strides):
    """Windows of 2 and 3, with strides equal to the window or not, after
    a convolution (so errors go back through the pooling)."""
    pooling = sp.PoolingConnector(pool_size, strides, operation)
    image = sp.Population((8, 7, 1), sp.Input(), label="image")
    maps = sp.Population((8, 7, 3), sp.ReLU(), label="maps")
    pooled = sp.Population(pooling.output_size(maps.shape) + (3,),
                           sp.Linear(), label="pooled")
    populations, projections = classifier(
        [image, maps, pooled],
        [sp.Projection(image, maps, sp.ConvolutionConnector(3,
                                                            padding="same")),
         sp.Projection(maps, pooled, pooling)])
    x, labels = data(image.shape, 3)
    train_both(populations, projections, x, labels)


def test_max_pooling_sends_the_error_to_the_first_maximum(session):
    """Ties (ReLU zeros, repeated pixels) are broken as PyTorch and Keras
    break them: the first maximum of the window, in row-major order."""
    image = sp.Population((4, 4, 1), sp.Input(), label="image")
    maps = sp.Population((4, 4, 2), sp.ReLU(), label="maps")
    pooled = sp.Population((2, 2, 2), sp.Linear(), label="pooled")
    populations, projections = classifier(
        [image, maps, pooled],
        [sp.Projection(image, maps, sp.ConvolutionConnector(1)),
         sp.Projection(maps, pooled, sp.PoolingConnector(2))])
    rng = np.random.default_rng(3)
    x = rng.integers(-1, 2, (N, 4, 4, 1)).astype(np.float32)  # many ties
    train_both(populations, projections, x, rng.integers(0, 3, N))


def test_a_lenet_style_stack_with_a_residual_block(session):
    """Convolution, average pooling into tanh (LeNet's subsampling), a
    residual block (two convolutions and a one-to-one shortcut), max
    pooling, and a flatten into two dense layers; no momentum."""
    image = sp.Population((10, 10, 1), sp.Input(), label="image")
    c1 = sp.Population((10, 10, 4), sp.ReLU(), label="c1")
    s2 = sp.Population((5, 5, 4), sp.Tanh(), label="s2")
    r1 = sp.Population((5, 5, 4), sp.ReLU(), label="r1")
    r2 = sp.Population((5, 5, 4), sp.ReLU(), label="r2")
    s3 = sp.Population((2, 2, 4), sp.Linear(), label="s3")
    f4 = sp.Population(7, sp.Sigmoid(), label="f4")
    same = sp.ConvolutionConnector(3, padding="same")
    projections = [
        sp.Projection(image, c1, sp.ConvolutionConnector(5, padding="same")),
        sp.Projection(c1, s2, sp.PoolingConnector(2, operation="average")),
        sp.Projection(s2, r1, same),
        sp.Projection(r1, r2, same),
        sp.Projection(s2, r2, sp.OneToOneConnector()),
        sp.Projection(r2, s3, sp.PoolingConnector(2)),
        sp.Projection(s3, f4, sp.AllToAllConnector())]
    populations, projections = classifier(
        [image, c1, s2, r1, r2, s3, f4], projections, n_classes=4)
    x, labels = data(image.shape, 4)
    train_both(populations, projections, x, labels, momentum=0.0)


def test_a_dense_shortcut_and_a_one_dimensional_convolution(session):
    """Conv1D as a height-1 convolution, and a one-to-one shortcut into a
    dense population."""
    signal = sp.Population((1, 12, 2), sp.Input(), label="signal")
    maps = sp.Population((1, 10, 3), sp.Tanh(), label="maps")
    hidden = sp.Population((1, 10, 3), sp.ReLU(), label="hidden")
    projections = [
        sp.Projection(signal, maps, sp.ConvolutionConnector((1, 3))),
        sp.Projection(maps, hidden, sp.AllToAllConnector()),
        sp.Projection(maps, hidden, sp.OneToOneConnector())]
    populations, projections = classifier([signal, maps, hidden],
                                          projections)
    x, labels = data(signal.shape, 3)
    train_both(populations, projections, x, labels)


def lenet_like(rows_per_core, seed=0, pooling_cores=True):
    """A small LeNet: image 12x12x1, c1 12x12x4 (5x5 'same'), s2 6x6x4
    (2x2 max), c3 4x4x5 (3x3), a dense softmax of 3. Each population but
    the image takes ``rows_per_core`` rows per core (None: spinnpop
    chooses); s2 has cores of its own if ``pooling_cores``, else c1's cores
    pool their bands."""
    sp.setup(seed=seed)

    def per_core(row_size):
        return None if rows_per_core is None else rows_per_core * row_size

    image = sp.Population((12, 12, 1), sp.Input(), label="image")
    c1 = sp.Population((12, 12, 4), sp.ReLU(), label="c1",
                       neurons_per_core=per_core(48))
    s2 = sp.Population((6, 6, 4), sp.Linear(), label="s2",
                       neurons_per_core=per_core(24) if pooling_cores
                       else None)
    c3 = sp.Population((4, 4, 5), sp.ReLU(), label="c3",
                       neurons_per_core=per_core(20))
    projections = [
        sp.Projection(image, c1, sp.ConvolutionConnector(5, padding="same")),
        sp.Projection(c1, s2, sp.PoolingConnector(2)),
        sp.Projection(s2, c3, sp.ConvolutionConnector(3))]
    return classifier([image, c1, s2, c3], projections)


def trained_lenet(rows_per_core, x, labels, epochs=EPOCHS,
                  pooling_cores=True):
    """(populations, projections, counters) after training; the session
    is ended."""
    populations, projections = lenet_like(rows_per_core,
                                          pooling_cores=pooling_cores)
    try:
        sp.train(x, labels, epochs=epochs, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy",
                 optimizer=sp.SGD(0.1, 0.9), verbose=0)
        values = ([p.get("weight") for p in projections
                   if p.shape is not None]
                  + [p.get("bias") for p in populations
                     if p._bias_shape() is not None])
        return populations, values, sp.counters()
    finally:
        sp.end()


@pytest.mark.parametrize("rows_per_core, pooling_cores", [
    (1, True), (2, True), (3, True), (2, False), (4, False)])
def test_splitting_changes_nothing_and_kernels_stay_identical(
        rows_per_core, pooling_cores, monkeypatch):
    x, labels = data((12, 12, 1), 3, n=14)
    _, whole, counters = trained_lenet(12, x, labels)
    assert len(counters.of("c1")) == 1
    runs = []
    read_back = running.read_back

    def recording(loaded, backend, state, reads):
        raw = read_back(loaded, backend, state, reads)
        runs.append((loaded.mapped, raw))
        return raw

    monkeypatch.setattr(running, "read_back", recording)
    _, split, counters = trained_lenet(rows_per_core, x, labels,
                                       pooling_cores=pooling_cores)
    assert len(counters.of("c1")) == -(-12 // rows_per_core)
    assert bool(counters.of("s2")) == pooling_cores
    for got, want in zip(split, whole, strict=True):
        assert_close(got, want, rtol=1e-5)
    mapped, raw = runs[-1]
    for population in (1, 3):            # c1 and c3, in session order
        cores = mapped.core_indices(population)
        regions = {raw.regions[(i, Region.WEIGHTS)] for i in cores}
        assert len(regions) == 1
    assert len(mapped.core_indices(1)) > 1


def test_packets_per_sample_follow_the_protocol():
    """Forward: each activation is sent once and delivered to each core
    whose receptive field holds it. Backward: one partial error per pre
    neuron per post core whose receptive field holds it. Shared kernels:
    per batch, every core but the last sends its running sum of the
    gradients to the next, and the last sends the total to the others."""
    steps, batches = 14, 4                 # batches of 4, 4, 4, 2
    x, labels = data((12, 12, 1), 3, n=steps)
    populations, _, counters = trained_lenet(1, x, labels, epochs=1)
    cores = {p.label: counters.of(p) for p in populations}
    assert [len(cores[label]) for label in ("image", "c1", "s2", "c3",
                                            "out")] == [1, 12, 6, 4, 1]

    def sent(label, kind):
        return sum(c.sent_by_traffic[kind] for c in cores[label])

    for label, size in (("image", 144), ("c1", 576), ("s2", 144),
                        ("c3", 80)):
        assert sent(label, "forward") == size * steps
    c1_kernel, c3_kernel = 5 * 5 * 1 * 4 + 4, 3 * 3 * 4 * 5 + 5
    # c1 row r: image rows [r - 2, r + 3) (5x5 'same'), 12 pixels each;
    # s2's core over it sends its 48 neurons their partial errors.
    for r, core in enumerate(cores["c1"]):
        image_rows = min(r + 3, 12) - max(r - 2, 0)
        shared = (r > 0) + (r < 11)
        assert core.received == steps * (12 * image_rows + 48) \
            + batches * shared * c1_kernel
    # s2 row i: c1 rows 2i, 2i + 1 (48 each); c3 rows i - 2 .. i read it.
    for i, core in enumerate(cores["s2"]):
        readers = min(i, 3) - max(i - 2, 0) + 1
        assert core.received == steps * (96 + 24 * readers)
    # c3 row r: s2 rows r .. r + 2 (24 each); the output's partial errors.
    for r, core in enumerate(cores["c3"]):
        shared = (r > 0) + (r < 3)
        assert core.received == steps * (72 + 20) \
            + batches * shared * c3_kernel
    assert cores["out"][0].received == steps * (80 + 2)    # + softmax
    assert cores["image"][0].received == steps * 23        # acks
    assert sent("image", "backward") == sent("c1", "backward") == 0
    assert sent("s2", "backward") == steps * 576
    assert sent("c3", "backward") == steps * 4 * 72
    assert sent("out", "backward") == steps * 80
    assert sent("c1", "reduce") == batches * 12 * c1_kernel
    assert sent("c3", "reduce") == batches * 4 * c3_kernel
    for label in ("c1", "s2", "c3", "out"):
        assert sent(label, "ack") == steps * len(cores[label])
    assert counters.dropped == 0


def test_a_core_whose_rows_nobody_needs(session):
    """A stride-2 'valid' convolution leaves the last row of its input
    unread: the core holding only that row sends nothing and gets no
    errors, yet finishes every sample."""
    image = sp.Population((5, 4, 1), sp.Input(), label="image")
    first = sp.Population((5, 4, 2), sp.Tanh(), label="first",
                          neurons_per_core=8)
    second = sp.Population((2, 2, 3), sp.ReLU(), label="second")
    populations, projections = classifier(
        [image, first, second],
        [sp.Projection(image, first, sp.ConvolutionConnector(1)),
         sp.Projection(first, second, sp.ConvolutionConnector(2, 2))])
    x, labels = data(image.shape, 3)
    train_both(populations, projections, x, labels)
    last = sp.counters().of(first)[-1]
    assert last.neurons == (32, 40) and last.sent_by_traffic["forward"] == 0


def test_packets_with_pooling_on_the_convolution_cores():
    """c1's bands of 2 rows pool themselves: each core sends its pooled
    row (the pooled population has no cores) and gets back that row's
    errors; nothing passes between convolution and pooling."""
    steps, batches = 14, 4
    x, labels = data((12, 12, 1), 3, n=steps)
    populations, _, counters = trained_lenet(2, x, labels, epochs=1,
                                             pooling_cores=False)
    cores = {p.label: counters.of(p) for p in populations}
    assert [len(cores[label]) for label in ("image", "c1", "s2", "c3",
                                            "out")] == [1, 6, 0, 2, 1]

    def sent(label, kind):
        return sum(c.sent_by_traffic[kind] for c in cores[label])

    assert sent("c1", "forward") == 144 * steps        # s2's values
    c1_kernel, c3_kernel = 5 * 5 * 1 * 4 + 4, 3 * 3 * 4 * 5 + 5
    for j, core in enumerate(cores["c1"]):
        image_rows = min(2 * j + 4, 12) - max(2 * j - 2, 0)
        # c3's core m (rows 2m, 2m + 1) reads s2 rows 2m .. 2m + 3
        readers = sum(2 * m <= j < 2 * m + 4 for m in range(2))
        shared = (j > 0) + (j < 5)
        assert core.sent_by_traffic["forward"] == 24 * steps
        assert core.received == steps * (12 * image_rows + 24 * readers) \
            + batches * shared * c1_kernel
    for m, core in enumerate(cores["c3"]):
        assert core.received == steps * (96 + 40) + batches * c3_kernel
    assert sent("c3", "backward") == steps * 2 * 96
    assert sent("c1", "backward") == 0
    assert cores["image"][0].received == steps * 9      # acks
    assert sent("c1", "reduce") == batches * 6 * c1_kernel
    assert counters.dropped == 0


@pytest.mark.parametrize("options", [dict(reorder_seed=1),
                                     dict(reorder_seed=2),
                                     dict(samples_in_flight=1),
                                     dict(samples_in_flight=3)],
                         ids=["reordered 1", "reordered 2", "1 in flight",
                              "3 in flight"])
def test_any_delivery_order_and_pipeline_depth(options):
    """Convolutions split over cores (kernel sums passed along them),
    pooling on their cores and on its own: packets delivered in random
    order, or fewer or more samples in flight, change only the rounding."""
    x, labels = data((9, 8, 2), 4, n=13)

    def run(**setup):
        sp.setup(seed=4, **setup)
        try:
            populations = every_kind()
            sp.train(x, labels, epochs=EPOCHS, batch_size=BATCH,
                     loss="sparse_categorical_crossentropy",
                     optimizer=sp.SGD(0.1, 0.9), verbose=0)
            state = current_state()
            return ([p.get("weight") for p in state.projections
                     if p.shape is not None]
                    + [p.get("bias") for p in populations
                       if p._bias_shape() is not None])
        finally:
            sp.end()

    for got, want in zip(run(**options), run(), strict=True):
        assert_close(got, want, rtol=1e-5)
