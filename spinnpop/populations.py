"""Populations: layers of neurons, packed many to a core."""

from __future__ import annotations

import math
import numbers

import numpy as np

from spinnpop.cells import CELL_TYPES, CellType, Input
from spinnpop.connectors import (ConvolutionConnector, PoolingConnector,
                                 grid)
from spinnpop.control import (check_neurons_per_core, check_same_session,
                              current_state)
from spinnpop.errors import ConfigurationError, NetworkError
from spinnpop.hardware import check_fits_machine
from spinnpop.validation import float_array


class Population:
    """A layer of ``size`` neurons of one cell type.

    :param size: the number of neurons, or a shape such as (height, width,
        channels) whose product it is (Keras' channels-last order).
    :param cellclass: the cell type, e.g. ``spinnpop.ReLU()``.
    :param label: a name for messages and reports.
    :param neurons_per_core: the most neurons one core holds (default: the
        cell type's setting, else the split of the least estimated time per
        training sample on SpiNNaker 1 that fits the cores' memory).
    """

    def __init__(self, size, cellclass, label: str | None = None,
                 neurons_per_core: int | None = None):
        state = current_state()
        self._state = state
        self.shape = _shape(size)
        self.size = math.prod(self.shape)
        if isinstance(cellclass, type) and issubclass(cellclass, CellType) \
                and cellclass is not CellType:
            cellclass = cellclass()
        if not isinstance(cellclass, CellType) or type(cellclass) is CellType:
            names = ", ".join(c.__name__ for c in CELL_TYPES)
            raise ConfigurationError(
                f"expected a cell type ({names}) for `cellclass`; "
                f"received: {cellclass!r}")
        check_fits_machine(self.size, f"a population of {self.size:,} "
                           "neurons", state.backend.n_boards)
        self.celltype = cellclass
        labels = {p.label for p in state.populations}
        if label is None:
            label = next(f"population{i}" for i in
                         range(len(state.populations), 2 * len(labels) + 1)
                         if f"population{i}" not in labels)
        elif label in labels:
            raise ConfigurationError(
                f"a population labelled {label!r} exists already in this "
                "session; labels name populations in History, counters and "
                "messages, so each must be unique")
        self.label = label
        self._neurons_per_core = (
            None if neurons_per_core is None
            else check_neurons_per_core(neurons_per_core))
        self._bias = None
        self.index = len(state.populations)
        state.populations.append(self)

    def __len__(self):
        return self.size

    def __repr__(self):
        return (f"Population({self.size}, {self.celltype!r}, "
                f"label={self.label!r})")

    @property
    def neurons_per_core(self) -> int | None:
        """The cap set on this population, else on its cell type, else None
        (spinnpop chooses)."""
        if self._neurons_per_core is not None:
            return self._neurons_per_core
        return self._state.neurons_per_core.get(type(self.celltype))

    @neurons_per_core.setter
    def neurons_per_core(self, n: int) -> None:
        self._neurons_per_core = check_neurons_per_core(n)

    @property
    def grid(self) -> tuple:
        """The shape as (rows, width, channels); see connectors.grid."""
        return grid(self.shape)

    def get(self, name: str) -> np.ndarray:
        """A copy of a parameter: ``"bias"``, shape (size,), or
        (channels,) for a population fed by a convolution."""
        check_same_session(self, current_state(), "population")
        return self._bias_array(name).copy()

    def set(self, **parameters) -> None:
        """Sets parameters: ``bias`` (a scalar or an array of its shape)."""
        check_same_session(self, current_state(), "population")
        for name, value in parameters.items():
            bias = self._bias_array(name)
            bias[:] = float_array(value, bias.shape,
                                  f"bias of population {self.label!r}",
                                  broadcast=True)

    def _bias_shape(self) -> tuple | None:
        """One bias per neuron, or per channel after a convolution; none
        for an input or after pooling."""
        if isinstance(self.celltype, Input):
            return None
        connectors = [p.connector for p in self._state.projections
                      if p.post is self]
        if any(isinstance(c, PoolingConnector) for c in connectors):
            return None
        if any(isinstance(c, ConvolutionConnector) for c in connectors):
            return (self.shape[-1],)
        return (self.size,)

    def _bias_array(self, name: str) -> np.ndarray:
        if name != "bias":
            raise ConfigurationError(
                f"population {self.label!r} has no parameter {name!r}; "
                "its parameter is 'bias'")
        shape = self._bias_shape()
        if shape is None:
            what = ("an Input" if isinstance(self.celltype, Input)
                    else "fed by pooling")
            raise ConfigurationError(
                f"population {self.label!r} is {what}: it has no bias")
        if self._bias is None:
            self._bias = np.zeros(shape, dtype=np.float32)
        return self._bias

    def _connected(self) -> None:
        """A projection now ends here: the bias may change its shape (from
        one per neuron to one per channel), which a set bias cannot."""
        if self._bias is not None and self._bias.shape != \
                self._bias_shape():
            if self._bias.any():
                raise NetworkError(
                    f"the bias of population {self.label!r} was set with "
                    f"shape {self._bias.shape} before a projection changed "
                    f"it to {self._bias_shape()}; make the projections "
                    "first, then set the bias")
            self._bias = None


def _shape(size) -> tuple:
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        dims = (size,)
    elif isinstance(size, tuple) and size and all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool)
            for d in size):
        dims = size
    else:
        dims = ()
    if not dims or any(d < 1 for d in dims):
        raise ConfigurationError(
            "expected a positive integer or a tuple of positive integers "
            f"for the size of a population; received: {size!r}")
    return tuple(int(d) for d in dims)
