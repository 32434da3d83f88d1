"""Running a mapped network on the emulator.

Every placed core gets its own instance of its model and the regions the
data specification reserved, filled with the static contents the tools
wrote and the run's data; the chips get PACMAN's routing tables. Then the
engine runs in chunks of callbacks (so Python can report progress and be
interrupted between them) until every core has exited or the machine has
gone quiet.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from spinnpop.backends import RawRun
from spinnpop.backends.emulator.engine import (CoreState, Engine, RunState,
                                               native_dir)
from spinnpop.hardware import DTCM_HEAP_BYTES
from spinnpop.mapping.mapped import MappedNetwork, Traffic
from spinnpop.mapping.regions import STATUS, Region

#: Seconds the engine runs between two looks from Python.
LOOK_EVERY = 0.2


@dataclass
class PacketLoss:
    """Packets to lose on purpose: ``count`` of the ``traffic`` sent by
    population ``population`` (its first core), after ``skip``."""

    population: int
    traffic: Traffic
    skip: int = 0
    count: int = 1


class EmulatorBackend:
    """Runs mapped networks on the host emulator.

    :param reorder_seed: if not None, every run delivers packets after
        random delays in random order, reproducibly from this seed.
    :param preemption_seed: if not None, packets are also delivered inside
        callbacks (the FIQ cutting in wherever a core calls the SpiNNaker
        API) and sends fail when a core's 16-packet outgoing queue is full,
        reproducibly from this seed.
    """

    def __init__(self, reorder_seed=None, preemption_seed=None):
        self.reorder_seed = reorder_seed
        self.preemption_seed = preemption_seed
        #: A PacketLoss to apply to the next run (fault injection in tests).
        self.packet_loss = None

    def execute(self, mapped: MappedNetwork, writes: dict, reads: dict,
                watch=None) -> RawRun:
        """Loads ``mapped``, writes ``writes[core][region]`` (bytes or
        arrays), runs, and returns the regions in ``reads[core]``.

        :param watch: called between chunks as ``watch(read)``, where
            ``read(core, region)`` views a region's current bytes.
        """
        engine = Engine(mapped.width, mapped.height, mapped.sdram_per_chip,
                        DTCM_HEAP_BYTES)
        try:
            self._load(engine, mapped, writes)
            state = RunState.FAILED if engine.start() else RunState.RUNNING
            chunk = 10_000
            while state == RunState.RUNNING:
                started = time.perf_counter()
                state = engine.run(chunk)
                took = max(time.perf_counter() - started, 1e-4)
                chunk = int(min(max(chunk * LOOK_EVERY / took, 1_000),
                                10_000_000))
                if watch is not None:
                    watch(engine.region)
            return self._read_back(engine, mapped, reads, state)
        finally:
            engine.close()

    def _load(self, engine: Engine, mapped: MappedNetwork,
              writes: dict) -> None:
        for (x, y), table in sorted(mapped.routes.items()):
            engine.set_routes(x, y, table)
        models = os.path.join(native_dir(), "models")
        for index, core in enumerate(mapped.cores):
            engine.add_core(core.x, core.y, core.p,
                            os.path.join(models, f"{core.binary}.so"))
            for region, (size, content) in sorted(core.regions.items()):
                view = engine.add_region(index, region, size)
                if content:
                    view[:len(content)] = np.frombuffer(content, np.uint8)
            for region, data in writes.get(index, {}).items():
                data = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
                engine.region(index, region)[:len(data)] = data
        for key, mask, kind, _ in mapped.traffic:
            engine.add_traffic_class(key, mask, int(kind))
        if self.reorder_seed is not None:
            engine.reorder(self.reorder_seed + 1)
        if self.preemption_seed is not None:
            if self.reorder_seed is None:
                engine.reorder(self.preemption_seed + 1)
            engine.preempt()
        loss, self.packet_loss = self.packet_loss, None
        if loss is not None:
            sender = next(i for i, c in enumerate(mapped.cores)
                          if c.population == loss.population)
            key, mask = next((k, m) for k, m, kind, s in mapped.traffic
                             if s == sender and kind == loss.traffic)
            engine.drop_packets(key, mask, loss.skip, loss.count)

    @staticmethod
    def _read_back(engine: Engine, mapped: MappedNetwork, reads: dict,
                   state: RunState) -> RawRun:
        raw = RawRun(state=state.name.lower())
        for index in range(len(mapped.cores)):
            raw.statuses.append(STATUS.unpack(
                engine.region(index, Region.STATUS).tobytes())[0])
            counters = engine.core_counters(index)
            raw.core_counters.append(counters)
            raw.failed.append(counters.state == CoreState.FAILED
                              or counters.exit_code != 0)
            raw.logs.append(engine.core_log(index))
            for region in reads.get(index, ()):
                raw.regions[(index, region)] = engine.region(
                    index, region).tobytes()
        for x, y in mapped.routes:
            raw.chip_counters[(x, y)] = engine.chip_counters(x, y)
        return raw

    def close(self) -> None:
        """Nothing outlives a run on the emulator."""
