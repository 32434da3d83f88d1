"""A chip's routers drop a packet that a core cannot take within their wait
time (1.8 us, SC&MP's setting), and so do the emulator's (unless
``setup(router_timeout=False)``). The models keep every core's packet
interrupt shorter than that, so that no packet waits that long: networks
train with timeouts exactly as without, and nothing is overdue. (The
emulator's own rule is tested with a probe model in test_emulator.py.)"""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.control import current_state

from conftest import data, every_kind, images, mlp


def trained(build, x, y, **options):
    """Every trained weight after two epochs, what the machine counted and
    what the run would cost on a chip."""
    sp.setup(seed=4, **options)
    try:
        build()
        sp.train(x, y, epochs=2, batch_size=8, verbose=0,
                 loss="sparse_categorical_crossentropy")
        weights = [p.get("weight") for p in current_state().projections
                   if p.shape is not None]
        return weights, sp.counters(), sp.cost()
    finally:
        sp.end()


NETWORKS = {
    "dense": (lambda: mlp([30, 24, 5], ["relu", "softmax"],
                          neurons_per_core=5),
              lambda: data(32, 30, 5)),
    "convolutional": (every_kind,
                      lambda: (images(16, (9, 8, 2)),
                               np.random.default_rng(3).integers(0, 4, 16))),
}


@pytest.mark.parametrize("numeric", ["float32", "fixed"])
@pytest.mark.parametrize("network", NETWORKS)
def test_training_loses_nothing_to_router_timeouts(network, numeric):
    build, make_data = NETWORKS[network]
    x, y = make_data()
    weights, counters, cost = trained(build, x, y, numeric=numeric,
                                      router_timeout=False)
    timed, timed_counters, _ = trained(build, x, y, numeric=numeric)
    assert sum(c.received for c in counters.cores) > 1000
    assert [c.overdue for c in counters.cores] == [0] * len(counters.cores)
    assert cost.overdue == 0
    assert timed_counters.dropped == 0
    for a, b in zip(timed, weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("options, message", [
    ({"router_timeout": 1}, "expected True or False"),
    ({"router_timeout": "yes"}, "expected True or False"),
    ({"router_timeout": True, "reorder_seed": 1}, "reorder_seed"),
    ({"router_timeout": True, "preemption_seed": 2}, "preemption_seed"),
])
def test_bad_router_timeouts_are_refused(options, message):
    with pytest.raises(sp.ConfigurationError, match=message):
        sp.setup(**options)


def test_boards_have_their_own_routers():
    with pytest.raises(sp.ConfigurationError, match="unknown option"):
        sp.setup(backend="spinnaker", machine="127.0.0.5",
                 router_timeout=True)
