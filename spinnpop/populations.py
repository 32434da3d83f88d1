"""Populations: layers of neurons, packed many to a core."""

from __future__ import annotations

import math
import numbers

import numpy as np

from spinnpop.cells import CELL_TYPES, CellType, Input
from spinnpop.control import (check_neurons_per_core, check_same_session,
                              current_state)
from spinnpop.errors import ConfigurationError
from spinnpop.validation import float_array


class Population:
    """A layer of ``size`` neurons of one cell type.

    :param size: the number of neurons, or a shape such as (h, w, c)
        whose product it is.
    :param cellclass: the cell type, e.g. ``spinnpop.ReLU()``.
    :param label: a name for messages and reports.
    :param neurons_per_core: the most neurons one core holds (default: the
        cell type's setting, else as many as fit a core's memory).
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
        self.celltype = cellclass
        self.label = (label if label is not None
                      else f"population{len(state.populations)}")
        self._neurons_per_core = (None if neurons_per_core is None
                                  else check_neurons_per_core(neurons_per_core))
        self._bias = (None if isinstance(cellclass, Input)
                      else np.zeros(self.size, dtype=np.float32))
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
        (as many as fit a core)."""
        if self._neurons_per_core is not None:
            return self._neurons_per_core
        return self._state.neurons_per_core.get(type(self.celltype))

    @neurons_per_core.setter
    def neurons_per_core(self, n: int) -> None:
        self._neurons_per_core = check_neurons_per_core(n)

    def get(self, name: str) -> np.ndarray:
        """A copy of a parameter: ``"bias"``, shape (size,)."""
        check_same_session(self, current_state(), "population")
        return self._bias_array(name).copy()

    def set(self, **parameters) -> None:
        """Sets parameters: ``bias`` (a scalar or shape (size,))."""
        check_same_session(self, current_state(), "population")
        for name, value in parameters.items():
            self._bias_array(name)[:] = float_array(
                value, (self.size,), f"bias of population {self.label!r}",
                broadcast=True)

    def _bias_array(self, name: str) -> np.ndarray:
        if name != "bias":
            raise ConfigurationError(
                f"population {self.label!r} has no parameter {name!r}; "
                "its parameter is 'bias'")
        if self._bias is None:
            raise ConfigurationError(
                f"population {self.label!r} is an Input: it has no bias")
        return self._bias


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
