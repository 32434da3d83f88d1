"""Backends: what loads a mapped network onto a machine, runs it and reads
it back. The emulator is spinnpop's own host emulator of SpiNNaker."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class RawRun:
    """What a run left on the machine, copied off it.

    ``state`` is "done", "stalled" or "failed"; ``regions`` maps (core
    index, region) to the bytes asked for; ``statuses`` has each core's
    status record; whether it failed (a run-time error or its watchdog),
    SARK's error code and, if it failed, its log are per core. Counters
    are what the machine counted, per core (None each where it cannot
    count a core's packets: on SpiNNaker) and per chip."""

    state: str
    regions: dict = field(default_factory=dict)
    statuses: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    core_counters: list = field(default_factory=list)
    chip_counters: dict = field(default_factory=dict)

    def region(self, core: int, region, dtype=np.uint8) -> np.ndarray:
        return np.frombuffer(self.regions[(core, region)], dtype=dtype)


def make_backend(state):
    """The backend a session asked for."""
    from spinnpop.backends.emulator.backend import EmulatorBackend
    return EmulatorBackend(state.n_boards, state.reorder_seed,
                           state.preemption_seed)
