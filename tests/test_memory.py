"""Memory: the region layouts the C compiles against are the Python ones,
and the DTCM the Python side budgets is what the cores allocate."""

import os

import spinnpop as sp
from spinnpop.control import current_state
from spinnpop.graph.network import Network
from spinnpop.graph.memory import input_dtcm
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


def test_dtcm_budget_is_what_the_cores_allocate(session):
    populations, _ = mlp([13, 10, 7, 4], ["relu", "tanh", "softmax"],
                         neurons_per_core=3)
    x, labels = data(9, 13, 4)
    loss = "sparse_categorical_crossentropy"
    sp.train(x, labels, epochs=1, batch_size=3, loss=loss, verbose=0)
    network = Network(current_state()).prepare(
        {populations[-1]: LOSSES[loss]}, len(x))
    counters = sp.counters()
    for node in network.nodes:
        for core, (start, stop) in enumerate(node.slices):
            used = counters.of(node.label)[core].dtcm_bytes
            if node.is_input:
                budget = input_dtcm(network.n_slots,
                                    len(network.downstream_of(node)),
                                    network.downstream_cores(node))
            else:
                budget = network.dense_dtcm(node, stop - start)
            assert used == budget, (node.label, core)
