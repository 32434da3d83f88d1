"""Keras' top-k accuracies: ranked by the host from the outputs the output
cores record, equal to numpy's ranking of the reference's outputs (each
sample's as it went through, before its batch's update)."""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.results.metrics import in_top_k
from spinnpop.training.schedule import epoch_orders

from conftest import data, mlp, reference

N, BATCH, CLASSES = 30, 6, 8


def test_in_top_k_counts_ties_in():
    outputs = np.array([[0.1, 0.5, 0.5, 0.2], [0.4, 0.3, 0.2, 0.1]])
    assert in_top_k(outputs, np.array([2, 3]), 1).tolist() == [True, False]
    assert in_top_k(outputs, np.array([1, 2]), 2).tolist() == [True, False]
    assert in_top_k(outputs, np.array([3, 3]), 3).tolist() == [True, False]


@pytest.mark.parametrize("shuffle", [False, True])
def test_training_top_k_is_the_references(session, shuffle):
    populations, projections = mlp([6, 9, CLASSES], ["relu", "softmax"],
                                   neurons_per_core=3)
    x, labels = data(N, 6, CLASSES)
    ref = reference(populations, projections)
    history = sp.train(x, labels, epochs=2, batch_size=BATCH,
                       loss="sparse_categorical_crossentropy",
                       metrics=["accuracy", "top_k_categorical_accuracy"],
                       optimizer=sp.SGD(0.5, 0.9), shuffle=shuffle,
                       verbose=0)
    order = epoch_orders(7, 0, N, 2, shuffle)
    targets = np.eye(CLASSES, dtype=np.float32)[labels]
    expected = []
    for epoch in order.reshape(2, N):
        correct = []
        for first in range(0, N, BATCH):
            picked = epoch[first:first + BATCH]
            _, a = ref.forward({"in": x[picked]})
            correct.append(in_top_k(a["layer2"], labels[picked], 5))
            ref.train_batch({"in": x[picked]}, {"layer2": targets[picked]},
                            {"layer2": "cross_entropy"}, 0.5, 0.9)
        expected.append(np.concatenate(correct).mean())
    np.testing.assert_array_equal(
        history.history["top_k_categorical_accuracy"], expected)
    assert all(0 < v < 1 for v in expected)    # a test that can fail


def test_validation_top_k_is_that_of_predict(session):
    mlp([6, 9, CLASSES], ["relu", "softmax"])
    x, labels = data(N, 6, CLASSES)
    history = sp.train(x[:20], labels[:20], epochs=1,
                       loss="sparse_categorical_crossentropy",
                       metrics=["sparse_top_k_categorical_accuracy"],
                       validation_data=(x[20:], labels[20:]), verbose=0)
    expected = in_top_k(sp.predict(x[20:]), labels[20:], 5).mean()
    assert history.history["val_sparse_top_k_categorical_accuracy"] == [
        expected]


def test_unknown_metric(session):
    mlp([4, 3], ["softmax"])
    x, labels = data(8, 4, 3)
    with pytest.raises(sp.ConfigurationError,
                       match="'top5'.*top_k_categorical_accuracy"):
        sp.train(x, labels, metrics=["top5"], verbose=0,
                 loss="sparse_categorical_crossentropy")
