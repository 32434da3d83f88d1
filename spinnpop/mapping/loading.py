"""What each core is given before a run, and where its results are.

A dense core's weight region holds, for each incoming projection in turn,
its columns of W (n_pre rows of n_neurons), then its slice of the biases;
the momentum buffers have the same layout. Input cores get their columns
of the data, output cores theirs of the targets, and both the run's order.
"""

from __future__ import annotations

import numpy as np

from spinnpop.graph.network import Network
from spinnpop.mapping.mapped import MappedNetwork
from spinnpop.mapping.regions import Region


def core_writes(network: Network, mapped: MappedNetwork, run: bytes,
                weights: dict, biases: dict, velocities: dict,
                inputs: dict, targets: dict, order: np.ndarray) -> dict:
    """{core index: {region: data}} for a run.

    :param weights: (n_pre, n_post) float32 by projection.
    :param biases: (size,) float32 by population.
    :param velocities: momentum buffers keyed like ``weights`` and
        ``biases`` (missing: zero).
    :param inputs: (n_samples, size) float32 by input population.
    :param targets: (n_samples, size) float32 by output population.
    :param order: the data-set index of every step (uint32).
    """
    order = np.ascontiguousarray(order, dtype=np.uint32)
    writes = {}
    for index, core in enumerate(mapped.cores):
        node = network.nodes[core.population]
        columns = slice(core.start, core.stop)
        population = node.population
        data = {Region.RUN: run}
        if node.is_input:
            data[Region.DATA] = inputs[population][:, columns]
            data[Region.ORDER] = order
        else:
            data[Region.WEIGHTS] = _stack(node, columns, weights, biases)
            data[Region.VELOCITY] = _stack(node, columns, velocities,
                                           velocities)
            if node.is_output:
                data[Region.TARGETS] = targets[population][:, columns]
                data[Region.ORDER] = order
        writes[index] = {region: np.ascontiguousarray(value)
                         for region, value in data.items()}
    return writes


def _stack(node, columns: slice, by_projection: dict,
           by_population: dict) -> np.ndarray:
    n = columns.stop - columns.start
    parts = []
    for edge in node.incoming:
        matrix = by_projection.get(edge.projection)
        parts.append(np.zeros((edge.pre.size, n), np.float32)
                     if matrix is None else matrix[:, columns])
    bias = by_population.get(node.population)
    parts.append(np.zeros((1, n), np.float32) if bias is None
                 else bias[None, columns])
    return np.concatenate(parts, axis=0).astype(np.float32)


def unstack(network: Network, mapped: MappedNetwork, region_of) -> tuple:
    """The inverse of the weight layout: ({projection: (n_pre, n_post)},
    {population: (size,)}) from ``region_of(core index)`` (float32)."""
    matrices, biases = {}, {}
    for index, core in enumerate(mapped.cores):
        node = network.nodes[core.population]
        if node.is_input:
            continue
        n = core.stop - core.start
        values = region_of(index).reshape(-1, n)
        row = 0
        for edge in node.incoming:
            matrix = matrices.setdefault(
                edge.projection, np.zeros((edge.pre.size, edge.post.size),
                                          np.float32))
            matrix[:, core.start:core.stop] = values[row:row + edge.pre.size]
            row += edge.pre.size
        bias = biases.setdefault(node.population,
                                 np.zeros(node.size, np.float32))
        bias[core.start:core.stop] = values[row]
    return matrices, biases
