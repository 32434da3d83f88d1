"""Adam and RMSprop on the cores match the numpy reference (same initial
weights and sample order), over several batches, epochs and calls that
continue the same optimizer, on populations split over cores and on shared
convolution kernels; bad settings are refused before anything runs."""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.training.schedule import batches_in

from conftest import (assert_close, assert_matches, data, every_kind, mlp,
                      reference)

N, BATCH = 29, 8

#: (spinnpop optimizer, the reference's options for it)
OPTIMIZERS = {
    "adam": (lambda: sp.Adam(0.01),
             dict(optimizer="adam")),
    "adam-settings": (
        lambda: sp.Adam(0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-6,
                        weight_decay=0.01),
        dict(optimizer="adam", beta1=0.8, beta2=0.99, epsilon=1e-6,
             weight_decay=0.01)),
    "rmsprop": (lambda: sp.RMSprop(0.01),
                dict(optimizer="rmsprop", beta2=0.99)),
    "rmsprop-settings": (
        lambda: sp.RMSprop(0.005, rho=0.9, momentum=0.5, epsilon=1e-6,
                           weight_decay=0.02),
        dict(optimizer="rmsprop", beta2=0.9, momentum=0.5, epsilon=1e-6,
             weight_decay=0.02)),
}


def reference_train(ref, x, y, label, epochs, options, kind="cross_entropy"):
    settings = dict(options)
    rate = settings.pop("learning_rate")
    momentum = settings.pop("momentum", 0.0)
    return ref.train({"in": x}, {label: y}, {label: kind},
                     np.tile(np.arange(len(x)), epochs), BATCH, len(x),
                     rate, momentum, **settings)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_matches_the_reference(session, name):
    make, options = OPTIMIZERS[name]
    populations, projections = mlp([6, 9, 4], ["tanh", "softmax"],
                                   neurons_per_core=4)
    x, labels = data(N, 6, 4)
    ref = reference(populations, projections)
    optimizer = make()
    history = sp.train(x, labels, epochs=3, batch_size=BATCH,
                       loss="sparse_categorical_crossentropy",
                       optimizer=optimizer, shuffle=False, verbose=0)
    losses = reference_train(
        ref, x, np.eye(4, dtype=np.float32)[labels], "layer2", 3,
        dict(options, learning_rate=optimizer.learning_rate))
    assert_close(history.history["loss"], losses.reshape(3, N).mean(axis=1))
    assert_matches(populations, projections, ref)
    assert optimizer.steps == ref.steps == 3 * 4
    assert_close(optimizer.squares[projections[1]],
                 ref.connections[1].squares)
    assert_close(optimizer.squares[populations[2]], ref.bias_squares[
        "layer2"])


@pytest.mark.parametrize("name", ["adam", "rmsprop-settings"])
def test_a_second_call_continues_the_optimizer(session, name):
    """Adam's bias correction counts the steps of both calls; the moments
    carry over through the host."""
    make, options = OPTIMIZERS[name]
    populations, projections = mlp([5, 6, 3], ["relu", "sigmoid"])
    x, _ = data(N, 5, 3)
    y = np.random.default_rng(3).uniform(0, 1, (N, 3)).astype(np.float32)
    ref = reference(populations, projections)
    optimizer = make()
    for _ in range(2):
        sp.train(x, y, epochs=1, batch_size=BATCH, loss="mse",
                 optimizer=optimizer, shuffle=False, verbose=0)
    reference_train(ref, x, y, "layer2", 2,
                    dict(options, learning_rate=optimizer.learning_rate),
                    kind="mse")
    assert_matches(populations, projections, ref)
    assert optimizer.steps == 8


def test_shared_convolution_kernels(session):
    """Every core of a convolution takes the same Adam step from the summed
    gradients, so its kernels stay one."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (6, 9, 8, 2)).astype(np.float32)
    labels = rng.integers(0, 4, 6)
    populations = every_kind()
    projections = [p for p in sp.control.current_state().projections]
    ref = reference(populations, projections)
    sp.train(x, labels, epochs=2, batch_size=4,
             loss="sparse_categorical_crossentropy",
             optimizer=sp.Adam(0.005), shuffle=False, verbose=0)
    ref.train({"image": x.reshape(len(x), -1)},
              {"out": np.eye(4, dtype=np.float32)[labels]},
              {"out": "cross_entropy"}, np.tile(np.arange(6), 2), 4, 6,
              0.005, optimizer="adam")
    assert_matches(populations, projections, ref, rtol=1e-4)


def test_state_kept_is_what_the_settings_use(session):
    populations, projections = mlp([4, 3], ["softmax"])
    x, labels = data(8, 4, 3)
    rmsprop = sp.RMSprop(0.01, momentum=0.5)
    sp.train(x, labels, epochs=1, optimizer=rmsprop, verbose=0,
             loss="sparse_categorical_crossentropy")
    assert set(rmsprop.state_by_name()) == {
        f"{kind}/{label}/{buffer}" for buffer in ("velocity", "squares")
        for kind, label in (("projection", "in->layer1"),
                            ("population", "layer1"))}
    rmsprop.momentum = 0.0      # a momentum buffer would now be stale
    sp.train(x, labels, epochs=1, optimizer=rmsprop, verbose=0,
             loss="sparse_categorical_crossentropy")
    assert rmsprop.squares and not rmsprop.velocities


def test_by_name(session):
    mlp([4, 3], ["softmax"])
    x, labels = data(8, 4, 3)
    history = sp.train(x, labels, epochs=1, optimizer="adam", verbose=0,
                       loss="sparse_categorical_crossentropy")
    assert history.params["optimizer"] == (
        "Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, "
        "epsilon=1e-08, weight_decay=0.0)")


@pytest.mark.parametrize("steps, expected", [(0, 0), (8, 1), (24, 3),
                                             (29, 4), (37, 5), (58, 8)])
def test_batches_in_epochs_with_a_short_last_batch(steps, expected):
    assert batches_in(steps, 29, 8) == expected


@pytest.mark.parametrize("make, message", [
    (lambda: sp.Adam(beta_1=1.0), "beta_1"),
    (lambda: sp.Adam(beta_2=-0.1), "beta_2"),
    (lambda: sp.Adam(epsilon=0), "epsilon"),
    (lambda: sp.Adam(learning_rate=float("nan")), "learning_rate"),
    (lambda: sp.RMSprop(rho=1.5), "rho"),
    (lambda: sp.RMSprop(momentum="0.9"), "momentum"),
    (lambda: sp.RMSprop(weight_decay=-1), "weight_decay"),
])
def test_bad_settings(make, message):
    with pytest.raises(sp.ConfigurationError, match=message):
        make()


def test_unknown_name(session):
    mlp([4, 3], ["softmax"])
    x, labels = data(8, 4, 3)
    with pytest.raises(sp.ConfigurationError, match="'adamw'.*'adam'"):
        sp.train(x, labels, optimizer="adamw", verbose=0,
                 loss="sparse_categorical_crossentropy")


@pytest.mark.parametrize("optimizer", [sp.Adam, sp.RMSprop])
def test_fixed_point_refuses_second_moments(optimizer):
    sp.setup(numeric="fixed")
    try:
        populations, _ = mlp([4, 3], ["softmax"])
        weights = populations[1].get("bias").copy()
        x, labels = data(8, 4, 3)
        with pytest.raises(sp.ConfigurationError, match="float32"):
            sp.train(x, labels, optimizer=optimizer(), verbose=0,
                     loss="sparse_categorical_crossentropy")
        np.testing.assert_array_equal(populations[1].get("bias"), weights)
    finally:
        sp.end()
