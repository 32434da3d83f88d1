"""Projections: weighted connections from one population to another."""

from __future__ import annotations

import numpy as np

from spinnpop.cells import Input
from spinnpop.connectors import CONNECTORS, AllToAllConnector
from spinnpop.control import check_same_session, current_state
from spinnpop.errors import ConfigurationError, NetworkError
from spinnpop.populations import Population
from spinnpop.validation import float_array


class Projection:
    """Connections from ``presynaptic_population`` to
    ``postsynaptic_population``; the post population adds what every one
    of its projections brings.

    Weights start Glorot-uniform, drawn from the session's seed.
    """

    def __init__(self, presynaptic_population, postsynaptic_population,
                 connector, label: str | None = None):
        state = current_state()
        for role, population in (("pre", presynaptic_population),
                                 ("post", postsynaptic_population)):
            if not isinstance(population, Population):
                raise ConfigurationError(
                    f"expected a Population as the {role}synaptic "
                    f"population; received: {population!r}")
            check_same_session(population, state, "population")
        if isinstance(connector, type) and connector in CONNECTORS:
            connector = connector()
        if not isinstance(connector, CONNECTORS):
            raise ConfigurationError(
                "expected a connector (AllToAllConnector) for `connector`; "
                f"received: {connector!r}")
        pre, post = presynaptic_population, postsynaptic_population
        if isinstance(post.celltype, Input):
            raise NetworkError(
                f"population {post.label!r} is an Input: it takes its values "
                f"from the data, so no projection can end at it")
        self._state = state
        self.pre, self.post = pre, post
        self.connector = connector
        self.label = (label if label is not None
                      else f"{pre.label}->{post.label}")
        limit = np.sqrt(6.0 / (pre.size + post.size))
        self._weight = state.rng.uniform(
            -limit, limit, (pre.size, post.size)).astype(np.float32)
        self.index = len(state.projections)
        state.projections.append(self)

    def __repr__(self):
        return (f"Projection({self.pre.label!r} -> {self.post.label!r}, "
                f"{self.connector!r})")

    @property
    def shape(self) -> tuple:
        """Shape of the weight matrix: (n_pre, n_post)."""
        return self._weight.shape

    def get(self, name: str, format: str = "array") -> np.ndarray:
        """A copy of ``"weight"``, shape (n_pre, n_post) (PyNN's "array"
        format)."""
        check_same_session(self, current_state(), "projection")
        self._check_name(name)
        if format != "array":
            raise ConfigurationError(
                f"unknown format {format!r}; the supported format is 'array'")
        return self._weight.copy()

    def set(self, **parameters) -> None:
        """Sets ``weight``: an array of shape (n_pre, n_post) or a scalar."""
        check_same_session(self, current_state(), "projection")
        for name, value in parameters.items():
            self._check_name(name)
            self._weight[:] = float_array(
                value, self.shape, f"weight of projection {self.label!r}",
                broadcast=True)

    def _check_name(self, name: str) -> None:
        if name != "weight":
            raise ConfigurationError(
                f"projection {self.label!r} has no parameter {name!r}; its "
                "parameter is 'weight'")


__all__ = ["Projection", "AllToAllConnector"]
