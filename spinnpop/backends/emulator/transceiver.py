"""The emulator as a machine behind a transceiver: SpiNNFrontEndCommon
loads and runs a network on it through the calls it makes to a board's.

Its SDRAM, user registers, routing tables and cores are the C engine's;
SC&MP's signals drive the cores' states as on a chip (a SYNC binary:
loaded → READY, START → c_main → SYNC0, SYNC0 → run → FINISHED, or
RUN_TIME_EXCEPTION with SARK's error code). After SYNC0 the engine runs
for about LOOK_EVERY seconds each time the host polls the cores' states,
as a board's cores run on while the host polls them. Binaries are found
by name among the emulator's builds of the models, whichever the tools
flood (``dense-relu-none-float32.so`` or ``.aplx``).
"""

from __future__ import annotations

import os
import struct
import time

import numpy as np
from spinnman.exceptions import (SpiNNManCoresNotInStateException,
                                 SpinnmanInvalidParameterException)
from spinnman.constants import ROUTER_REGISTER_REGISTERS
from spinnman.messages.scp.enums import Signal
from spinnman.model import (CPUInfo, CPUInfos, IOBuffer,
                            RouterDiagnostics)
from spinnman.model.enums import CPUState, UserRegister
from spinnman.processes import FixedConnectionSelector
from spinnman.transceiver import MockableTransceiver

from spinnpop.backends.emulator.engine import (CoreState, Engine, RunState,
                                               native_dir)
from spinnpop.hardware import DTCM_HEAP_BYTES

#: Seconds the engine runs each time its cores' states are polled.
LOOK_EVERY = 0.2
# SC&MP's router set-up: wait1 0, wait2 0x40 (sark_hw.c, rtr_init).
_ROUTER_CONTROL = 0x00400001


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
        self._names = {}            # (x, y, p) -> binary name
        self._errors = {}           # (x, y, p) -> run-time error code
        self._diagnostics_base = {}
        self._chunk = 10_000
        self._app_id = 0
        #: The engine's RunState once the cores are set off, else None.
        self.run_state = None
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

    # Routing.

    def reset_routing(self):
        self.clear_multicast_routes()

    def clear_multicast_routes(self, xy=None):
        chips = [xy] if xy is not None else [(c.x, c.y)
                                             for c in self.machine.chips]
        for x, y in chips:
            self.engine.set_routes(x, y, _no_routes())

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

    def _router_counts(self) -> dict:
        """{(x, y): (local, external, dropped)} multicast packets each
        router has handled; a core's every send passes its own router."""
        local = {}
        for (x, y, _), index in self._index.items():
            local[(x, y)] = (local.get((x, y), 0)
                             + self.engine.core_counters(index).sent)
        counts = {}
        for chip in self.machine.chips:
            xy = (chip.x, chip.y)
            counters = self.engine.chip_counters(*xy)
            mine = local.get(xy, 0)
            counts[xy] = (mine, counters.routed - mine, counters.dropped)
        return counts

    def clear_router_diagnostic_counters(self, xy=None):
        counts = self._router_counts()
        if xy is None:
            self._diagnostics_base = counts
        else:
            self._diagnostics_base[xy] = counts[xy]

    def get_router_diagnostics(self, x, y):
        now = self._router_counts()[(x, y)]
        base = self._diagnostics_base.get((x, y), (0, 0, 0))
        local, external, dropped = (
            (a - b) & 0xFFFFFFFF for a, b in zip(now, base))   # 32-bit
        registers = [0] * 16
        registers[ROUTER_REGISTER_REGISTERS.LOC_MC.value] = local
        registers[ROUTER_REGISTER_REGISTERS.EXT_MC.value] = external
        registers[ROUTER_REGISTER_REGISTERS.DUMP_MC.value] = dropped
        return RouterDiagnostics(_ROUTER_CONTROL, 0, registers)

    # Cores.

    def execute_flood(self, core_subsets, executable, app_id, *,
                      n_bytes=None, wait=False):
        name = os.path.splitext(os.path.basename(executable))[0]
        model = os.path.join(native_dir(), "models", name + ".so")
        self._app_id = app_id
        for subset in core_subsets:
            for p in subset.processor_ids:
                self._flooded[(subset.x, subset.y, p)] = model
                self._names[(subset.x, subset.y, p)] = name
                self._states[(subset.x, subset.y, p)] = CPUState.READY

    def send_signal(self, app_id, signal):
        if signal == Signal.START:
            self._start()
        elif signal == Signal.SYNC0 and self.run_state is None:
            self.run_state = RunState.RUNNING
            self._diagnostics_base = self._router_counts()
            self._update_states()

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

    def _advance(self):
        """Lets the machine run for about LOOK_EVERY seconds."""
        started = time.perf_counter()
        self.run_state = self.engine.run(self._chunk)
        took = max(time.perf_counter() - started, 1e-4)
        self._chunk = int(min(max(self._chunk * LOOK_EVERY / took, 1_000),
                              10_000_000))
        self._update_states()

    @property
    def quiet(self) -> bool:
        """Whether the machine has stopped with work left and no timer to
        wait for: stalled."""
        return self.run_state == RunState.STALLED

    def _update_states(self):
        for xyp, index in self._index.items():
            counters = self.engine.core_counters(index)
            if counters.state == CoreState.DEAD:
                self._states[xyp] = CPUState.WATCHDOG   # as on a chip
            elif counters.state == CoreState.FAILED or counters.exit_code:
                self._states[xyp] = CPUState.RUN_TIME_EXCEPTION
                self._errors[xyp] = counters.exit_code
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
        # A board's cores run on while the host polls them; the emulator's
        # run while polled.
        if self.run_state == RunState.RUNNING:
            self._advance()
        if isinstance(states, CPUState):
            states = [states]
        infos = CPUInfos()
        for (x, y, p), state in self._states.items():
            if core_subsets is not None and not core_subsets.is_core(x, y, p):
                continue
            if states is not None and (state in states) != include:
                continue
            infos.add_info(self._cpu_info(x, y, p, state))
        return infos

    def _cpu_info(self, x, y, p, state):
        """SARK's vcpu_t of a core, as a board's monitor reports it."""
        users = [self._users.get((x, y, p, user), 0) for user in range(4)]
        return CPUInfo(x, y, p, (
            bytes(32), 0, 0, 0, self._errors.get((x, y, p), 0), p,
            state.value, self._app_id, 0, 0, 0, 0, 0, 0, 0, 0,
            self._names.get((x, y, p), "").encode()[:16].ljust(16, b"\0"),
            0, 0, *users))

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
        # The tools wait only for states the emulator reaches at once (READY
        # once flooded, SYNC0 after START): what is not there now never
        # will be.
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
