"""The emulator backend: the tool chain loads and runs a network on the
emulator through an EmulatorTransceiver, exactly as it would on a board,
and spinnpop.backends.running runs and reads it back as it would there.
What this adds is what only an emulator can have: every core's and
router's counters, knowing when the machine has gone quiet, and chosen
packet orders, preemption and losses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinn_front_end_common.data import FecDataView
from spinn_machine.virtual_machine import virtual_machine_by_boards

from spinnpop.backends import Backend, RouterCounts
from spinnpop.backends.emulator.engine import native_dir
from spinnpop.backends.emulator.transceiver import EmulatorTransceiver
from spinnpop.cost_model.table import cost_coefficients
from spinnpop.errors import MappingError
from spinnpop.mapping.mapped import MappedNetwork, Traffic


@dataclass
class PacketLoss:
    """Packets to lose on purpose: ``count`` of the ``traffic`` sent by
    core ``core`` of population ``population``, after ``skip``."""

    population: int
    traffic: Traffic
    skip: int = 0
    count: int = 1
    core: int = 0


@dataclass
class CoreFault:
    """A core of population ``population`` that stops dead, as a hung
    processor, once it has run ``after_callbacks`` callbacks."""

    population: int
    core: int = 0
    after_callbacks: int = 0


@dataclass
class LinkFault:
    """Link ``link`` (0-5: E, NE, N, W, SW, S) of chip (x, y), which goes
    down once it has carried ``after_packets`` packets."""

    x: int
    y: int
    link: int
    after_packets: int = 0


class EmulatorBackend(Backend):
    """Runs networks on the host emulator of an ``n_boards`` SpiNN-5
    machine.

    :param reorder_seed: if not None, every run delivers packets after
        random delays in random order, reproducibly from this seed.
    :param preemption_seed: if not None, packets are also delivered inside
        callbacks (the FIQ cutting in wherever a core calls the SpiNNaker
        API) and sends fail when a core's 16-packet outgoing queue is full,
        reproducibly from this seed.
    :param drop_rate: the probability that a router drops a packet that
        reaches it, each run's drops drawn from ``seed`` afresh.
    :param router_timeout: if True, routers drop packets for a core that
        they held past SpiNNaker's router wait time; else those arrive
        late; counted as ``overdue`` either way.
    :param down: ``down_cores``, ``down_chips``, ``down_links``, as for
        Backend.
    """

    name = "emulator"
    #: The emulator's builds of the models (spinnpop/_native/models).
    binary_suffix = ".so"
    #: The extra monitors' fast data paths and reinjection are protocols
    #: of SpiNNaker's system cores, which the emulator does not run.
    config_defaults = """\
[Machine]
enable_advanced_monitor_support = False
enable_reinjection = False
"""
    #: The emulator's cores reach SYNC0 at once; its polls run it.
    start_timeout = None
    poll_seconds = 0.0

    def __init__(self, n_boards: int = 1, reorder_seed=None,
                 preemption_seed=None, drop_rate: float = 0.0, seed: int = 0,
                 router_timeout: bool = True, **down):
        super().__init__(n_boards, **down)
        self.reorder_seed = reorder_seed
        self.preemption_seed = preemption_seed
        self.drop_rate = drop_rate
        self.router_timeout = router_timeout
        self._drop_seed = np.random.SeedSequence(seed)
        #: PacketLoss, CoreFault and LinkFault to apply to the next run
        #: (fault injection, for tests).
        self.faults = []
        #: Called as f(engine, transceiver, mapped) once each run's cores
        #: are loaded, before they start (the cost calibration traces them).
        self.observers = []
        self._transceiver = None
        self._mapped = None

    def prepare(self, tools) -> None:
        """Gives the tool chain the emulator as its machine."""
        FecDataView.register_binary_search_path(native_dir() + "/models")
        self._mapped = None
        self._transceiver = EmulatorTransceiver(
            virtual_machine_by_boards(self.n_boards),
            order=lambda: [(c.x, c.y, c.p) for c in self._mapped.cores],
            setup=self._setup_engine)
        tools._data_writer.set_transceiver(self._transceiver)

    def loaded(self, mapped: MappedNetwork) -> None:
        self._mapped = mapped

    def clock(self) -> float:
        """Emulated seconds: the time of the last timer tick, by the
        cores' clocks (the cost model's), which also run on while the
        machine is quiet, from one tick to the next."""
        return self._transceiver.engine.now_us() / 1e6

    def stalled(self, seconds: float) -> bool:
        """Whether a run whose cores have made no progress for
        ``seconds`` of emulated time has stalled, or the machine has
        stopped with nothing left to wait for."""
        return self._transceiver.quiet or super().stalled(seconds)

    def _setup_engine(self, engine) -> None:
        mapped = self._mapped
        transceiver = self._transceiver
        for core in mapped.cores:
            engine.set_cost(transceiver.core_index(core.x, core.y, core.p),
                            cost_coefficients(core.binary,
                                              core.weights_in_sdram))
        for observe in self.observers:
            observe(engine, transceiver, mapped)
        for key, mask, kind, _ in mapped.traffic:
            engine.add_traffic_class(key, mask, int(kind))
        if self.reorder_seed is not None:
            engine.reorder(self.reorder_seed + 1)
        if self.preemption_seed is not None:
            if self.reorder_seed is None:
                engine.reorder(self.preemption_seed + 1)
            engine.preempt()
        if self.router_timeout:
            engine.router_timeout()
        if self.drop_rate > 0:
            run_seed = self._drop_seed.spawn(1)[0]    # afresh each run
            engine.drop_at_random(
                self.drop_rate, int(run_seed.generate_state(1, np.uint64)[0]))
        faults, self.faults = self.faults, []
        for fault in faults:
            if isinstance(fault, LinkFault):
                engine.kill_link(fault.x, fault.y, fault.link,
                                 fault.after_packets)
                continue
            index = next(i for i, c in enumerate(mapped.cores)
                         if c.population == fault.population
                         and c.core == fault.core)
            if isinstance(fault, CoreFault):
                core = mapped.cores[index]
                engine.kill_core(self._transceiver.core_index(
                    core.x, core.y, core.p), fault.after_callbacks)
            else:
                key, mask = next((k, m) for k, m, kind, s in mapped.traffic
                                 if s == index and kind == fault.traffic)
                engine.drop_packets(key, mask, fault.skip, fault.count)

    def core_counters(self, mapped: MappedNetwork) -> list:
        """What each core's side of the machine counted, by core index."""
        transceiver = self._transceiver
        return [transceiver.engine.core_counters(
            transceiver.core_index(core.x, core.y, core.p))
            for core in mapped.cores]

    def chip_counters(self, transceiver, chips: list) -> dict:
        """{(x, y): RouterCounts} for ``chips``, with what left and what
        was lost by each link, which only the emulator counts (and in 64
        bits)."""
        counts = {}
        for xy in chips:
            chip = transceiver.engine.chip_counters(*xy)
            counts[xy] = RouterCounts(chip.routed, chip.dropped,
                                      sum(chip.link_sent),
                                      tuple(chip.link_dropped),
                                      tuple(chip.link_sent))
        return counts

    def error(self, exception: Exception, captured: str) -> Exception:
        """What to raise when the tool chain fails on the emulator: a bug
        in spinnpop or the tools, so with their own words."""
        return MappingError(
            f"the tool chain failed on the emulator: {exception!r}\n"
            f"{captured[-2000:]}")

    def release(self) -> None:
        """Frees the run's emulated machine, once the tools have stopped."""
        if self._transceiver is not None:
            self._transceiver.engine.close()
            self._transceiver = None
        self._mapped = None
