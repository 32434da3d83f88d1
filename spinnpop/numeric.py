"""The numeric types the models are built with, as the host sees them.

Everything the host writes to a core or reads back from one that is a
number of the model (data, targets, weights, biases, momentum buffers,
learning rate and momentum, recorded losses and outputs) goes through the
session's :class:`Numeric`: a format for *values* (activations, errors,
losses, data) and one for *weights* (weights, gradients, momentum
buffers, learning rate, momentum). ``c_models/common/numeric_*_impl.h``
are the C side of the same formats (a test checks that they agree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinnpop.errors import ConfigurationError, DataError
from spinnpop.validation import check_finite

_INT32_MAX = 2 ** 31 - 1


@dataclass(frozen=True)
class Format:
    """How one kind of number is held in a 32-bit word.

    :param fraction_bits: None for float32; else the word is the int32
        ``round(x * 2**fraction_bits)``.
    """

    fraction_bits: int | None = None

    @property
    def name(self) -> str:
        if self.fraction_bits is None:
            return "float32"
        return f"s{31 - self.fraction_bits}.{self.fraction_bits}"

    @property
    def limit(self) -> float:
        """The largest magnitude the format holds."""
        if self.fraction_bits is None:
            return float(np.finfo(np.float32).max)
        return _INT32_MAX / 2.0 ** self.fraction_bits

    @property
    def resolution(self) -> float:
        """The smallest non-zero magnitude."""
        if self.fraction_bits is None:
            return float(np.finfo(np.float32).smallest_subnormal)
        return 2.0 ** -self.fraction_bits

    def check(self, array, what: str) -> None:
        """A DataError naming the first entry of ``array`` that the format
        cannot hold, if any."""
        x = np.asarray(array)
        check_finite(x, what)
        # The extremes first: locating one means a pass and a copy.
        if x.size > 0 and max(float(x.max()), -float(x.min())) > self.limit:
            index = tuple(int(i) for i in
                          np.argwhere(np.abs(x) > self.limit)[0])
            where = f"[{', '.join(map(str, index))}]" if index else ""
            raise DataError(
                f"{what}{where} is {float(x[index])!r}, which the "
                f"{self.name} format of this session cannot hold (|x| <= "
                f"{self.limit:.6g}); scale the data, or use "
                "setup(numeric='float32')" if self.fraction_bits is not None
                else f"{what}{where} is {float(x[index])!r}, beyond float32")

    def encode(self, array, what: str) -> np.ndarray:
        """The words (uint32) of a numeric ``array`` (checked), rounded to
        the nearest the format holds."""
        self.check(array, what)
        x = np.asarray(array)
        if self.fraction_bits is None:
            return np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
        if x.dtype != np.float32:   # float32 times 2^f is exact, and fits
            x = np.clip(x.astype(np.float64) * 2.0 ** self.fraction_bits,
                        -_INT32_MAX, _INT32_MAX)
        else:
            x = x * np.float32(2.0 ** self.fraction_bits)
        return np.rint(x).astype(np.int32).view(np.uint32)

    def decode(self, words) -> np.ndarray:
        """float32 numbers from words (any 32-bit integer array)."""
        words = np.ascontiguousarray(words)
        if self.fraction_bits is None:
            return words.view(np.float32).copy()
        return (words.view(np.int32).astype(np.float64)
                / 2.0 ** self.fraction_bits).astype(np.float32)

    def word(self, x: float, what: str) -> int:
        """One number's word, as an int."""
        return int(self.encode(np.array([x]), what)[0])


@dataclass(frozen=True)
class Numeric:
    """A numeric type of the models: its name (the last part of a model
    binary's name) and the formats of values and weights."""

    name: str
    values: Format
    weights: Format
    doc: str

    @property
    def is_fixed(self) -> bool:
        return self.values.fraction_bits is not None


FLOAT32 = Numeric("float32", Format(), Format(),
                  "IEEE float32, as a float32 numpy or PyTorch reference "
                  "computes (in software on the ARM968)")
FIXED = Numeric("fixed", Format(20), Format(24),
                "int32 fixed point: values s11.20 (|x| < 2048), weights "
                "s7.24 (|w| < 128); order-independent sums")
NUMERICS = {n.name: n for n in (FLOAT32, FIXED)}


def numeric_named(name) -> Numeric:
    """The numeric type called ``name``, or a ConfigurationError."""
    if name not in NUMERICS:
        raise ConfigurationError(
            f"unknown numeric type {name!r}; expected one of "
            f"{tuple(NUMERICS)}: " + "; ".join(
                f"{n.name}: {n.doc}" for n in NUMERICS.values()))
    return NUMERICS[name]
