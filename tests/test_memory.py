"""Memory: the region layouts the C compiles against are the Python ones,
and the DTCM the Python side budgets is what the cores allocate."""

import os

import pytest

import spinnpop as sp
from spinnpop.control import current_state
from spinnpop.graph.network import Network
from spinnpop.mapping.regions import c_header
from spinnpop.training.losses import LOSSES

from conftest import data, every_kind, mlp

HEADER = os.path.join(os.path.dirname(__file__), os.pardir, "c_models",
                      "common", "regions.h")


def test_c_header_is_generated_from_the_layouts():
    with open(HEADER, encoding="utf-8") as header:
        assert header.read() == c_header(), (
            "regenerate it: python -m spinnpop.mapping.c_header > "
            "c_models/common/regions.h")


@pytest.mark.parametrize("kinds", ["dense", "dense, weights in SDRAM",
                                   "convolutional, average first",
                                   "convolutional, max first"])
def test_dtcm_budget_is_what_the_cores_allocate(session, kinds):
    if kinds == "dense":
        populations, _ = mlp([13, 10, 7, 4], ["relu", "tanh", "softmax"],
                             neurons_per_core=3)
        x, labels = data(9, 13, 4)
    elif kinds == "dense, weights in SDRAM":
        # 1,501 x 9 weights and their gradients: more than a core's DTCM.
        populations, _ = mlp([1500, 9, 4], ["relu", "softmax"],
                             neurons_per_core=9)
        x, labels = data(9, 1500, 4)
    else:
        first = kinds.split(", ")[1].split()[0]
        populations = every_kind(pooling=(first, {"max": "average",
                                                  "average": "max"}[first]))
        x, labels = data(9, 9 * 8 * 2, 4)
    loss = "sparse_categorical_crossentropy"
    sp.train(x, labels, epochs=1, batch_size=3, loss=loss, verbose=0)
    state = current_state()
    network = Network(state.populations, state.projections,
                      state.samples_in_flight).prepare(
        {populations[-1]: LOSSES[loss]}, len(x))
    counters = sp.counters()
    for node in network.placed:
        for core in range(node.n_cores):
            used = counters.of(node.label)[core].dtcm_bytes
            assert used == node.layer.dtcm(network, core), (node.label, core)
    in_sdram = [node.layer.weights_in_sdram(network, 0)
                for node in network.placed]
    assert in_sdram == ([False, True, False]
                        if kinds == "dense, weights in SDRAM"
                        else [False] * len(network.placed))
    if kinds != "dense, weights in SDRAM":
        assert max(n.n_cores for n in network.nodes) > 1
