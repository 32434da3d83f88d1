"""Faults the machine can have: a core that stops dead or a chip link that
goes down mid-run ends the run with an error naming it, and the network,
mapped around it, then trains exactly as it would have (in fixed point: in
float32, sums follow the order packets arrive in, which a longer route
changes)."""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.backends.emulator.backend import CoreFault, LinkFault
from spinnpop.control import current_state

from conftest import data, mlp


def trained(fault=None, **options):
    """Weights after a training whose 23 cores fill chip (0, 0) and spill
    onto (1, 0) and (0, 1); and what the machine counted."""
    sp.setup(seed=3, numeric="fixed", **options)
    try:
        _, projections = mlp([6, 40, 4], ["tanh", "softmax"],
                             neurons_per_core=2)
        if fault is not None:
            current_state().backend.faults = [fault]
        x, labels = data(24, 6, 4)
        sp.train(x, labels, epochs=2, batch_size=4, verbose=0,
                 loss="sparse_categorical_crossentropy")
        return [p.get("weight") for p in projections], sp.counters()
    finally:
        sp.end()


def places(counters) -> set:
    """Where the cores were: (x, y, processor)."""
    return {(c.chip[0], c.chip[1], c.processor) for c in counters.cores}


@pytest.fixture(scope="module")
def healthy():
    return trained()


def assert_same(got, want):
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_a_dead_core_is_named_and_mapped_around(healthy):
    with pytest.raises(sp.RunError) as error:
        trained(CoreFault(1, core=3, after_callbacks=50))
    message = str(error.value)
    assert ("population 'layer1' core 3 (neurons 6:8, chip (0, 0) "
            "processor 5) stopped responding") in message
    assert "epoch 0" in message and "down_cores=[(0, 0, 5)]" in message
    weights, counters = trained(down_cores=[(0, 0, 5)])
    assert (0, 0, 5) not in places(counters)
    assert (0, 0, 5) in places(healthy[1])
    assert_same(weights, healthy[0])


@pytest.mark.parametrize("link", [0, 2])      # east, north
def test_a_dead_link_is_named_and_mapped_around(healthy, link):
    with pytest.raises(sp.StallError) as error:
        trained(LinkFault(0, 0, link, after_packets=100))
    assert ("chip (0, 0) dropped" in str(error.value)
            and f"down_links=[(0, 0, {link})]" in str(error.value))
    weights, _ = trained(down_links=[(0, 0, link)])
    assert_same(weights, healthy[0])


def test_a_dead_chip_is_mapped_around(healthy):
    weights, counters = trained(down_chips=[(1, 0)])
    assert any((x, y) == (1, 0) for x, y, _ in places(healthy[1]))
    assert all((x, y) != (1, 0) for x, y, _ in places(counters))
    assert_same(weights, healthy[0])


@pytest.mark.parametrize("option, value", [
    ("down_cores", [(0, 0)]), ("down_cores", [(0, 0, 0)]),
    ("down_cores", [(0, 0, 18)]), ("down_links", [(0, 0, 6)]),
    ("down_chips", [(-1, 0)]), ("down_chips", 3),
    ("down_links", [(0, 0, True)])])
def test_bad_parts_to_leave_out_are_refused(option, value):
    with pytest.raises(sp.ConfigurationError, match=option):
        sp.setup(**{option: value})


@pytest.mark.parametrize("rate", [1e-3, 1e-2])
def test_random_drops_are_recovered(healthy, rate):
    """drop_rate drops packets at every router at random, whatever they
    carry; the cores re-send what went missing, and the training ends
    with the very weights it has without drops (fixed point's sums do not
    depend on the order packets arrive in)."""
    weights, counters = trained(drop_rate=rate)
    assert counters.dropped > 0
    assert sum(c.resends for c in counters.cores) > 0
    assert_same(weights, healthy[0])


@pytest.mark.parametrize("rate", [-0.1, 1.0, "0.1", True])
def test_bad_drop_rates_are_refused(rate):
    with pytest.raises(sp.ConfigurationError, match="drop_rate"):
        sp.setup(drop_rate=rate)
    with pytest.raises(sp.ConfigurationError, match="drop_rate"):
        sp.setup(backend="spinnaker", machine="127.0.0.5", drop_rate=0.1)
