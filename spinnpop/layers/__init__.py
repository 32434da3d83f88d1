"""Layer kinds: what a population is on the machine. One class per kind
of C model (c_models/models/<kind>/), owning how the population is split,
what its cores' parameters and regions hold, the DTCM they take, and how
its weights are packed for the cores and read back; nothing else in
spinnpop branches on the kind."""

from __future__ import annotations

from spinnpop.connectors import ConvolutionConnector, PoolingConnector
from spinnpop.layers.conv import ConvLayer
from spinnpop.layers.dense import DenseLayer
from spinnpop.layers.input import InputLayer
from spinnpop.layers.pool import PoolLayer


def layer_for(node):
    """The layer kind of a graph node, checked against its projections:
    an Input; a pooling population; a convolution population; else a
    dense one."""
    if node.is_input:
        return InputLayer(node)
    connectors = [edge.connector for edge in node.incoming]
    if any(isinstance(c, PoolingConnector) for c in connectors):
        kind = PoolLayer
    elif any(isinstance(c, ConvolutionConnector) for c in connectors):
        kind = ConvLayer
    else:
        kind = DenseLayer
    return kind(node)


__all__ = ["layer_for", "InputLayer", "DenseLayer", "ConvLayer",
           "PoolLayer"]
