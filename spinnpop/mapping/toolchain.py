"""Running a network through the real SpiNNaker tool chain, whatever the
machine: the Graph Front End and PACMAN split, place, route and allocate
keys; SpiNNFrontEndCommon writes each core's data specification (its
parameters, key table and the run's settings) into SDRAM, writes the
routing tables, floods the binaries, starts the cores and waits for them;
all through a transceiver, a board's or the emulator's (spinnpop.backends
says which). The data of a run (samples, weights, targets) is written
through the same transceiver just after the data specifications, and the
results are read back through it before the tools stop.

spinnpop layers its own settings over the tools' defaults (and, for a
board, under the user's ``~/.spiNNakerGraphFrontEnd.cfg``); the tools'
reports go to a folder of spinnpop's for the run, on tmpfs where there
is one, removed after it; their progress bars and INFO logging stay off
the user's terminal. The SIGINT handler, ``sys.excepthook`` and warning
filters are put back as they were, and the tools are left nothing to
write as Python exits.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import shutil
import signal
import sys
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np
import spinnaker_graph_front_end.config_setup as gfe_config
from pacman.exceptions import PacmanException
from pacman.model.graphs.application import ApplicationEdge
from spinn_front_end_common.data import FecDataView
from spinn_front_end_common.data.fec_data_writer import FecDataWriter
from spinn_front_end_common.interface.abstract_spinnaker_base import (
    AbstractSpinnakerBase)
from spinn_front_end_common.interface.config_setup import add_spinnaker_cfg
from spinn_utilities.config_holder import (add_default_cfg, clear_cfg_files,
                                           set_cfg_files, set_config)
from spinn_utilities.data.utils_data_writer import UtilsDataWriter
from spinn_utilities.log import FormatAdapter

from spinnpop.backends import running
from spinnpop.errors import MappingError, ResourceError
from spinnpop.graph.network import Network
from spinnpop.hardware import SDRAM_PER_CHIP_FOR_APPLICATIONS
from spinnpop.mapping import layout
from spinnpop.mapping.mapped import MappedCore, MappedNetwork, Traffic
from spinnpop.mapping.regions import RUN_PARAMS
from spinnpop.mapping.vertices import CoreVertex, PopulationVertex

_TOOL_LOGGERS = ("spinn_utilities", "spinn_machine", "spinnman", "pacman",
                 "spinn_front_end_common", "spinnaker_graph_front_end",
                 "spalloc")
_MIB = 1024 * 1024
#: spinnpop's defaults over the tools', for every backend (a backend's
#: own come after, then the user's files, then what setup was given).
_CONFIG = """\
[Machine]
virtual_board = False
version = 5
[Mapping]
compressor = PairCompressor
[Buffers]
use_auto_pause_and_resume = False
[Mode]
mode = Production
[Logging]
instantiate = False
[Reports]
default_report_file_path = {reports}
display_algorithm_timings = False
max_reports_kept = 2
"""


def _work_dir() -> str:
    """A new folder for one run's tool-chain configuration and reports;
    on tmpfs where there is one, as the tools commit to SQLite databases
    there at every step."""
    shm = "/dev/shm"
    fast = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    return tempfile.mkdtemp(prefix="spinnpop-", dir=fast)


@dataclass
class MappingContext:
    """What the vertices consult while the tools run: the network, the
    run's sizes and settings (``run``: the run region), the vertices, and
    how binaries are named on this machine."""

    network: Network
    shape: layout.RunShape
    run: bytes
    binary_suffix: str
    vertices: dict      # Node -> PopulationVertex

    def keys(self, node, core, partition: str) -> tuple:
        """(key, mask) of a core's partition, or of the whole population's
        with core None."""
        vertex = self.vertices[node.host or node]
        if core is not None:
            vertex = vertex.core_vertices()[core]
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
    """The tool chain's simulator object with the backend's configuration
    over its defaults, calling ``after_load`` once the data specifications
    are in SDRAM (before the routes and binaries go), and ``run`` in place
    of its own application runner (which waits without bound and knows
    nothing of spinnpop's progress)."""

    def __init__(self, backend, config_files: list, after_load, run):
        clear_cfg_files(False)
        add_spinnaker_cfg()
        # The user's files are read as defaults: the tools' own search
        # writes a template into the home folder when it finds none.
        set_cfg_files(config_file=None, default=os.path.join(
            os.path.dirname(gfe_config.__file__), gfe_config.CONFIG_FILE_NAME))
        for config_file in config_files:
            add_default_cfg(config_file)
        for user_file in backend.config_files():
            add_default_cfg(user_file)
        FecDataWriter.mock()
        super().__init__()
        for (section, option), value in backend.settings().items():
            set_config(section, option, value)
        self._data_writer.set_n_required(backend.n_boards, None)
        self._data_writer.set_up_timings(None, None, 1)
        self._after_load = after_load
        self._run_loaded = run

    def _do_extra_load_algorithms(self):
        self._after_load()

    def _execute_runner(self, n_sync_steps, run_time):
        self._run_loaded()


@contextlib.contextmanager
def _contained():
    """Keeps the tools' progress bars and logging to themselves, and the
    process's SIGINT handler, excepthook and warning filters as they were;
    afterwards the tools have nothing left to write as Python exits (their
    log store and "errored" marker would recreate the run's folder)."""
    levels = {}
    for name in _TOOL_LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        logger.setLevel(logging.ERROR)
    handlers = signal.getsignal(signal.SIGINT), sys.excepthook
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured), warnings.catch_warnings():
            yield captured
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        signal.signal(signal.SIGINT, handlers[0])
        sys.excepthook = handlers[1]
        FormatAdapter.set_log_store(None)
        atexit.unregister(UtilsDataWriter.write_errored_file)


def check_sdram(network: Network, shape: layout.RunShape) -> None:
    """ResourceError if one core's regions cannot fit a chip's SDRAM."""
    for node in network.placed:
        for core in range(node.n_cores):
            sizes = node.layer.region_sizes(network, core, shape)
            total = sum(sizes.values())
            if total > SDRAM_PER_CHIP_FOR_APPLICATIONS:
                biggest = max(sizes, key=sizes.get)
                raise ResourceError(
                    f"population {node.label!r} core {core} needs "
                    f"{total / _MIB:.1f} MiB of SDRAM (its {biggest.name} "
                    f"region {sizes[biggest] / _MIB:.1f} MiB), more than a "
                    f"chip's {SDRAM_PER_CHIP_FOR_APPLICATIONS / _MIB:.1f} "
                    "MiB; give it fewer neurons per core")


def run_network(network: Network, shape: layout.RunShape, run: bytes,
                backend, data, reads, watch=None):
    """Maps, loads, runs and reads back one run of ``network`` on the
    backend's machine.

    :param run: the run region (layout.run_params).
    :param data: a loading.RunData, written into each core's regions.
    :param reads: ``reads(node)``: the regions to read back from each of
        a population's cores.
    :param watch: called as ``watch(mapped)`` once the network is mapped;
        may return a callback that is called now and then during the run
        as ``look(read)``, ``read(core index, region[, offset, length])``
        returning a region's bytes.
    :return: (RawRun, MappedNetwork).
    """
    check_sdram(network, shape)
    backend.check(network)
    context = MappingContext(network, shape, run, backend.binary_suffix, {})
    result = {}

    def after_load():
        context.check_key_blocks(network)
        mapped = _extract(network, context)
        loaded = running.LoadedNetwork(mapped)
        _upload(network, loaded, data)
        backend.loaded(mapped)
        result["loaded"] = loaded

    def run_loaded():
        loaded = result["loaded"]
        mapped = loaded.mapped
        look = None if watch is None else watch(mapped)
        # Ctrl-C: the input cores start no more batches, and the run ends
        # at the batch end; again: at once. The tools would answer a
        # KeyboardInterrupt here with sys.exit, so it is raised after them.
        try:
            try:
                state = running.run(loaded, backend, look)
            except KeyboardInterrupt:
                state = running.stop_at_batch_end(
                    loaded, backend, look,
                    [index for index, core in enumerate(mapped.cores)
                     if network.nodes[core.population].is_input],
                    RUN_PARAMS.unpack(run)[0], network.n_slots)
        except KeyboardInterrupt:
            result["interrupted"] = True
            return
        result["raw"] = running.read_back(loaded, backend, state, {
            index: reads(network.nodes[core.population])
            for index, core in enumerate(mapped.cores)})

    work = _work_dir()
    config_files = []
    for name, text in (("spinnpop.cfg", _CONFIG.format(
            reports=os.path.join(work, "reports"))),
            (f"spinnpop-{backend.name}.cfg", backend.config_defaults)):
        config_files.append(os.path.join(work, name))
        with open(config_files[-1], "w", encoding="utf-8") as out:
            out.write(text)
    with _contained() as captured:
        tools = None
        try:
            tools = _ToolChain(backend, config_files, after_load, run_loaded)
            _add_graph(network, context)
            backend.prepare(tools)
            _check_machine(tools, network, backend.n_boards)
            tools.run_until_complete()
            if result.get("interrupted"):
                raise KeyboardInterrupt
            if "raw" not in result:
                raise MappingError("the tool chain stopped before the run:\n"
                                   f"{captured.getvalue()[-2000:]}")
            return result["raw"], result["loaded"].mapped
        except PacmanException as error:
            raise _placement_error(error, network) from None
        except (ResourceError, MappingError):
            raise
        except Exception as error:
            raise backend.error(error, captured.getvalue()) from error
        finally:
            if tools is not None:
                with contextlib.suppress(Exception):
                    tools.stop()
            backend.release()
            shutil.rmtree(work, ignore_errors=True)


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
    """The placements and keys the tools chose, as plain data."""
    index = {node: i for i, node in enumerate(network.nodes)}
    placed = sorted((p for p in FecDataView.iterate_placemements()
                     if isinstance(p.vertex, CoreVertex)),  # not monitors
                    key=lambda p: (index[p.vertex.population.node],
                                   p.vertex.core))
    cores, traffic, sends = [], [], {}
    for sender, placement in enumerate(placed):
        node, core = placement.vertex.population.node, placement.vertex.core
        start, stop = node.slices[core]
        cores.append(MappedCore(
            placement.x, placement.y, placement.p, index[node], core,
            start, stop, node.layer.binary,
            node.layer.region_sizes(network, core, context.shape)))
        if node not in sends:
            sends[node] = [
                (partition, source, Traffic.of(partition),
                 set(layout.sending_cores(network, source, partition)))
                for partition, source, _ in layout.core_partitions(network,
                                                                   node)]
        for partition, source, kind, sending in sends[node]:
            if core in sending:
                key, mask = context.keys(source, core, partition)
                traffic.append((key, mask, kind, sender))
    return MappedNetwork(cores=cores, traffic=sorted(set(traffic)))


def _upload(network: Network, loaded: running.LoadedNetwork,
            data) -> None:
    """Writes the run's data into the regions the data specifications
    reserved, through the transceiver."""
    for index, core in enumerate(loaded.mapped.cores):
        layer = network.nodes[core.population].layer
        for region, values in layer.writes(core.core, data).items():
            loaded.write(index, region,
                         np.ascontiguousarray(values).tobytes())
