"""The cost model: the emulator prices each core's work with the
calibration table, time per sample is a pipelined critical path, and the
table agrees with the ARM build run under unicorn (where the ARM compiler,
unicorn and capstone are installed)."""

import importlib.util
import os
import shutil
import subprocess

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.backends.emulator.engine import COST_FEATURES
from spinnpop.cost_model import calibrate
from spinnpop.cost_model.table import table


def small(numeric="float32"):
    sp.setup(numeric=numeric)
    inp = sp.Population(10, sp.Input())
    hid = sp.Population(6, sp.ReLU(), neurons_per_core=3)
    out = sp.Population(3, sp.Softmax())
    sp.Projection(inp, hid, sp.AllToAllConnector())
    sp.Projection(hid, out, sp.AllToAllConnector())
    rng = np.random.default_rng(1)
    return (rng.uniform(-1, 1, (24, 10)).astype(np.float32),
            rng.integers(0, 3, 24))


def train_cost(numeric):
    x, y = small(numeric)
    sp.train(x, y, epochs=1, batch_size=4,
             loss="sparse_categorical_crossentropy", optimizer=sp.SGD(0.1),
             verbose=0)
    cost, counters = sp.cost(), sp.counters()
    sp.end()
    return cost, counters


def test_cost_needs_a_run():
    sp.setup()
    with pytest.raises(sp.NotSetUpError):
        sp.cost()
    sp.end()


def test_time_is_a_critical_path_and_fixed_point_is_cheaper():
    cost, counters = train_cost("float32")
    assert cost.samples == 24 and not cost.uncalibrated
    busy = cost.core_seconds.values()
    # Pipelined: no shorter than the busiest core's work, and shorter than
    # all the work done one core after another.
    assert max(busy) <= cost.seconds < sum(busy)
    assert all(c.busy_cycles > 0 for c in counters.cores)
    assert cost.joules_board > cost.joules_chips > 0
    fixed, _ = train_cost("fixed")
    assert fixed.seconds < cost.seconds
    assert fixed.joules_chips < cost.joules_chips


def test_a_packet_sent_later_does_not_hold_up_earlier_work():
    """The input's core runs ahead and sends the next sample while the
    hidden cores still have this one's work queued: those packets wait for
    the receiving core's clock, and the cores take turns in the order of
    their clocks, so that with two samples in flight the busiest core is
    busy nearly all the time, as on a chip (it was idle a third of the
    time when such packets jumped its clock)."""
    sp.setup(numeric="fixed")
    inp = sp.Population(120, sp.Input())
    hid = sp.Population(60, sp.ReLU(), neurons_per_core=6)
    out = sp.Population(10, sp.Softmax(), neurons_per_core=2)
    sp.Projection(inp, hid, sp.AllToAllConnector())
    sp.Projection(hid, out, sp.AllToAllConnector())
    rng = np.random.default_rng(0)
    sp.train(rng.uniform(0, 1, (64, 120)).astype(np.float32),
             rng.integers(0, 10, 64), epochs=1, batch_size=32,
             loss="sparse_categorical_crossentropy", verbose=0)
    cost = sp.cost()
    sp.end()
    assert max(cost.core_seconds.values()) > 0.85 * cost.seconds


HAVE_ARM = (shutil.which("arm-none-eabi-gcc") is not None
            and all(importlib.util.find_spec(m)
                    for m in ("unicorn", "capstone", "elftools", "scipy")))


@pytest.mark.skipif(not HAVE_ARM, reason="needs Debian's gcc-arm-none-eabi, "
                    "unicorn, capstone, pyelftools and scipy")
@pytest.mark.parametrize("numeric", ["float32", "fixed"])
def test_table_predicts_the_arm_build(numeric, tmp_path):
    binary = f"dense-relu-none-{numeric}"
    root = os.path.dirname(calibrate.HARNESS_DIR)
    subprocess.run(
        ["make", "-C", os.path.dirname(root), f"HARNESS_OUT={tmp_path}",
         f"{tmp_path}/{binary}-clean.elf", f"{tmp_path}/{binary}-count.elf"],
        check=True, capture_output=True)
    calibrate.HARNESS_DIR, saved = str(tmp_path), calibrate.HARNESS_DIR
    try:
        def build():
            inp = sp.Population(10, sp.Input())
            hid = sp.Population(6, sp.ReLU(), neurons_per_core=3)
            out = sp.Population(3, sp.Softmax())
            sp.Projection(inp, hid, sp.AllToAllConnector())
            sp.Projection(hid, out, sp.AllToAllConnector())
            return "categorical_crossentropy", 3, (10,)
        cores = [c for c in calibrate.trace_network(
                     build, numeric, lambda: sp.SGD(0.05, momentum=0.5))
                 if c[0] == binary]
        calls = calibrate.replay(*cores[0])
    finally:
        calibrate.HARNESS_DIR = saved
    cycles = table()["models"][binary]["cycles"]
    price = np.array([cycles.get(name, 0.0) for name in COST_FEATURES])
    measured = sum(c for _, c in calls)
    predicted = sum(float(f @ price) for f, _ in calls)
    assert measured > 0
    # A fit over other networks, predicting a new one: within 10 %.
    assert abs(predicted - measured) / measured < 0.10


def test_cost_is_the_mapping_the_api_gives():
    """API.md: sp.cost() is a dict with at least "seconds_per_sample" and
    "joules_per_sample" (the chips'), and per-core figures."""
    cost, _ = train_cost("fixed")
    as_dict = dict(cost)
    assert as_dict["seconds_per_sample"] == cost.seconds > 0
    assert as_dict["joules_per_sample"] == cost.joules_chips > 0
    assert as_dict["core_seconds"] == cost.core_seconds
    assert len(as_dict) == len(cost) and set(cost) == set(cost.KEYS)
    with pytest.raises(KeyError, match="seconds_per_sample"):
        cost["seconds"]
