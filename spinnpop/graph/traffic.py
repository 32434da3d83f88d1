"""Who sends what to whom, core by core, worked out from the graph and its
splits: what the DTCM budgets count and what the mapping routes.

- Forward: a core's rows go out in *segments*, runs of rows whose
  activations are needed by the same cores (the cores whose receptive
  fields hold them); each segment is one key block, routed to exactly
  those cores, so every activation is sent once and a core receives only
  what it uses. Rows no core needs are not sent.
- Backward: a post core sends each pre core the partial errors of the pre
  neurons in its receptive field that the pre core owns, as one block of
  whole pre rows.
- Softmax values go to every core of the population, acknowledgements to
  the input populations upstream, and the gradients of shared weights
  along the population's cores and back.

Projections inside a core (a convolution to the pooling it hosts) carry
no traffic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


def per_split(function):
    """Remembers ``function``'s results until a split changes; its first
    argument is a graph Node or Edge, or a Node's layer."""
    @functools.wraps(function)
    def remembered(first, *args):
        owner = getattr(first, "node", first)
        node = getattr(owner, "pre", owner)
        key = (function.__name__, first, args)
        cache = node.network.cache
        if key not in cache:
            cache[key] = function(first, *args)
        return cache[key]
    return remembered


@dataclass(frozen=True)
class Segment:
    """Grid rows [row, row + n_rows) of a core sent under one key block
    to ``receivers``, a frozenset of (Node, core)."""

    row: int
    n_rows: int
    receivers: frozenset


@dataclass(frozen=True)
class Block:
    """Pre grid rows [row, row + n_rows) of ``pre_core`` that a core of
    ``edge``'s post population sends partial errors for."""

    edge: object
    pre_core: int
    row: int
    n_rows: int

    @property
    def pre_start(self) -> int:
        return self.row * self.edge.pre.row_size

    @property
    def n_pre(self) -> int:
        return self.n_rows * self.edge.pre.row_size


def index_bits(n: int) -> int:
    """Bits of an index among n."""
    return (n - 1).bit_length()


@per_split
def segments(node, core: int) -> list:
    """The forward segments of a core, in row order."""
    first, stop = node.rows(core)
    cuts, needs = {first, stop}, []
    for edge in node.outgoing:
        if edge.internal:
            continue
        for post_core in range(edge.post.n_cores):
            start, end = edge.overlap(post_core, core)
            if start < end:
                needs.append((start, end, (edge.post, post_core)))
                cuts.update((start, end))
    cuts = sorted(cuts)
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        receivers = frozenset(who for a, b, who in needs
                              if a <= start and end <= b)
        last = pieces[-1] if pieces else None
        if last is not None and last.receivers == receivers \
                and last.row + last.n_rows == start:
            pieces[-1] = Segment(last.row, last.n_rows + end - start,
                                 receivers)
        else:
            pieces.append(Segment(start, end - start, receivers))
    return [piece for piece in pieces if piece.receivers]


@per_split
def forward_partitions(node) -> int:
    """Forward partitions of a population: its cores' most segments."""
    return max((len(segments(node, c)) for c in range(node.n_cores)),
               default=0)


def forward_partition(k: int) -> str:
    return f"forward:{k}"


@per_split
def position_bits(node, k: int) -> tuple:
    """(row, column, channel) bits of a position in forward partition k,
    the same for every core so that one key-table entry can decode
    them all."""
    rows = max((segments(node, c)[k].n_rows for c in range(node.n_cores)
                if len(segments(node, c)) > k), default=1)
    _, width, channels = node.grid
    return index_bits(rows), index_bits(width), index_bits(channels)


@per_split
def whole_population(edge, post_core: int) -> bool:
    """Whether a post core receives every core of ``edge``'s pre
    population as one segment each, so that one key-table entry covers
    them all."""
    pre = edge.pre
    for core in range(pre.n_cores):
        pieces = segments(pre, core)
        if len(pieces) != 1 or pieces[0].n_rows != pre.rows(core)[1] \
                - pre.rows(core)[0] \
                or (edge.post, post_core) not in pieces[0].receivers:
            return False
    return True


@per_split
def forward_sources(edge, post_core: int) -> list:
    """(pre core, partition index k, Segment) of every forward block a
    post core receives over ``edge``."""
    return [(core, k, piece) for core in range(edge.pre.n_cores)
            for k, piece in enumerate(segments(edge.pre, core))
            if (edge.post, post_core) in piece.receivers]


def backward_partition(edge, pre_core: int) -> str:
    """Partition carrying ``edge``'s partial errors to one pre core."""
    return f"backward:{edge.index}:{pre_core}"


@per_split
def backward_blocks(node, core: int) -> list:
    """The Blocks a core sends partial errors for, in incoming order."""
    blocks = []
    for edge in node.incoming:
        if not edge.trained or edge.internal:
            continue
        for pre_core in range(edge.pre.n_cores):
            start, stop = edge.overlap(core, pre_core)
            if start < stop:
                blocks.append(Block(edge, pre_core, start, stop - start))
    return blocks


@per_split
def backward_senders(edge, pre_core: int) -> list:
    """Post cores sending partial errors to ``pre_core`` over ``edge``."""
    if edge.internal:
        return []
    return [c for c in range(edge.post.n_cores)
            if edge.overlap(c, pre_core)[0] < edge.overlap(c, pre_core)[1]]


@per_split
def backward_expected(node, core: int) -> int:
    """Partial errors a core receives per sample."""
    total = 0
    for edge in node.outgoing:
        if edge.internal:
            continue
        for post_core in range(edge.post.n_cores):
            start, stop = edge.overlap(post_core, core)
            total += max(stop - start, 0) * node.row_size
    return total


def backward_senders_total(node, core: int) -> int:
    """Cores of the populations sending partial errors to a core (of
    ``node.sent``), numbered through its key table."""
    return sum(edge.post.n_cores for edge in node.outgoing
               if edge.trained and backward_senders(edge, core))


def shares_gradients(node) -> bool:
    """Whether the population's cores sum their gradients at batch ends."""
    return node.layer.shares_weights and node.n_cores > 1


def acknowledging(network, input_node) -> list:
    """The populations with cores that acknowledge an input's samples."""
    return [n for n in network.downstream_of(input_node) if n.host is None]


def n_key_entries(network, node, core: int) -> int:
    """Entries in a core's key table (of a node with cores)."""
    if node.is_input:
        return len(acknowledging(network, node))
    entries = 0
    for edge in node.incoming:
        entries += (1 if whole_population(edge, core)
                    else len(forward_sources(edge, core)))
    entries += sum(1 for edge in node.sent.outgoing
                   if edge.trained and backward_senders(edge, core))
    entries += int(node.shares_softmax)
    if shares_gradients(node):
        entries += int(core > 0) + int(core < node.n_cores - 1)
    return entries
