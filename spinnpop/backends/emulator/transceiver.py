"""The emulator as a machine behind a transceiver: SpiNNFrontEndCommon
loads and runs a network on it through the calls it makes to a board's.

Its SDRAM, user registers, routing tables and cores are the C engine's;
SC&MP's signals drive the cores' states as on a chip (a SYNC binary:
loaded → READY, START → c_main → SYNC0, SYNC0 → run → FINISHED). The
engine runs inside ``send_signal(SYNC0)``, in chunks between which a
``watch(read)`` callback may look at the cores' regions.
"""

from __future__ import annotations

import os
import struct
import time

import numpy as np
from spinnman.exceptions import (SpiNNManCoresNotInStateException,
                                 SpinnmanInvalidParameterException)
from spinnman.messages.scp.enums import Signal
from spinnman.model import (CPUInfo, CPUInfos, IOBuffer,
                            RouterDiagnostics)
from spinnman.model.enums import CPUState, UserRegister
from spinnman.processes import FixedConnectionSelector
from spinnman.transceiver import MockableTransceiver

from spinnpop.backends.emulator.engine import (CoreState, Engine, RunState,
                                               native_dir)
from spinnpop.hardware import DTCM_HEAP_BYTES

#: Seconds the engine runs between two looks from Python.
LOOK_EVERY = 0.2
_HEADER_WORDS = 2           # magic, version; then 3 words per region
_REGION_WORDS = 3
_RUN_STATES = {RunState.DONE: "done", RunState.STALLED: "stalled",
               RunState.FAILED: "failed"}


class _NoSimulationInterface:
    """The SC&MP connection FEC asks for: spinnpop's binaries start SYNC,
    so nothing is ever sent on it."""

    def is_ready_to_receive(self, timeout=0):
        return False

    def send(self, data):
        raise RuntimeError("spinnpop's emulator has no simulation "
                           "interface to send SCP requests to")

    def close(self):
        """Nothing to close."""


class EmulatorTransceiver(MockableTransceiver):
    """A transceiver whose machine is spinnpop's emulator.

    :param machine: the spinn_machine Machine it presents.
    :param order: called once the cores are flooded; returns their
        (x, y, p) in the order the engine runs them (the order a run's
        results depend on, as the emulator is deterministic).
    :param setup: called with the engine once the cores are in it, before
        any runs: traffic classes, fault injection, delivery order.
    """

    def __init__(self, machine, order, setup):
        super().__init__()
        self.machine = machine
        self._order = order
        self._setup = setup
        chip = machine.get_chip_at(0, 0)
        self.engine = Engine(machine.width, machine.height, chip.sdram,
                             DTCM_HEAP_BYTES)
        for each in machine.chips:
            self.engine.set_routes(each.x, each.y, _no_routes())
        self._flooded = {}          # (x, y, p) -> model path
        self._index = {}            # (x, y, p) -> engine core index
        self._states = {}           # (x, y, p) -> CPUState
        self._users = {}
        self._routed = set()        # chips with a routing table loaded
        self.run_state = None
        self.watch = None
        self._selector = FixedConnectionSelector(_NoSimulationInterface())

    # The machine and its memory.

    def get_machine_details(self):
        return self.machine

    def malloc_sdram(self, x, y, size, app_id, tag=None):
        return self.engine.malloc_sdram(x, y, size)

    def malloc_sdram_multi(self, allocations):
        return [self.engine.malloc_sdram(x, y, size)
                for x, y, size, _app_id, _tag in allocations]

    def write_memory(self, x, y, base_address, data, *, n_bytes=None,
                     offset=0, cpu=0, get_sum=False):
        if isinstance(data, int):
            data = struct.pack("<I", data)
        data = memoryview(data).cast("B")
        if n_bytes is None:
            n_bytes = len(data) - offset
        self.engine.sdram(x, y, base_address, n_bytes)[:] = \
            data[offset:offset + n_bytes]
        return n_bytes, 0

    def read_memory(self, x, y, base_address, length, cpu=0):
        return bytearray(self.engine.sdram(x, y, base_address, length))

    def read_word(self, x, y, base_address, cpu=0):
        return struct.unpack("<I", self.read_memory(x, y, base_address,
                                                    4))[0]

    def write_user(self, x, y, p, user, value):
        self._users[(x, y, p, int(user))] = value
        if user == UserRegister.USER_0:
            self.engine.set_user0(x, y, p, value)

    def read_user(self, x, y, p, user):
        return self._users.get((x, y, p, int(user)), 0)

    def get_region_base_address(self, x, y, p):
        return self.read_user(x, y, p, UserRegister.USER_0)

    def region(self, x, y, p, region: int, size: int):
        """A view of a core's region, found through its data
        specification header as a core finds it."""
        base = self.get_region_base_address(x, y, p)
        pointer = self.read_word(x, y, base + 4 * (
            _HEADER_WORDS + _REGION_WORDS * region))
        return self.engine.sdram(x, y, pointer, size)

    # Routing.

    def reset_routing(self):
        self.clear_multicast_routes()

    def clear_multicast_routes(self, xy=None):
        chips = [xy] if xy is not None else [(c.x, c.y)
                                             for c in self.machine.chips]
        for x, y in chips:
            self.engine.set_routes(x, y, _no_routes())
            self._routed.discard((x, y))

    def load_multicast_routes(self, x, y, routes, app_id):
        routes = list(routes)
        room = self.machine.get_chip_at(
            x, y).router.n_available_multicast_entries
        if len(routes) > room:
            # SC&MP cannot allocate them in the router's table.
            raise SpinnmanInvalidParameterException(
                "routes", len(routes), f"chip ({x}, {y})'s router holds "
                f"{room} application entries")
        self.engine.set_routes(x, y, [
            (entry.key, entry.mask, entry.spinnaker_route)
            for entry in routes])
        self._routed.add((x, y))

    def routed_chips(self) -> list:
        """The chips that were given routing tables, in (x, y) order."""
        return sorted(self._routed)

    def get_router_diagnostics(self, x, y):
        return RouterDiagnostics(0, 0, [0] * 16)

    # Cores.

    def execute_flood(self, core_subsets, executable, app_id, *,
                      n_bytes=None, wait=False):
        model = os.path.join(native_dir(), "models",
                             os.path.basename(executable))
        for subset in core_subsets:
            for p in subset.processor_ids:
                self._flooded[(subset.x, subset.y, p)] = model
                self._states[(subset.x, subset.y, p)] = CPUState.READY

    def send_signal(self, app_id, signal):
        if signal == Signal.START:
            self._start()
        elif signal in (Signal.SYNC0, Signal.SYNC1):
            self._run()

    def _start(self):
        """Loads every flooded core into the engine and runs its c_main
        (the tools send a START for their system binaries too, before the
        application's are flooded: spinnpop has none)."""
        if not self._flooded or self._index:
            return
        for xyp in self._order():
            self._index[xyp] = self.engine.add_core(*xyp,
                                                    self._flooded[xyp])
        self._setup(self.engine)
        self.engine.start()
        self._update_states()

    def _run(self):
        state, chunk = RunState.RUNNING, 10_000
        while state == RunState.RUNNING:
            started = time.perf_counter()
            state = self.engine.run(chunk)
            took = max(time.perf_counter() - started, 1e-4)
            chunk = int(min(max(chunk * LOOK_EVERY / took, 1_000),
                            10_000_000))
            if self.watch is not None:
                self.watch(self.region)
        self.run_state = _RUN_STATES[state]
        self._update_states()

    def _update_states(self):
        for xyp, index in self._index.items():
            counters = self.engine.core_counters(index)
            if counters.state == CoreState.FAILED or counters.exit_code:
                self._states[xyp] = CPUState.RUN_TIME_EXCEPTION
            elif counters.state == CoreState.EXITED:
                self._states[xyp] = CPUState.FINISHED
            elif self.run_state is None:
                self._states[xyp] = CPUState.SYNC0   # waiting in spin1_start
            else:
                self._states[xyp] = CPUState.RUNNING

    def core_index(self, x, y, p) -> int:
        """The engine's index of a core."""
        return self._index[(x, y, p)]

    def get_cpu_infos(self, core_subsets=None, states=None, include=True):
        if isinstance(states, CPUState):
            states = [states]
        infos = CPUInfos()
        for (x, y, p), state in self._states.items():
            if core_subsets is not None and not core_subsets.is_core(x, y, p):
                continue
            if states is not None and (state in states) != include:
                continue
            infos.add_info(CPUInfo.mock_info(x, y, p, p, state))
        return infos

    def get_core_state_count(self, app_id, state, xys=None):
        chips = None if xys is None else set(xys)
        return sum(1 for (x, y, _), now in self._states.items()
                   if now == state and (chips is None or (x, y) in chips))

    def wait_for_cores_to_be_in_state(
            self, all_core_subsets, app_id, cpu_states, *, timeout=None,
            time_between_polls=0.1,
            error_states=frozenset((CPUState.RUN_TIME_EXCEPTION,
                                    CPUState.WATCHDOG)),
            counts_between_full_check=100, progress_bar=None):
        # The emulator moves only when signalled: what is not in a wanted
        # state now never will be.
        if isinstance(cpu_states, CPUState):
            cpu_states = [cpu_states]
        for wrong in (self.get_cpu_infos(all_core_subsets, error_states),
                      self.get_cpu_infos(all_core_subsets, cpu_states,
                                         include=False)):
            if len(wrong):
                raise SpiNNManCoresNotInStateException(timeout, cpu_states,
                                                       wrong)

    def get_iobuf(self, core_subsets=None):
        return [IOBuffer(x, y, p, self.engine.core_log(index))
                for (x, y, p), index in self._index.items()
                if core_subsets is None or core_subsets.is_core(x, y, p)]

    def get_scamp_connection_selector(self):
        return self._selector

    def close(self):
        """The engine is freed by whoever read the run back."""


def _no_routes():
    return np.zeros((0, 3), np.uint32)
