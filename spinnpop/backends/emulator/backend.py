"""The emulator backend: the tool chain loads and runs a network on the
emulator through an EmulatorTransceiver, exactly as it would on a board,
and this reads the results back through it, with the counters only an
emulator can have.
"""

from __future__ import annotations

from dataclasses import dataclass

from spinn_front_end_common.data import FecDataView
from spinn_machine.virtual_machine import virtual_machine_by_boards

from spinnpop.backends import RawRun
from spinnpop.backends.emulator.engine import CoreState, native_dir
from spinnpop.backends.emulator.transceiver import EmulatorTransceiver
from spinnpop.errors import MappingError
from spinnpop.mapping.mapped import MappedNetwork, Traffic
from spinnpop.mapping.regions import STATUS, Region


@dataclass
class PacketLoss:
    """Packets to lose on purpose: ``count`` of the ``traffic`` sent by
    population ``population`` (its first core), after ``skip``."""

    population: int
    traffic: Traffic
    skip: int = 0
    count: int = 1


class EmulatorBackend:
    """Runs networks on the host emulator of an ``n_boards`` SpiNN-5
    machine.

    :param reorder_seed: if not None, every run delivers packets after
        random delays in random order, reproducibly from this seed.
    :param preemption_seed: if not None, packets are also delivered inside
        callbacks (the FIQ cutting in wherever a core calls the SpiNNaker
        API) and sends fail when a core's 16-packet outgoing queue is full,
        reproducibly from this seed.
    """

    #: The emulator's builds of the models (spinnpop/_native/models).
    binary_suffix = ".so"

    def __init__(self, n_boards: int = 1, reorder_seed=None,
                 preemption_seed=None):
        self.n_boards = n_boards
        self.reorder_seed = reorder_seed
        self.preemption_seed = preemption_seed
        #: A PacketLoss to apply to the next run (fault injection in tests).
        self.packet_loss = None
        self._transceiver = None
        self._mapped = None

    def config_files(self, spinnpop_cfg: str) -> list:
        """The tool chain's configuration, over its defaults: spinnpop's
        only (a user's ``~/.spiNNakerGraphFrontEnd.cfg`` is for boards)."""
        return [spinnpop_cfg]

    def prepare(self, tools) -> None:
        """Gives the tool chain the emulator as its machine."""
        FecDataView.register_binary_search_path(native_dir() + "/models")
        self._mapped = None
        self._transceiver = EmulatorTransceiver(
            virtual_machine_by_boards(self.n_boards),
            order=lambda: [(c.x, c.y, c.p) for c in self._mapped.cores],
            setup=self._setup_engine)
        tools._data_writer.set_transceiver(self._transceiver)

    def loaded(self, mapped: MappedNetwork, look) -> None:
        """Called once the tool chain has placed the network and loaded
        its data; ``look(read)`` (or None) is called now and then during
        the run, ``read(core index, region)`` viewing a region."""
        self._mapped = mapped
        if look is None:
            return
        transceiver = self._transceiver

        def read(index, region):
            core = mapped.cores[index]
            return transceiver.region(core.x, core.y, core.p, region,
                                      core.regions[region])
        transceiver.watch = lambda _: look(read)

    def _setup_engine(self, engine) -> None:
        mapped = self._mapped
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

    def read_back(self, mapped: MappedNetwork, reads: dict) -> RawRun:
        """The regions ``reads[core index]`` of every core, its status,
        counters and log, and the chips' counters."""
        transceiver = self._transceiver
        engine = transceiver.engine
        raw = RawRun(state=transceiver.run_state or "failed")
        for index, core in enumerate(mapped.cores):
            engine_index = transceiver.core_index(core.x, core.y, core.p)

            def region(kind, core=core):
                return transceiver.region(core.x, core.y, core.p, kind,
                                          core.regions[kind]).tobytes()
            raw.statuses.append(STATUS.unpack(region(Region.STATUS))[0])
            counters = engine.core_counters(engine_index)
            raw.core_counters.append(counters)
            raw.failed.append(counters.state == CoreState.FAILED
                              or counters.exit_code != 0)
            raw.logs.append(engine.core_log(engine_index))
            for kind in reads.get(index, ()):
                raw.regions[(index, kind)] = region(kind)
        for x, y in transceiver.routed_chips():
            raw.chip_counters[(x, y)] = engine.chip_counters(x, y)
        return raw

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

    def close(self) -> None:
        """Ends the session: nothing outlives a run on the emulator."""
        self.release()
