"""What each core's regions hold, worked out from the network graph.

The graph says who talks to whom; this module turns that into partitions
and their key counts, region sizes, and the bytes of the two regions that
the mapping fixes: a core's parameters and its incoming key table. Keys
themselves come from PACMAN, through a ``keys(node, core, partition)``
lookup returning (key, mask).

Key layout: PACMAN gives each core of a population a block of the keys of
each partition it sends; within its block a core sends
``slot << shift | index``, where the slot says which in-flight sample a
packet belongs to and ``shift`` is the number of bits of a neuron index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinnpop.graph.memory import dense_ring_capacity, input_ring_capacity
from spinnpop.graph.network import Edge, Network, Node
from spinnpop.mapping.regions import (BACKWARD_TARGET, DENSE_PARAMS,
                                      INCOMING_PROJECTION, INPUT_PARAMS,
                                      KEY_ENTRY, METRICS_RECORD, RUN_PARAMS,
                                      STATUS, KeyKind, Region)

FORWARD = "forward"
SOFTMAX = "softmax"
ACK = "ack"
_BACKWARD = "backward"
_WORD = 4


@dataclass(frozen=True)
class RunShape:
    """The sizes of a run that region sizes depend on."""

    n_samples: int
    n_steps: int
    record_outputs: bool


def backward_partition(edge: Edge, pre_core: int) -> str:
    """Partition carrying ``edge``'s partial errors to one pre core."""
    return f"{_BACKWARD}:{edge.index}:{pre_core}"


def backward_target_core(partition: str):
    """The pre core a backward partition goes to, or None for others."""
    if not partition.startswith(_BACKWARD + ":"):
        return None
    return int(partition.rsplit(":", 1)[1])


def index_bits(n: int) -> int:
    """Bits of a neuron index among n."""
    return (n - 1).bit_length()


def core_size(node: Node, core: int) -> int:
    start, stop = node.slices[core]
    return stop - start


def forward_shift(node: Node) -> int:
    """Bits of the neuron index in the forward keys of every core of
    ``node`` (the same for all, so that one key-table entry decodes
    them)."""
    return index_bits(core_size(node, 0))


def sent_partitions(network: Network, node: Node) -> list:
    """(partition, receiving node) for everything ``node`` sends."""
    sent = []
    for post in dict.fromkeys(e.post for e in node.outgoing):
        sent.append((FORWARD, post))
    for edge in node.incoming:
        if edge.trained:
            sent.extend((backward_partition(edge, c), edge.pre)
                        for c in range(edge.pre.n_cores))
    if node.is_softmax:
        sent.append((SOFTMAX, node))
    for source in node.upstream_inputs:
        sent.append((ACK, source))
    return sent


def n_keys(network: Network, node: Node, core: int, partition: str) -> int:
    """Keys a core of ``node`` needs in ``partition``."""
    if partition == FORWARD:
        return network.n_slots << forward_shift(node)
    if partition == SOFTMAX:
        return network.n_slots << 1
    if partition == ACK:
        return 1
    edge = network.edges[int(partition.split(":")[1])]
    pre_core = backward_target_core(partition)
    return network.n_slots << index_bits(core_size(edge.pre, pre_core))


def region_sizes(network: Network, node: Node, core: int,
                 shape: RunShape) -> dict:
    """Bytes of each region of a core."""
    n = core_size(node, core)
    sizes = {Region.RUN: RUN_PARAMS.size, Region.STATUS: STATUS.size}
    if node.is_input:
        sizes[Region.PARAMS] = INPUT_PARAMS.size
        sizes[Region.KEYS] = (len(network.downstream_of(node))
                              * KEY_ENTRY.size)
        sizes[Region.DATA] = shape.n_samples * n * _WORD
        sizes[Region.ORDER] = shape.n_steps * _WORD
        return sizes
    sizes[Region.PARAMS] = (
        DENSE_PARAMS.size + len(node.incoming) * INCOMING_PROJECTION.size
        + node.n_backward_targets() * BACKWARD_TARGET.size)
    sizes[Region.KEYS] = node.n_key_entries() * KEY_ENTRY.size
    n_weights = (node.n_inputs + 1) * n
    for region in (Region.WEIGHTS, Region.VELOCITY, Region.GRADIENT):
        sizes[region] = n_weights * _WORD
    sizes[Region.INPUTS] = network.n_slots * node.n_inputs * _WORD
    if node.is_output:
        sizes[Region.TARGETS] = shape.n_samples * n * _WORD
        sizes[Region.ORDER] = shape.n_steps * _WORD
        sizes[Region.METRICS] = shape.n_steps * METRICS_RECORD.size
        if shape.record_outputs:
            sizes[Region.OUTPUTS] = shape.n_steps * n * _WORD
    return sizes


def key_table(network: Network, node: Node, core: int, keys) -> bytes:
    """The incoming key table of a core, sorted by key: an entry per
    partition of a sending population (``keys(sender, None, partition)``
    gives the population's key and mask)."""
    entries = []

    def add(sender, partition, kind, shift, index=0):
        key, mask = keys(sender, None, partition)
        core_mask = keys(sender, 0, partition)[1]
        entries.append(dict(
            key=key, mask=mask, kind=int(kind), shift=shift, index=index,
            core_shift=(~core_mask & 0xFFFFFFFF).bit_length(),
            core_size=core_size(sender, 0)))

    if node.is_input:
        for other in network.nodes:
            if node in other.upstream_inputs:
                add(other, ACK, KeyKind.ACK, 0)
    else:
        for p, edge in enumerate(node.incoming):
            add(edge.pre, FORWARD, KeyKind.FORWARD, forward_shift(edge.pre),
                p)
        shift = index_bits(core_size(node, core))
        for edge in node.outgoing:
            add(edge.post, backward_partition(edge, core), KeyKind.BACKWARD,
                shift)
        if node.is_softmax:
            add(node, SOFTMAX, KeyKind.SOFTMAX, 1)
    entries.sort(key=lambda e: e["key"])
    return KEY_ENTRY.pack(entries)


def params(network: Network, node: Node, core: int, keys) -> bytes:
    """The parameter region of a core."""
    start, stop = node.slices[core]
    n = stop - start
    own = {}
    for partition, _ in sent_partitions(network, node):
        if partition in (FORWARD, SOFTMAX, ACK):
            own[partition] = keys(node, core, partition)[0]
    if node.is_input:
        acks = network.downstream_cores(node)
        return INPUT_PARAMS.pack(dict(
            n_neurons=n, slice_start=start, n_slots=network.n_slots,
            forward_key=own[FORWARD], slot_shift=forward_shift(node),
            acks_expected=acks,
            n_key_entries=len(network.downstream_of(node)),
            ring_capacity=input_ring_capacity(network.n_slots, acks)))
    incoming, offset = [], 0
    for edge in node.incoming:
        incoming.append(dict(n_pre=edge.pre.size, input_offset=offset))
        offset += edge.pre.size
    targets = []
    for p, edge in enumerate(node.incoming):
        if edge.trained:
            for c, (pre_start, pre_stop) in enumerate(edge.pre.slices):
                targets.append(dict(
                    projection=p,
                    key=keys(node, core, backward_partition(edge, c))[0],
                    slot_shift=index_bits(pre_stop - pre_start),
                    pre_start=pre_start, n_pre=pre_stop - pre_start))
    backward_expected = node.backward_expected(n)
    layout = DENSE_PARAMS.pack(dict(
        n_neurons=n, slice_start=start, population_size=node.size,
        n_slots=network.n_slots, forward_key=own.get(FORWARD, 0),
        slot_shift=forward_shift(node), sends_forward=int(FORWARD in own),
        is_output=int(node.is_output), n_inputs=node.n_inputs,
        n_incoming=len(node.incoming), n_key_entries=node.n_key_entries(),
        n_backward_targets=len(targets), backward_expected=backward_expected,
        softmax_cores=node.softmax_cores, softmax_key=own.get(SOFTMAX, 0),
        sends_acks=int(ACK in own), ack_key=own.get(ACK, 0),
        ring_capacity=dense_ring_capacity(
            network.n_slots, backward_expected, node.softmax_cores),
        n_weights=(node.n_inputs + 1) * n))
    return (layout + INCOMING_PROJECTION.pack(incoming)
            + BACKWARD_TARGET.pack(targets))


def run_params(mode: int, shape: RunShape, batch_size: int,
               learning_rate: float, momentum: float) -> bytes:
    """The run region, the same for every core."""
    return RUN_PARAMS.pack(dict(
        mode=mode, n_samples=shape.n_samples, n_steps=shape.n_steps,
        batch_size=batch_size, learning_rate=np.float32(learning_rate),
        momentum=np.float32(momentum),
        record_outputs=int(shape.record_outputs)))
