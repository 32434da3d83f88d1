"""The arrays of a run, and the weights read back after it; each
population's layer kind packs and unpacks its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinnpop.mapping.mapped import MappedNetwork


@dataclass
class RunData:
    """The arrays of a run.

    :param weights: float32 by projection, in their user-facing shapes.
    :param biases: float32 by population.
    :param velocities: momentum buffers (Adam: first moments) keyed like
        ``weights`` and ``biases`` (missing: zero).
    :param inputs: (n_samples, size) float32 by input population.
    :param targets: (n_samples, size) float32 by output population.
    :param order: the data-set index of every step (uint32).
    :param squares: Adam's and RMSprop's second moments, keyed the same;
        None for an optimizer without them.
    """

    weights: dict
    biases: dict
    velocities: dict
    inputs: dict
    targets: dict
    order: np.ndarray
    squares: dict | None = None


def unstack(network, mapped: MappedNetwork, region_of) -> tuple:
    """({projection: weights}, {population: bias}) from the weight-shaped
    region of every core of the populations that have weights,
    ``region_of(core index)`` (float32)."""
    weights, biases = {}, {}
    for node in network.nodes:
        cores = mapped.core_indices(node.population.index)
        if node.is_input or not node.layer.n_weights(0):
            continue
        node.layer.unpack_weights([region_of(i) for i in cores], weights,
                                  biases)
    return weights, biases
