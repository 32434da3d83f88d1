"""A run that goes quiet before its work is done stops and says which
population, core and sample is missing what; it never hangs."""

import pytest

import spinnpop as sp
from spinnpop.backends.emulator.backend import PacketLoss
from spinnpop.control import current_state
from spinnpop.mapping.mapped import Traffic

from conftest import data, mlp


def lose(population, traffic, skip):
    current_state().backend.faults = [PacketLoss(
        population.index, traffic, skip=skip, count=1)]


def network():
    populations, _ = mlp([5, 6, 3], ["relu", "softmax"], neurons_per_core=3)
    return populations


def run(populations):
    x, labels = data(12, 5, 3)
    sp.train(x, labels, epochs=2, batch_size=4,
             loss="sparse_categorical_crossentropy", shuffle=False,
             verbose=0)


def test_lost_forward_packet(session):
    populations = network()
    # The 5 inputs of step 3 are packets 15 to 19 of the input's core.
    lose(populations[0], Traffic.FORWARD, skip=17)
    with pytest.raises(sp.StallError) as raised:
        run(populations)
    message = str(raised.value)
    assert "1 packets dropped by routers" in message
    assert ("population 'layer1' core 0 (neurons 0:3, chip" in message
            and "is missing 1 of 5 activations from the populations that "
                "feed it for step 3 (epoch 0, position 3, sample 3)"
            in message)
    assert "population 'in' core 0" in message


@pytest.mark.parametrize("sender, traffic, skip, message", [
    # The output sends core 0 of layer1 three partial errors per step.
    (2, Traffic.BACKWARD, 3 * 5 + 1, r"'layer1' core 0 .* missing 1 of 3 "
     r"partial errors .* step 5 \(epoch 0"),
    (2, Traffic.SOFTMAX, 2 * 13 + 1, r"'layer2' core 0 .* missing 1 of 2 "
     r"softmax .* step 13 \(epoch 1, position 1"),
    (1, Traffic.ACK, 0, r"'in' core 0 .* missing 1 of 3 acknowledgements "
     r".* step 0 \(epoch 0, position 0"),
], ids=["partial error", "softmax", "acknowledgement"])
def test_lost_packet_of_each_kind(session, sender, traffic, skip, message):
    populations = network()
    lose(populations[sender], traffic, skip=skip)
    with pytest.raises(sp.StallError, match=message):
        run(populations)


def test_the_session_still_works_after_a_stall(session):
    populations = network()
    lose(populations[0], Traffic.FORWARD, skip=0)
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
