"""ctypes binding of the emulator engine (c_models/host/emulator.h)."""

from __future__ import annotations

import ctypes
import enum
import os

import numpy as np

from spinnpop.errors import MappingError
from spinnpop.mapping.regions import CostSite

TRAFFIC_CLASSES = 8
#: emulator.h's enum emu_cost_feature: callbacks by cause, packets sent,
#: then each cost site's calls and units.
COST_FEATURES = ("packet", "task", "timer", "sent") + tuple(
    f"{site.name.lower()}_{what}" for site in CostSite
    for what in ("calls", "units"))


class RunState(enum.IntEnum):
    RUNNING = 0
    DONE = 1
    STALLED = 2
    FAILED = 3


class CoreState(enum.IntEnum):
    LOADED = 0
    RUNNING = 1
    EXITED = 2
    FAILED = 3
    DEAD = 4


class CoreCounters(ctypes.Structure):
    _fields_ = [("sent", ctypes.c_uint64), ("received", ctypes.c_uint64),
                ("dropped", ctypes.c_uint64), ("callbacks", ctypes.c_uint64),
                ("send_failures", ctypes.c_uint64),
                ("preemptions", ctypes.c_uint64),
                ("overdue", ctypes.c_uint64),
                ("sent_by_class", ctypes.c_uint64 * TRAFFIC_CLASSES),
                ("cost", ctypes.c_uint64 * len(COST_FEATURES)),
                ("clock_cycles", ctypes.c_double),
                ("busy_cycles", ctypes.c_double),
                ("state", ctypes.c_uint32), ("exit_code", ctypes.c_uint32),
                ("dtcm_bytes", ctypes.c_uint32), ("pad", ctypes.c_uint32)]


class ChipCounters(ctypes.Structure):
    _fields_ = [("routed", ctypes.c_uint64), ("dropped", ctypes.c_uint64),
                ("link_sent", ctypes.c_uint64 * 6),
                ("link_dropped", ctypes.c_uint64 * 6)]


def native_dir() -> str:
    """Where the host build of the C lives (built by setup.py)."""
    return os.environ.get("SPINNPOP_NATIVE_DIR", os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "_native"))


_library = None


def _load_library() -> ctypes.CDLL:
    global _library
    if _library is None:
        path = os.path.join(native_dir(), "libspinnpop_emulator.so")
        if not os.path.exists(path):
            raise MappingError(
                f"the emulator is not built ({path} is missing); install "
                "spinnpop with `pip install .` (or `make -C c_models host "
                "HOST_OUT=spinnpop/_native` in a checkout)")
        # Global, so that the models' calls into the SpiNNaker API find it.
        lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        p, u32, u64, i = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64,
                          ctypes.c_int)
        for name, restype, argtypes in (
                ("emu_new", p, [u32, u32, u32, u32]),
                ("emu_free", None, [p]),
                ("emu_last_error", ctypes.c_char_p, [p]),
                ("emu_set_routes", i, [p, u32, u32, u32, p]),
                ("emu_add_core", i, [p, u32, u32, u32, ctypes.c_char_p]),
                ("emu_add_region", p, [p, i, u32, u32]),
                ("emu_malloc_sdram", u32, [p, u32, u32, u32]),
                ("emu_sdram", p, [p, u32, u32, u32, u32]),
                ("emu_set_user0", i, [p, u32, u32, u32, u32]),
                ("emu_add_traffic_class", i, [p, u32, u32, u32]),
                ("emu_drop_packets", None, [p, u32, u32, u32, u32]),
                ("emu_drop_at_random", None, [p, ctypes.c_double, u64]),
                ("emu_kill_core", None, [p, i, u64]),
                ("emu_kill_link", i, [p, u32, u32, u32, u64]),
                ("emu_reorder", None, [p, u64]),
                ("emu_preempt", None, [p]),
                ("emu_router_timeout", None, [p]),
                ("emu_start", i, [p]),
                ("emu_run", i, [p, u64]),
                ("emu_core_counters", None,
                 [p, i, ctypes.POINTER(CoreCounters)]),
                ("emu_chip_counters", None,
                 [p, u32, u32, ctypes.POINTER(ChipCounters)]),
                ("emu_core_log", ctypes.c_char_p, [p, i]),
                ("emu_now_us", u64, [p]),
                ("emu_set_cost", None, [p, i, p]),
                ("emu_cost_sites", u32, []),
                ("emu_trace_packets", None, [p, i, p, u32]),
                ("emu_traced", u32, [p, i]),
                ("emu_sdram_block_size", u32, [p, u32, u32, u32])):
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
        if lib.emu_cost_sites() != len(CostSite):
            raise MappingError(
                f"the emulator counts {lib.emu_cost_sites()} cost sites and "
                f"the models {len(CostSite)}: rebuild it (make native)")
        _library = lib
    return _library


class Engine:
    """One emulated machine, from construction to ``close``."""

    def __init__(self, width: int, height: int, sdram_per_chip: int,
                 dtcm_heap_bytes: int):
        self._lib = _load_library()
        self._emu = self._lib.emu_new(width, height, sdram_per_chip,
                                      dtcm_heap_bytes)
        if not self._emu:
            raise MappingError(f"cannot build a {width} x {height} machine")
        self._regions = {}
        self._traces, self._traced = {}, {}

    def _check(self, result) -> None:
        if result is None or (isinstance(result, int) and result < 0):
            raise MappingError("emulator: " + self._lib.emu_last_error(
                self._emu).decode(errors="replace"))

    def set_routes(self, x: int, y: int, table: np.ndarray) -> None:
        """``table``: uint32 rows of (key, mask, route)."""
        table = np.ascontiguousarray(table, dtype=np.uint32)
        self._check(self._lib.emu_set_routes(
            self._emu, x, y, len(table), table.ctypes.data))

    def add_core(self, x: int, y: int, p: int, model_path: str) -> int:
        index = self._lib.emu_add_core(self._emu, x, y, p,
                                       model_path.encode())
        self._check(index)
        return index

    def add_region(self, core: int, region: int, size: int) -> np.ndarray:
        """A zeroed region; the returned uint8 array views its memory."""
        address = self._lib.emu_add_region(self._emu, core, region, size)
        self._check(address)
        buffer = (ctypes.c_uint8 * size).from_address(address)
        view = np.frombuffer(buffer, dtype=np.uint8)
        self._regions[(core, region)] = view
        return view

    def region(self, core: int, region: int) -> np.ndarray:
        return self._regions[(core, region)]

    def malloc_sdram(self, x: int, y: int, size: int) -> int:
        """A block of chip (x, y)'s SDRAM: its SpiNNaker address."""
        address = self._lib.emu_malloc_sdram(self._emu, x, y, size)
        self._check(address or None)
        return address

    def sdram(self, x: int, y: int, address: int, size: int) -> np.ndarray:
        """A uint8 view of SDRAM [address, address + size) of chip (x, y),
        which must lie in one allocated block."""
        pointer = self._lib.emu_sdram(self._emu, x, y, address, size)
        self._check(pointer)
        return np.frombuffer((ctypes.c_uint8 * size).from_address(pointer),
                             dtype=np.uint8)

    def sdram_block(self, x: int, y: int, address: int) -> np.ndarray:
        """A copy of the block of chip (x, y)'s SDRAM that starts at
        ``address``."""
        size = self._lib.emu_sdram_block_size(self._emu, x, y, address)
        self._check(size or None)
        return self.sdram(x, y, address, size).copy()

    def set_user0(self, x: int, y: int, p: int, value: int) -> None:
        self._check(self._lib.emu_set_user0(self._emu, x, y, p, value))

    def add_traffic_class(self, key: int, mask: int, class_id: int) -> None:
        self._check(self._lib.emu_add_traffic_class(self._emu, key, mask,
                                                    class_id))

    def reorder(self, seed: int) -> None:
        """Deliver packets after random delays, in random order, and give
        cores turns in random order (reproducibly from ``seed``)."""
        self._lib.emu_reorder(self._emu, seed)

    def preempt(self) -> None:
        """With reordering: bounded outgoing queues, and packet interrupts
        inside callbacks at pseudo-random calls into the SpiNNaker API."""
        self._lib.emu_preempt(self._emu)

    def router_timeout(self) -> None:
        """Routers drop packets for a core that they held past SpiNNaker's
        router wait time (in packet order only, not with ``reorder``);
        without this they are only counted, as ``overdue``."""
        self._lib.emu_router_timeout(self._emu)

    def drop_packets(self, key: int, mask: int, skip: int,
                     count: int) -> None:
        """Fault injection: loses ``count`` packets matching key/mask after
        letting ``skip`` through."""
        self._lib.emu_drop_packets(self._emu, key, mask, skip, count)

    def drop_at_random(self, rate: float, seed: int) -> None:
        """Fault injection: every router a packet reaches drops it with
        probability ``rate``, reproducibly from ``seed``."""
        self._lib.emu_drop_at_random(self._emu, rate, seed)

    def kill_core(self, core: int, after_callbacks: int) -> None:
        """Fault injection: the core stops dead (state DEAD) once it has
        run ``after_callbacks`` callbacks."""
        self._lib.emu_kill_core(self._emu, core, after_callbacks)

    def kill_link(self, x: int, y: int, link: int,
                  after_packets: int) -> None:
        """Fault injection: link ``link`` (0-5: E, NE, N, W, SW, S) of
        chip (x, y) goes down once it has carried ``after_packets``."""
        self._check(self._lib.emu_kill_link(self._emu, x, y, link,
                                            after_packets))

    def set_cost(self, core: int, coefficients: np.ndarray) -> None:
        """Prices the core's work: ``coefficients[f]`` ARM cycles per unit
        of each of COST_FEATURES."""
        coefficients = np.ascontiguousarray(coefficients, dtype=np.float64)
        assert coefficients.shape == (len(COST_FEATURES),)
        self._lib.emu_set_cost(self._emu, core, coefficients.ctypes.data)

    def trace_packets(self, core: int, capacity: int) -> np.ndarray:
        """Records the first ``capacity`` packets the core takes; returns
        the (capacity, 2) uint32 array of (key, payload) they go into (see
        ``traced``)."""
        buffer = np.zeros((capacity, 2), dtype=np.uint32)
        self._traces[core] = buffer           # the engine writes into it
        self._lib.emu_trace_packets(self._emu, core, buffer.ctypes.data,
                                    capacity)
        return buffer

    def traced(self, core: int) -> np.ndarray:
        """The packets traced so far (also once the engine is closed)."""
        if self._emu:
            self._traced[core] = self._lib.emu_traced(self._emu, core)
        return self._traces[core][:self._traced.get(core, 0)]

    def start(self) -> int:
        """Runs every core's c_main; returns how many failed."""
        return self._lib.emu_start(self._emu)

    def run(self, max_callbacks: int) -> RunState:
        return RunState(self._lib.emu_run(self._emu, max_callbacks))

    def core_counters(self, core: int) -> CoreCounters:
        counters = CoreCounters()
        self._lib.emu_core_counters(self._emu, core, ctypes.byref(counters))
        return counters

    def chip_counters(self, x: int, y: int) -> ChipCounters:
        counters = ChipCounters()
        self._lib.emu_chip_counters(self._emu, x, y, ctypes.byref(counters))
        return counters

    def now_us(self) -> int:
        """Emulated microseconds: the time of the last timer tick, by the
        cores' clocks."""
        return self._lib.emu_now_us(self._emu)

    def core_log(self, core: int) -> str:
        return self._lib.emu_core_log(self._emu, core).decode(
            errors="replace")

    def close(self) -> None:
        if self._emu:
            for core in self._traces:
                self.traced(core)
            self._regions.clear()
            self._lib.emu_free(self._emu)
            self._emu = None

    def __del__(self):
        self.close()
