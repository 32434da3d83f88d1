"""Optional: networks converted from keras.Sequential (Keras 3, on its torch
backend) compute what Keras does, and the session's network exported to
Keras computes what predict does, trained or not."""

import os
import re
import sys

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.control import current_state
from spinnpop.interop.keras import from_keras, to_keras

from conftest import assert_close, data, images, trained_for_export

# Keras reads its backend once, when first imported: torch, if installed.
os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
layers = keras.layers


def keras_outputs(model, x):
    return np.asarray(model.predict(x, verbose=0))


def test_mlp_from_keras(session):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20,)),
                              layers.Dense(16, activation="relu"),
                              layers.Dense(5), layers.Softmax()])
    populations = from_keras(model)
    assert [p.label for p in populations] == [
        "keras.input", f"keras.{model.layers[0].name}",
        f"keras.{model.layers[1].name}"]
    assert [type(p.celltype) for p in populations] == [
        sp.Input, sp.ReLU, sp.Softmax]
    x, _ = data(9, 20, 5)
    assert_close(sp.predict(x), keras_outputs(model, x))


def test_lenet_from_keras(session):
    """'same' and 'valid' convolutions, strides, max and average pooling,
    activations as arguments and as layers, and Flatten (channels-last in
    both)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((12, 12, 1)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2), layers.Conv2D(6, 3), layers.Activation("tanh"),
        layers.AveragePooling2D(2), layers.Conv2D(3, 2, strides=2,
                                                  padding="same"),
        layers.Flatten(), layers.Dense(10), layers.ReLU(),
        layers.Dense(3, activation="softmax")])
    populations = from_keras(model, label_prefix="lenet")
    assert [p.shape for p in populations] == [
        (12, 12, 1), (12, 12, 4), (6, 6, 4), (4, 4, 6), (2, 2, 6), (1, 1, 3),
        (10,), (3,)]
    x = images(7, (12, 12, 1))
    assert_close(sp.predict(x), keras_outputs(model, x))


def test_trained_network_to_keras(session):
    conv, x = trained_for_export(sp.Adam(0.01))
    model = to_keras()
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "MaxPooling2D", "AveragePooling2D", "Activation",
        "Flatten", "Dense"]
    assert conv.get("bias").any()
    assert_close(keras_outputs(model, x), sp.predict(x))


def test_round_trip(session):
    """to_keras then from_keras, in a new session, predicts the same."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3, 3, 2)), layers.Flatten(),
                              layers.Dense(6, activation="tanh"),
                              layers.Dense(3, use_bias=False)])
    from_keras(model)
    x = images(5, (3, 3, 2))
    expected = sp.predict(x)
    assert_close(expected, keras_outputs(model, x))
    exported = to_keras()
    assert_close(keras_outputs(exported, x), expected)
    sp.setup(seed=3)
    from_keras(exported, label_prefix="again")
    assert_close(sp.predict(x), expected)


@pytest.mark.parametrize("layer, message", [
    (lambda: layers.Dropout(0.5), "Dropout 'unsupported' at position 1"),
    (lambda: layers.BatchNormalization(), "BatchNormalization"),
    (lambda: layers.Conv2D(4, 2, dilation_rate=2), "dilation_rate=(2, 2)"),
    (lambda: layers.Conv2D(4, 3, groups=2), "groups=2"),
    (lambda: layers.MaxPooling2D(2, padding="same"), "padding='same'"),
    (lambda: layers.Activation("elu"), "activation 'elu'"),
    (lambda: layers.ReLU(max_value=6.0), "plain ReLU"),
    (lambda: layers.Softmax(axis=1), "axis=1"),
    (lambda: layers.Dense(4), "put a Flatten before it"),
    (lambda: layers.Conv2D(4, 3, activation="softmax"),
     "softmax after a convolution"),
])
def test_unsupported_layer(session, layer, message):
    """Named with its class, name and position, before any population is
    made."""
    unsupported = layer()
    unsupported.name = "unsupported"
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.Conv2D(4, 3),
                              unsupported, layers.Flatten(),
                              layers.Dense(2)])
    with pytest.raises(sp.ConfigurationError, match=re.escape(message)):
        from_keras(model)
    assert current_state().populations == []


def test_misplaced_activation_and_models(session):
    with pytest.raises(sp.ConfigurationError, match="right after"):
        from_keras(keras.Sequential([
            keras.Input((4,)), layers.Dense(2, activation="relu"),
            layers.Activation("tanh")]))
    with pytest.raises(sp.ConfigurationError, match="no input shape"):
        from_keras(keras.Sequential([layers.Dense(2)]))
    inputs = keras.Input((4,))
    functional = keras.Model(inputs, layers.Dense(2)(inputs))
    with pytest.raises(sp.ConfigurationError, match="keras.Sequential"):
        from_keras(functional)
    assert current_state().populations == []


def test_labels_taken(session):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    from_keras(model)
    with pytest.raises(sp.ConfigurationError, match="label_prefix"):
        from_keras(model)
    assert len(from_keras(model, "b")) == 2


def test_only_chains_export(session):
    inp = sp.Population(4, sp.Input())
    for _ in range(2):
        sp.Projection(inp, sp.Population(2, sp.Linear()),
                      sp.AllToAllConnector())
    with pytest.raises(sp.ConfigurationError,
                       match="to_keras exports only chains.*feeds 2"):
        to_keras()


def test_needs_setup_and_keras(monkeypatch):
    sp.end()
    with pytest.raises(sp.NotSetUpError):
        from_keras(keras.Sequential([keras.Input((4,)), layers.Dense(2)]))
    monkeypatch.setitem(sys.modules, "keras", None)
    with pytest.raises(sp.ConfigurationError, match="pip install keras"):
        to_keras()
