"""The packet protocol: splitting changes nothing, runs are deterministic,
and the packets per sample are exactly the protocol's."""

import numpy as np
import pytest

import spinnpop as sp

from conftest import assert_close, data, every_kind, mlp

N, EPOCHS, BATCH = 23, 2, 6


def trained(neurons_per_core, seed=0):
    sp.setup(seed=3)
    try:
        populations, projections = mlp([9, 14, 11, 5],
                                       ["relu", "sigmoid", "softmax"],
                                       neurons_per_core=neurons_per_core,
                                       seed=seed)
        x, labels = data(N, 9, 5)
        history = sp.train(x, labels, epochs=EPOCHS, batch_size=BATCH,
                           loss="sparse_categorical_crossentropy",
                           optimizer=sp.SGD(0.3, momentum=0.9),
                           shuffle=True, verbose=0)
        weights = [p.get("weight") for p in projections]
        biases = [p.get("bias") for p in populations[1:]]
        return weights, biases, history.history, sp.counters()
    finally:
        sp.end()


def test_splitting_over_cores_changes_nothing():
    reference = trained(None)
    for per_core in (1, 3, 7, 10_000):
        weights, biases, history, _ = trained(per_core)
        for got, want in zip(weights + biases, reference[0] + reference[1]):
            assert_close(got, want, rtol=1e-6)
        assert_close(history["loss"], reference[2]["loss"], rtol=1e-6)


def test_identical_runs_give_identical_bits():
    first, second = trained(4), trained(4)
    for a, b in zip(first[0] + first[1], second[0] + second[1]):
        assert a.tobytes() == b.tobytes()
    assert first[2] == second[2]


@pytest.mark.parametrize("per_core", [1, 4])
def test_packets_per_sample_follow_the_protocol(per_core):
    """forward: one packet per neuron; backward: n_pre x (post cores) per
    trained projection; softmax: a max and a sum per output core to each
    of them; acks: one per non-input core to each input core."""
    _, _, _, counters = trained(per_core)
    steps = N * EPOCHS
    sizes = {"in": 9, "layer1": 14, "layer2": 11, "layer3": 5}
    cores = {label: len(counters.of(label)) for label in sizes}
    assert cores["layer1"] == -(-14 // per_core)
    sent = {label: {kind: sum(c.sent_by_traffic[kind]
                              for c in counters.of(label))
                    for kind in ("forward", "backward", "softmax", "ack")}
            for label in sizes}
    for label in ("in", "layer1", "layer2"):
        assert sent[label]["forward"] == sizes[label] * steps
    assert sent["layer3"]["forward"] == 0
    # The post population sends the partial errors of a projection.
    assert sent["layer1"]["backward"] == 0            # its pre is an input
    assert sent["layer2"]["backward"] == 14 * cores["layer2"] * steps
    assert sent["layer3"]["backward"] == 11 * cores["layer3"] * steps
    assert sent["layer3"]["softmax"] == 2 * cores["layer3"] * steps
    for label in ("layer1", "layer2", "layer3"):
        assert sent[label]["ack"] == cores[label] * steps
    for core in counters.cores:
        assert core.sent == sum(core.sent_by_traffic.values())
        assert core.dropped == 0
    assert counters.dropped == 0
    # Forward packets reach every core of the next population; each
    # backward packet reaches exactly one core (its pre neuron's).
    received = {label: sum(c.received for c in counters.of(label))
                for label in sizes}
    assert received["in"] == steps * (cores["layer1"] + cores["layer2"]
                                      + cores["layer3"]) * cores["in"]
    assert received["layer1"] == steps * (
        9 * cores["layer1"] + 14 * cores["layer2"])
    assert received["layer3"] == steps * (
        11 * cores["layer3"] + 2 * cores["layer3"] ** 2)


def test_counters_need_a_run(session):
    with pytest.raises(sp.NotSetUpError, match="nothing has run"):
        sp.counters()


def trained_with(**options):
    sp.setup(seed=5, **options)
    try:
        populations, projections = mlp([6, 9, 7, 4],
                                       ["tanh", "relu", "softmax"],
                                       neurons_per_core=3)
        x, labels = data(N, 6, 4)
        sp.train(x, labels, epochs=EPOCHS, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy",
                 optimizer=sp.SGD(0.3, momentum=0.9), verbose=0)
        return ([p.get("weight") for p in projections]
                + [p.get("bias") for p in populations[1:]])
    finally:
        sp.end()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_any_delivery_order_gives_the_same_training(seed):
    """Packets held in flight for random times and delivered in random
    order (as reinjection can do) change only the rounding."""
    for got, want in zip(trained_with(reorder_seed=seed), trained_with()):
        assert_close(got, want, rtol=1e-6)


@pytest.mark.parametrize("in_flight", [1, 3, 5])
def test_samples_in_flight_change_nothing(in_flight):
    for got, want in zip(trained_with(samples_in_flight=in_flight),
                         trained_with()):
        assert_close(got, want, rtol=1e-6)


def test_reordering_is_real_and_reproducible():
    in_order, shuffled = trained_with(), trained_with(reorder_seed=1)
    assert any(a.tobytes() != b.tobytes()
               for a, b in zip(in_order, shuffled))
    again = trained_with(reorder_seed=1)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(shuffled, again))


def trained_and_counted(network, x, labels, **options):
    """(weights and biases, counters) of a training with setup options."""
    sp.setup(seed=5, **options)
    try:
        populations, projections = network()
        sp.train(x, labels, epochs=EPOCHS, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy",
                 optimizer=sp.SGD(0.3, momentum=0.9), verbose=0)
        return ([p.get("weight") for p in projections if p.shape is not None]
                + [p.get("bias") for p in populations
                   if p._bias_shape() is not None]), sp.counters()
    finally:
        sp.end()


def every_kind_network():
    from spinnpop.control import current_state
    populations = every_kind()
    return populations, current_state().projections


# The output cores send 20 partial errors in one callback, more than the
# outgoing queue holds, so that some sends fail whatever the timing.
@pytest.mark.parametrize("network, shape", [
    (lambda: mlp([6, 9, 20, 4], ["tanh", "relu", "softmax"],
                 neurons_per_core=3), (6,)),
    (every_kind_network, (9, 8, 2))], ids=["dense", "every kind"])
@pytest.mark.parametrize("seed", [1, 2])
def test_interrupts_inside_callbacks_and_full_send_queues(network, shape,
                                                          seed):
    """As on a chip: packet interrupts cut into callbacks (wherever they
    call the SpiNNaker API, unless masked) and sends fail while a core's
    16-packet outgoing queue is full. Training differs only by rounding,
    every core sends and receives what it does in order, and no packet is
    lost or misread."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (N,) + shape).astype(np.float32)
    labels = rng.integers(0, 4, N)
    calm, in_order = trained_and_counted(network, x, labels)
    rough, counters = trained_and_counted(network, x, labels,
                                          preemption_seed=seed)
    for got, want in zip(rough, calm, strict=True):
        assert_close(got, want, rtol=1e-5)
    assert [(c.sent, c.received) for c in counters.cores] == [
        (c.sent, c.received) for c in in_order.cores]
    assert sum(c.send_failures for c in counters.cores) > 0
    assert sum(c.preemptions for c in counters.cores) > 0
    assert counters.dropped == 0
    assert all(c.protocol_errors == c.unknown_keys == 0
               for c in counters.cores)
