"""Checks on arrays and numbers given by users, with errors that say what
came."""

from __future__ import annotations

import math
import numbers

import numpy as np

from spinnpop.errors import ConfigurationError, DataError, ShapeError

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def numeric_array(value, what: str) -> np.ndarray:
    """``value`` as a numpy array of real numbers (or booleans), or a
    DataError saying why not: nested sequences of different lengths,
    complex numbers or anything else."""
    try:
        array = np.asarray(value)
    except ValueError:
        raise DataError(f"{what} must be a rectangular array; received "
                        "nested sequences of different lengths") from None
    if np.iscomplexobj(array):
        raise DataError(f"{what} must be real; received complex values "
                        "(take .real or abs() first if that is meant)")
    if not (np.issubdtype(array.dtype, np.number)
            or array.dtype == np.bool_):
        raise DataError(f"{what} must be numeric; received dtype "
                        f"{array.dtype}")
    return array


def to_float32(array: np.ndarray, what: str) -> np.ndarray:
    """A numeric ``array`` as float32 (``array`` itself if it is that
    already: read it, do not write it), or a DataError naming the first
    entry that is NaN, infinite or beyond float32's range (3.4e38)."""
    check_finite(array, what)
    # Only floats wider than float32 reach beyond its range (2^64 is far
    # below 3.4e38); their extremes tell, without a copy of the data.
    if array.dtype.kind == "f" and array.dtype.itemsize > 4 \
            and array.size > 0 \
            and max(array.max(), -array.min()) > _FLOAT32_MAX:
        where = tuple(int(i) for i in
                      np.argwhere(np.abs(array) > _FLOAT32_MAX)[0])
        raise DataError(
            f"{what} contains {array[where]} at index {where}, beyond "
            f"float32's range (±{_FLOAT32_MAX:.3g}), which the machine "
            "computes in")
    return array.astype(np.float32, copy=False)


def float_array(value, shape: tuple, what: str,
                broadcast: bool = False) -> np.ndarray:
    """``value`` as a finite float32 array of ``shape``.

    :param broadcast: also accept a scalar, for every entry.
    """
    array = numeric_array(value, what)
    if broadcast and array.ndim == 0:
        array = np.full(shape, array)
    if array.shape != tuple(shape):
        raise ShapeError(f"{what} must have shape {tuple(shape)}; received "
                         f"shape {array.shape}")
    return to_float32(array, what)


def check_finite(array: np.ndarray, what: str) -> None:
    """DataError naming the first NaN or infinite entry, if any."""
    if not np.issubdtype(array.dtype, np.floating):
        return
    if np.isfinite(array).all():
        return
    where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
    raise DataError(f"{what} contains {array[where]} at index {where}; "
                        "every value must be finite")


def check_integer(value, name: str, low: int) -> int:
    """``value`` as an int, or a ConfigurationError if it is not a whole
    number (bools excluded) of at least ``low``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) \
            or value < low:
        raise ConfigurationError(f"expected an integer >= {low} for "
                                 f"`{name}`; received: {name}={value!r}")
    return int(value)


def check_number(value, name: str, low: float | None = None) -> float:
    """``value`` as a float, or a ConfigurationError if it is not a finite
    real number (bools excluded) of at least ``low``."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) \
            or not math.isfinite(value) or (low is not None and value < low):
        bound = "" if low is None else f" >= {low}"
        raise ConfigurationError(f"expected a finite number{bound} for "
                                 f"`{name}`; received: {name}={value!r}")
    return float(value)
