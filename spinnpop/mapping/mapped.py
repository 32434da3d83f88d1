"""A mapped network as plain data: what PACMAN and the data specification
decided, kept after the tool chain's session has closed, and all a backend
needs to load the machine."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


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
    runs, its model, and its regions as (size, static content or None)."""

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


@dataclass
class MappedNetwork:
    """The whole mapping: machine size, chips with their routing tables
    (uint32 rows of key, mask, route), placed cores, and the key range of
    each partition a core sends, with its kind of traffic and the index of
    the sending core in ``cores``."""

    width: int
    height: int
    sdram_per_chip: int
    routes: dict                     # (x, y) -> np.ndarray (n, 3) uint32
    cores: list                      # MappedCore, in population order
    traffic: list                    # (key, mask, Traffic, sender index)

    def core_indices(self, population_index: int) -> list:
        """Indices in ``cores`` of one population's cores, in slice order."""
        return [i for i, c in enumerate(self.cores)
                if c.population == population_index]


def route_word(processor_ids, link_ids) -> int:
    """A routing entry's route as the router holds it: links in bits 0-5,
    processors in bits 6-23."""
    word = 0
    for link in link_ids:
        word |= 1 << link
    for processor in processor_ids:
        word |= 1 << (6 + processor)
    return word


def routes_array(entries) -> np.ndarray:
    return np.array(entries, dtype=np.uint32).reshape(-1, 3)
