"""Optimizers. The update itself runs on the cores (c_models/common/
update.c); an optimizer object carries its settings and, like PyTorch's, its
state (the momentum buffers), so passing the same object to a second
``train`` continues where the first stopped."""

from __future__ import annotations

import numpy as np

from spinnpop.errors import ConfigurationError
from spinnpop.validation import check_number


class SGD:
    """Stochastic gradient descent as PyTorch's ``torch.optim.SGD`` defines
    it: with g the batch's mean gradient plus ``weight_decay * w``,
    ``v = momentum * v + g`` and ``w -= learning_rate * v``, or with
    ``nesterov`` ``w -= learning_rate * (g + momentum * v)``.

    :param learning_rate: step size, > 0.
    :param momentum: in [0, 1); 0 is plain SGD.
    :param nesterov: Nesterov momentum (needs momentum > 0).
    :param weight_decay: L2 penalty, >= 0 (biases included, as PyTorch
        does for the parameters it is given).
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        check_number(momentum, "momentum")
        check_number(weight_decay, "weight_decay")
        self.set_learning_rate(learning_rate)
        if not 0 <= momentum < 1:
            raise ConfigurationError(
                "expected `momentum` in [0, 1); received: "
                f"momentum={momentum!r}")
        if not 0 <= weight_decay < float("inf"):
            raise ConfigurationError(
                "expected a finite `weight_decay` >= 0; received: "
                f"weight_decay={weight_decay!r}")
        if not isinstance(nesterov, bool):
            raise ConfigurationError(
                f"expected True or False for `nesterov`; received: "
                f"nesterov={nesterov!r}")
        if nesterov and momentum == 0:
            raise ConfigurationError(
                "Nesterov momentum needs a momentum > 0 (as in PyTorch)")
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.weight_decay = float(weight_decay)
        #: Momentum buffers by projection and population, set by training.
        self.velocities = {}

    def __repr__(self):
        return (f"SGD(learning_rate={self.learning_rate}, "
                f"momentum={self.momentum}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay})")

    def set_learning_rate(self, learning_rate: float) -> None:
        """Changes the step size (a schedule's), checked."""
        check_number(learning_rate, "learning_rate")
        if not 0 < learning_rate < float("inf"):
            raise ConfigurationError(
                "expected a positive finite `learning_rate`; received: "
                f"learning_rate={learning_rate!r}")
        self.learning_rate = float(learning_rate)

    def config(self) -> dict:
        """The settings, for saving: ``optimizer_from_config`` remakes it."""
        return {"type": type(self).__name__,
                "learning_rate": self.learning_rate,
                "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}

    def state_by_name(self) -> dict:
        """The state as arrays named after what they belong to
        (``projection/<label>/velocity``, ``population/<label>/velocity``),
        for saving."""
        named = {}
        for owner, buffer in self.velocities.items():
            kind = "projection" if hasattr(owner, "connector") \
                else "population"
            named[f"{kind}/{owner.label}/velocity"] = buffer.copy()
        return named

    def restore_state(self, named: dict, state) -> None:
        """Takes back what ``state_by_name`` gave, for the session
        ``state``'s projections and populations of the same labels."""
        owners = {f"projection/{p.label}": p for p in state.projections}
        owners.update({f"population/{p.label}": p
                       for p in state.populations})
        self.velocities.clear()
        for name, buffer in named.items():
            owner = owners.get(name.rsplit("/", 1)[0])
            if owner is None:
                raise ConfigurationError(
                    f"optimizer state {name!r} belongs to nothing in the "
                    "network")
            self.velocities[owner] = np.array(buffer, dtype=np.float32)


def optimizer_from_config(config: dict):
    """The optimizer ``config()`` described, with no state yet."""
    kinds = {"SGD": SGD}
    if config.get("type") not in kinds:
        raise ConfigurationError(
            f"unknown optimizer {config.get('type')!r} in a saved session; "
            f"this version of spinnpop has {sorted(kinds)}")
    settings = {k: v for k, v in config.items() if k != "type"}
    return kinds[config["type"]](**settings)


def get_optimizer(optimizer):
    """``optimizer`` if it is one, or a new one by name ("sgd"), checked."""
    names = {"sgd": SGD}
    if optimizer is None:
        return SGD()
    if isinstance(optimizer, str):
        if optimizer.lower() not in names:
            raise ConfigurationError(
                f"unknown optimizer {optimizer!r}; expected one of "
                f"{sorted(names)} or an optimizer object such as "
                "spinnpop.SGD(0.01)")
        return names[optimizer.lower()]()
    if not isinstance(optimizer, SGD):
        raise ConfigurationError(f"expected an optimizer (spinnpop.SGD); "
                                 f"received: optimizer={optimizer!r}")
    return optimizer
