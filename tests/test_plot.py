"""Optional: spinnpop.plot draws a history and the last run's placement,
renders them without pyplot, and touches nothing global."""

import re
import sys
from io import BytesIO

import numpy as np
import pytest

import spinnpop as sp

from conftest import data

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from spinnpop import plot  # noqa: E402
from spinnpop.training.history import History  # noqa: E402


def png(figure) -> bytes:
    """The figure rendered by Agg, as a PNG."""
    FigureCanvasAgg(figure)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def global_state():
    """What plotting must leave alone: rcParams, read without resolving
    the backend (reading it by key would import pyplot), and pyplot's
    figures if something imported pyplot already."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    # get_backend() settles a backend left to be chosen in rcParams,
    # so it comes before they are read.
    shown = pyplot and (matplotlib.get_backend(), pyplot.get_fignums())
    return dict(dict.items(matplotlib.rcParams)), shown


@pytest.fixture(scope="module")
def drawn():
    """One short training on two chips (20 cores: 17 fit the first), its
    counters and both figures, drawn in that session."""
    sp.setup(seed=7)
    try:
        inp = sp.Population(16, sp.Input(), label="pixels")
        hid = sp.Population(16, sp.ReLU(), label="hidden",
                            neurons_per_core=1)
        out = sp.Population(3, sp.Softmax(), label="out")
        sp.Projection(inp, hid, sp.AllToAllConnector())
        sp.Projection(hid, out, sp.AllToAllConnector())
        x, labels = data(8, 16, 3)
        before = global_state()
        hist = sp.train(x, labels, epochs=1, batch_size=4,
                        loss="sparse_categorical_crossentropy", verbose=0)
        figures = plot.machine(), plot.history(hist)
        return dict(counters=sp.counters(), machine=figures[0],
                    history=figures[1], before=before,
                    after=global_state())
    finally:
        sp.end()


def test_machine_shows_placement_and_traffic(drawn):
    counters, figure = drawn["counters"], drawn["machine"]
    assert png(figure).startswith(b"\x89PNG")
    chips = {core.chip for core in counters.cores}
    assert len(chips) == 2
    links = figure.spinnpop.pop("links")
    assert figure.spinnpop == {"chips": 2, "cores": len(counters.cores),
                               "populations": ["pixels", "hidden", "out"]}
    # The two chips send to each other, link by link as counted.
    assert {chip for chip, _ in links} == chips
    for chip in counters.chips:
        assert sum(count for (at, _), count in links.items()
                   if at == chip.chip) == chip.link_sent > 0
    assert len(counters.of("pixels")) == 1
    assert len(counters.of("hidden")) == 16
    placement, traffic = figure.axes[:2]
    legend = [text.get_text() for text in placement.get_legend().texts]
    assert legend == ["pixels", "hidden", "out", "monitor"]
    # The last collection of each panel holds the network's cores; the
    # heat map's values are the packets each received.
    assert len(placement.collections[-1].get_paths()) == len(counters.cores)
    np.testing.assert_array_equal(traffic.collections[-1].get_array(),
                                  [core.received for core in counters.cores])
    texts = "\n".join(text.get_text() for text in traffic.texts)
    for chip in counters.chips:
        assert f"chip {chip.chip}" in texts
        assert f"to links {chip.link_sent:,}" in texts


def test_history_draws_each_metric(drawn):
    figure = drawn["history"]
    assert png(figure).startswith(b"\x89PNG")
    titles = [axes.get_title() for axes in figure.axes]
    assert titles == ["loss", "accuracy"]
    line, = figure.axes[0].get_lines()
    assert line.get_label() == "loss"
    assert list(line.get_xdata()) == [1]


def test_plotting_leaves_matplotlib_alone(drawn):
    assert drawn["after"] == drawn["before"]


def history_of(logs):
    hist = History({})
    for epoch, values in enumerate(zip(*logs.values())):
        hist.add_epoch(epoch, dict(zip(logs, values)))
    return hist


def test_validation_metric_shares_axes():
    hist = history_of({"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.9],
                       "accuracy": [0.3, 0.5, 0.6]})
    loss, accuracy = plot.history(hist).axes
    assert [line.get_label() for line in loss.get_lines()] == [
        "loss", "val_loss"]
    assert list(loss.get_lines()[1].get_xdata()) == [1, 2, 3]
    assert list(loss.get_lines()[1].get_ydata()) == [1.1, 0.9, 0.9]
    assert accuracy.get_title() == "accuracy"
    only, = plot.history(hist, metrics=["val_loss"]).axes
    assert only.get_title() == "loss"
    assert [line.get_label() for line in only.get_lines()] == ["val_loss"]


@pytest.mark.parametrize("hist, metrics, message", [
    ({"loss": [1.0]}, None, "History that spinnpop.train returns"),
    (History({}), None, "empty"),
    (History({}), ["loss"], "empty"),
    (history_of({"loss": [1.0]}), ["loss", "recall"], "no metric ['recall']"),
    (history_of({"loss": [1.0]}), [], "no metric []"),
])
def test_history_errors(hist, metrics, message):
    with pytest.raises(sp.ConfigurationError, match=re.escape(message)):
        plot.history(hist, metrics)


def test_machine_needs_a_run(session):
    with pytest.raises(sp.NotSetUpError, match="call train, predict or "
                       "evaluate first"):
        plot.machine()


def test_machine_needs_setup():
    with pytest.raises(sp.NotSetUpError, match="setup"):
        plot.machine()
