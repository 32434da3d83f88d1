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


def trained(split):
    """(hidden cores, weights) of the 120-60-10 network trained in fixed
    point with setup(split=...)."""
    sp.setup(numeric="fixed", split=split)
    inp = sp.Population(120, sp.Input())
    hid = sp.Population(60, sp.ReLU(), label="hidden")
    out = sp.Population(10, sp.Softmax())
    projections = [sp.Projection(inp, hid, sp.AllToAllConnector()),
                   sp.Projection(hid, out, sp.AllToAllConnector())]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (64, 120)).astype(np.float32)
    sp.train(x, rng.integers(0, 10, 64), epochs=1, batch_size=32, loss=LOSS,
             verbose=0)
    cores = sum(c.population == "hidden" for c in sp.counters().cores)
    weights = [p.get("weight") for p in projections]
    sp.end()
    return cores, weights


def test_packed_takes_the_fewest_cores_for_the_same_training():
    """split="packed" fills each core (the emulator's fastest mapping);
    fixed point gives the same bits on any split."""
    (time_cores, by_time), (packed_cores, packed) = map(
        trained, ("time", "packed"))
    assert packed_cores == 1 < time_cores
    for mine, theirs in zip(by_time, packed):
        assert np.array_equal(mine, theirs)
    with pytest.raises(sp.ConfigurationError, match="'time', 'packed'"):
        sp.setup(split="fast")
