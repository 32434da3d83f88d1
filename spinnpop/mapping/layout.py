"""What the tool chain is told and what each core is given, worked out
from the graph (spinnpop.graph.traffic says who sends what to whom).

Partitions of a population: "forward:<k>" (its cores' k-th forward
segments), "backward:<projection>:<pre core>" (partial errors to one pre
core), and its role's own ("softmax", "ack", "reduce", "total"). This
module gives their key counts, which cores send and receive each, the
incoming key table of every core and the common part of its parameters.
Keys themselves come from PACMAN, through a ``keys(node, core,
partition)`` lookup returning (key, mask), core None for a population's.

Key layout: PACMAN gives each core of a population a block of the keys of
each partition it sends; within its block a core sends ``field << shift |
position``, where the slot field is the sample's step modulo twice the
samples in flight: the slot it is in, and which of two successive samples
of that slot (so that a late re-sent packet is never taken for the next
sample's). A forward position is ``row << (col_bits + ch_bits) | column
<< ch_bits | channel`` of the neuron's place in its segment. A running
sum or total of shared gradients is ``parity << shift | weight``, with the
batch's parity.
"""

from __future__ import annotations

from dataclasses import dataclass

from spinnpop.graph import traffic
from spinnpop.graph.traffic import index_bits
from spinnpop.numeric import FLOAT32, Numeric
from spinnpop.mapping.regions import (CORE_PARAMS, FORWARD_SEGMENT,
                                      KEY_ENTRY, RUN_PARAMS, KeyKind)

SOFTMAX, ACK, REDUCE, TOTAL = "softmax", "ack", "reduce", "total"
_FORWARD, _BACKWARD = "forward", "backward"


@dataclass(frozen=True)
class RunShape:
    """The sizes of a run that region sizes depend on."""

    n_samples: int
    n_steps: int
    record_outputs: bool
    #: the optimizer keeps second moments (Adam, RMSprop)
    squares: bool = False


def _kind(partition: str) -> str:
    return partition.split(":")[0]


def _backward_edge(network, partition: str):
    _, edge, pre_core = partition.split(":")
    return network.edges[int(edge)], int(pre_core)


def core_partitions(network, node) -> list:
    """(partition, sending node, receiving nodes) for everything the cores
    of ``node`` send: its own partitions and its hosted node's."""
    return [(partition, sender, targets)
            for sender in dict.fromkeys((node, node.sent))
            for partition, targets in sent_partitions(network, sender)]


def sent_partitions(network, node) -> list:
    """(partition, receiving nodes) for everything ``node`` sends."""
    sent = []
    for k in range(traffic.forward_partitions(node)):
        posts = {}
        for core in range(node.n_cores):
            pieces = traffic.segments(node, core)
            if len(pieces) > k:
                posts.update((post, None) for post, _ in pieces[k].receivers)
        sent.append((traffic.forward_partition(k), list(posts)))
    for edge in node.incoming:
        if edge.trained and not edge.internal:
            sent.extend((traffic.backward_partition(edge, c), [edge.pre])
                        for c in range(edge.pre.n_cores)
                        if traffic.backward_senders(edge, c))
    sent.extend(node.layer.sent_partitions(network).items())
    return sent


def sending_cores(network, node, partition: str) -> list:
    """The cores of ``node`` that send in ``partition``."""
    kind, every = _kind(partition), list(range(node.n_cores))
    if kind == _FORWARD:
        k = int(partition.split(":")[1])
        return [c for c in every if len(traffic.segments(node, c)) > k]
    if kind == _BACKWARD:
        return traffic.backward_senders(*_backward_edge(network, partition))
    if kind == REDUCE:
        return every[:-1]
    if kind == TOTAL:
        return every[-1:]
    return every


def receivers(network, source, partition: str, target) -> dict:
    """{core of ``target``: the cores of ``source`` whose keys in
    ``partition`` reach it}, for the target cores something reaches."""
    kind, senders = _kind(partition), sending_cores(network, source,
                                                    partition)
    if kind == _FORWARD:
        k, reached = int(partition.split(":")[1]), {}
        for core in senders:
            for node, target_core in traffic.segments(source,
                                                      core)[k].receivers:
                if node is target:
                    reached.setdefault(target_core, []).append(core)
        return dict(sorted(reached.items()))
    if kind == _BACKWARD:
        edge, pre_core = _backward_edge(network, partition)
        return {pre_core: senders} if target is edge.pre else {}
    if kind == ACK:
        return dict.fromkeys(range(target.n_cores), senders) \
            if target in source.upstream_inputs else {}
    if target is not source:
        return {}
    if kind == REDUCE:
        return {core: [core - 1] for core in range(1, target.n_cores)}
    if kind == TOTAL:
        return dict.fromkeys(range(target.n_cores - 1), senders)
    return dict.fromkeys(range(target.n_cores), senders)


def _position_bits(node, partition: str) -> int:
    return sum(traffic.position_bits(node, int(partition.split(":")[1])))


def n_keys(network, node, core: int, partition: str) -> int:
    """Keys a core of ``node`` needs in ``partition``."""
    kind, fields = _kind(partition), 2 * network.n_slots
    if kind == _FORWARD:
        # A layer's: one slot field more, a request for a lost partial
        # error.
        return (fields + (not node.is_input)) << _position_bits(node,
                                                               partition)
    if kind == _BACKWARD:
        # One slot field more: a request for a lost activation.
        edge, pre_core = _backward_edge(network, partition)
        return (fields + 1) << index_bits(edge.pre.core_size(pre_core))
    if kind == SOFTMAX:
        return fields << 2      # maximum, exp-sum, a hidden one's share
    if kind == ACK:
        return 2        # an acknowledgement, a request for a lost packet
    return 2 << index_bits(node.layer.n_weights(core))


def _core_shift(network, keys, node, core, partition: str) -> int:
    """Bits below the core number in ``node``'s keys of ``partition``: the
    bits a core's own mask leaves free (any sending core's, if None)."""
    if core is None:
        core = sending_cores(network, node, partition)[0]
    return (~keys(node, core, partition)[1] & 0xFFFFFFFF).bit_length()


def key_table(network, node, core: int, keys) -> bytes:
    """The incoming key table of a core, sorted by key."""
    entries = []

    def add(sender, sender_core, partition, kind, shift, **fields):
        key, mask = keys(sender, sender_core, partition)
        entry = dict(key=key, mask=mask, kind=int(kind), shift=shift,
                     core_shift=_core_shift(network, keys, sender,
                                            sender_core, partition),
                     ch_bits=0, col_bits=0, row0=0, core_rows=0, index=0)
        entry.update(fields)
        entries.append(entry)

    senders = 0      # the cores sending acks or partial errors, numbered
    if node.is_input:
        for other in traffic.acknowledging(network, node):
            add(other, None, ACK, KeyKind.ACK, 1, index=senders)
            senders += other.n_cores
    for p, edge in enumerate(node.incoming):
        pre = edge.pre
        _, col_bits, ch_bits = traffic.position_bits(pre, 0)
        bits = dict(index=p, col_bits=col_bits, ch_bits=ch_bits)
        first = traffic.forward_partition(0)
        if traffic.whole_population(edge, core):
            add(pre, None, first, KeyKind.FORWARD,
                _position_bits(pre, first),
                core_rows=pre.rows(0)[1] - pre.rows(0)[0], **bits)
            continue
        for pre_core, k, piece in traffic.forward_sources(edge, core):
            partition = traffic.forward_partition(k)
            add(pre, pre_core, partition, KeyKind.FORWARD,
                _position_bits(pre, partition), row0=piece.row, **bits)
    for edge in node.sent.outgoing:
        if edge.trained and traffic.backward_senders(edge, core):
            add(edge.post, None, traffic.backward_partition(edge, core),
                KeyKind.BACKWARD, index_bits(node.sent.core_size(core)),
                index=senders)
            senders += edge.post.n_cores
    if node.shares_softmax:
        add(node, None, SOFTMAX, KeyKind.SOFTMAX, 2)
    if traffic.shares_gradients(node):
        shift = index_bits(node.layer.n_weights(core))
        last = node.n_cores - 1
        if core > 0:
            add(node, core - 1, REDUCE, KeyKind.REDUCE, shift)
        if core < last:
            add(node, last, TOTAL, KeyKind.TOTAL, shift)
    entries.sort(key=lambda e: e["key"])
    return KEY_ENTRY.pack(entries)


def params(network, node, core: int, keys) -> bytes:
    """The parameter region of a core: its own, its forward segments (of
    the values it sends), then its role's."""
    start, stop = node.slices[core]
    sent = node.sent
    _, width, channels = sent.grid
    pieces = traffic.segments(sent, core)
    first_row = sent.rows(core)[0]
    segments = []
    for k, piece in enumerate(pieces):
        partition = traffic.forward_partition(k)
        segments.append(dict(
            key=keys(sent, core, partition)[0],
            slot_shift=_position_bits(sent, partition),
            first=(piece.row - first_row) * sent.row_size,
            n_rows=piece.n_rows))
    layout = CORE_PARAMS.pack(dict(
        n_neurons=stop - start, slice_start=start, population_size=node.size,
        n_slots=network.n_slots, width=width, channels=channels,
        col_bits=index_bits(width), ch_bits=index_bits(channels),
        n_segments=len(segments),
        n_key_entries=traffic.n_key_entries(network, node, core)))
    return (layout + FORWARD_SEGMENT.pack(segments)
            + node.layer.role_params(network, core, keys))


def run_params(mode: int, shape: RunShape, batch_size: int,
               patience_ms: int, numeric: Numeric = FLOAT32,
               update: dict | None = None) -> bytes:
    """The run region, the same for every core.

    :param update: the optimizer's fields of the region (its
        ``run_settings()``: the kind, rates and step count), none in
        inference.
    """
    fields = dict.fromkeys(RUN_PARAMS.dtype.names, 0)
    fields.update(mode=mode, n_samples=shape.n_samples,
                  n_steps=shape.n_steps, batch_size=batch_size,
                  record_outputs=int(shape.record_outputs),
                  patience=patience_ms)
    types = {name: c_type for name, c_type, _ in RUN_PARAMS.fields}
    for name, value in (update or {}).items():
        if types[name] == "weight_t":
            value = numeric.weights.word(value, f"the optimizer's {name}")
        fields[name] = value
    return RUN_PARAMS.pack(fields)
