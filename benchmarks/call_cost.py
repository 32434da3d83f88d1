"""What a ``train`` call costs besides its samples: the digits demo's
network (64-128-10) with its mapping cached (the call's shape seen
before), one batch of 32 samples per call. The median of several calls,
the engine's run of those samples within it, and where the rest goes,
step by step (measured again under cProfile, which inflates the steps
that run much Python, so the steps' shares are upper bounds)."""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time

import spinnpop as sp
from spinnpop.datasets import load_digits
from spinnpop.demo import build

#: (step, module file ending, function) whose cumulative time is reported.
STEPS = (("split and check the network", "graph/network.py", "prepare"),
         ("tool chain set-up (configuration)", "mapping/toolchain.py",
          "__init__"),
         ("mapping (PACMAN)", "abstract_spinnaker_base.py", "_do_mapping"),
         ("data generation", "abstract_spinnaker_base.py",
          "_do_data_generation"),
         ("loading (regions, binaries)", "abstract_spinnaker_base.py",
          "_do_load"),
         ("the engine's run of the samples", "backends/running.py", "run"),
         ("reading back", "backends/running.py", "read_back"),
         ("provenance and timing records (SQLite)", "fec_timer.py",
          "_insert_timing"))
CALLS, BATCH = 7, 32


def _cumulative(stats: pstats.Stats, ending: str, function: str) -> float:
    return sum(entry[3] for (path, _, name), entry in stats.stats.items()
               if name == function and path.endswith(ending))


def run() -> dict:
    """{"seconds": median seconds per call, "steps": [(step, seconds
    under cProfile)], "profiled": seconds of the profiled call}."""
    (x, y), _ = load_digits(seed=0)
    x, y = x[:BATCH], y[:BATCH]
    build(seed=0)

    def call():
        sp.train(x, y, epochs=1, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy",
                 optimizer=sp.SGD(0.1, 0.9), verbose=0)

    call()          # maps (and, first in a process, imports the tool chain)
    seconds = []
    for _ in range(CALLS):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.runcall(call)
    profiled = time.perf_counter() - start
    sp.end()
    stats = pstats.Stats(profile)
    return {"seconds": statistics.median(seconds), "profiled": profiled,
            "steps": [(step, _cumulative(stats, ending, function))
                      for step, ending, function in STEPS]}
