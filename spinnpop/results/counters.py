"""What the machine counted during a run, per core and per chip."""

from __future__ import annotations

from dataclasses import dataclass, field

from spinnpop.mapping.mapped import Traffic


@dataclass
class CoreCounters:
    """Multicast packets and callbacks of one core. On SpiNNaker only the
    counts the core keeps itself (overflows, unknown keys, protocol
    errors, DTCM) are known; the others, which the emulator counts for
    every core, are None there."""

    population: str
    core: int
    neurons: tuple          # (start, stop) of its slice
    chip: tuple             # (x, y)
    processor: int
    sent: int = 0
    received: int = 0
    #: Packets the core could not take (its queue full, say).
    dropped: int = 0
    #: Events the model's own event ring had no room for.
    overflows: int = 0
    #: Packets the core could not use: a key it does not know, or a sample
    #: not in flight (a protocol error).
    unknown_keys: int = 0
    protocol_errors: int = 0
    #: Recovery: packets received again and ignored, packets of samples
    #: the core had finished (answered with what it sent for them), the
    #: times it re-sent what it was waiting on, and the lost activations
    #: of input populations it asked for again one by one.
    duplicates: int = 0
    stale: int = 0
    resends: int = 0
    requests: int = 0
    #: Fixed point: results beyond their format's range, saturated.
    saturations: int = 0
    callbacks: int = 0
    #: Sends refused because the core's outgoing queue was full (it then
    #: tries again, as on the chip).
    send_failures: int = 0
    #: Packet interrupts that cut into a callback.
    preemptions: int = 0
    #: Cost model (emulator only): packets for the core that a router held
    #: longer than SpiNNaker's router wait time (1.8 us) because the core
    #: was still busy with earlier ones. A chip drops them; so does the
    #: emulator (counted at the chip) unless ``setup(router_timeout=False)``
    #: has it deliver them late.
    overdue: int = 0
    dtcm_bytes: int = 0
    #: The model binary it ran.
    binary: str = ""
    #: Cost model (emulator only): ARM968 cycles of its callbacks, as the
    #: calibration prices its work (spinnpop.cost_model).
    busy_cycles: float = 0.0
    #: Packets sent, by kind of traffic ("forward", "backward", ...).
    sent_by_traffic: dict = field(default_factory=dict)


@dataclass
class ChipCounters:
    """Packets one chip's router handled (on SpiNNaker, from its
    diagnostic registers, which do not count what leaves by each link:
    ``link_sent`` is None there)."""

    chip: tuple
    routed: int = 0
    dropped: int = 0
    link_sent: int = 0
    #: ``link_sent`` by link (0-5: E, NE, N, W, SW, S), where counted.
    links_sent: tuple | None = (0,) * 6


#: What only an emulator counts for every core.
_MACHINE_COUNTED = ("sent", "received", "dropped", "callbacks",
                    "send_failures", "preemptions", "overdue")


@dataclass
class RunCounters:
    """Counters of the last training or inference call, summed over its
    runs. ``cores`` in population order, ``chips`` by position."""

    cores: list = field(default_factory=list)
    chips: list = field(default_factory=list)
    #: Samples the runs took through the network.
    samples: int = 0
    #: Cost model (emulator only): the runs' length on SpiNNaker 1, in ARM
    #: cycles: each run until its last core finished (None on SpiNNaker).
    run_cycles: float = 0.0

    def of(self, population) -> list:
        """The CoreCounters of one population (a Population or a label)."""
        label = getattr(population, "label", population)
        return [c for c in self.cores if c.population == label]

    @property
    def dropped(self) -> int:
        """Packets lost anywhere: at routers, at cores (where counted) and
        in their rings."""
        return (sum(c.dropped for c in self.chips)
                + sum((c.dropped or 0) + c.overflows for c in self.cores))

    @property
    def saturations(self) -> int:
        """Fixed-point results that saturated, on all cores."""
        return sum(c.saturations for c in self.cores)

    def add(self, mapped, network, raw, samples: int) -> None:
        """Adds one run's counts, of ``samples`` samples."""
        self.samples += samples
        clocks = [c.clock_cycles for c in raw.core_counters if c is not None]
        self.run_cycles = (None if self.run_cycles is None or not clocks
                           else self.run_cycles + max(clocks))
        by_core = {(c.population, c.core): c for c in self.cores}
        for index, core in enumerate(mapped.cores):
            node = network.nodes[core.population]
            key = (node.label, core.core)
            if key not in by_core:
                by_core[key] = CoreCounters(
                    node.label, core.core, (core.start, core.stop),
                    (core.x, core.y), core.p, binary=core.binary)
                self.cores.append(by_core[key])
            counts, target = raw.core_counters[index], by_core[key]
            status = raw.statuses[index]
            target.overflows += int(status["ring_overflows"])
            for name in ("unknown_keys", "protocol_errors", "duplicates",
                         "stale", "resends", "requests", "saturations"):
                setattr(target, name, getattr(target, name)
                        + int(status[name]))
            target.dtcm_bytes = max(target.dtcm_bytes,
                                    int(status["dtcm_bytes"]))
            if counts is None:
                for name in _MACHINE_COUNTED + ("busy_cycles",):
                    setattr(target, name, None)
                target.sent_by_traffic = None
                continue
            target.busy_cycles += counts.busy_cycles
            for name in _MACHINE_COUNTED:
                setattr(target, name,
                        getattr(target, name) + getattr(counts, name))
            for kind in Traffic:
                name = kind.name.lower()
                target.sent_by_traffic[name] = (
                    target.sent_by_traffic.get(name, 0)
                    + counts.sent_by_class[kind])
        by_chip = {c.chip: c for c in self.chips}
        for xy, counts in sorted(raw.chip_counters.items()):
            if xy not in by_chip:
                by_chip[xy] = ChipCounters(xy)
                self.chips.append(by_chip[xy])
            by_chip[xy].routed += counts.routed
            by_chip[xy].dropped += counts.dropped
            by_chip[xy].link_sent = (
                None if counts.link_sent is None or by_chip[xy].link_sent
                is None else by_chip[xy].link_sent + counts.link_sent)
            by_chip[xy].links_sent = (
                None if counts.links_sent is None
                or by_chip[xy].links_sent is None
                else tuple(a + b for a, b in zip(by_chip[xy].links_sent,
                                                 counts.links_sent)))
