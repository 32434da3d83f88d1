"""Cell types: what a population's neurons compute.

A population's value is ``activation(sum over incoming projections + bias)``;
:class:`Input` neurons take their values from the data instead.
"""


class CellType:
    """Base of the cell types; use one of its subclasses."""

    #: Name of the activation in the C models (None: an input).
    activation = None

    def __init__(self):
        if type(self) is CellType:
            raise TypeError("CellType is abstract: use Input, Linear, ReLU, "
                            "Sigmoid, Tanh or Softmax")

    def __repr__(self):
        return f"{type(self).__name__}()"

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))


class Input(CellType):
    """Neurons whose values are the samples of the data set."""


class Linear(CellType):
    """a = z."""

    activation = "linear"


class ReLU(CellType):
    """a = max(0, z)."""

    activation = "relu"


class Sigmoid(CellType):
    """a = 1 / (1 + exp(-z))."""

    activation = "sigmoid"


class Tanh(CellType):
    """a = tanh(z)."""

    activation = "tanh"


class Softmax(CellType):
    """a_i = exp(z_i) / sum_j exp(z_j) over the population; output only."""

    activation = "softmax"


CELL_TYPES = (Input, Linear, ReLU, Sigmoid, Tanh, Softmax)
