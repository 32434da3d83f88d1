"""Optimizers. The update itself runs on the cores (c_models/models/dense/
sgd.c); an optimizer object carries its settings and, like PyTorch's, its
state (the momentum buffers), so passing the same object to a second
``train`` continues where the first stopped."""

from __future__ import annotations

import numbers

from spinnpop.errors import ConfigurationError


class SGD:
    """Stochastic gradient descent with momentum, as PyTorch defines it:
    ``v = momentum * v + g; w -= learning_rate * v``.

    :param learning_rate: step size, > 0.
    :param momentum: in [0, 1); 0 is plain SGD.
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0):
        for name, value in (("learning_rate", learning_rate),
                            ("momentum", momentum)):
            if not isinstance(value, numbers.Real) or isinstance(value, bool) \
                    or value != value:
                raise ConfigurationError(
                    f"expected a number for `{name}`; received: "
                    f"{name}={value!r}")
        if not 0 < learning_rate < float("inf"):
            raise ConfigurationError(
                "expected a positive finite `learning_rate`; received: "
                f"learning_rate={learning_rate!r}")
        if not 0 <= momentum < 1:
            raise ConfigurationError(
                "expected `momentum` in [0, 1); received: "
                f"momentum={momentum!r}")
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        #: Momentum buffers by projection and population, set by training.
        self.velocities = {}

    def __repr__(self):
        return (f"SGD(learning_rate={self.learning_rate}, "
                f"momentum={self.momentum})")
