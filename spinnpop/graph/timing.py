"""How long a split network would take per training sample on SpiNNaker 1,
estimated before anything runs, so that the default split can be the
fastest one (graph.network) rather than the one packing most neurons.

A core's cycles per sample are its work (``Layer.work_per_sample``: packets
in and out, multiply-accumulates, neurons) priced by the calibration table
of its model (cost_model.table), as the emulator prices what it counts.
Samples pipeline through the cores, ``n_slots`` at a time, each slot
taken again only once its sample has gone forward and back through every
population: so the time per sample is the busiest core's, or a pass through
every population (the sum of their busiest cores) shared by the slots,
whichever is longer. That follows the emulator's clock on dense networks
split many ways (within 15 %; tests/test_timing.py). Batch ends are
left out: their update, once per batch, is the same work however a
population is split.
"""

from __future__ import annotations

import numpy as np

from spinnpop.backends.emulator.engine import COST_FEATURES
from spinnpop.cost_model.table import cost_coefficients

#: A split that spreads a population further must be at least this much
#: faster (relative): below it, the extra cores, chips and energy do not
#: pay.
PAYS = 0.02


def core_cycles(network, node, core: int) -> float:
    """Estimated ARM cycles per sample of one core of ``node``."""
    layer = node.layer
    work = layer.work_per_sample(network, core)
    prices = cost_coefficients(layer.binary,
                               layer.weights_in_sdram(network, core))
    units = np.zeros(len(COST_FEATURES))
    for name, count in work.items():
        units[COST_FEATURES.index(name)] = count
    return float(prices @ units)


def cycles_per_sample(network) -> float:
    """Estimated ARM cycles per training sample of the network as split."""
    busiest = [max(core_cycles(network, node, c) for c in range(node.n_cores))
               for node in network.placed]
    return max(max(busiest), sum(busiest) / network.n_slots)
