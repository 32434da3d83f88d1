"""The pooling kind (c_models/models/pool/): a band of output rows per
core, each output the largest or the mean of its window; no weights."""

from __future__ import annotations

from spinnpop.connectors import PoolingConnector
from spinnpop.errors import NetworkError
from spinnpop.hardware import dtcm_block
from spinnpop.layers.base import TrainedLayer
from spinnpop.layers.conv import window_dtcm
from spinnpop.mapping.regions import ProjectionType

_WINNER = 2          # a max-pooling winner's input place, uint16_t


class PoolLayer(TrainedLayer):
    """A population fed by exactly one pooling projection."""

    kind = "pool"
    takes = (PoolingConnector,)

    def __init__(self, node):
        super().__init__(node)
        if len(node.incoming) != 1:
            raise NetworkError(
                f"population {node.label!r} is fed by pooling and by "
                f"{len(node.incoming) - 1} other projection(s); a pooled "
                "population takes its pooling projection only")

    def _is_max(self) -> bool:
        return self.node.incoming[0].connector.operation == "max"

    def incoming_layout(self, edge, core: int) -> dict:
        connector = edge.connector
        return dict(type=int(ProjectionType.POOL_MAX if self._is_max()
                             else ProjectionType.POOL_AVERAGE),
                    padded=True, kernel_rows=connector.size[0],
                    kernel_cols=connector.size[1],
                    stride_rows=connector.strides[0],
                    stride_cols=connector.strides[1])

    def n_weights(self, core: int) -> int:
        return 0

    def kind_macs(self, core: int) -> tuple:
        # No weights: each input received is compared or added once.
        return self.n_inputs(core), 0

    def kind_dtcm(self, network, core: int) -> int:
        winners = (network.n_slots * self.node.core_size(core) * _WINNER
                   if self._is_max() else 0)
        return window_dtcm(self, core) + dtcm_block(winners)
