"""The network as the Graph Front End sees it: one ApplicationVertex per
population, split into one MachineVertex per core-sized slice, with
routes as narrow as spinnpop.graph.traffic says: each partition goes from
the cores that send in it to exactly the cores that use it (see
spinnpop.mapping.layout for the partitions).
"""

from __future__ import annotations

import numpy as np
from pacman.model.graphs.application import ApplicationVertex
from pacman.model.graphs.machine import MachineVertex
from pacman.model.partitioner_interfaces import LegacyPartitionerAPI
from pacman.model.partitioner_splitters import SplitterFixedLegacy
from pacman.model.resources import ConstantSDRAM
from spinn_front_end_common.abstract_models import (
    AbstractGeneratesDataSpecification, AbstractHasAssociatedBinary)
from spinn_front_end_common.utilities.constants import APP_PTR_TABLE_BYTE_SIZE
from spinnman.model.enums import ExecutableType

from spinnpop.mapping import layout
from spinnpop.mapping.regions import Region


class PopulationSplitter(SplitterFixedLegacy):
    """Fixed slices; a partition leaves only the cores that send in it and
    reaches only the cores that use what each sends."""

    def get_out_going_vertices(self, partition_id):
        population = self.governed_app_vertex
        cores = population.core_vertices()
        return [cores[c] for c in layout.sending_cores(
            population.context.network, population.senders[partition_id],
            partition_id)]

    def get_source_specific_in_coming_vertices(self, source_vertex,
                                               partition_id):
        target = self.governed_app_vertex
        network = target.context.network
        source = source_vertex.senders[partition_id]
        sending, cores = source_vertex.core_vertices(), target.core_vertices()
        reached = {}
        for node in target.nodes:
            for core, senders in layout.receivers(network, source,
                                                  partition_id,
                                                  node).items():
                reached.setdefault(core, set()).update(senders)
        return [(cores[core], [sending[c] for c in sorted(senders)])
                for core, senders in sorted(reached.items())]

    def get_in_coming_vertices(self, partition_id):
        return [vertex for vertex, _ in
                self.get_source_specific_in_coming_vertices(
                    self.governed_app_vertex, partition_id)]


class PopulationVertex(ApplicationVertex, LegacyPartitionerAPI):
    """A population with cores (and the population it hosts, if any):
    ``context`` is the mapping's (network, run shape, key lookup)."""

    def __init__(self, node, context):
        super().__init__(node.label,
                         max_atoms_per_core=max(b - a for a, b in node.slices),
                         splitter=PopulationSplitter())
        self.node = node
        self.context = context
        #: The populations its cores compute.
        self.nodes = list(dict.fromkeys((node, node.sent)))
        #: The population each partition it sends carries.
        self.senders = {partition: sender for partition, sender, _ in
                        layout.core_partitions(context.network, node)}
        self._core_vertices = []
        self._slices = {span: core for core, span in enumerate(node.slices)}

    @property
    def n_atoms(self) -> int:
        return self.node.size

    def core_of(self, vertex_slice) -> int:
        span = (vertex_slice.lo_atom, vertex_slice.hi_atom + 1)
        if span not in self._slices:
            raise AssertionError(f"PACMAN split {self.node.label!r} as "
                                 f"{span}, not as {self.node.slices}")
        return self._slices[span]

    def core_vertices(self) -> list:
        """Its CoreVertex of each core, in core order (once split)."""
        if len(self._core_vertices) != len(self.machine_vertices):
            self._core_vertices = sorted(self.machine_vertices,
                                         key=lambda v: v.core)
        return self._core_vertices

    def get_sdram_used_by_atoms(self, vertex_slice) -> ConstantSDRAM:
        sizes = self.node.layer.region_sizes(
            self.context.network, self.core_of(vertex_slice),
            self.context.shape)
        return ConstantSDRAM(APP_PTR_TABLE_BYTE_SIZE + sum(sizes.values()))

    def create_machine_vertex(self, vertex_slice, sdram, label=None):
        return CoreVertex(self, vertex_slice, self.core_of(vertex_slice),
                          sdram, label)


class CoreVertex(MachineVertex, AbstractGeneratesDataSpecification,
                 AbstractHasAssociatedBinary):
    """One core's slice of a population."""

    def __init__(self, population, vertex_slice, core, sdram, label):
        super().__init__(label, app_vertex=population,
                         vertex_slice=vertex_slice)
        self.core = core
        self._sdram = sdram

    @property
    def population(self) -> PopulationVertex:
        return self.app_vertex

    @property
    def sdram_required(self) -> ConstantSDRAM:
        return self._sdram

    def get_n_keys_for_partition(self, partition_id: str) -> int:
        population = self.population
        return layout.n_keys(population.context.network,
                             population.senders[partition_id], self.core,
                             partition_id)

    def get_binary_file_name(self) -> str:
        population = self.population
        return population.node.layer.binary + population.context.binary_suffix

    def get_binary_start_type(self) -> ExecutableType:
        return ExecutableType.SYNC

    def generate_data_specification(self, spec, placement) -> None:
        context = self.population.context
        node = self.population.node
        sizes = node.layer.region_sizes(context.network, self.core,
                                        context.shape)
        for region, size in sorted(sizes.items()):
            spec.reserve_memory_region(int(region), size, label=region.name)
        for region, content in (
                (Region.PARAMS, layout.params(context.network, node,
                                              self.core, context.keys)),
                (Region.KEYS, layout.key_table(context.network, node,
                                               self.core, context.keys)),
                (Region.RUN, context.run)):
            if content:
                spec.switch_write_focus(int(region))
                spec.write_array(np.frombuffer(content, dtype=np.uint32))
        spec.end_specification()
