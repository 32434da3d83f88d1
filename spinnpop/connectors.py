"""Connectors: which pre neurons reach which post neurons.

As in PyNN, connectors know no backend: each checks that it fits the two
populations it joins, says what weights it has, and which rows of the pre
population a band of post rows needs (its receptive field), from which the
mapping decides what each core receives. Shapes are Keras' channels-last
``(height, width, channels)``.
"""

from __future__ import annotations

import math
import numbers

from spinnpop.errors import ConfigurationError, NetworkError


def grid(shape: tuple) -> tuple:
    """A population's shape as (rows, width, channels): a flat one has a
    neuron per row; a neuron's index is (row * width + column) * channels
    + channel, Keras' flattening order."""
    if len(shape) == 1:
        return (shape[0], 1, 1)
    return (shape[0], shape[1], math.prod(shape[2:]))


def _pair(value, name: str, low: int = 1) -> tuple:
    """An int or an (h, w) pair of ints >= low."""
    items = value if isinstance(value, tuple) else (value, value)
    if len(items) != 2 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool)
            and v >= low for v in items):
        raise ConfigurationError(
            f"expected an integer >= {low} or a pair of them for `{name}`; "
            f"received: {name}={value!r}")
    return tuple(int(v) for v in items)


class Connector:
    """Base of the connectors; use one of its subclasses."""

    #: Whether the projection has weights that training changes.
    trained = False

    def check(self, pre, post) -> None:
        """NetworkError if the connector cannot join ``pre`` to ``post``."""

    def weight_shape(self, pre, post) -> tuple | None:
        """Shape of the projection's weights (None: it has none)."""
        return None

    def fans(self, pre, post) -> tuple:
        """(fan_in, fan_out) of Glorot's initialisation."""
        raise NotImplementedError

    def receptive_rows(self, pre_grid: tuple, post_grid: tuple,
                       rows: tuple) -> tuple:
        """The pre grid rows [start, stop) that post grid rows ``rows``
        need."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class AllToAllConnector(Connector):
    """Every pre neuron to every post neuron: a dense (fully connected)
    layer, with a weight matrix of shape (n_pre, n_post). A shaped pre
    population is flattened in channels-last order (Keras' Flatten)."""

    trained = True

    def weight_shape(self, pre, post) -> tuple:
        return (pre.size, post.size)

    def fans(self, pre, post) -> tuple:
        return pre.size, post.size

    def receptive_rows(self, pre_grid, post_grid, rows) -> tuple:
        return 0, pre_grid[0]


class OneToOneConnector(Connector):
    """Each neuron to the neuron at the same position of a population of
    the same shape, with the fixed weight 1 (not trained): the identity
    shortcut of a residual network."""

    def check(self, pre, post) -> None:
        if pre.shape != post.shape:
            raise NetworkError(
                f"a OneToOneConnector joins populations of the same shape; "
                f"{pre.label!r} has shape {pre.shape} and {post.label!r} "
                f"{post.shape}")

    def receptive_rows(self, pre_grid, post_grid, rows) -> tuple:
        return rows


class _Window(Connector):
    """A window moved over the rows and columns of the pre population by
    its strides: a convolution's kernel or a pooling window."""

    size = strides = (1, 1)
    padding = "valid"
    _size_name = "kernel_size"

    def pads(self, pre_shape: tuple) -> tuple:
        """(top, left) rows and columns of zeros before the pre grid."""
        if self.padding == "valid":
            return 0, 0
        out = self.output_size(pre_shape)
        return tuple(max((o - 1) * s + k - n, 0) // 2 for o, s, k, n in zip(
            out, self.strides, self.size, pre_shape[:2]))

    def output_size(self, pre_shape: tuple) -> tuple:
        """(height, width) of the output for a pre shape (h, w, c)."""
        if self.padding == "same":
            return tuple(-(-n // s) for n, s in zip(pre_shape[:2],
                                                    self.strides))
        return tuple((n - k) // s + 1 for n, k, s in zip(
            pre_shape[:2], self.size, self.strides))

    def _check_shapes(self, pre, post, channels: int) -> None:
        for role, population in (("pre", pre), ("post", post)):
            if len(population.shape) != 3:
                raise NetworkError(
                    f"a {type(self).__name__} joins populations of shape "
                    f"(height, width, channels); the {role} population "
                    f"{population.label!r} has shape {population.shape}")
        if self.padding == "valid" and any(
                k > n for k, n in zip(self.size, pre.shape[:2])):
            raise NetworkError(
                f"the {self._size_name} {self.size} is larger than the "
                f"input {pre.shape[:2]} of population {pre.label!r} "
                "(padding='valid')")
        expected = self.output_size(pre.shape) + (channels,)
        if post.shape != expected:
            raise NetworkError(
                f"population {post.label!r} has shape {post.shape}, but "
                f"{self!r} on {pre.label!r} {pre.shape} gives {expected}; "
                f"make {post.label!r} of shape {expected}")

    def receptive_rows(self, pre_grid, post_grid, rows) -> tuple:
        top = self.pads(pre_grid)[0]
        first = rows[0] * self.strides[0] - top
        last = (rows[1] - 1) * self.strides[0] - top + self.size[0] - 1
        return max(first, 0), min(last + 1, pre_grid[0])


class ConvolutionConnector(_Window):
    """A 2-D convolution (Keras' Conv2D): a kernel of weights, shape
    (kh, kw, c_in, c_out), shared by every output position. The post
    population's shape must be the output's, (h_out, w_out, c_out), and
    its bias is one per output channel. A one-dimensional convolution is
    a height-1 one: populations (1, width, channels), kernel_size=(1, k).

    :param kernel_size: an int or an (h, w) pair.
    :param strides: an int or an (h, w) pair.
    :param padding: "valid" (no padding) or "same" (zeros around the input,
        as Keras puts them, so that the output has ceil(input / stride)
        rows and columns).
    """

    trained = True

    def __init__(self, kernel_size, strides=1, padding: str = "valid"):
        self.size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        if padding not in ("valid", "same"):
            raise ConfigurationError(
                "expected 'valid' or 'same' for `padding`; received: "
                f"padding={padding!r}")
        self.padding = padding

    kernel_size = property(lambda self: self.size)

    def check(self, pre, post) -> None:
        channels = post.shape[-1] if len(post.shape) == 3 else 1
        self._check_shapes(pre, post, channels)

    def weight_shape(self, pre, post) -> tuple:
        return self.size + (pre.shape[2], post.shape[2])

    def fans(self, pre, post) -> tuple:
        area = self.size[0] * self.size[1]
        return area * pre.shape[2], area * post.shape[2]

    def __repr__(self):
        return (f"ConvolutionConnector(kernel_size={self.size}, strides="
                f"{self.strides}, padding={self.padding!r})")


class PoolingConnector(_Window):
    """Pooling (Keras' MaxPooling2D / AveragePooling2D, padding "valid"):
    each output the largest or the mean of its window, channel by channel;
    no weights. The post population's shape must be the output's; it has
    no bias and applies its cell after pooling (Linear for plain pooling).
    Max pooling sends the error back to the first maximum of each window.

    :param pool_size: an int or an (h, w) pair.
    :param strides: an int or an (h, w) pair; default: pool_size.
    :param operation: "max" or "average".
    """

    _size_name = "pool_size"

    def __init__(self, pool_size, strides=None, operation: str = "max"):
        self.size = _pair(pool_size, "pool_size")
        self.strides = (self.size if strides is None
                        else _pair(strides, "strides"))
        if operation not in ("max", "average"):
            raise ConfigurationError(
                "expected 'max' or 'average' for `operation`; received: "
                f"operation={operation!r}")
        self.operation = operation

    pool_size = property(lambda self: self.size)

    def check(self, pre, post) -> None:
        channels = pre.shape[-1] if len(pre.shape) == 3 else 1
        self._check_shapes(pre, post, channels)

    def __repr__(self):
        return (f"PoolingConnector(pool_size={self.size}, strides="
                f"{self.strides}, operation={self.operation!r})")


CONNECTORS = (AllToAllConnector, OneToOneConnector, ConvolutionConnector,
              PoolingConnector)
