"""Mapping with the real SpiNNaker tool chain: the Graph Front End and
PACMAN split, place, route and allocate keys on a virtual machine, and the
data specifications are written; the result is copied out as plain data
(:class:`MappedNetwork`) before the tool chain's session closes.

The tools are configured here, not from the user's files: the emulator
always maps onto a virtual SpiNN-5 machine, so spinnpop layers its own
defaults over the tools' and reads no ``~/.spiNNakerGraphFrontEnd.cfg``
(whose absence the tools would otherwise treat as an error, creating one).
Their progress bars and INFO logging are kept off the user's terminal.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sqlite3
from dataclasses import dataclass

import spinnaker_graph_front_end.config_setup as gfe_config
from pacman.exceptions import PacmanException
from pacman.model.graphs.application import ApplicationEdge
from spinn_front_end_common.data import FecDataView
from spinn_front_end_common.data.fec_data_writer import FecDataWriter
from spinn_front_end_common.interface.abstract_spinnaker_base import (
    AbstractSpinnakerBase)
from spinn_front_end_common.interface.config_setup import add_spinnaker_cfg
from spinn_utilities.config_holder import (add_default_cfg, clear_cfg_files,
                                           set_cfg_files)

from spinnpop.errors import MappingError, ResourceError
from spinnpop.graph.network import Network
from spinnpop.mapping import layout
from spinnpop.mapping.mapped import (MappedCore, MappedNetwork, Traffic,
                                     route_word, routes_array)
from spinnpop.mapping.vertices import CoreVertex, PopulationVertex

_TOOL_LOGGERS = ("spinn_utilities", "spinn_machine", "spinnman", "pacman",
                 "spinn_front_end_common", "spinnaker_graph_front_end",
                 "spalloc")
_CONFIG = """\
[Machine]
virtual_board = True
version = 5
[Mode]
mode = Production
[Logging]
instantiate = False
[Reports]
default_report_file_path = {reports}
display_algorithm_timings = False
max_reports_kept = 2
"""


@dataclass
class MappingContext:
    """What the vertices consult while the tools run."""

    network: Network
    shape: layout.RunShape
    vertices: dict      # Node -> PopulationVertex

    def keys(self, node, core, partition: str) -> tuple:
        """(key, mask) of a core's partition, or of the whole population's
        with core None."""
        vertex = self.vertices[node.host or node]
        if core is not None:
            vertex = next(v for v in vertex.machine_vertices
                          if v.core == core)
        info = FecDataView.get_routing_infos().get_info_from(vertex,
                                                             partition)
        return info.key, info.mask

    def check_key_blocks(self, network: Network) -> None:
        """Key-table entries for a whole population's partition assume
        each core's keys are the population's base key plus the core's
        number above its own bits; PACMAN's zoned allocation does that
        when every core sends, and this makes sure."""
        for node in network.placed:
            for partition, sender, _ in layout.core_partitions(network,
                                                               node):
                sending = layout.sending_cores(network, sender, partition)
                if len(sending) < node.n_cores:
                    continue
                base = self.keys(sender, None, partition)[0]
                for core in sending:
                    key, mask = self.keys(sender, core, partition)
                    shift = (~mask & 0xFFFFFFFF).bit_length()
                    if key != base | core << shift:
                        raise MappingError(
                            f"PACMAN gave core {core} of {sender.label!r} key "
                            f"{key:#x} in {partition!r}, not the expected "
                            f"{base | core << shift:#x}")


class _ToolChain(AbstractSpinnakerBase):
    """The tool chain's simulator object with spinnpop's configuration
    instead of the user's."""

    def __init__(self, config_file: str, n_boards: int):
        clear_cfg_files(False)
        add_spinnaker_cfg()
        set_cfg_files(config_file=None, default=os.path.join(
            os.path.dirname(gfe_config.__file__), gfe_config.CONFIG_FILE_NAME))
        add_default_cfg(config_file)
        FecDataWriter.mock()
        super().__init__()
        self._data_writer.set_n_required(n_boards, None)
        self._data_writer.set_up_timings(None, None, 1)


@contextlib.contextmanager
def _quiet():
    """Keeps the tools' progress bars and logging to themselves."""
    levels = {}
    for name in _TOOL_LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        logger.setLevel(logging.ERROR)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            yield captured
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def map_network(network: Network, shape: layout.RunShape, n_boards: int,
                work_dir: str) -> MappedNetwork:
    """Maps ``network`` for a run of ``shape`` on ``n_boards`` virtual
    SpiNN-5 boards; ``work_dir`` takes the tools' reports."""
    config_file = os.path.join(work_dir, "spinnpop.cfg")
    if not os.path.exists(config_file):
        with open(config_file, "w", encoding="utf-8") as out:
            out.write(_CONFIG.format(reports=os.path.join(work_dir,
                                                          "reports")))
    with _quiet() as captured:
        tools = _ToolChain(config_file, n_boards)
        try:
            context = MappingContext(network, shape, {})
            _add_graph(network, context)
            _check_machine(tools, network, n_boards)
            try:
                tools.run(1)
            except PacmanException as error:
                raise _placement_error(error, network) from None
            context.check_key_blocks(network)
            return _extract(network, context)
        except (ResourceError, MappingError):
            raise
        except Exception as error:
            raise MappingError(
                f"the SpiNNaker tool chain failed to map the network: "
                f"{error}\n{captured.getvalue()[-2000:]}") from error
        finally:
            with contextlib.suppress(Exception):
                tools.stop()


def _add_graph(network: Network, context: MappingContext) -> None:
    for node in network.placed:
        vertex = PopulationVertex(node, context)
        context.vertices[node] = vertex
        FecDataView.add_vertex(vertex)
    for node in network.placed:
        for partition, _, targets in layout.core_partitions(network, node):
            for target in dict.fromkeys(t.host or t for t in targets):
                FecDataView.add_edge(ApplicationEdge(
                    context.vertices[node], context.vertices[target]),
                    partition)


def _check_machine(tools: _ToolChain, network: Network,
                   n_boards: int) -> None:
    available = tools.get_number_of_available_cores_on_machine
    if network.n_cores > available:
        raise ResourceError(
            f"the network needs {network.n_cores} cores, more than the "
            f"{available} of a {n_boards}-board machine; use larger "
            "neurons_per_core, or setup(n_boards=...) for a bigger machine")


def _placement_error(error: Exception, network: Network) -> Exception:
    return ResourceError(
        f"the network does not fit the machine ({network.n_cores} cores): "
        f"{error}. Use fewer or larger cores (neurons_per_core), less data "
        "per run, or setup(n_boards=...) for a bigger machine")


def _extract(network: Network, context: MappingContext) -> MappedNetwork:
    machine = FecDataView.get_machine()
    routes = {(chip.x, chip.y): [] for chip in machine.chips}
    for table in FecDataView.get_uncompressed().routing_tables:
        routes[(table.x, table.y)] = [
            (entry.key, entry.mask,
             route_word(entry.processor_ids, entry.link_ids))
            for entry in table.multicast_routing_entries]
    contents = {}
    with sqlite3.connect(FecDataView.get_ds_database_path()) as db:
        for x, y, p, region, size, content in db.execute(
                "SELECT x, y, p, region_num, size, content FROM region"):
            contents.setdefault((x, y, p), {})[region] = (size, content)
    index = {node: i for i, node in enumerate(network.nodes)}
    placed = sorted((p for p in FecDataView.iterate_placemements()
                     if isinstance(p.vertex, CoreVertex)),  # not monitors
                    key=lambda p: (index[p.vertex.population.node],
                                   p.vertex.core))
    cores, traffic = [], []
    for sender, placement in enumerate(placed):
        node, core = placement.vertex.population.node, placement.vertex.core
        start, stop = node.slices[core]
        cores.append(MappedCore(
            placement.x, placement.y, placement.p, index[node], core,
            start, stop, node.layer.binary,
            contents.get((placement.x, placement.y, placement.p), {})))
        for partition, source, _ in layout.core_partitions(network, node):
            if core in layout.sending_cores(network, source, partition):
                key, mask = context.keys(source, core, partition)
                traffic.append((key, mask, Traffic.of(partition), sender))
    return MappedNetwork(
        width=machine.width, height=machine.height,
        sdram_per_chip=machine.get_chip_at(0, 0).sdram,
        routes={xy: routes_array(entries) for xy, entries in routes.items()},
        cores=cores, traffic=sorted(set(traffic)))
