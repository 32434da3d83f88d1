"""A mapped network as plain data: where the tool chain placed each core
and the keys each sends, kept for loading, reading back and counting."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from spinnpop.mapping.regions import Region


class Traffic(enum.IntEnum):
    """Kinds of multicast traffic, counted separately by the emulator."""

    FORWARD = 0
    BACKWARD = 1
    SOFTMAX = 2
    ACK = 3
    REDUCE = 4      #: gradients of shared weights, summed over cores

    @classmethod
    def of(cls, partition: str) -> "Traffic":
        """The traffic of a partition (see spinnpop.mapping.layout)."""
        kind = partition.split(":")[0]
        return cls.REDUCE if kind == "total" else cls[kind.upper()]


@dataclass
class MappedCore:
    """One placed core: where it is, which slice of which population it
    runs, its model, and the size of each of its regions."""

    x: int
    y: int
    p: int
    population: int          # index of the population in the session
    core: int                # index of the core within the population
    start: int               # first neuron of the slice
    stop: int                # one past its last neuron
    binary: str
    regions: dict = field(default_factory=dict)

    @property
    def n_neurons(self) -> int:
        return self.stop - self.start

    @property
    def weights_in_sdram(self) -> bool:
        """Whether it reads its weights from SDRAM: only then (no room in
        DTCM) does it have a gradient region (layer.c)."""
        return bool(self.regions.get(Region.GRADIENT))


@dataclass
class MappedNetwork:
    """The placed cores, in population order, and the key range of each
    partition a core sends, with its kind of traffic and the index of the
    sending core in ``cores``."""

    cores: list                      # MappedCore
    traffic: list                    # (key, mask, Traffic, sender index)

    def core_indices(self, population_index: int) -> list:
        """Indices in ``cores`` of one population's cores, in slice order."""
        return [i for i, c in enumerate(self.cores)
                if c.population == population_index]
