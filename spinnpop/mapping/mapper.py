"""Mapping networks for runs, and remembering the recent mappings: a
mapping depends only on the network's structure and the run's sizes, so a
second run of the same shape (the next evaluation, say) reuses it."""

from __future__ import annotations

import atexit
import collections
import shutil
import tempfile

from spinnpop.errors import ResourceError
from spinnpop.graph.network import Network
from spinnpop.hardware import SDRAM_PER_CHIP_FOR_APPLICATIONS
from spinnpop.mapping import layout
from spinnpop.mapping.gfe import map_network
from spinnpop.mapping.mapped import MappedNetwork

_KEPT = 4
_MIB = 1024 * 1024
_work_dir = None


def work_dir() -> str:
    """A folder for the tool chain's reports, for the whole process: the
    tools still write to their last one as Python exits, so it goes only
    after them."""
    global _work_dir
    if _work_dir is None:
        _work_dir = tempfile.mkdtemp(prefix="spinnpop-")
        atexit.register(shutil.rmtree, _work_dir, ignore_errors=True)
    return _work_dir


class Mapper:
    """Maps with the tool chain onto ``n_boards`` virtual boards."""

    def __init__(self, n_boards: int):
        self.n_boards = n_boards
        self._cache = collections.OrderedDict()

    def map(self, network: Network, shape: layout.RunShape) -> MappedNetwork:
        key = (network.signature(), shape)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        check_sdram(network, shape)
        mapped = map_network(network, shape, self.n_boards, work_dir())
        self._cache[key] = mapped
        if len(self._cache) > _KEPT:
            self._cache.popitem(last=False)
        return mapped

    def close(self) -> None:
        self._cache.clear()


def check_sdram(network: Network, shape: layout.RunShape) -> None:
    """ResourceError if one core's regions cannot fit a chip's SDRAM."""
    for node in network.nodes:
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
