"""Optimizers. The update itself runs on the cores (c_models/common/
update.c); an optimizer object carries its settings and, like PyTorch's, its
state (momentum buffers, moments, the step count), so passing the same
object to a second ``train`` continues where the first stopped."""

from __future__ import annotations

import numpy as np

from spinnpop.errors import ConfigurationError
from spinnpop.validation import check_number


#: The optimizers' buffers: first moments or momentum, and second moments.
BUFFERS = ("velocity", "squares")


class Optimizer:
    """What every optimizer has: a learning rate, an L2 weight decay (added
    to each gradient times the weight, as PyTorch's ``weight_decay``), and
    state kept per weight on the cores: ``velocities`` (momentum buffers,
    Adam's first moments) and ``squares`` (second moments), each by
    projection and population, float32 in their shapes, and ``steps``, the
    steps taken (Adam's t)."""

    #: The optimizer kind the cores know it by (regions.OptimizerKind).
    KIND = 0

    def __init__(self, learning_rate: float, weight_decay: float):
        check_number(weight_decay, "weight_decay")
        self.set_learning_rate(learning_rate)
        if not 0 <= weight_decay < float("inf"):
            raise ConfigurationError(
                "expected a finite `weight_decay` >= 0; received: "
                f"weight_decay={weight_decay!r}")
        self.weight_decay = float(weight_decay)
        self.velocities = {}
        self.squares = {}
        self.steps = 0

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self.settings().items())
        return f"{type(self).__name__}({settings})"

    def set_learning_rate(self, learning_rate: float) -> None:
        """Changes the step size (a schedule's), checked."""
        check_number(learning_rate, "learning_rate")
        if not 0 < learning_rate < float("inf"):
            raise ConfigurationError(
                "expected a positive finite `learning_rate`; received: "
                f"learning_rate={learning_rate!r}")
        self.learning_rate = float(learning_rate)

    def settings(self) -> dict:
        """The constructor's arguments."""
        raise NotImplementedError

    def buffers(self) -> tuple:
        """The names (of ``BUFFERS``) of the state these settings keep."""
        raise NotImplementedError

    def run_settings(self) -> dict:
        """The run region's optimizer fields (regions.RUN_PARAMS)."""
        return {"optimizer": self.KIND, "learning_rate": self.learning_rate,
                "weight_decay": self.weight_decay,
                "optimizer_steps": self.steps}

    def buffer(self, name: str) -> dict:
        """The state called ``name`` (of ``BUFFERS``), by owner."""
        return {"velocity": self.velocities, "squares": self.squares}[name]

    def forget_unused(self) -> None:
        """Drops buffers these settings do not keep (left by a training
        with other settings), so that they are not saved or resumed."""
        for name in BUFFERS:
            if name not in self.buffers():
                self.buffer(name).clear()

    def config(self) -> dict:
        """The settings and step count, for saving: ``optimizer_from_config``
        remakes it."""
        return {"type": type(self).__name__, **self.settings(),
                "steps": self.steps}

    def state_by_name(self) -> dict:
        """The state as arrays named after what they belong to
        (``projection/<label>/velocity``, ``population/<label>/squares``),
        for saving."""
        named = {}
        for name in BUFFERS:
            for owner, buffer in self.buffer(name).items():
                kind = "projection" if hasattr(owner, "connector") \
                    else "population"
                named[f"{kind}/{owner.label}/{name}"] = buffer.copy()
        return named

    def restore_state(self, named: dict, state) -> None:
        """Takes back what ``state_by_name`` gave, for the session
        ``state``'s projections and populations of the same labels."""
        owners = {f"projection/{p.label}": p for p in state.projections}
        owners.update({f"population/{p.label}": p
                       for p in state.populations})
        for name in BUFFERS:
            self.buffer(name).clear()
        for name, buffer in named.items():
            owner_name, _, kind = name.rpartition("/")
            owner = owners.get(owner_name)
            if owner is None or kind not in BUFFERS:
                raise ConfigurationError(
                    f"optimizer state {name!r} belongs to nothing in the "
                    "network")
            self.buffer(kind)[owner] = np.array(buffer, dtype=np.float32)


def _check_fraction(value, name: str, closed: bool = False) -> float:
    """``value`` checked to lie in [0, 1) (or [0, 1] if ``closed``)."""
    check_number(value, name)
    if not (0 <= value <= 1 if closed else 0 <= value < 1):
        raise ConfigurationError(
            f"expected `{name}` in [0, 1{']' if closed else ')'}; "
            f"received: {name}={value!r}")
    return float(value)


def _check_epsilon(epsilon) -> float:
    check_number(epsilon, "epsilon")
    if not 0 < epsilon < float("inf"):
        raise ConfigurationError(
            f"expected a positive finite `epsilon`; received: "
            f"epsilon={epsilon!r}")
    return float(epsilon)


class SGD(Optimizer):
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

    KIND = 0

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(learning_rate, weight_decay)
        self.momentum = _check_fraction(momentum, "momentum")
        if not isinstance(nesterov, bool):
            raise ConfigurationError(
                f"expected True or False for `nesterov`; received: "
                f"nesterov={nesterov!r}")
        if nesterov and momentum == 0:
            raise ConfigurationError(
                "Nesterov momentum needs a momentum > 0 (as in PyTorch)")
        self.nesterov = nesterov

    def settings(self) -> dict:
        return {"learning_rate": self.learning_rate,
                "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}

    def buffers(self) -> tuple:
        return ("velocity",) if self.momentum else ()

    def run_settings(self) -> dict:
        return {**super().run_settings(), "momentum": self.momentum,
                "nesterov": int(self.nesterov)}


class Adam(Optimizer):
    """Adam as PyTorch's ``torch.optim.Adam`` defines it (the L2 form of
    weight decay, not AdamW): with g the batch's mean gradient plus
    ``weight_decay * w`` and t the step, ``m = beta_1 m + (1 - beta_1) g``,
    ``v = beta_2 v + (1 - beta_2) g^2`` and
    ``w -= learning_rate / (1 - beta_1^t) * m / (sqrt(v) /
    sqrt(1 - beta_2^t) + epsilon)``. The defaults are PyTorch's (Keras'
    ``epsilon`` is 1e-7, added in the same place). Float32 only: the
    second moments are below the fixed-point weights' resolution.

    :param learning_rate: step size, > 0.
    :param beta_1: decay of the first moments, in [0, 1).
    :param beta_2: decay of the second moments, in [0, 1).
    :param epsilon: > 0, added to the corrected root of the second moments.
    :param weight_decay: L2 penalty, >= 0.
    """

    KIND = 1

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(learning_rate, weight_decay)
        self.beta_1 = _check_fraction(beta_1, "beta_1")
        self.beta_2 = _check_fraction(beta_2, "beta_2")
        self.epsilon = _check_epsilon(epsilon)

    def settings(self) -> dict:
        return {"learning_rate": self.learning_rate, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon,
                "weight_decay": self.weight_decay}

    def buffers(self) -> tuple:
        return BUFFERS

    def run_settings(self) -> dict:
        return {**super().run_settings(), "beta1": self.beta_1,
                "beta2": self.beta_2, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop as PyTorch's ``torch.optim.RMSprop`` defines it (not
    centred): with g the batch's mean gradient plus ``weight_decay * w``,
    ``v = rho v + (1 - rho) g^2`` and ``d = g / (sqrt(v) + epsilon)``,
    ``w -= learning_rate * d``, or with momentum ``b = momentum b + d`` and
    ``w -= learning_rate * b``. ``rho`` is PyTorch's ``alpha``; the defaults
    are PyTorch's. Float32 only, as Adam.

    :param learning_rate: step size, > 0.
    :param rho: decay of the mean of squared gradients, in [0, 1).
    :param momentum: in [0, 1); 0 for none.
    :param epsilon: > 0, added to the root of the mean.
    :param weight_decay: L2 penalty, >= 0.
    """

    KIND = 2

    def __init__(self, learning_rate: float = 0.01, rho: float = 0.99,
                 momentum: float = 0.0, epsilon: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(learning_rate, weight_decay)
        self.rho = _check_fraction(rho, "rho")
        self.momentum = _check_fraction(momentum, "momentum")
        self.epsilon = _check_epsilon(epsilon)

    def settings(self) -> dict:
        return {"learning_rate": self.learning_rate, "rho": self.rho,
                "momentum": self.momentum, "epsilon": self.epsilon,
                "weight_decay": self.weight_decay}

    def buffers(self) -> tuple:
        return BUFFERS if self.momentum else ("squares",)

    def run_settings(self) -> dict:
        return {**super().run_settings(), "beta2": self.rho,
                "momentum": self.momentum, "epsilon": self.epsilon}


def optimizer_from_config(config: dict):
    """The optimizer ``config()`` described, with no state yet."""
    kinds = {cls.__name__: cls for cls in (SGD, Adam, RMSprop)}
    if config.get("type") not in kinds:
        raise ConfigurationError(
            f"unknown optimizer {config.get('type')!r} in a saved session; "
            f"this version of spinnpop has {sorted(kinds)}")
    settings = {k: v for k, v in config.items()
                if k not in ("type", "steps")}
    optimizer = kinds[config["type"]](**settings)
    optimizer.steps = int(config.get("steps", 0))
    return optimizer


def get_optimizer(optimizer):
    """``optimizer`` if it is one, or a new one by name ("sgd", "adam",
    "rmsprop", with its defaults), checked."""
    names = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}
    if optimizer is None:
        return SGD()
    if isinstance(optimizer, str):
        if optimizer.lower() not in names:
            raise ConfigurationError(
                f"unknown optimizer {optimizer!r}; expected one of "
                f"{sorted(names)} or an optimizer object such as "
                "spinnpop.SGD(0.01)")
        return names[optimizer.lower()]()
    if not isinstance(optimizer, Optimizer):
        raise ConfigurationError(
            "expected an optimizer (spinnpop.SGD, Adam or RMSprop); "
            f"received: optimizer={optimizer!r}")
    return optimizer
