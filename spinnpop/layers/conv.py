"""The convolution kind (c_models/models/conv/): a band of output rows per
core, every column and channel of them, applying each kernel to
activations as they arrive; plus one-to-one shortcuts.

Every core holds the whole weight region: each convolution's kernel in
turn, (kh, kw, c_in, c_out) as Keras lays it out, then one bias per output
channel. Their gradients are summed over the cores at batch ends, so the
weights stay identical everywhere.

When the convolution's only consumer is plain pooling (a Linear
population) whose windows do not overlap, its cores pool their own bands
(which then start on window boundaries) and send the pooled values: the
pooled population has no cores of its own.
"""

from __future__ import annotations

import math

import numpy as np

from spinnpop.cells import Linear
from spinnpop.connectors import (ConvolutionConnector, OneToOneConnector,
                                 PoolingConnector)
from spinnpop.errors import RunError
from spinnpop.hardware import dtcm_block
from spinnpop.layers.base import TrainedLayer
from spinnpop.mapping.regions import CONV_PARAMS, ProjectionType

_WINDOW = 28         # window_t
_TAP = 6             # tap_t
_WORD = 4
_WINNER = 2          # a max-pooling winner's place, uint16_t


def window_dtcm(layer, core: int) -> int:
    """What window.c takes for a core's window projections: a window_t per
    incoming projection and the taps of each received row and column."""
    taps = sum(r["halo_rows"] + r["pre_width"] for r in layer.incoming(core)
               if r["type"] != ProjectionType.IDENTITY)
    return (dtcm_block(len(layer.node.incoming) * _WINDOW)
            + dtcm_block(taps * _TAP))


class ConvLayer(TrainedLayer):
    """A population split into bands of whole rows."""

    kind = "conv"
    takes = (ConvolutionConnector, OneToOneConnector)
    shares_weights = True

    def can_host(self):
        """Its pooled population, if the cores can pool: plain pooling
        (a Linear, hidden population) of windows that do not overlap, its
        only consumer; not if the pooled population was given its own
        neurons_per_core, or this one's allows no whole window of rows."""
        node = self.node
        if len(node.outgoing) != 1:
            return None
        edge = node.outgoing[0]
        pooled, connector = edge.post, edge.connector
        cap = node.population.neurons_per_core
        if (isinstance(connector, PoolingConnector)
                and len(pooled.incoming) == 1 and pooled.outgoing
                and isinstance(pooled.population.celltype, Linear)
                and connector.strides == connector.size
                and pooled.population.neurons_per_core is None
                and (cap is None
                     or cap >= node.row_size * connector.strides[0])):
            return pooled
        return None

    @property
    def _pooling(self):
        return (None if self.node.hosted is None
                else self.node.outgoing[0].connector)

    @property
    def row_step(self) -> int:
        pooling = self._pooling
        return 1 if pooling is None else pooling.strides[0]

    def hosted_slices(self) -> list:
        """The pooled rows under each band (a band starts on a window)."""
        pooled, step = self.node.hosted, self.row_step
        rows = pooled.grid[0]
        return [(min(a // step, rows) * pooled.row_size,
                 min(b // step, rows) * pooled.row_size)
                for a, b in (self.node.rows(c)
                             for c in range(self.node.n_cores))]

    def kind_params(self, core: int) -> bytes:
        pooling = self._pooling
        if pooling is None:
            return CONV_PARAMS.pack(dict(pool=0, pool_rows=1, pool_cols=1,
                                         pooled_rows=0, pooled_width=0))
        pooled = self.node.hosted
        first, stop = pooled.rows(core)
        return CONV_PARAMS.pack(dict(
            pool=int(ProjectionType.POOL_MAX if pooling.operation == "max"
                     else ProjectionType.POOL_AVERAGE),
            pool_rows=pooling.size[0], pool_cols=pooling.size[1],
            pooled_rows=stop - first, pooled_width=pooled.grid[1]))

    def _convolutions(self) -> list:
        return [e for e in self.node.incoming
                if isinstance(e.connector, ConvolutionConnector)]

    @staticmethod
    def _kernel_shape(edge) -> tuple:
        return edge.connector.weight_shape(edge.pre.population,
                                           edge.post.population)

    def incoming_layout(self, edge, core: int) -> dict:
        connector = edge.connector
        if isinstance(connector, OneToOneConnector):
            return dict(type=int(ProjectionType.IDENTITY))
        offset = 0
        for other in self._convolutions():
            if other is edge:
                break
            offset += math.prod(self._kernel_shape(other))
        top, left = connector.pads(edge.pre.grid)
        return dict(type=int(ProjectionType.CONV), padded=True,
                    weight_offset=offset, kernel_rows=connector.size[0],
                    kernel_cols=connector.size[1],
                    stride_rows=connector.strides[0],
                    stride_cols=connector.strides[1],
                    pad_top=top, pad_left=left)

    def n_weights(self, core: int) -> int:
        return (sum(math.prod(self._kernel_shape(e))
                    for e in self._convolutions()) + self.node.grid[2])

    def kind_macs(self, core: int) -> tuple:
        n, forward, backward = self.node.core_size(core), 0, 0
        for edge in self.node.incoming:
            # A kernel's taps per output neuron (fewer at padded edges).
            taps = (math.prod(self._kernel_shape(edge)[:3])
                    if isinstance(edge.connector, ConvolutionConnector)
                    else 1)
            forward += taps * n
            backward += taps * n if edge.trained else 0
        return forward, backward

    def kind_dtcm(self, network, core: int) -> int:
        pooling, slots = self._pooling, network.n_slots
        if pooling is None:
            return window_dtcm(self, core)
        pooled = self.node.hosted.core_size(core)
        winners = pooled * _WINNER if pooling.operation == "max" else 0
        return (window_dtcm(self, core)
                + dtcm_block(slots * pooled * _WORD)
                + dtcm_block(slots * winners))

    def pack_weights(self, core, weights, biases) -> np.ndarray:
        parts = []
        for edge in self._convolutions():
            kernel = weights.get(edge.projection)
            parts.append(np.zeros(math.prod(self._kernel_shape(edge)),
                                  np.float32)
                         if kernel is None else kernel.ravel())
        bias = biases.get(self.node.population)
        parts.append(np.zeros(self.node.grid[2], np.float32) if bias is None
                     else bias)
        return np.concatenate(parts).astype(np.float32)

    def unpack_weights(self, values, weights, biases) -> None:
        first = values[0]
        for core, region in enumerate(values[1:], start=1):
            if region.tobytes() != first.tobytes():
                raise RunError(
                    f"the weights of population {self.node.label!r} differ "
                    f"between its cores 0 and {core} after the run; they "
                    "must stay identical")
        offset = 0
        for edge in self._convolutions():
            shape = self._kernel_shape(edge)
            size = math.prod(shape)
            weights[edge.projection] = first[offset:offset + size].reshape(
                shape).copy()
            offset += size
        biases[self.node.population] = first[offset:].copy()
