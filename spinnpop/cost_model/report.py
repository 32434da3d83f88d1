"""Time and energy per training sample on SpiNNaker 1, from what the
emulator counted (``sp.cost()``).

Time: each core's clock advances by the cycles of its callbacks (priced by
the calibration table) and waits for the packets that start them, which
leave when sent and take ROUTER_CYCLES per router (c_models/host/
machine.h); a run lasts until its last core is done. So the time per
sample is the pipelined critical path over the run (with its start and
end), not the sum of the cores' work.

Energy: SpiNNMachine's SpiNNaker 1 model (spinn_machine/version/
version_spin1.py and version_5.py, as FEC's energy report uses it): each
chip in use draws WATTS_PER_IDLE_CHIP (0.35 W) for the whole run, each core
WATTS_PER_CORE_ACTIVE_OVERHEAD (0.034 W) more while busy, and each packet
JOULES_PER_PACKET_WITH_PAYLOAD (72 bits at 25 pJ) at every router it
passes. A board: WATTS_FOR_48_CHIP_BOARD_IDLE_COST (26.84 W, a SpiNN-5
with its FPGAs and power supplies) instead of its chips' idle power.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from spinn_machine.version.version_5 import Version5

from spinnpop.cost_model.table import calibrated
from spinnpop.errors import NotSetUpError
from spinnpop.hardware import CHIPS_PER_BOARD

CLOCK_HZ = 200e6          #: the ARM968's clock on SpiNNaker 1


@dataclass
class Cost(Mapping):
    """Estimated cost of the last train/predict/evaluate call on SpiNNaker
    1, per sample. Also a read-only mapping, as the API gives it:
    ``cost["seconds_per_sample"]``, ``cost["joules_per_sample"]`` (the
    chips') and the other keys of ``KEYS``. Per sample: ``seconds``
    (pipelined, critical path),
    ``samples_per_second``, ``joules_chips`` (the chips in use) and
    ``joules_board`` (whole SpiNN-5 boards); ``busiest`` is the population
    and core with the most work, ``core_seconds`` {(population, core):
    busy seconds per sample}. ``uncalibrated``: binaries the table lacks
    (their work counted as free). ``overdue``: the share of the packets
    delivered that a router held past SpiNNaker's router wait time (a
    chip drops those, and so does the emulator unless
    ``setup(router_timeout=False)``; either way the models wait for what
    they re-send)."""

    samples: int
    seconds: float
    samples_per_second: float
    joules_chips: float
    joules_board: float
    busiest: tuple
    core_seconds: dict
    chips: int
    cores: int
    uncalibrated: tuple
    overdue: float = 0.0

    #: The mapping's keys, and the attributes they read.
    KEYS = {"seconds_per_sample": "seconds",
            "joules_per_sample": "joules_chips",
            "joules_per_sample_board": "joules_board",
            "samples_per_second": "samples_per_second",
            "core_seconds": "core_seconds", "busiest": "busiest",
            "samples": "samples", "chips": "chips", "cores": "cores",
            "uncalibrated": "uncalibrated", "overdue": "overdue"}

    def __getitem__(self, key: str):
        if key not in self.KEYS:
            raise KeyError(f"{key!r}: sp.cost() has {sorted(self.KEYS)}")
        return getattr(self, self.KEYS[key])

    def __iter__(self):
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)

    def __str__(self) -> str:
        late = (f"; {100 * self.overdue:.1f} % of packets overdue at "
                "routers (dropped on a chip)" if self.overdue else "")
        return (f"{self.seconds * 1e3:.3f} ms and "
                f"{self.joules_chips * 1e3:.3f} mJ (chips; "
                f"{self.joules_board * 1e3:.3f} mJ with the board) per "
                f"sample, {self.samples_per_second:.0f} samples/s, on "
                f"{self.cores} cores of {self.chips} chips; busiest "
                f"{self.busiest[0]} core {self.busiest[1]}{late}")


def cost_of(counters) -> Cost:
    """The Cost of a RunCounters (NotSetUpError if it has no run on the
    emulator)."""
    if counters.run_cycles is None or counters.samples == 0:
        raise NotSetUpError("no cost: it needs a run on the emulator")
    version = Version5()
    run_s = counters.run_cycles / CLOCK_HZ
    busy = {(c.population, c.core): c.busy_cycles / CLOCK_HZ
            for c in counters.cores}
    chips = {c.chip for c in counters.cores}
    boards = -(-len(chips) // CHIPS_PER_BOARD)
    routed = sum(c.routed for c in counters.chips)
    active_j = version.WATTS_PER_CORE_ACTIVE_OVERHEAD * sum(busy.values())
    packets_j = version.JOULES_PER_PACKET_WITH_PAYLOAD * routed
    chips_j = version.WATTS_PER_IDLE_CHIP * len(chips) * run_s
    board_j = version.WATTS_FOR_48_CHIP_BOARD_IDLE_COST * boards * run_s
    n = counters.samples
    received = sum(c.received for c in counters.cores)
    return Cost(
        samples=n, seconds=run_s / n, samples_per_second=n / run_s,
        joules_chips=(chips_j + active_j + packets_j) / n,
        joules_board=(board_j + active_j + packets_j) / n,
        busiest=max(busy, key=busy.get),
        core_seconds={k: v / n for k, v in busy.items()},
        chips=len(chips), cores=len(counters.cores),
        uncalibrated=tuple(sorted({c.binary for c in counters.cores
                                   if not calibrated(c.binary)})),
        overdue=sum(c.overdue for c in counters.cores) / max(received, 1))
