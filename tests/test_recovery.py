"""Lost packets are recovered: whatever kind of packet a router drops,
the cores notice, re-send and ignore duplicates, and the training ends
with the weights of a run without losses (float32 sums taken in another
order: within rounding). A run that cannot recover stops and says which
population, core and sample is missing what; it never hangs."""

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.backends import Backend
from spinnpop.backends.emulator.backend import PacketLoss
from spinnpop.control import current_state
from spinnpop.cost_model.report import CLOCK_HZ
from spinnpop.mapping.mapped import Traffic

from spinnpop.datasets import load_digits

from conftest import data, every_kind, mlp


def lose(population, traffic, skip, count=1, core=0):
    current_state().backend.faults = [PacketLoss(
        population.index, traffic, skip=skip, count=count, core=core)]


def network():
    populations, _ = mlp([5, 6, 3], ["relu", "softmax"], neurons_per_core=3)
    return populations


def run(populations):
    x, labels = data(12, 5, 3)
    return sp.train(x, labels, epochs=2, batch_size=4,
                    loss="sparse_categorical_crossentropy", shuffle=False,
                    verbose=0)


def weights(projections):
    return [p.get("weight") for p in projections]


def assert_close(got, want):
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def trained_mlp(loss=None):
    sp.setup(seed=4)
    try:
        populations, projections = mlp([5, 6, 3], ["relu", "softmax"],
                                       neurons_per_core=3)
        if loss is not None:
            lose(populations[loss[0]], *loss[1:])
        history = run(populations)
        return weights(projections), history, sp.counters()
    finally:
        sp.end()


@pytest.fixture(scope="module")
def lossless():
    return trained_mlp()


@pytest.mark.parametrize("sender, traffic, skip, waiting, requests", [
    # The 5 inputs of step 3 are packets 15 to 19 of the input's core:
    # the hidden cores ask for the lost one.
    (0, Traffic.FORWARD, 17, "layer1", 2),
    # The output sends core 0 of layer1 three partial errors per step.
    (2, Traffic.BACKWARD, 3 * 5 + 1, "layer1", 1),
    (2, Traffic.SOFTMAX, 2 * 13 + 1, "layer2", 0),
    (1, Traffic.ACK, 0, "in", 0),
    # The output core asks layer1's core 0 for it.
    (1, Traffic.FORWARD, 6 * 7, "layer2", 1),
], ids=["activation", "partial error", "softmax", "acknowledgement",
        "hidden activation"])
def test_a_lost_packet_of_each_kind_is_recovered(lossless, sender,
                                                 traffic, skip, waiting,
                                                 requests):
    got, history, counters = trained_mlp((sender, traffic, skip))
    # The routers dropped the one packet (an answer may still reach a
    # core that has finished and gone).
    assert sum(c.dropped for c in counters.chips) == 1
    assert sum(c.resends + c.requests for c in counters.of(waiting)) >= 1
    # What one core asks for by key comes alone; a whole log re-sent, or
    # a packet two cores asked for (the other hears it too), comes twice.
    duplicates = sum(c.duplicates for c in counters.cores)
    assert duplicates == 0 if requests == 1 else duplicates >= 1
    assert_close(got, lossless[0])
    np.testing.assert_allclose(history.history["loss"],
                               lossless[1].history["loss"], rtol=1e-6)
    # A lost activation is asked for by itself, by each core it did not
    # reach.
    assert sum(c.requests for c in counters.cores) == requests


@pytest.mark.parametrize("sender, traffic, skip, requests", [
    (1, Traffic.FORWARD, 6 * 7, 1), (2, Traffic.BACKWARD, 3 * 5 + 1, 1),
    # The first of the three activations layer1's core 0 sends for the
    # run's last step: no later sample comes, but later ones of its own.
    (1, Traffic.FORWARD, 3 * 23, 1),
    # The last of them, and the last of the output's partial errors for
    # layer1's core 0, and of the input's activations, of the run's last
    # step: nothing follows them, but nothing of the sample comes for a
    # tick (both hidden cores ask for the input's).
    (1, Traffic.FORWARD, 3 * 23 + 2, 1),
    (2, Traffic.BACKWARD, 3 * 23 + 2, 1),
    (0, Traffic.FORWARD, 5 * 23 + 4, 2)],
    ids=["hidden activation", "partial error", "gap in the last sample",
         "last activation", "last partial error", "last input"])
def test_a_loss_a_later_packet_shows_is_asked_for_at_once(
        lossless, sender, traffic, skip, requests):
    """Packets from one core to another keep their order, so once a later
    sample, or a later packet of the same sample from the same core, has
    come, what is missing before it was lost: it is asked for at the next
    tick. A core sends a sample's packets together, so what is missing of
    them once a whole tick has passed with nothing of the sample coming
    was lost too. No core waits out its patience, and the run takes about
    as long on the chip as without the loss."""
    got, _, counters = trained_mlp((sender, traffic, skip))
    assert sum(c.resends for c in counters.cores) == 0
    assert sum(c.requests for c in counters.cores) == requests
    patience = Backend.patience_ms * 1e-3 * CLOCK_HZ
    assert counters.run_cycles - lossless[2].run_cycles < patience / 4
    assert_close(got, lossless[0])


def test_a_lost_input_activation_costs_one_request_and_one_packet(
        lossless):
    """The hidden cores name what they miss; the input re-sends that
    packet alone for each request, not the sample."""
    got, _, counters = trained_mlp((0, Traffic.FORWARD, 17))
    assert sum(c.resends for c in counters.of("in")) == 0
    requests = sum(c.requests for c in counters.cores)
    assert requests == 2
    sent = sum(c.sent for c in counters.cores)
    assert sent - sum(c.sent for c in lossless[2].cores) == 2 * requests
    assert_close(got, lossless[0])


def test_a_lost_partial_error_is_asked_for_and_sent_alone(lossless):
    """The core that missed one of the output's three partial errors asks
    for it by its key, and the output, which finished the sample, sends
    that one alone: not its other partial errors, not everything it sent
    (six partial errors, its softmax shares); the other cores hear
    nothing."""
    got, _, counters = trained_mlp((2, Traffic.BACKWARD, 3 * 5 + 1))
    extra = {(c.population, c.core): c.sent - before.sent
             for c, before in zip(counters.cores, lossless[2].cores)}
    assert extra == {("in", 0): 0, ("layer1", 0): 1, ("layer1", 1): 0,
                     ("layer2", 0): 1}
    assert sum(c.stale for c in counters.of("layer1")) == 0
    assert_close(got, lossless[0])


def test_a_lost_acknowledgement_from_deep_down_is_asked_for_through_the_layers():
    """An answer to a core upstream passes the question on with one
    activation per segment, so a lost acknowledgement two layers below the
    input's first answerer is sent again."""
    results = []
    for lost in (False, True):
        sp.setup(seed=4)
        try:
            populations, projections = mlp([5, 6, 4, 3],
                                           ["relu", "relu", "softmax"],
                                           neurons_per_core=3)
            if lost:
                lose(populations[3], Traffic.ACK, 5)
            run(populations)
            results.append((weights(projections), sp.counters()))
        finally:
            sp.end()
    (want, _), (got, counters) = results
    assert counters.dropped == 1
    assert sum(c.resends for c in counters.of("in")) >= 1
    assert sum(c.duplicates for c in counters.of("in")) >= 1
    assert_close(got, want)


def test_lost_shares_of_a_hidden_softmax_are_recovered():
    """A hidden softmax's cores exchange a third value per sample in
    training, their share of sum_j a_j e_j: losing some of every round is
    recovered as the forward ones are."""
    results = []
    for count in (0, 30):
        sp.setup(seed=4)
        populations, projections = mlp([5, 6, 4, 3],
                                       ["relu", "softmax", "softmax"],
                                       neurons_per_core=2)
        if count:
            lose(populations[2], Traffic.SOFTMAX, skip=0, count=count)
        run(populations)
        results.append(weights(projections))
        counters = sp.counters()
        assert sum(c.dropped for c in counters.chips) == count
        sp.end()
    assert_close(results[1], results[0])


def test_lost_shared_gradients_are_recovered():
    """Convolution cores sum their kernel gradients at batch ends: a lost
    running sum or total is re-sent, and the sums are not taken twice.
    Only the sums are: the core re-sends its share (3 x 3 x 2 x 3 kernel
    weights and 3 biases) once, and no other population sends or hears
    anything more than without the loss."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 9, 8, 2)).astype(np.float32)
    y = rng.integers(0, 4, 8)
    results, sent = [], []
    for count in (0, 1, 3):
        sp.setup(seed=2)
        populations = every_kind()
        if count:
            lose(populations[1], Traffic.REDUCE, skip=40, count=count)
        sp.train(x, y, epochs=1, batch_size=4, verbose=0,
                 loss="sparse_categorical_crossentropy",
                 optimizer=sp.SGD(0.1, momentum=0.9))
        results.append([p.get("weight") for p in current_state().projections
                        if p._weight is not None])
        # The routers lose what was asked; duplicate acknowledgements that
        # reach the input once it has finished are lost there too.
        assert sum(c.dropped for c in sp.counters().chips) == count
        sent.append({p.label: sum(c.sent for c in sp.counters().of(p.label))
                     for p in populations})
        heard_again = [c for c in sp.counters().cores if c.population != "c1"
                       and c.duplicates + c.stale > 0]
        assert heard_again == []
        sp.end()
    assert_close(results[1], results[0])
    assert_close(results[2], results[0])
    for lossy in sent[1:]:
        assert lossy == dict(sent[0], c1=sent[0]["c1"] + 3 * 3 * 2 * 3 + 3)


def test_lost_packets_that_cannot_be_replaced_stall_and_say_so(session):
    """Every activation of the input's core from its 18th on is lost, first
    sends and re-sends alike: the run stalls after ten seconds of emulated
    quiet time, naming what is missing."""
    populations = network()
    lose(populations[0], Traffic.FORWARD, skip=17, count=10**9)
    with pytest.raises(sp.StallError) as raised:
        run(populations)
    message = str(raised.value)
    assert "packets dropped by routers" in message
    assert "what the cores re-sent did not get through" in message
    assert ("population 'layer1' core 0 (neurons 0:3, chip" in message
            and "is missing 3 of 5 activations from the populations that "
                "feed it for step 3 (epoch 0, position 3, sample 3)"
            in message)
    assert "population 'in' core 0" in message and "resends" in message


def test_the_session_still_works_after_a_stall(session):
    populations = network()
    lose(populations[0], Traffic.FORWARD, skip=0, count=10**9)
    with pytest.raises(sp.StallError):
        run(populations)
    run(populations)
    assert sp.counters().dropped == 0


def test_a_core_that_fails_is_named_with_its_log(session, monkeypatch):
    """A core that stops with rt_error (here: a DTCM heap smaller than the
    budget the network was split for) fails the run with its log."""
    import spinnpop.backends.emulator.transceiver as transceiver
    monkeypatch.setattr(transceiver, "DTCM_HEAP_BYTES", 200)
    populations = network()
    with pytest.raises(sp.RunError, match=r"(?s)population 'layer1' core 0 "
                       r".* error code 10 \(RTE_MALLOC\).*DTCM exhausted "
                       r"allocating"):
        run(populations)


def digits_weights(drop_rate):
    (x, y), _ = load_digits()
    sp.setup(seed=0, drop_rate=drop_rate)
    try:
        _, projections = mlp([64, 32, 10], ["relu", "softmax"],
                             neurons_per_core=16)
        sp.train(x[:480].reshape(480, -1), y[:480], epochs=1, batch_size=32,
                 loss="sparse_categorical_crossentropy", shuffle=False,
                 optimizer=sp.SGD(0.05, momentum=0.9), verbose=0)
        return weights(projections), sp.counters().dropped
    finally:
        sp.end()


@pytest.mark.parametrize("rate", [1e-4, 1e-3, 1e-2])
def test_digits_train_through_random_drops(rate):
    """Routers drop packets of every kind at random, at every hop: the
    training finishes, with the weights of the run without drops."""
    want, _ = digits_weights(0.0)
    got, dropped = digits_weights(rate)
    assert dropped > 0
    assert_close(got, want)


def split_input_weights(shaped, loss=0, core=0):
    """An input split over three cores feeding a dense layer (a flat
    input: a neuron per row) or a convolution (a band of rows each, the
    conv cores' halos crossing them); ``loss`` activations of the input's
    core ``core`` lost."""
    sp.setup(seed=3)
    try:
        rng = np.random.default_rng(5)
        if shaped:
            image = sp.Population((8, 8, 3), sp.Input(), label="image",
                                  neurons_per_core=3 * 8 * 3)
            hidden = sp.Population((8, 8, 4), sp.ReLU(),
                                   neurons_per_core=2 * 8 * 4)
            connector = sp.ConvolutionConnector(3, padding="same")
            x = rng.uniform(0, 1, (8, 8, 8, 3))
        else:
            image = sp.Population(60, sp.Input(), label="image",
                                  neurons_per_core=20)
            hidden = sp.Population(12, sp.ReLU(), neurons_per_core=4)
            connector = sp.AllToAllConnector()
            x = rng.uniform(0, 1, (8, 60))
        out = sp.Population(4, sp.Softmax(), label="out")
        projections = [sp.Projection(image, hidden, connector),
                       sp.Projection(hidden, out, sp.AllToAllConnector())]
        if loss:
            lose(image, Traffic.FORWARD, skip=27, count=loss, core=core)
        sp.train(x.astype(np.float32), rng.integers(0, 4, 8), epochs=1,
                 batch_size=4, optimizer=sp.SGD(0.1, 0.9), verbose=0,
                 shuffle=False, loss="sparse_categorical_crossentropy")
        return weights(projections), sp.counters()
    finally:
        sp.end()


@pytest.mark.parametrize("shaped", [False, True], ids=["flat", "image"])
@pytest.mark.parametrize("core", [0, 1, 2])
def test_lost_input_activations_of_a_split_input_are_asked_for(
        shaped, core):
    """Each core that misses activations names their keys (the sending
    core, its row, column and channel); the input core that sent them
    re-sends those alone, the other input cores ignore the requests."""
    want, _ = split_input_weights(shaped)
    got, counters = split_input_weights(shaped, loss=5, core=core)
    assert counters.dropped == 5
    assert sum(c.requests for c in counters.cores) >= 5
    assert sum(c.resends for c in counters.of("image")) == 0
    assert sum(c.protocol_errors + c.unknown_keys
               for c in counters.cores) == 0
    assert_close(got, want)
