"""Losses, by their Keras names. The loss itself is computed by the output
cores (c_models/common/loss_*_impl.h); here the targets are checked and
laid out for them, and the output cell type is checked against the loss."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinnpop.cells import Sigmoid, Softmax
from spinnpop.errors import ConfigurationError, DataError, NetworkError, \
    ShapeError
from spinnpop.validation import check_finite, numeric_array, to_float32


@dataclass(frozen=True)
class Loss:
    """A loss: ``c_name`` names its C implementation."""

    name: str
    c_name: str
    sparse: bool = False

    def check_output(self, population) -> None:
        """NetworkError if the output's cell type does not fit the loss."""
        softmax = isinstance(population.celltype, Softmax)
        if self.c_name == "cross_entropy" and not softmax:
            raise NetworkError(
                f"loss {self.name!r} needs a Softmax output population; "
                f"{population.label!r} is "
                f"{type(population.celltype).__name__}. Make it Softmax, "
                "or use loss='mse'")
        if self.c_name == "binary_cross_entropy" and not isinstance(
                population.celltype, Sigmoid):
            raise NetworkError(
                f"loss {self.name!r} needs a Sigmoid output population (one "
                f"probability per label); {population.label!r} is "
                f"{type(population.celltype).__name__}")
        if self.c_name in ("mse", "mae") and softmax:
            raise NetworkError(
                f"loss {self.name!r} is not supported after a Softmax "
                f"(population {population.label!r}); use "
                "'categorical_crossentropy' or "
                "'sparse_categorical_crossentropy', or a Linear or Sigmoid "
                f"output for {self.name!r}")

    def targets(self, y, population, n_samples: int) -> np.ndarray:
        """``y`` as float32 targets of shape (n_samples, size)."""
        what = f"targets for {population.label!r}"
        size = population.size
        array = numeric_array(y, what)
        if self.sparse:
            if array.ndim == 2 and array.shape[1] == 1:
                array = array[:, 0]
            if array.shape != (n_samples,):
                raise ShapeError(
                    f"{what} ({self.name}) must be class indices of shape "
                    f"({n_samples},); received shape {array.shape}")
            check_finite(array, what)
            labels = array.astype(np.int64)
            if (labels != array).any():
                raise DataError(f"{what} must be whole numbers (class "
                                "indices)")
            bad = (labels < 0) | (labels >= size)
            if bad.any():
                i = int(np.argmax(bad))
                raise DataError(
                    f"{what}: label {labels[i]} at index {i} is out of range;"
                    f" labels must lie in [0, {size})")
            one_hot = np.zeros((n_samples, size), dtype=np.float32)
            one_hot[np.arange(n_samples), labels] = 1
            return one_hot
        if array.ndim == 1 and size == 1:
            array = array[:, None]
        if array.shape != (n_samples, size):
            hint = (" (class indices go with "
                    "'sparse_categorical_crossentropy')"
                    if array.shape == (n_samples,) else "")
            raise ShapeError(f"{what} ({self.name}) must have shape "
                             f"({n_samples}, {size}); received shape "
                             f"{array.shape}{hint}")
        array = to_float32(array, what)
        if (self.c_name in ("cross_entropy", "binary_cross_entropy")
                and ((array < 0) | (array > 1)).any()):
            like = ("one-hot labels" if self.c_name == "cross_entropy"
                    else "labels")
            raise DataError(f"{what} ({self.name}) must lie in [0, 1], like "
                            f"{like}")
        return array

    @property
    def needs_outputs(self) -> bool:
        """Whether its accuracy is taken from every output (which the
        output cores then record): binary cross-entropy's."""
        return self.c_name == "binary_cross_entropy"

    def classes(self, targets: np.ndarray,
                population) -> np.ndarray | None:
        """Class index of each sample, for accuracy (the target's argmax,
        Keras' categorical accuracy), or for binary cross-entropy the
        labels themselves (n_samples, size), for Keras' binary accuracy;
        None for regression losses, and for a softmax at each of several
        positions (whose accuracy would be per position, which the cores
        do not record)."""
        if self.needs_outputs:
            return targets
        positions = population.size // population.grid[2]
        if self.c_name != "cross_entropy" or (
                len(population.shape) > 1 and positions > 1):
            return None
        return np.argmax(targets, axis=1)


LOSSES = {
    "categorical_crossentropy": Loss("categorical_crossentropy",
                                     "cross_entropy"),
    "sparse_categorical_crossentropy": Loss(
        "sparse_categorical_crossentropy", "cross_entropy", sparse=True),
    "mse": Loss("mse", "mse"),
    "mean_squared_error": Loss("mean_squared_error", "mse"),
    "binary_crossentropy": Loss("binary_crossentropy",
                                "binary_cross_entropy"),
    "mae": Loss("mae", "mae"),
    "mean_absolute_error": Loss("mean_absolute_error", "mae"),
}


def get_loss(name) -> Loss:
    """The loss called ``name`` (a Keras name)."""
    if isinstance(name, Loss):
        return name
    if name not in LOSSES:
        raise ConfigurationError(
            f"unknown loss {name!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[name]


def default_loss(population) -> Loss:
    """The loss a run without one uses at an output: cross-entropy after a
    Softmax, else mse."""
    return LOSSES["categorical_crossentropy" if isinstance(
        population.celltype, Softmax) else "mse"]


#: Keras' names of the metrics spinnpop reports: the loss, and for
#: classification the accuracy (reported whether asked for or not).
METRICS = ("loss", "accuracy", "acc", "categorical_accuracy",
           "sparse_categorical_accuracy")

#: Keras' top-k accuracies (k = 5, as Keras' default), by name: whether
#: the target class is among the k largest outputs. They need every
#: output, which the output cores then record.
TOP_K_METRICS = {"top_k_categorical_accuracy": 5,
                 "sparse_top_k_categorical_accuracy": 5,
                 "top_k_accuracy": 5}


def check_metrics(names) -> dict:
    """The top-k accuracies asked for ({log name: k}); a
    ConfigurationError for metrics spinnpop does not compute."""
    if names is None:
        return {}
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise ConfigurationError(
            f"expected a list of metric names, e.g. metrics=['accuracy']; "
            f"received: metrics={names!r}")
    for name in names:
        if name not in METRICS and name not in TOP_K_METRICS:
            raise ConfigurationError(
                f"unknown metric {name!r}; spinnpop computes "
                f"{list(METRICS) + list(TOP_K_METRICS)}")
    return {name: TOP_K_METRICS[name] for name in names
            if name in TOP_K_METRICS}
