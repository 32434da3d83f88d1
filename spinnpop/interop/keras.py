"""Keras 3 interop: ``from_keras`` builds a ``keras.Sequential`` in the
current session; ``to_keras`` exports the session's network as one.

Keras and spinnpop lay out images the same way, channels-last ``(height,
width, channels)``, and their weights too: a Dense kernel is (inputs,
units), a Conv2D kernel (kh, kw, c_in, c_out), and Flatten takes (H, W,
C) order; so weights are copied as they are. Keras is imported only when
these functions are called, with whatever backend it is configured for
(``KERAS_BACKEND``: "torch", "jax" or "tensorflow", one of which must be
installed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spinnpop.cells import CellType, Linear, ReLU, Sigmoid, Softmax, Tanh
from spinnpop.connectors import (AllToAllConnector, Connector,
                                 ConvolutionConnector, PoolingConnector)
from spinnpop.control import current_state
from spinnpop.errors import ConfigurationError
from spinnpop.interop.common import (build, chain, check_labels,
                                     window_shape)

_SUPPORTED = ("Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, "
              "Activation, ReLU and Softmax")

#: Keras' activation names and spinnpop's cell types for them.
_CELLS = {"linear": Linear, "relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh,
          "softmax": Softmax}


def from_keras(model, label_prefix: str | None = None) -> list:
    """Makes, in the current session, the populations and projections that
    compute what ``model`` does, with its weights.

    Each Dense or Conv2D layer, with its activation (its own, or an
    Activation, ReLU or Softmax layer right after it), becomes a
    population fed by an AllToAllConnector or ConvolutionConnector; each
    MaxPooling2D or AveragePooling2D a population fed by a
    PoolingConnector. The whole model is checked before anything is made.

    :param model: a built ``keras.Sequential`` (its input shape known: it
        starts with ``keras.Input``, or has been built or called) of the
        layers above, channels-last.
    :param label_prefix: the populations are labelled
        ``"<prefix>.<Keras layer name>"`` (default prefix ``"keras"``), the
        input ``"<prefix>.input"``.
    :return: the populations made, the input first and the output last.
    """
    keras = _import_keras()
    state = current_state()
    if not isinstance(model, keras.Sequential):
        raise ConfigurationError(
            "expected a keras.Sequential for `model`; received: "
            f"{type(model).__name__}")
    shape = _input_shape(model)
    steps = _plan(keras.layers, model, shape)
    prefix = "keras" if label_prefix is None else label_prefix
    labels = [f"{prefix}.input"] + [f"{prefix}.{s.layer.name}"
                                    for s in steps]
    check_labels(labels, state, "from_keras")
    return build(steps, labels, shape, _load)


def to_keras():
    """The current session's network as a ``keras.Sequential`` with its
    weights as they are now (after training, the trained ones).

    The network must be a chain: one Input population, and each other
    population fed by exactly one projection and feeding at most one.
    The model takes what ``predict`` takes: (N, features), or (N, height,
    width, channels) for images.
    """
    keras = _import_keras()
    projections = chain(current_state(), "to_keras")
    layers = [keras.Input(projections[0].pre.shape)]
    weights = []
    for projection in projections:
        exported, given = _export(keras.layers, projection)
        layers += exported
        weights += given
    model = keras.Sequential(layers)
    for layer, values in weights:
        layer.set_weights(values)
    return model


def _import_keras():
    try:
        import keras
    except ImportError as error:
        raise ConfigurationError(
            "from_keras and to_keras need Keras 3 with one of its backends "
            "(pip install keras torch, and KERAS_BACKEND=torch in the "
            f"environment before Keras is first imported): {error}"
        ) from None
    return keras


# -- from Keras --------------------------------------------------------


@dataclass
class _Step:
    """A population to make: a weighted or pooling Keras layer and the
    activation it ends with."""

    last: int                     # position of its last layer (the
    #                               activation's, once it has one)
    layer: object                 # the Keras layer
    connector: Connector
    shape: tuple                  # the population's, channels-last
    cell: CellType | None = None  # None: no activation (Linear)


def _input_shape(model) -> tuple:
    try:
        shape = tuple(model.input_shape[1:])
    except (AttributeError, ValueError):
        raise ConfigurationError(
            "the Keras model has no input shape yet: start it with "
            "keras.Input(shape), or build it") from None
    if len(shape) not in (1, 3) or not all(
            isinstance(n, int) and n >= 1 for n in shape):
        raise ConfigurationError(
            f"the Keras model's input shape {shape} is neither flat "
            "(features,) nor an image (height, width, channels)")
    return shape


def _plan(layers, model, shape: tuple) -> list:
    """The _Steps that compute ``model`` on inputs of ``shape``, or a
    ConfigurationError naming the first layer spinnpop cannot compute."""
    windows = {layers.Dense: _dense, layers.Conv2D: _conv2d,
               layers.MaxPooling2D: _pooling, layers.AveragePooling2D:
               _pooling}
    steps = []
    for index, layer in enumerate(model.layers):
        kind = type(layer)
        where = f"{kind.__name__} {layer.name!r} at position {index}"
        if kind is layers.Flatten:
            shape = (math.prod(shape),)
        elif kind in (layers.Activation, layers.ReLU, layers.Softmax):
            _activate(steps, index, _activation_layer(layers, layer, where),
                      where)
        elif kind in windows:
            connector, shape = windows[kind](layers, layer, shape, where)
            steps.append(_Step(index, layer, connector, shape))
            if kind in (layers.Dense, layers.Conv2D):   # its own
                name = _activation_name(layer.get_config()["activation"],
                                        where)
                _activate(steps, index, _CELLS[name](), where)
        else:
            raise ConfigurationError(
                f"{where} is not supported: from_keras converts "
                f"{_SUPPORTED} layers")
    if not steps:
        raise ConfigurationError(
            "the model has no Dense, Conv2D or pooling layer: nothing to "
            "make populations of")
    return steps


def _activation_name(activation, where: str) -> str:
    """Keras' name of an activation given by name, or a ConfigurationError
    for one spinnpop does not have."""
    name = activation if isinstance(activation, str) else getattr(
        activation, "__name__", repr(activation))
    if name not in _CELLS:
        raise ConfigurationError(
            f"{where}: activation {name!r} is not supported; spinnpop has "
            f"{sorted(_CELLS)}")
    return name


def _activation_layer(layers, layer, where: str) -> CellType:
    """The cell type of an Activation, ReLU or Softmax layer."""
    config = layer.get_config()
    if isinstance(layer, layers.ReLU):
        if (config.get("max_value") is not None
                or config.get("negative_slope", 0) != 0
                or config.get("threshold", 0) != 0):
            raise ConfigurationError(
                f"{where}: only a plain ReLU (no max_value, negative_slope "
                "or threshold) is supported")
        return ReLU()
    if isinstance(layer, layers.Softmax):
        if config.get("axis", -1) != -1:
            raise ConfigurationError(
                f"{where}: axis={config['axis']!r} is not supported; "
                "spinnpop's Softmax takes the last axis (axis=-1)")
        return Softmax()
    return _CELLS[_activation_name(config["activation"], where)]()


def _activate(steps: list, index: int, cell: CellType, where: str) -> None:
    """Gives the population of the layer at ``index`` (its own activation)
    or just before it (an activation layer) its cell type; a linear
    activation changes nothing."""
    if isinstance(cell, Linear):
        return
    if (not steps or steps[-1].last not in (index - 1, index)
            or steps[-1].cell is not None):
        raise ConfigurationError(
            f"{where} must come right after a Dense, Conv2D or pooling "
            "layer without an activation of its own: a population applies "
            "one activation to what its projection brings")
    if isinstance(cell, Softmax) and not isinstance(
            steps[-1].connector, AllToAllConnector):
        raise ConfigurationError(
            f"{where}: a softmax after a convolution or pooling is not "
            "supported; spinnpop's Softmax populations are fed by Dense "
            "layers")
    steps[-1].last = index
    steps[-1].cell = cell


def _check_options(config: dict, where: str, **expected) -> None:
    """A ConfigurationError naming the options of a layer's ``config``
    that are not as ``expected``."""
    wrong = [f"{name}={config[name]!r}" for name, value in expected.items()
             if name in config and config[name] != value]
    if wrong:
        raise ConfigurationError(
            f"{where}: {', '.join(wrong)} is not supported by spinnpop; "
            "leave the option at its default")


def _dense(layers, layer, shape: tuple, where: str) -> tuple:
    """(connector, output shape) of a Dense layer on ``shape``."""
    if len(shape) != 1:
        raise ConfigurationError(
            f"{where} reads an image of shape {shape} (height, width, "
            "channels); put a Flatten before it")
    _check_options(layer.get_config(), where, lora_rank=None)
    return AllToAllConnector(), (int(layer.units),)


def _conv2d(layers, layer, shape: tuple, where: str) -> tuple:
    """(connector, output shape) of a Conv2D on (height, width, channels)
    ``shape``."""
    _need_image(shape, where)
    config = layer.get_config()
    _check_options(config, where, data_format="channels_last",
                   dilation_rate=(1, 1), groups=1, lora_rank=None)
    connector = ConvolutionConnector(tuple(config["kernel_size"]),
                                     tuple(config["strides"]),
                                     config["padding"])
    return connector, window_shape(connector, shape,
                                   int(config["filters"]), where)


def _pooling(layers, layer, shape: tuple, where: str) -> tuple:
    """(connector, output shape) of a MaxPooling2D or AveragePooling2D."""
    _need_image(shape, where)
    config = layer.get_config()
    _check_options(config, where, data_format="channels_last",
                   padding="valid")
    operation = "max" if isinstance(layer, layers.MaxPooling2D) \
        else "average"
    strides = config["strides"] or config["pool_size"]
    connector = PoolingConnector(tuple(config["pool_size"]), tuple(strides),
                                 operation)
    return connector, window_shape(connector, shape, shape[2], where)


def _need_image(shape: tuple, where: str) -> None:
    if len(shape) != 3:
        raise ConfigurationError(
            f"{where} needs an image input (height, width, channels); its "
            f"input has shape {shape}")


def _load(layer, projection) -> None:
    """Copies a Dense or Conv2D layer's kernel and bias (zero without one)
    into ``projection`` and its post population."""
    kernel, *bias = [np.asarray(w, np.float32) for w in layer.get_weights()]
    projection.set(weight=kernel)
    projection.post.set(bias=bias[0] if bias else 0.0)


# -- to Keras ----------------------------------------------------------


def _export(layers, projection) -> tuple:
    """([Keras layers] computing ``projection`` and its post population's
    cell, [(layer, weights to set once built)])."""
    connector, pre, post = projection.connector, projection.pre, \
        projection.post
    names = {cell: name for name, cell in _CELLS.items()}
    activation = names.get(type(post.celltype), "linear")
    if isinstance(connector, AllToAllConnector):
        if len(post.shape) > 1:
            raise ConfigurationError(
                f"projection {projection.label!r} is dense into population "
                f"{post.label!r} of shape {post.shape}, which Keras' Dense "
                "cannot give from a flattened input")
        dense = layers.Dense(post.size, activation=activation)
        flatten = [layers.Flatten()] if len(pre.shape) > 1 else []
        return flatten + [dense], [(dense, [projection.get("weight"),
                                            post.get("bias")])]
    if isinstance(connector, ConvolutionConnector):
        conv = layers.Conv2D(post.shape[2], connector.size,
                             connector.strides, connector.padding,
                             activation=activation)
        return [conv], [(conv, [projection.get("weight"), post.get("bias")])]
    if isinstance(connector, PoolingConnector):
        pool = (layers.MaxPooling2D if connector.operation == "max"
                else layers.AveragePooling2D)(connector.size,
                                              connector.strides)
        after = [] if activation == "linear" \
            else [layers.Activation(activation)]
        return [pool] + after, []
    raise ConfigurationError(
        f"projection {projection.label!r} ({connector!r}) has no Keras "
        "layer; to_keras exports AllToAllConnector, ConvolutionConnector "
        "and PoolingConnector projections")
