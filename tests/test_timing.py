"""The time-aware split: the time per sample it minimises (graph.timing)
follows the emulator's clock, and the split spinnpop chooses by itself is
faster on that clock than packing a core full of neurons."""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.control import current_state
from spinnpop.cost_model.report import CLOCK_HZ
from spinnpop.graph import timing
from spinnpop.graph.network import Network
from spinnpop.training.losses import LOSSES

LOSS = "sparse_categorical_crossentropy"


def timed(neurons_per_core):
    """(estimated, emulated) seconds per sample of a 120-60-10 network,
    its hidden population split as asked (None: spinnpop chooses)."""
    sp.setup(numeric="fixed")
    inp = sp.Population(120, sp.Input())
    hid = sp.Population(60, sp.ReLU(), neurons_per_core=neurons_per_core)
    out = sp.Population(10, sp.Softmax())
    sp.Projection(inp, hid, sp.AllToAllConnector())
    sp.Projection(hid, out, sp.AllToAllConnector())
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 120)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    sp.train(x, y, epochs=1, batch_size=32, loss=LOSS, verbose=0)
    state = current_state()
    network = Network(state.populations, state.projections,
                      state.samples_in_flight, state.numeric).prepare(
        {out: LOSSES[LOSS]}, len(x))
    estimated = timing.cycles_per_sample(network) / CLOCK_HZ
    emulated = sp.cost().seconds
    sp.end()
    return estimated, emulated


@pytest.fixture(scope="module")
def times():
    return {npc: timed(npc) for npc in (None, 2, 10, 60)}


def test_the_estimate_follows_the_emulator_clock(times):
    for npc, (estimated, emulated) in times.items():
        assert estimated == pytest.approx(emulated, rel=0.15), npc
    by_estimate = sorted(times, key=lambda n: times[n][0])
    by_clock = sorted(times, key=lambda n: times[n][1])
    assert by_estimate[-1] == by_clock[-1] == 60


def test_the_chosen_split_beats_packing(times):
    chosen = times[None][1]
    assert chosen < 0.5 * times[60][1]
    assert chosen <= 1.1 * min(times[n][1] for n in (2, 10, 60))
