"""Memory: the region layouts the C compiles against are the Python ones,
and the DTCM the Python side budgets is what the cores allocate."""

import os

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.control import current_state
from spinnpop.graph.network import Network
from spinnpop.mapping.regions import c_header
from spinnpop.training.losses import LOSSES

from conftest import data, mlp

HEADER = os.path.join(os.path.dirname(__file__), os.pardir, "c_models",
                      "common", "regions.h")


def test_c_header_is_generated_from_the_layouts():
    with open(HEADER, encoding="utf-8") as header:
        assert header.read() == c_header(), (
            "regenerate it: python -m spinnpop.mapping.c_header > "
            "c_models/common/regions.h")


def convolutional():
    """Every kind, split: convolutions (with a shortcut), both poolings."""
    image = sp.Population((9, 8, 2), sp.Input(), label="image")
    c1 = sp.Population((9, 8, 3), sp.ReLU(), label="c1",
                       neurons_per_core=48)
    c2 = sp.Population((9, 8, 3), sp.Tanh(), label="c2",
                       neurons_per_core=72)
    s3 = sp.Population((4, 4, 3), sp.Linear(), label="s3",
                       neurons_per_core=24)
    s4 = sp.Population((3, 3, 3), sp.Sigmoid(), label="s4")
    out = sp.Population(4, sp.Softmax(), label="out")
    same = sp.ConvolutionConnector(3, padding="same")
    for pre, post, connector in (
            (image, c1, same), (c1, c2, same), (c1, c2, sp.OneToOneConnector()),
            (c2, s3, sp.PoolingConnector(2)),
            (s3, s4, sp.PoolingConnector(2, 1, "average")),
            (s4, out, sp.AllToAllConnector())):
        sp.Projection(pre, post, connector)
    return [image, c1, c2, s3, s4, out], (9, 8, 2)


@pytest.mark.parametrize("kinds", ["dense", "convolutional"])
def test_dtcm_budget_is_what_the_cores_allocate(session, kinds):
    if kinds == "dense":
        populations, _ = mlp([13, 10, 7, 4], ["relu", "tanh", "softmax"],
                             neurons_per_core=3)
        x, labels = data(9, 13, 4)
    else:
        populations, shape = convolutional()
        x, labels = data(9, int(np.prod(shape)), 4)
    loss = "sparse_categorical_crossentropy"
    sp.train(x, labels, epochs=1, batch_size=3, loss=loss, verbose=0)
    state = current_state()
    network = Network(state.populations, state.projections,
                      state.samples_in_flight).prepare(
        {populations[-1]: LOSSES[loss]}, len(x))
    counters = sp.counters()
    for node in network.nodes:
        for core in range(node.n_cores):
            used = counters.of(node.label)[core].dtcm_bytes
            assert used == node.layer.dtcm(network, core), (node.label, core)
    assert max(n.n_cores for n in network.nodes) > 1
