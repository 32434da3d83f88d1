"""The network graph: a session's populations and projections, checked and
sized before anything is mapped.

Here a network is known to be trainable (inputs feed everything, no
cycles, softmax only at outputs, losses that fit), every population is
split into core-sized slices, and every number the mapping and the C models
need about the graph (fan-in, partial errors per sample, cores to
acknowledge) is worked out once.
"""

from __future__ import annotations

from spinnpop.cells import Input, Softmax
from spinnpop.control import State
from spinnpop.errors import NetworkError, ResourceError
from spinnpop.graph.memory import MAX_FAN_IN, dense_dtcm, input_dtcm
from spinnpop.hardware import DTCM_HEAP_BYTES

#: SDRAM an input core's share of the data may take by default; bigger data
#: sets spread over more cores (and chips).
INPUT_DATA_PER_CORE = 32 * 1024 * 1024
_VALUE_BYTES = 4


class Node:
    """A population in the graph."""

    def __init__(self, population):
        self.population = population
        self.loss = None
        self.incoming = []
        self.outgoing = []
        self.upstream_inputs = []
        self.slices = []

    label = property(lambda self: self.population.label)
    size = property(lambda self: self.population.size)
    is_input = property(lambda self: isinstance(self.population.celltype,
                                                Input))
    is_softmax = property(lambda self: isinstance(self.population.celltype,
                                                  Softmax))
    is_output = property(lambda self: not self.is_input and not self.outgoing)
    n_cores = property(lambda self: len(self.slices))
    n_inputs = property(lambda self: sum(e.pre.size for e in self.incoming))

    @property
    def binary(self) -> str:
        """Name of the model this population's cores run."""
        if self.is_input:
            return "input_source"
        name = f"dense_{self.population.celltype.activation}"
        return f"{name}_{self.loss.c_name}" if self.is_output else name

    @property
    def softmax_cores(self) -> int:
        return self.n_cores if self.is_softmax else 0

    def post_cores(self) -> int:
        """Cores of all the populations this one feeds (with repeats)."""
        return sum(e.post.n_cores for e in self.outgoing)

    def backward_expected(self, n_neurons: int) -> int:
        """Partial errors a core of n_neurons receives per sample."""
        return n_neurons * self.post_cores()

    def n_key_entries(self) -> int:
        """Entries in a dense core's key table: one per sending partition."""
        return len(self.incoming) + len(self.outgoing) + int(self.is_softmax)

    def n_backward_targets(self) -> int:
        return sum(e.pre.n_cores for e in self.incoming if e.trained)

    def __repr__(self):
        return f"Node({self.label!r})"


class Edge:
    """A projection in the graph."""

    def __init__(self, projection, pre: Node, post: Node, index: int):
        self.projection = projection
        self.pre, self.post = pre, post
        self.index = index

    @property
    def trained(self) -> bool:
        """Whether errors flow back to the pre population."""
        return not self.pre.is_input


class Network:
    """The checked graph of ``state``'s network; :meth:`prepare` then
    gives it the losses and data size of a run and splits it."""

    def __init__(self, state: State):
        self.n_slots = state.samples_in_flight
        self.nodes = [Node(p) for p in state.populations]
        by_population = {n.population: n for n in self.nodes}
        self.edges = []
        for index, projection in enumerate(state.projections):
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

    def prepare(self, losses: dict, n_samples: int) -> "Network":
        """Sets each output's loss (checking it fits) and splits every
        population for a run of ``n_samples`` samples."""
        for node in self.outputs:
            node.loss = losses[node.population]
            node.loss.check_output(node.population)
        self._split(n_samples)
        return self

    def downstream_of(self, input_node: Node) -> list:
        """The populations ``input_node`` feeds, directly or not."""
        return [n for n in self.nodes if input_node in n.upstream_inputs]

    def downstream_cores(self, input_node: Node) -> int:
        """Cores acknowledging each sample to ``input_node``'s cores."""
        return sum(n.n_cores for n in self.downstream_of(input_node))

    @property
    def n_cores(self) -> int:
        return sum(n.n_cores for n in self.nodes)

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
            if node.n_inputs > MAX_FAN_IN:
                raise NetworkError(
                    f"population {node.label!r} has {node.n_inputs} inputs;"
                    f" a core takes at most {MAX_FAN_IN}")
            if node.is_softmax and node.outgoing:
                raise NetworkError(
                    f"Softmax population {node.label!r} projects to "
                    f"{node.outgoing[0].post.label!r}; Softmax is supported "
                    "only at outputs")

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
        """Chooses each population's slices."""
        for node in self.inputs:
            node.slices = _slices(node.size, self._input_neurons_per_core(
                node, n_samples))
        dense = [n for n in reversed(self.order) if not n.is_input]
        for node in dense:
            node.slices = [(0, node.size)]
        # A core's memory depends on its neighbours' splits: settle them.
        for _ in range(len(dense) + 2):
            before = [n.slices for n in dense]
            for node in dense:
                node.slices = _slices(node.size,
                                      self._dense_neurons_per_core(node))
            if before == [n.slices for n in dense]:
                break
        for node in dense:
            need = self.dense_dtcm(node, node.slices[0][1])
            if need > DTCM_HEAP_BYTES:
                raise ResourceError(
                    f"population {node.label!r} cannot be split to fit a "
                    f"core: {need} bytes of DTCM")
        for node in self.inputs:
            need = input_dtcm(self.n_slots, len(self.downstream_of(node)),
                              self.downstream_cores(node))
            if need > DTCM_HEAP_BYTES:
                raise ResourceError(
                    f"input population {node.label!r} feeds "
                    f"{self.downstream_cores(node)} cores, too many for one "
                    f"core to track ({need} bytes of DTCM > "
                    f"{DTCM_HEAP_BYTES}); use fewer cores downstream")

    def dense_dtcm(self, node: Node, n_neurons: int) -> int:
        """DTCM of a core of ``node`` holding ``n_neurons``, given the
        current splits."""
        return dense_dtcm(
            self.n_slots, n_neurons, node.n_inputs, len(node.incoming),
            node.n_backward_targets(), node.n_key_entries(),
            node.backward_expected(n_neurons), node.softmax_cores)

    def _dense_neurons_per_core(self, node: Node) -> int:
        def fits(n):
            saved = node.slices
            node.slices = _slices(node.size, n)
            try:
                return self.dense_dtcm(node, n) <= DTCM_HEAP_BYTES
            finally:
                node.slices = saved

        cap = node.population.neurons_per_core
        if cap is not None:
            n = min(cap, node.size)
            if not fits(n):
                raise ResourceError(
                    f"population {node.label!r}: {n} neurons per core need "
                    f"{self._dtcm_with(node, n)} bytes of DTCM, more than a "
                    f"core's {DTCM_HEAP_BYTES}; {self._advice(node, fits)}")
            return n
        if not fits(1):
            raise ResourceError(
                f"population {node.label!r} does not fit a core even with "
                f"one neuron per core: its {node.n_inputs} inputs need "
                f"{self._dtcm_with(node, 1)} bytes of DTCM (> "
                f"{DTCM_HEAP_BYTES}); use fewer inputs per population, or "
                "setup(samples_in_flight=1)")
        low, high = 1, node.size
        while low < high:
            mid = (low + high + 1) // 2
            if fits(mid):
                low = mid
            else:
                high = mid - 1
        return low

    def _dtcm_with(self, node: Node, n: int) -> int:
        saved = node.slices
        node.slices = _slices(node.size, n)
        try:
            return self.dense_dtcm(node, n)
        finally:
            node.slices = saved

    @staticmethod
    def _advice(node: Node, fits) -> str:
        best = max((n for n in range(1, node.size + 1) if fits(n)),
                   default=None)
        if best is None:
            return ("it does not fit even with 1 neuron per core; use "
                    "setup(samples_in_flight=1) or fewer inputs")
        return f"use neurons_per_core <= {best}"

    def _input_neurons_per_core(self, node: Node, n_samples: int) -> int:
        per_neuron = max(1, n_samples) * _VALUE_BYTES
        cap = node.population.neurons_per_core
        if cap is None:
            return max(1, min(node.size, INPUT_DATA_PER_CORE // per_neuron))
        return min(cap, node.size)

    def signature(self) -> tuple:
        """What the mapping depends on, for caching it."""
        return (self.n_slots,
                tuple((n.population.index, n.size, n.binary, tuple(n.slices))
                      for n in self.nodes),
                tuple((e.pre.population.index, e.post.population.index)
                      for e in self.edges))


def _slices(size: int, per_core: int) -> list:
    """[(start, stop)] of consecutive slices of at most ``per_core``."""
    return [(start, min(start + per_core, size))
            for start in range(0, size, per_core)]
