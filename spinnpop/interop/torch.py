"""PyTorch interop: ``from_torch`` builds a ``torch.nn.Sequential`` in the
current session; ``to_torch`` exports the session's network as one.

The two differ in layout only: spinnpop's images are channels-last
``(height, width, channels)`` (Keras), torch's ``(N, C, H, W)``. So a
convolution's kernel is permuted, and the weight rows of a dense layer
after a flatten are permuted between torch's flattening order (C, H, W)
and spinnpop's (H, W, C). PyTorch is imported only when these functions
are called.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from spinnpop.cells import CellType, ReLU, Sigmoid, Softmax, Tanh
from spinnpop.connectors import (AllToAllConnector, Connector,
                                 ConvolutionConnector, PoolingConnector)
from spinnpop.control import current_state
from spinnpop.errors import ConfigurationError
from spinnpop.interop.common import (build, chain, check_labels,
                                     window_shape)

_SUPPORTED = ("Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, ReLU, "
              "Sigmoid, Tanh and Softmax")


def from_torch(module, input_shape, label_prefix: str | None = None) -> list:
    """Makes, in the current session, the populations and projections that
    compute what ``module`` does, with its weights.

    Each Linear or Conv2d layer, with the activation after it, becomes a
    population fed by an AllToAllConnector or ConvolutionConnector; each
    MaxPool2d or AvgPool2d a population fed by a PoolingConnector. The
    whole module is checked before anything is made.

    :param module: a ``torch.nn.Sequential`` of Linear, Conv2d, MaxPool2d,
        AvgPool2d, Flatten, ReLU, Sigmoid, Tanh and Softmax layers.
    :param input_shape: the input's shape in spinnpop: an int for a flat
        input (torch (N, features)), or (height, width, channels) for
        images (torch (N, channels, height, width)).
    :param label_prefix: the populations are labelled
        ``"<prefix>.<torch module name>"`` (default prefix ``"torch"``),
        the input ``"<prefix>.input"``.
    :return: the populations made, the input first and the output last.
    """
    torch = _import_torch()
    state = current_state()
    if not isinstance(module, torch.nn.Sequential):
        raise ConfigurationError(
            "expected a torch.nn.Sequential for `module`; received: "
            f"{type(module).__name__}")
    shape = _input_shape(input_shape)
    steps = _plan(torch.nn, module, shape)
    prefix = "torch" if label_prefix is None else label_prefix
    labels = [f"{prefix}.input"] + [f"{prefix}.{s.name}" for s in steps]
    check_labels(labels, state, "from_torch")
    return build(steps, labels, shape, _load)


def to_torch():
    """The current session's network as a ``torch.nn.Sequential`` with its
    weights as they are now (after training, the trained ones).

    The network must be a chain: one Input population, and each other
    population fed by exactly one projection and feeding at most one.
    The module takes what ``predict`` takes, in torch's layout: (N,
    features), or (N, channels, height, width) for images.
    """
    torch = _import_torch()
    layers = []
    for projection in chain(current_state(), "to_torch"):
        layers += _export(torch, projection)
    return torch.nn.Sequential(*layers)


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ConfigurationError(
            "from_torch and to_torch need PyTorch, which is not installed: "
            "pip install torch") from None
    return torch


def _cells(nn) -> dict:
    """Torch's activation modules and spinnpop's cell types for them."""
    return {nn.ReLU: ReLU, nn.Sigmoid: Sigmoid, nn.Tanh: Tanh,
            nn.Softmax: Softmax}


# -- from torch --------------------------------------------------------


@dataclass
class _Step:
    """A population to make: a weighted or pooling torch layer and the
    activation after it."""

    index: int                    # position in the Sequential
    name: str                     # torch's name for the layer
    layer: object                 # the torch layer
    connector: Connector
    shape: tuple                  # the population's, channels-last
    cell: CellType | None = None  # the activation's; None: Linear


def _input_shape(value) -> tuple:
    shape = value if isinstance(value, tuple) else (value,)
    if len(shape) not in (1, 3) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool)
            and n >= 1 for n in shape):
        raise ConfigurationError(
            "expected a positive int (a flat input) or a (height, width, "
            "channels) tuple of them for `input_shape`; received: "
            f"input_shape={value!r}")
    return tuple(int(n) for n in shape)


def _plan(nn, module, shape: tuple) -> list:
    """The _Steps that compute ``module`` on inputs of spinnpop shape
    ``shape``, or a ConfigurationError naming the first layer that
    spinnpop cannot compute."""
    windows = {nn.Linear: _linear, nn.Conv2d: _conv2d,
               nn.MaxPool2d: _max_pool, nn.AvgPool2d: _avg_pool}
    cells = _cells(nn)
    steps = []
    flat = len(shape) == 1     # whether torch sees (N, features) here
    for index, (name, layer) in enumerate(module.named_children()):
        kind = type(layer)
        where = f"{kind.__name__} at position {index} (module {name!r})"
        if kind is nn.Flatten:
            _check_options(layer, where, start_dim=layer.start_dim == 1,
                           end_dim=layer.end_dim == -1)
            flat = True
        elif kind in cells:
            if kind is nn.Softmax:
                _check_softmax(layer, flat, where)
            _activate(steps, index, cells[kind](), where)
        elif kind in windows:
            connector, shape = windows[kind](layer, shape, flat, where)
            steps.append(_Step(index, name, layer, connector, shape))
            flat = len(shape) == 1
        else:
            raise ConfigurationError(
                f"{where} is not supported: from_torch converts "
                f"{_SUPPORTED} layers")
    if not steps:
        raise ConfigurationError(
            "the module has no Linear, Conv2d or pooling layer: nothing to "
            "make populations of")
    return steps


def _activate(steps: list, index: int, cell: CellType, where: str) -> None:
    """Gives the population of the layer just before an activation its
    cell type."""
    if (not steps or steps[-1].index != index - 1
            or steps[-1].cell is not None):
        raise ConfigurationError(
            f"{where} must come right after a Linear, Conv2d or pooling "
            "layer: a population applies one activation to what its "
            "projection brings")
    steps[-1].cell = cell


def _check_softmax(layer, flat: bool, where: str) -> None:
    # spinnpop normalises over a population's features, or over the
    # channels at each position of an image (Keras' axis=-1).
    dims = (None, 1, -1) if flat else (None, 1, -3)
    if layer.dim not in dims:
        raise ConfigurationError(
            f"{where}: dim={layer.dim} is not supported; spinnpop's Softmax "
            "normalises over the features of a flat tensor (dim=1 or -1) "
            "or the channels of an image (dim=1)")


def _check_options(layer, where: str, **supported) -> None:
    """A ConfigurationError naming the options of ``layer`` whose entry in
    ``supported`` is False."""
    unsupported = [f"{name}={getattr(layer, name)!r}"
                   for name, ok in supported.items() if not ok]
    if unsupported:
        raise ConfigurationError(
            f"{where}: {', '.join(unsupported)} is not supported by "
            "spinnpop; leave the option at its default")


def _need_image(flat: bool, where: str) -> None:
    if flat:
        raise ConfigurationError(
            f"{where} needs an image input: give input_shape as (height, "
            "width, channels) and put no Flatten before it")


def _linear(layer, shape: tuple, flat: bool, where: str) -> tuple:
    """(connector, output shape) of an nn.Linear on spinnpop ``shape``."""
    if not flat:
        raise ConfigurationError(
            f"{where} reads an image of shape {shape} (height, width, "
            "channels); put an nn.Flatten before it")
    if layer.in_features != math.prod(shape):
        raise ConfigurationError(
            f"{where} has in_features={layer.in_features}, but its input "
            f"has {math.prod(shape)} features (shape {shape})")
    return AllToAllConnector(), (layer.out_features,)


def _conv2d(layer, shape: tuple, flat: bool, where: str) -> tuple:
    """(connector, output shape) of an nn.Conv2d on (height, width,
    channels) ``shape``."""
    _need_image(flat, where)
    _check_options(layer, where, dilation=layer.dilation == (1, 1),
                   groups=layer.groups == 1,
                   padding_mode=layer.padding_mode == "zeros")
    if layer.in_channels != shape[2]:
        raise ConfigurationError(
            f"{where} has in_channels={layer.in_channels}, but its input "
            f"has {shape[2]} channels (shape {shape})")
    connector = ConvolutionConnector(layer.kernel_size, layer.stride,
                                     _conv_padding(layer, where))
    return connector, window_shape(connector, shape, layer.out_channels, where)


def _conv_padding(layer, where: str) -> str:
    """Keras' name for a Conv2d's padding: "valid" for none, "same" for
    (k - 1) / 2 each side with stride 1 (which is also what torch's
    padding="same" does, the odd one of an even k at the bottom and
    right, as Keras puts it)."""
    if layer.padding in ("valid", "same"):
        return layer.padding
    if layer.padding == (0, 0):
        return "valid"
    if layer.stride == (1, 1) and all(
            2 * p == k - 1 for p, k in zip(layer.padding, layer.kernel_size)):
        return "same"
    raise ConfigurationError(
        f"{where}: padding={layer.padding} with stride={layer.stride} is "
        "supported only as 0 ('valid') or, with stride 1, (k - 1) / 2 for "
        "an odd kernel size k ('same'), the paddings of spinnpop's "
        "ConvolutionConnector")


def _max_pool(layer, shape: tuple, flat: bool, where: str) -> tuple:
    _check_options(layer, where, padding=_pair(layer.padding) == (0, 0),
                   dilation=_pair(layer.dilation) == (1, 1),
                   ceil_mode=not layer.ceil_mode,
                   return_indices=not layer.return_indices)
    return _pooling(layer, shape, flat, where, "max")


def _avg_pool(layer, shape: tuple, flat: bool, where: str) -> tuple:
    _check_options(layer, where, padding=_pair(layer.padding) == (0, 0),
                   ceil_mode=not layer.ceil_mode,
                   divisor_override=layer.divisor_override is None)
    return _pooling(layer, shape, flat, where, "average")


def _pooling(layer, shape: tuple, flat: bool, where: str,
             operation: str) -> tuple:
    """(connector, output shape) of a pooling layer on an image."""
    _need_image(flat, where)
    connector = PoolingConnector(_pair(layer.kernel_size),
                                 _pair(layer.stride), operation)
    return connector, window_shape(connector, shape, shape[2], where)


def _pair(value) -> tuple:
    """A torch argument given as an int or a pair, as a tuple."""
    return (tuple(value) if isinstance(value, (tuple, list))
            else (value, value))


def _load(layer, projection) -> None:
    """Copies a Linear or Conv2d layer's weight and bias (zero without
    one) into ``projection`` and its post population."""
    weight = _numpy(layer.weight)
    if isinstance(projection.connector, ConvolutionConnector):
        # (c_out, c_in, kh, kw) -> (kh, kw, c_in, c_out)
        weight = weight.transpose(2, 3, 1, 0)
    else:
        weight = _rows_channels_last(weight.T, projection.pre.shape)
    projection.set(weight=weight)
    projection.post.set(
        bias=0.0 if layer.bias is None else _numpy(layer.bias))


def _numpy(tensor) -> np.ndarray:
    # .float(): numpy has no bfloat16; spinnpop computes in float32.
    return tensor.detach().cpu().float().numpy()


def _rows_channels_last(weight: np.ndarray, pre_shape: tuple) -> np.ndarray:
    """Dense weights (n_pre, n_post) whose rows follow torch's flattening
    of a (height, width, channels) ``pre_shape``, (C, H, W), put in
    spinnpop's order (H, W, C); those of a flat pre are unchanged."""
    if len(pre_shape) != 3:
        return weight
    height, width, channels = pre_shape
    return weight.reshape(channels, height, width, -1).transpose(
        1, 2, 0, 3).reshape(weight.shape)


# -- to torch ----------------------------------------------------------


def _export(torch, projection) -> list:
    """The torch modules that compute ``projection`` and its post
    population's cell."""
    exporters = {AllToAllConnector: _dense, ConvolutionConnector: _conv,
                 PoolingConnector: _pool}
    exporter = exporters.get(type(projection.connector))
    if exporter is None:
        raise ConfigurationError(
            f"projection {projection.label!r} ({projection.connector!r}) "
            "has no torch layer; to_torch exports AllToAllConnector, "
            "ConvolutionConnector and PoolingConnector projections")
    modules = {cell: module for module, cell in _cells(torch.nn).items()}
    cell = type(projection.post.celltype)
    # dim=1: the features of a flat tensor, the channels of an image.
    activation = ([] if cell not in modules
                  else [modules[cell](dim=1)] if cell is Softmax
                  else [modules[cell]()])
    return exporter(torch, projection) + activation


def _dense(torch, projection) -> list:
    """[Flatten (after a shaped population), Linear]."""
    pre, post = projection.pre, projection.post
    if len(post.shape) > 1:
        raise ConfigurationError(
            f"projection {projection.label!r} is dense into population "
            f"{post.label!r} of shape {post.shape}, which torch's Linear "
            "cannot give (its output is flat)")
    linear = torch.nn.utils.skip_init(torch.nn.Linear, pre.size, post.size)
    weight = _rows_channels_first(projection.get("weight"), pre.shape)
    _copy(torch, linear, weight.T, post.get("bias"))
    return ([torch.nn.Flatten()] if len(pre.shape) > 1 else []) + [linear]


def _rows_channels_first(weight: np.ndarray, pre_shape: tuple) -> np.ndarray:
    """The inverse of _rows_channels_last: rows in (H, W, C) order put in
    torch's (C, H, W)."""
    if len(pre_shape) != 3:
        return weight
    height, width, channels = pre_shape
    return weight.reshape(height, width, channels, -1).transpose(
        2, 0, 1, 3).reshape(weight.shape)


def _conv(torch, projection) -> list:
    """[ZeroPad2d (strided "same" only), Conv2d]."""
    connector, pre = projection.connector, projection.pre
    kernel = projection.get("weight")            # (kh, kw, c_in, c_out)
    modules, padding = [], 0
    if connector.padding == "same" and connector.strides == (1, 1):
        padding = "same"
    elif connector.padding == "same":
        # torch refuses padding="same" with strides: pad as Keras does.
        modules.append(torch.nn.ZeroPad2d(_keras_pads(connector, pre.shape)))
    conv = torch.nn.utils.skip_init(
        torch.nn.Conv2d, kernel.shape[2], kernel.shape[3], connector.size,
        connector.strides, padding)
    _copy(torch, conv, kernel.transpose(3, 2, 0, 1),
          projection.post.get("bias"))
    return modules + [conv]


def _keras_pads(connector, pre_shape: tuple) -> tuple:
    """(left, right, top, bottom) zeros of Keras' "same" padding: the
    total that the output size needs, the odd one at the bottom and
    right."""
    top, left = connector.pads(pre_shape)
    height, width = (
        max((o - 1) * s + k - n, 0) for o, s, k, n in zip(
            connector.output_size(pre_shape), connector.strides,
            connector.size, pre_shape[:2]))
    return left, width - left, top, height - top


def _pool(torch, projection) -> list:
    """[MaxPool2d] or [AvgPool2d]."""
    connector = projection.connector
    if connector.padding != "valid":
        # torch's average counts padded zeros, and its pads are even.
        raise ConfigurationError(
            f"projection {projection.label!r} pools with padding "
            f"{connector.padding!r}, which torch's pooling cannot copy")
    pool = (torch.nn.MaxPool2d if connector.operation == "max"
            else torch.nn.AvgPool2d)
    return [pool(connector.size, connector.strides)]


def _copy(torch, layer, weight: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
        layer.bias.copy_(torch.from_numpy(bias))
