"""Running a loaded network to its end and reading it back, through the
tool chain's transceiver: the same calls whether a board or the emulator
is behind it.

The cores start as SpiNNaker's SYNC binaries do: once loaded they wait in
SYNC0, and one SYNC0 signal sets them all off. Then the host polls the
cores' states and their status regions until every core has finished,
one has failed (a run-time error or its watchdog), or the run has stalled
(nothing has moved for the backend's stall time, by its clock: a board's
is the host's, the emulator's is its cores' clocks, the cost model's).
Every core has finished when its status says so: a layer core then stays
a while to answer late requests for what it sent (recovery), so the host
does not wait for it to exit.
"""

from __future__ import annotations

import time

import numpy as np
from spinn_front_end_common.data import FecDataView
from spinn_front_end_common.utilities.helpful_functions import (
    locate_memory_region_for_placement)
from spinnman.exceptions import SpiNNManCoresNotInStateException
from spinnman.messages.scp.enums import Signal
from spinnman.model.enums import CPUState, ExecutableType

from spinnpop.backends import RawRun
from spinnpop.mapping.mapped import MappedNetwork
from spinnpop.mapping.regions import (RUN_PARAMS, STATUS, CoreState, Region,
                                      RunMode)

_ERROR_STATES = (CPUState.RUN_TIME_EXCEPTION, CPUState.WATCHDOG)


class LoadedNetwork:
    """A network the tool chain has loaded: its cores' regions, found
    through each core's data-specification header as the core finds
    them, and read or written through the transceiver."""

    def __init__(self, mapped: MappedNetwork):
        self.mapped = mapped
        self.transceiver = FecDataView.get_transceiver()
        self._addresses = {}

    def address(self, index: int, region: Region) -> int:
        """SDRAM address of a region of core ``index`` of ``mapped``."""
        if (index, region) not in self._addresses:
            core = self.mapped.cores[index]
            placement = FecDataView.get_placement_on_processor(
                core.x, core.y, core.p)
            self._addresses[(index, region)] = \
                locate_memory_region_for_placement(placement, int(region))
        return self._addresses[(index, region)]

    def read(self, index: int, region: Region, offset: int = 0,
             length: int | None = None) -> bytes:
        """A core's region, or ``length`` bytes of it from ``offset``."""
        core = self.mapped.cores[index]
        if length is None:
            length = core.regions[region] - offset
        return bytes(self.transceiver.read_memory(
            core.x, core.y, self.address(index, region) + offset, length))

    def write(self, index: int, region: Region, data: bytes,
              offset: int = 0) -> None:
        """Writes ``data`` at ``offset`` bytes into a core's region."""
        if offset + len(data) > self.mapped.cores[index].regions[region]:
            raise ValueError(f"{len(data)} bytes at {offset} do not fit "
                             f"region {region.name} of core {index}")
        core = self.mapped.cores[index]
        self.transceiver.write_memory(
            core.x, core.y, self.address(index, region) + offset, data)

    def statuses(self) -> list:
        return [STATUS.unpack(self.read(index, Region.STATUS))[0]
                for index in range(len(self.mapped.cores))]


def run(loaded: LoadedNetwork, backend, look=None) -> str:
    """Sets the loaded cores off and waits for the end of the run.

    :param look: called as ``look(read)`` at every poll, ``read(core
        index, region[, offset, length])`` returning a region's bytes.
    :return: "done", "failed" or "stalled".
    """
    transceiver, app_id = loaded.transceiver, FecDataView.get_app_id()
    cores = FecDataView.get_cores_for_type(ExecutableType.SYNC)
    try:
        transceiver.wait_for_cores_to_be_in_state(
            cores, app_id, CPUState.SYNC0, timeout=backend.start_timeout)
    except SpiNNManCoresNotInStateException:
        return "failed"              # in c_main: the states say which
    transceiver.clear_router_diagnostic_counters()
    transceiver.send_signal(app_id, Signal.SYNC0)
    return _watch(loaded, backend, look)


def stop_at_batch_end(loaded: LoadedNetwork, backend, look, inputs: list,
                      run: np.void, n_slots: int) -> str:
    """Has the input cores (indices ``inputs``) start no more batches, all
    at the same step, and waits until the last one is done everywhere, so
    that every weight is a batch end's.

    :param run: the run's RUN_PARAMS record.
    :param n_slots: samples a core may hold at once.
    :return: "interrupted", or how the run ended first.
    """
    # A batch start no input core can have reached: each is at most
    # n_slots steps past what it has finished, and on a board they run on
    # while the host writes to them one by one, so one more batch.
    done = max(int(s["steps_done"]) for i, s in
               enumerate(loaded.statuses()) if i in inputs)
    stop_at = _batch_start(run, _batch_start(run, done + n_slots) + 1)
    word = np.array([stop_at], np.uint32).tobytes()
    offset = RUN_PARAMS.dtype.fields["stop_at"][1]
    for index in inputs:
        loaded.write(index, Region.RUN, word, offset)

    def stopped(statuses):
        ends = (CoreState.STOPPED, CoreState.DONE)
        return all(int(statuses[i]["state"]) in ends for i in inputs)
    state = _watch(loaded, backend, look, stopped)
    return "interrupted" if state in ("stopped", "done") else state


def _batch_start(run: np.void, step: int) -> int:
    """The first step at or after ``step`` that starts a batch (every step
    does, outside training; batches restart with each epoch)."""
    if int(run["mode"]) != RunMode.TRAIN:
        return step
    n, size = int(run["n_samples"]), int(run["batch_size"])
    into = step % n % size
    if into == 0:
        return step
    return step + min(size - into, n - step % n)


def _watch(loaded: LoadedNetwork, backend, look, stopped=None) -> str:
    """Polls the running cores until every one has finished ("done"), one
    has failed, the run has stalled, or ``stopped(statuses)``."""
    transceiver = loaded.transceiver
    cores = FecDataView.get_cores_for_type(ExecutableType.SYNC)
    last, since = None, backend.clock()
    while True:
        # On the emulator, polling is what lets the machine run on.
        infos = transceiver.get_cpu_infos(cores)
        states = [infos.get_cpu_info(*xyp).state for xyp in infos]
        if any(state in _ERROR_STATES for state in states):
            return "failed"
        if look is not None:
            look(loaded.read)
        statuses, now = loaded.statuses(), backend.clock()
        if all(int(s["state"]) == CoreState.DONE for s in statuses):
            return "done"
        if states.count(CPUState.FINISHED) == len(cores):
            return "stalled"    # exited without finishing
        if stopped is not None and stopped(statuses):
            return "stopped"
        progress = tuple((int(s["steps_done"]), int(s["waiting_stage"]),
                          int(s["received"])) for s in statuses)
        if progress != last:
            last, since = progress, now
        elif backend.stalled(now - since):
            return "stalled"
        time.sleep(backend.poll_seconds)


def read_back(loaded: LoadedNetwork, backend, state: str,
              reads: dict) -> RawRun:
    """What the run left: the regions ``reads[core index]`` of every
    core, its status and state, the log of each core that failed, and
    what the backend's machine counted."""
    mapped, transceiver = loaded.mapped, loaded.transceiver
    raw = RawRun(state=state, statuses=loaded.statuses())
    for index, regions in reads.items():
        for region in regions:
            raw.regions[(index, region)] = loaded.read(index, region)
    infos = transceiver.get_cpu_infos(
        FecDataView.get_cores_for_type(ExecutableType.SYNC))
    failed = {}
    for index, core in enumerate(mapped.cores):
        info = infos.get_cpu_info(core.x, core.y, core.p) \
            if infos.is_core(core.x, core.y, core.p) else None
        error = info is not None and info.state in _ERROR_STATES
        raw.failed.append(error)
        raw.errors.append(
            (info.state.name, info.run_time_error.value) if error else None)
        if error:
            failed[(core.x, core.y, core.p)] = index
    raw.logs = [""] * len(mapped.cores)
    if failed:
        subsets = FecDataView.get_cores_for_type(ExecutableType.SYNC)
        for iobuf in transceiver.get_iobuf(subsets):
            index = failed.get((iobuf.x, iobuf.y, iobuf.p))
            if index is not None:
                raw.logs[index] = iobuf.iobuf
    raw.core_counters = backend.core_counters(mapped)
    chips = sorted({(t.x, t.y) for t in
                    FecDataView.get_uncompressed().routing_tables})
    raw.chip_counters = backend.chip_counters(transceiver, chips)
    return raw
