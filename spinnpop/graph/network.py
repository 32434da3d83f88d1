"""The network graph: populations and projections, checked and sized before
anything is mapped.

Here a network is known to be trainable (inputs feed everything, no
cycles, projections that a layer kind can take,
losses that fit), each population gets its layer kind (spinnpop.layers),
and :meth:`Network.prepare` splits every population into core-sized
slices of whole rows.

A pooled population can have no cores of its own: when a convolution's
only consumer is plain pooling whose windows do not overlap, the
convolution's cores pool their own bands and send the pooled values (as
DESIGN.md's packet budget has it). The convolution *hosts* the pooled
population: they share cores, core by core.
"""

from __future__ import annotations

from spinnpop.cells import Input, Softmax
from spinnpop.connectors import grid
from spinnpop.errors import NetworkError
from spinnpop.graph import timing
from spinnpop.hardware import APPLICATION_CORES_PER_CHIP, CHIPS_PER_BOARD
from spinnpop.layers import layer_for
from spinnpop.numeric import FLOAT32, Numeric


class Node:
    """A population in the graph."""

    def __init__(self, population, network):
        self.population = population
        self.network = network
        #: (rows, width, channels): the unit a population is split in is a
        #: row.
        self.grid = grid(population.shape)
        self.row_size = self.grid[1] * self.grid[2]
        self.loss = None
        self.incoming = []
        self.outgoing = []
        self.upstream_inputs = []
        self._slices = []
        self.layer = None
        #: The node whose cores compute this one's values, if not its own.
        self.host = None
        #: The node whose values this one's cores compute too.
        self.hosted = None

    @property
    def sent(self) -> "Node":
        """The population whose values this node's cores send."""
        return self.hosted or self

    @property
    def slices(self) -> list:
        """[(start, stop)] of each core's neurons."""
        return self._slices

    @slices.setter
    def slices(self, slices: list) -> None:
        self._slices = slices
        self.network.splits_changed()

    label = property(lambda self: self.population.label)
    size = property(lambda self: self.population.size)
    is_input = property(lambda self: isinstance(self.population.celltype,
                                                Input))
    is_softmax = property(lambda self: isinstance(self.population.celltype,
                                                  Softmax))
    is_output = property(lambda self: not self.is_input and not self.outgoing)
    #: A flat softmax normalises over the whole population, whose cores
    #: agree on it by packets; a shaped one over the channels at each
    #: position (Keras' axis=-1), each core its own rows.
    shares_softmax = property(lambda self: self.is_softmax
                              and len(self.population.shape) == 1)
    softmax_group = property(lambda self: self.population.grid[2]
                             if self.is_softmax and not self.shares_softmax
                             else 0)
    n_cores = property(lambda self: len(self.slices))

    def rows(self, core: int) -> tuple:
        """Grid rows [start, stop) of a core."""
        start, stop = self.slices[core]
        return start // self.row_size, stop // self.row_size

    def core_size(self, core: int) -> int:
        start, stop = self.slices[core]
        return stop - start

    def split_rows(self, rows_per_core: int) -> None:
        """Slices of ``rows_per_core`` whole rows (the last may be short),
        and the hosted population's rows under each."""
        rows, step = self.grid[0], self.row_size
        self.slices = [(r * step, min(r + rows_per_core, rows) * step)
                       for r in range(0, rows, rows_per_core)]
        if self.hosted is not None:
            self.hosted.slices = self.layer.hosted_slices()

    def __repr__(self):
        return f"Node({self.label!r})"


class Edge:
    """A projection in the graph."""

    def __init__(self, projection, pre: Node, post: Node, index: int):
        self.projection = projection
        self.connector = projection.connector
        self.pre, self.post = pre, post
        self.index = index
        #: Whether both ends run on the same cores (see Node.host).
        self.internal = False

    @property
    def trained(self) -> bool:
        """Whether errors flow back to the pre population."""
        return not self.pre.is_input

    def receptive_rows(self, post_core: int) -> tuple:
        """Pre grid rows [start, stop) a core of the post population
        needs."""
        return self.connector.receptive_rows(self.pre.grid, self.post.grid,
                                             self.post.rows(post_core))

    def overlap(self, post_core: int, pre_core: int) -> tuple:
        """Pre grid rows [start, stop) of ``pre_core`` that ``post_core``
        needs (start >= stop: none)."""
        first, stop = self.receptive_rows(post_core)
        own_first, own_stop = self.pre.rows(pre_core)
        return max(first, own_first), min(stop, own_stop)


class Network:
    """The checked graph of ``populations`` and ``projections`` (in the
    order they were made); :meth:`prepare` then gives it the losses and
    data size of a run and splits it.

    :param n_slots: samples a core may hold at once.
    :param numeric: the numeric type the cores compute with.
    :param max_cores: cores the machine has for the network; splits that
        spinnpop chooses stay within them.
    :param split: "time" (populations without neurons_per_core take the
        split of least estimated time per sample) or "packed" (as many
        neurons per core as fit).
    """

    def __init__(self, populations: list, projections: list, n_slots: int,
                 numeric: Numeric = FLOAT32,
                 max_cores: int = (CHIPS_PER_BOARD
                                   * APPLICATION_CORES_PER_CHIP),
                 split: str = "time"):
        self.n_slots = n_slots
        self.numeric = numeric
        self.max_cores = max_cores
        self.split = split
        #: What was worked out from the current splits (graph.traffic).
        self.cache = {}
        #: Every node's slices, by what a split depends on: a training of
        #: several runs (an epoch each, with validation between) splits
        #: once for each data set size.
        self._splits = {}
        self.nodes = [Node(p, self) for p in populations]
        by_population = {n.population: n for n in self.nodes}
        self.edges = []
        for index, projection in enumerate(projections):
            edge = Edge(projection, by_population[projection.pre],
                        by_population[projection.post], index)
            edge.pre.outgoing.append(edge)
            edge.post.incoming.append(edge)
            self.edges.append(edge)
        self._check_topology()
        self.order = self._topological_order()
        self.inputs = [n for n in self.nodes if n.is_input]
        self.outputs = [n for n in self.nodes if n.is_output]
        for node in self.order:
            upstream = {}
            for edge in node.incoming:
                sources = [edge.pre] if edge.pre.is_input \
                    else edge.pre.upstream_inputs
                upstream.update((s, None) for s in sources)
            node.upstream_inputs = list(upstream)
        for node in self.nodes:
            node.layer = layer_for(node)
        for node in self.nodes:
            pooled = node.layer.can_host()
            if pooled is not None:
                node.hosted, pooled.host = pooled, node
                node.outgoing[0].internal = True
        #: The nodes that have cores of their own.
        self.placed = [n for n in self.nodes if n.host is None]

    def prepare(self, losses: dict, n_samples: int) -> "Network":
        """Sets each output's loss (checking it fits) and splits every
        population for a run of ``n_samples`` samples."""
        for node in self.outputs:
            node.loss = losses[node.population]
            node.loss.check_output(node.population)
        key = (n_samples, tuple(node.loss for node in self.outputs))
        if key in self._splits:
            for node, slices in zip(self.nodes, self._splits[key]):
                node.slices = slices
        else:
            self._split(n_samples)
            self._splits[key] = [node.slices for node in self.nodes]
        return self

    def splits_changed(self) -> None:
        self.cache.clear()

    def downstream_of(self, input_node: Node) -> list:
        """The populations ``input_node`` feeds, directly or not."""
        return [n for n in self.nodes if input_node in n.upstream_inputs]

    def downstream_cores(self, input_node: Node) -> int:
        """Cores acknowledging each sample to ``input_node``'s cores."""
        return sum(n.n_cores for n in self.downstream_of(input_node)
                   if n.host is None)

    @property
    def n_cores(self) -> int:
        return sum(n.n_cores for n in self.placed)

    def _check_topology(self) -> None:
        if not self.nodes:
            raise NetworkError("the network is empty: make Populations and "
                               "Projections before running")
        if not any(node.is_input for node in self.nodes):
            raise NetworkError("the network has no Input population to take "
                               "the data")
        for node in self.nodes:
            if node.is_input and not node.outgoing:
                raise NetworkError(f"input population {node.label!r} projects"
                                   " to nothing; connect it or remove it")
            if not node.is_input and not node.incoming:
                raise NetworkError(
                    f"population {node.label!r} has no incoming projection; "
                    "every population but an Input needs one")

    def _topological_order(self) -> list:
        remaining = {n: len(n.incoming) for n in self.nodes}
        ready = [n for n in self.nodes if remaining[n] == 0]
        order = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for edge in node.outgoing:
                remaining[edge.post] -= 1
                if remaining[edge.post] == 0:
                    ready.append(edge.post)
        if len(order) < len(self.nodes):
            cycle = [n.label for n in self.nodes if remaining[n] > 0]
            raise NetworkError(
                f"the projections among {cycle} form a cycle; recurrent "
                "networks are not supported")
        return order

    def _split(self, n_samples: int) -> None:
        """Chooses each population's slices. A core's memory depends on
        its neighbours' splits (what it receives from how many cores), so
        the splits are settled together."""
        for node in self.inputs:
            node.split_rows(node.layer.rows_per_core(self, n_samples))
        layers = [n for n in reversed(self.order)
                  if not n.is_input and n.host is None]
        for node in layers:
            node.split_rows(node.grid[0])
        for _ in range(len(layers) + 2):
            before = [n.slices for n in layers]
            for node in layers:
                node.split_rows(node.layer.rows_per_core(self, n_samples))
            if before == [n.slices for n in layers]:
                break
        # Packed: as many rows as fit, as settled above.
        free = ([n for n in layers if n.layer.rows_cap() is None]
                if self.split == "time" else [])
        for _ in range(4):
            before = [n.slices for n in free]
            for node in free:
                node.split_rows(self._fastest_rows(node))
            if before == [n.slices for n in free]:
                break
        for node in self.placed:
            node.layer.check_fits(self)

    def _fastest_rows(self, node: Node) -> int:
        """Rows per core for ``node``, the others' splits kept: of the
        splits into as many rows as now or fewer that fit, the one with
        the least estimated time per sample (graph.timing), or one with
        fewer cores within ``timing.PAYS`` of it."""
        step, rows = node.layer.row_step, node.grid[0]
        now = max(b - a for a, b in (node.rows(c)
                                     for c in range(node.n_cores)))
        # Core counts a ladder apart (each about 1.5 times the last): the
        # estimate is flat between neighbours, and each try costs.
        candidates, cores = {now}, 1
        while cores <= rows:
            per_core = -(-rows // cores)
            candidates.add(-(-per_core // step) * step)
            cores = max(cores + 1, round(cores * 1.5))
        touched = ([node] + [e.pre for e in node.incoming]
                   + [e.post for e in node.outgoing] + self.inputs)
        timed = []
        for per_core in sorted(candidates, reverse=True):
            if per_core > now:
                continue
            node.split_rows(per_core)
            if self._fits(touched):
                timed.append((timing.cycles_per_sample(self), per_core))
            elif timed:
                break     # more cores only need more elsewhere
        if not timed:
            return now
        best = min(t for t, _ in timed)
        return next(r for t, r in timed if t <= best * (1 + timing.PAYS))

    def _fits(self, nodes: list) -> bool:
        """Whether the network fits the machine and ``nodes`` (those a
        split changed) their cores."""
        return self.n_cores <= self.max_cores and all(
            (node.host or node).layer.fits(self) for node in nodes)
