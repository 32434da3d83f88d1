"""A simulator session: ``setup``, ``end`` and the state in between.

As in PyNN, one session is current at a time. Populations and projections
belong to the session that made them; a new ``setup`` (or ``end``) retires
them, and using them afterwards is an error rather than a silent mix.
"""

from __future__ import annotations

import numbers

import numpy as np

from spinnpop.cells import CELL_TYPES, CellType
from spinnpop.errors import ConfigurationError, NotSetUpError
from spinnpop.numeric import FLOAT32, Numeric, numeric_named

_state: State | None = None


class State:
    """Everything one session knows: the network, its trained state, the
    backend, and what the last run measured."""

    def __init__(self, seed: int, samples_in_flight: int, backend,
                 numeric: Numeric = FLOAT32, split: str = "time"):
        self.seed = seed
        self.samples_in_flight = samples_in_flight
        self.split = split
        self.backend = backend
        self.numeric = numeric
        self.rng = np.random.default_rng(seed)
        self.populations = []
        self.projections = []
        self.neurons_per_core = {}
        self.optimizer = None
        self.last_loss = None
        self.last_run = None
        self.runs = 0

    def close(self):
        self.backend.close()


def current_state() -> State:
    """The current session, or NotSetUpError if there is none."""
    if _state is None:
        raise NotSetUpError("spinnpop is not set up: call spinnpop.setup() "
                            "first (after spinnpop.end(), call it again)")
    return _state


def check_same_session(obj, state: State, what: str) -> None:
    """Raises NotSetUpError if ``obj`` was made in another session."""
    if obj._state is not state:
        raise NotSetUpError(
            f"{what} {obj.label!r} belongs to an earlier spinnpop session "
            "(setup() or end() was called since it was made); make it "
            "again in the current session")


#: Parts of the machine to leave out: (what each is, its fields' ranges).
_DOWN = {"down_chips": ("(x, y)", (None, None)),
         "down_cores": ("(x, y, processor)", (None, None, (1, 17))),
         "down_links": ("(x, y, link)", (None, None, (0, 5)))}
_COMMON = {"n_boards": 1, "samples_in_flight": 2, "numeric": "float32",
           "split": "time", "down_chips": (), "down_cores": (),
           "down_links": ()}
#: How a population without neurons_per_core is split (graph.network).
_SPLITS = ("time", "packed")
#: Each backend's options and their defaults.
_OPTIONS = {
    "emulator": dict(_COMMON, reorder_seed=None, preemption_seed=None,
                     drop_rate=0.0, router_timeout=None),
    "spinnaker": dict(_COMMON, machine=None, spalloc_server=None,
                      binaries=None),
}
_INTEGERS = {"n_boards": 1, "samples_in_flight": 1, "reorder_seed": 0,
             "preemption_seed": 0}


def setup(backend: str = "emulator", seed: int = 0, **options) -> None:
    """Starts a session, ending any current one.

    :param backend: ``"emulator"`` (the default: spinnpop's host emulator
        of the machine, no hardware needed) or ``"spinnaker"`` (a board or
        boards from a spalloc server).
    :param seed: seeds initial weights and shuffling.
    :param options: for both backends:
        ``n_boards`` (1): SpiNN-5 boards of 48 chips the machine has (on
        SpiNNaker: to ask spalloc for);
        ``samples_in_flight`` (2): samples a core may hold at once, so that
        forward and backward passes of a batch overlap (at least 1);
        ``numeric`` ("float32"): the numbers the cores compute with:
        "float32" (as numpy or PyTorch in float32; in software on the
        ARM968, which has no FPU) or "fixed" (int32 fixed point: values
        s11.20, |x| < 2048, and weights s7.24, |w| < 128; several times
        faster on a chip, and bit-identical whatever the order packets
        arrive in or the split over cores; results beyond the range
        saturate, counted in ``counters()`` and warned of);
        ``split`` ("time"): how populations without ``neurons_per_core``
        are split over cores: "time", for the least estimated time per
        sample on SpiNNaker 1 (spreading wide layers over many cores), or
        "packed", as many neurons per core as fit (the fewest cores, so
        the fewest packets: the emulator's fastest, often by far);
        ``down_cores``, ``down_chips``, ``down_links`` (none): parts of
        the machine to map around, as lists of (x, y, processor), (x, y)
        and (x, y, link) (links 0-5: E, NE, N, W, SW, S), e.g. a core that
        a run reported dead.
        For the emulator:
        ``reorder_seed`` (None): if given, packets arrive after random
        delays and in random order (any order the machine's routers and
        packet reinjection could produce), reproducibly from the seed;
        results then differ from in-order runs only by float rounding;
        ``preemption_seed`` (None): if given, also as a chip does it, a
        core's packet interrupt cuts into its callbacks (wherever they call
        the SpiNNaker API, unless they have masked it) and sending fails
        while its 16-packet outgoing queue is full, reproducibly from the
        seed;
        ``drop_rate`` (0): the probability that a router drops a packet
        that reaches it, whatever the packet, reproducibly from ``seed``
        (fault injection: the cores re-send what went missing, and the
        training ends with the weights it has without drops, up to float32
        rounding; bit-identical in fixed point);
        ``router_timeout`` (True, unless ``reorder_seed`` or
        ``preemption_seed`` is given): as on a chip, a router drops a
        packet for a core that it has held for longer than SpiNNaker's
        router wait time (SC&MP's 240 router cycles, 1.8 us) because the
        core's packet interrupt was still busy with earlier packets or
        masked, on the cost model's clocks (the models then recover what
        was lost); with False such packets arrive late. Either way they
        are counted (``counters()``'s ``overdue``). Not with
        ``reorder_seed`` or ``preemption_seed``, whose delivery order the
        clocks do not follow.
        For SpiNNaker:
        ``machine``: a board's IP address or host name; or
        ``spalloc_server``: a spalloc server's URL (user, group and
        credentials as the tool chain reads them); without either, the
        machine that ``~/.spiNNakerGraphFrontEnd.cfg`` names;
        ``binaries``: the folder of the models' ``.aplx`` files (default:
        where ``make aplx`` puts them).
    """
    global _state
    if backend not in _OPTIONS:
        raise ConfigurationError(
            f"unknown backend {backend!r}; expected one of "
            f"{tuple(_OPTIONS)}")
    unknown = sorted(set(options) - set(_OPTIONS[backend]))
    if unknown:
        raise ConfigurationError(
            f"unknown option(s) {unknown} for the {backend} backend; its "
            f"options are {sorted(_OPTIONS[backend])}")
    settings = dict(_OPTIONS[backend], **options)
    checks = [("seed", seed, 0)] + [
        (name, settings[name], low) for name, low in _INTEGERS.items()
        if settings.get(name) is not None]
    for name, value, low in checks:
        if (not isinstance(value, numbers.Integral)
                or isinstance(value, bool) or value < low):
            raise ConfigurationError(
                f"expected an integer >= {low} for `{name}`; "
                f"received: {name}={value!r}")
        if name in settings:
            settings[name] = int(value)
    for name in _DOWN:
        settings[name] = _down(name, settings[name])
    if "drop_rate" in settings:
        rate = settings["drop_rate"]
        if (not isinstance(rate, numbers.Real) or isinstance(rate, bool)
                or not 0 <= rate < 1):
            raise ConfigurationError(
                "expected a probability in [0, 1) for `drop_rate`; "
                f"received: drop_rate={rate!r}")
        settings["drop_rate"] = float(rate)
        settings["seed"] = int(seed)
    if "router_timeout" in settings:
        settings["router_timeout"] = _router_timeout(settings)
    samples_in_flight = settings.pop("samples_in_flight")
    numeric = numeric_named(settings.pop("numeric"))
    split = settings.pop("split")
    if split not in _SPLITS:
        raise ConfigurationError(
            f"expected one of {_SPLITS} for `split`; received: "
            f"split={split!r}")
    from spinnpop.backends import make_backend
    machine = make_backend(backend, settings)
    end()
    _state = State(int(seed), samples_in_flight, machine, numeric, split)


def _router_timeout(settings: dict) -> bool:
    """The emulator's ``router_timeout`` option, checked."""
    value = settings["router_timeout"]
    shuffled = [name for name in ("reorder_seed", "preemption_seed")
                if settings[name] is not None]
    if value is None:
        return not shuffled
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigurationError(
            "expected True or False for `router_timeout`; received: "
            f"router_timeout={value!r}")
    if value and shuffled:
        raise ConfigurationError(
            f"`router_timeout` cannot be combined with `{shuffled[0]}`: "
            "routers time packets out on the cost model's clocks, which "
            "a random delivery order does not follow; leave one out")
    return bool(value)


def _down(name: str, value) -> tuple:
    """The parts of the machine option ``name`` leaves out, checked."""
    what, ranges = _DOWN[name]
    error = ConfigurationError(
        f"expected a list of {what} for `{name}`, each a non-negative "
        "integer" + "".join(f", the last in [{r[0]}, {r[1]}]"
                            for r in ranges if r is not None)
        + f"; received: {name}={value!r}")
    try:
        items = [tuple(item) for item in value]
    except TypeError:
        raise error from None
    for item in items:
        if len(item) != len(ranges) or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool)
                and v >= 0 and (r is None or r[0] <= v <= r[1])
                for v, r in zip(item, ranges)):
            raise error
    return tuple(tuple(int(v) for v in item) for item in items)


def end() -> None:
    """Ends the current session (if any) and frees what it holds."""
    global _state
    if _state is not None:
        _state.close()
    _state = None


def set_number_of_neurons_per_core(cell_type, n: int) -> None:
    """Caps the neurons per core of every population of ``cell_type`` that
    does not set its own ``neurons_per_core`` (PyNN's function)."""
    state = current_state()
    if not (isinstance(cell_type, type) and issubclass(cell_type, CellType)
            and cell_type is not CellType):
        names = ", ".join(c.__name__ for c in CELL_TYPES)
        raise ConfigurationError(
            f"expected a cell type ({names}); received: {cell_type!r}")
    state.neurons_per_core[cell_type] = check_neurons_per_core(n)


def check_neurons_per_core(n) -> int:
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ConfigurationError(
            "expected a positive integer for `neurons_per_core`; "
            f"received: neurons_per_core={n!r}")
    return int(n)
