"""The dense kind (c_models/models/dense/): all-to-all projections, each
core holding the weights from every pre neuron to its own neurons, plus
one-to-one shortcuts.

A core's weight region: W of each dense projection in turn, its columns
for the core's neurons (n_pre rows of n_neurons), then the core's biases.
"""

from __future__ import annotations

import numpy as np

from spinnpop.connectors import AllToAllConnector, OneToOneConnector
from spinnpop.errors import NetworkError
from spinnpop.layers.base import MAX_INPUT_SPACE, TrainedLayer
from spinnpop.mapping.regions import ProjectionType


class DenseLayer(TrainedLayer):
    """A population split into any number of neurons per core."""

    kind = "dense"
    takes = (AllToAllConnector, OneToOneConnector)
    softmax = True

    def __init__(self, node):
        super().__init__(node)
        fan_in = sum(edge.pre.size for edge in node.incoming)
        if fan_in > MAX_INPUT_SPACE:
            raise NetworkError(
                f"population {node.label!r} has {fan_in} inputs; a core "
                f"takes at most {MAX_INPUT_SPACE}")

    def _dense(self) -> list:
        return [e for e in self.node.incoming
                if isinstance(e.connector, AllToAllConnector)]

    def incoming_layout(self, edge, core: int) -> dict:
        if isinstance(edge.connector, OneToOneConnector):
            return dict(type=int(ProjectionType.IDENTITY))
        n, offset = self.node.core_size(core), 0
        for other in self._dense():
            if other is edge:
                break
            offset += other.pre.size * n
        return dict(type=int(ProjectionType.DENSE), weight_offset=offset)

    def n_weights(self, core: int) -> int:
        return ((sum(e.pre.size for e in self._dense()) + 1)
                * self.node.core_size(core))

    def kind_macs(self, core: int) -> tuple:
        n, dense = self.node.core_size(core), self._dense()
        shortcuts = len(self.node.incoming) - len(dense)
        return ((sum(e.pre.size for e in dense) + shortcuts) * n,
                sum(e.pre.size for e in dense if e.trained) * n)

    def pack_weights(self, core, weights, biases) -> np.ndarray:
        start, stop = self.node.slices[core]
        parts = []
        for edge in self._dense():
            matrix = weights.get(edge.projection)
            parts.append(np.zeros((edge.pre.size, stop - start), np.float32)
                         if matrix is None else matrix[:, start:stop])
        bias = biases.get(self.node.population)
        parts.append(np.zeros((1, stop - start), np.float32) if bias is None
                     else bias[None, start:stop])
        return np.concatenate(parts, axis=0).astype(np.float32)

    def unpack_weights(self, values, weights, biases) -> None:
        node = self.node
        for core, region in enumerate(values):
            start, stop = node.slices[core]
            rows = region.reshape(-1, stop - start)
            row = 0
            for edge in self._dense():
                matrix = weights.setdefault(edge.projection, np.zeros(
                    (edge.pre.size, node.size), np.float32))
                matrix[:, start:stop] = rows[row:row + edge.pre.size]
                row += edge.pre.size
            bias = biases.setdefault(node.population,
                                     np.zeros(node.size, np.float32))
            bias[start:stop] = rows[row]
