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
    status record; counters, logs and whether it failed (an error stop or
    a non-zero exit) are per core, and there are counters per chip."""

    state: str
    regions: dict = field(default_factory=dict)
    statuses: list = field(default_factory=list)
    core_counters: list = field(default_factory=list)
    chip_counters: dict = field(default_factory=dict)
    logs: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    def region(self, core: int, region, dtype=np.uint8) -> np.ndarray:
        return np.frombuffer(self.regions[(core, region)], dtype=dtype)


def make_backend(state):
    """The backend a session asked for."""
    from spinnpop.backends.emulator.backend import EmulatorBackend
    return EmulatorBackend(state.n_boards, state.reorder_seed,
                           state.preemption_seed)
