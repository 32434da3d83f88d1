"""Projections: connections from one population to another."""

from __future__ import annotations

import numpy as np

from spinnpop.cells import Input
from spinnpop.connectors import CONNECTORS, Connector
from spinnpop.control import check_same_session, current_state
from spinnpop.errors import ConfigurationError, NetworkError
from spinnpop.hardware import check_fits_machine
from spinnpop.populations import Population
from spinnpop.validation import float_array


class Projection:
    """Connections from ``presynaptic_population`` to
    ``postsynaptic_population`` made by ``connector``; the post population
    adds what every one of its projections brings.

    Weights start Glorot-uniform (Keras' default, with the connector's fan
    in and fan out), drawn from the session's seed.
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
        if not isinstance(connector, Connector) \
                or type(connector) is Connector:
            names = ", ".join(c.__name__ for c in CONNECTORS)
            raise ConfigurationError(
                f"expected a connector ({names}) for `connector`; "
                f"received: {connector!r}")
        pre, post = presynaptic_population, postsynaptic_population
        if isinstance(post.celltype, Input):
            raise NetworkError(
                f"population {post.label!r} is an Input: it takes its values "
                f"from the data, so no projection can end at it")
        connector.check(pre, post)
        self._state = state
        self.pre, self.post = pre, post
        self.connector = connector
        self.label = (label if label is not None
                      else f"{pre.label}->{post.label}")
        shape = connector.weight_shape(pre, post)
        self._weight = None
        if shape is not None:
            check_fits_machine(
                int(np.prod(shape, dtype=object)),
                f"projection {self.label!r} with weights of shape {shape}",
                state.backend.n_boards)
            fan_in, fan_out = connector.fans(pre, post)
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self._weight = state.rng.uniform(-limit, limit,
                                             shape).astype(np.float32)
        self.index = len(state.projections)
        state.projections.append(self)
        post._connected()

    def __repr__(self):
        return (f"Projection({self.pre.label!r} -> {self.post.label!r}, "
                f"{self.connector!r})")

    @property
    def shape(self) -> tuple | None:
        """Shape of the weights: (n_pre, n_post) for a dense projection,
        (kh, kw, c_in, c_out) for a convolution; None if it has none."""
        return None if self._weight is None else self._weight.shape

    def get(self, name: str, format: str = "array") -> np.ndarray:
        """A copy of ``"weight"``: (n_pre, n_post) for a dense projection
        (PyNN's "array" format), (kh, kw, c_in, c_out) for a convolution
        (Keras' kernel layout)."""
        check_same_session(self, current_state(), "projection")
        self._check_name(name)
        if format != "array":
            raise ConfigurationError(
                f"unknown format {format!r}; the supported format is 'array'")
        return self._weights().copy()

    def set(self, **parameters) -> None:
        """Sets ``weight``: an array of the weights' shape, or a scalar."""
        check_same_session(self, current_state(), "projection")
        for name, value in parameters.items():
            self._check_name(name)
            self._weights()[:] = float_array(
                value, self.shape, f"weight of projection {self.label!r}",
                broadcast=True)

    def _weights(self) -> np.ndarray:
        if self._weight is None:
            raise ConfigurationError(
                f"projection {self.label!r} ({self.connector!r}) has no "
                "weights to get or set")
        return self._weight

    def _check_name(self, name: str) -> None:
        if name != "weight":
            raise ConfigurationError(
                f"projection {self.label!r} has no parameter {name!r}; its "
                "parameter is 'weight'")


__all__ = ["Projection"]
