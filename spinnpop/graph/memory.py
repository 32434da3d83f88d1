"""What a core of each model takes from DTCM: the sums of the C models'
spin1_malloc calls (input_source.c, dense_layer.c), block headers included.
A test runs the models and holds these against what they allocated."""

from __future__ import annotations

from spinnpop.hardware import dtcm_block
from spinnpop.mapping.regions import (BACKWARD_TARGET, INCOMING_PROJECTION,
                                      KEY_ENTRY)

_VALUE_BYTES = 4
_PACKET_BYTES = 8
_ARRIVAL_BYTES = 2
_INPUT_SLOT_BYTES = 12
_DENSE_SLOT_BYTES = 24
#: Inputs a dense core can take: arrivals are noted as 16-bit indices.
MAX_FAN_IN = 1 << 16


def input_ring_capacity(n_slots: int, acks_expected: int) -> int:
    """Packets an input core can have waiting: acks for every slot."""
    return n_slots * acks_expected


def input_dtcm(n_slots: int, n_key_entries: int, acks_expected: int) -> int:
    """DTCM bytes of an input source core."""
    return (dtcm_block(n_key_entries * KEY_ENTRY.size)
            + dtcm_block(n_slots * _INPUT_SLOT_BYTES)
            + dtcm_block(input_ring_capacity(n_slots, acks_expected)
                         * _PACKET_BYTES))


def dense_ring_capacity(n_slots: int, backward_expected: int,
                        softmax_cores: int) -> int:
    """Packets a dense core's ring can have waiting: every partial error
    and softmax value of every slot's sample (the input holds back a sample
    until its slot is free everywhere, so no more can come). Activations
    do not pass through the ring."""
    return n_slots * (backward_expected + 2 * softmax_cores)


def dense_dtcm(n_slots: int, n_neurons: int, n_inputs: int, n_incoming: int,
               n_backward_targets: int, n_key_entries: int,
               backward_expected: int, softmax_cores: int) -> int:
    """DTCM bytes of a dense-layer core."""
    values_per_slot = 3 * n_neurons + 2 * softmax_cores
    ring = dense_ring_capacity(n_slots, backward_expected, softmax_cores)
    return (dtcm_block(n_incoming * INCOMING_PROJECTION.size)
            + dtcm_block(n_backward_targets * BACKWARD_TARGET.size)
            + dtcm_block(n_key_entries * KEY_ENTRY.size)
            + dtcm_block(n_slots * _DENSE_SLOT_BYTES)
            + dtcm_block(n_slots * n_inputs * _ARRIVAL_BYTES)
            + dtcm_block(n_slots * values_per_slot * _VALUE_BYTES)
            + dtcm_block(ring * _PACKET_BYTES))
