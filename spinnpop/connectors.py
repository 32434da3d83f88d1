"""Connectors: which pre neurons reach which post neurons."""


class AllToAllConnector:
    """Every pre neuron to every post neuron: a dense (fully connected)
    layer, with a weight matrix of shape (n_pre, n_post)."""

    def __repr__(self):
        return "AllToAllConnector()"


CONNECTORS = (AllToAllConnector,)
