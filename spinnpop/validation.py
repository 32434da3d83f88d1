"""Checks on arrays given by users, with errors that say what came."""

from __future__ import annotations

import numpy as np

from spinnpop.errors import DataError, ShapeError


def float_array(value, shape: tuple, what: str,
                broadcast: bool = False) -> np.ndarray:
    """``value`` as a finite float32 array of ``shape``.

    :param broadcast: also accept a scalar, for every entry.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DataError(f"{what} must be numeric; received "
                        f"{type(value).__name__}: {error}") from None
    if broadcast and array.ndim == 0:
        array = np.full(shape, array)
    if array.shape != tuple(shape):
        raise ShapeError(f"{what} must have shape {tuple(shape)}; received "
                         f"shape {array.shape}")
    check_finite(array, what)
    return np.array(array, dtype=np.float32)


def check_finite(array: np.ndarray, what: str) -> None:
    """DataError naming the first NaN or infinite entry, if any."""
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"{what} contains {array[where]} at index {where}; "
                        "every value must be finite")
