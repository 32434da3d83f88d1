"""Backends: the machine the tool chain maps, loads and runs a network on,
and what spinnpop knows of it. The emulator is spinnpop's own host
emulator of SpiNNaker; the spinnaker backend is a board or a spalloc
machine. Both run through the same tool-chain steps (mapping.toolchain)
and the same run loop (backends.running); they differ in the transceiver
and in what they can count."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


@dataclass
class RawRun:
    """What a run left on the machine, copied off it.

    ``state`` is "done", "stalled", "failed" or "interrupted" (stopped at
    a batch end by Ctrl-C); ``regions`` maps (core
    index, region) to the bytes asked for; ``statuses`` has each core's
    status record; whether it failed (a run-time error or its watchdog),
    how (its CPU state's name and SARK's error code) and its log are per
    core. Counters are what the machine counted, per core (None each where
    it cannot count a core's packets: on SpiNNaker) and per chip."""

    state: str
    regions: dict = field(default_factory=dict)
    statuses: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    core_counters: list = field(default_factory=list)
    chip_counters: dict = field(default_factory=dict)

    def region(self, core: int, region, dtype=np.uint8) -> np.ndarray:
        return np.frombuffer(self.regions[(core, region)], dtype=dtype)


class RouterCounts(NamedTuple):
    """What one chip's router counted in a run (None where unknown)."""

    routed: int
    dropped: int
    link_sent: int | None = None
    #: Of ``dropped``, by the link (0-5: E, NE, N, W, SW, S) that was down.
    link_dropped: tuple | None = None
    #: ``link_sent`` by link (0-5).
    links_sent: tuple | None = None


class Backend:
    """What the tool chain and the run loop ask of a backend.

    :param n_boards: SpiNN-5 boards of 48 chips the machine should have.
    :param down_cores: (x, y, processor) of cores to leave out;
        ``down_chips``, (x, y) of chips; ``down_links``, (x, y, link).
    """

    #: The backend's name in setup(backend=...).
    name = ""
    #: Appended to a model's name to give its binary's file name.
    binary_suffix = ""
    #: The backend's defaults for the tools' configuration, over
    #: spinnpop's own (the text of a .cfg file).
    config_defaults = ""
    #: Seconds the loaded cores may take to reach SYNC0 (None: no wait).
    start_timeout = None
    #: Seconds between two looks at the running cores.
    poll_seconds = 0.0
    #: A run has stalled when no core has moved for this long (by
    #: ``clock``): the cores re-send what they miss every few tens of
    #: milliseconds, backing off to about a second.
    stall_seconds = 10.0
    #: Milliseconds a core waits without progress before it re-sends what
    #: it sent for the samples it is still waiting on.
    patience_ms = 20

    def __init__(self, n_boards: int = 1, down_cores=(), down_chips=(),
                 down_links=()):
        self.n_boards = n_boards
        self.down = {"down_cores": down_cores, "down_chips": down_chips,
                     "down_links": down_links}

    def config_files(self) -> list:
        """The user's tool-chain configuration files to read, over the
        backend's defaults."""
        return []

    def settings(self) -> dict:
        """{(section, option): value} of the tools' configuration that
        setup chose, over spinnpop's defaults and the user's file: the
        parts of the machine to leave out, in the tools' syntax."""
        return {("Machine", name): ":".join(
                    ",".join(map(str, item)) for item in items)
                for name, items in self.down.items() if items}

    def check(self, network) -> None:
        """Raises a spinnpop error if ``network`` cannot run here, before
        the tool chain starts."""

    def prepare(self, tools) -> None:
        """Called with the tool chain's simulator object before it runs."""

    def loaded(self, mapped) -> None:
        """Called once the tool chain has placed ``mapped`` and loaded its
        data, before the cores start."""

    def clock(self) -> float:
        """Seconds by the machine's clock (a board's is the host's)."""
        return time.monotonic()

    def stalled(self, seconds: float) -> bool:
        """Whether a run whose cores have made no progress for
        ``seconds`` (by ``clock``) has stalled."""
        return seconds > self.stall_seconds

    def core_counters(self, mapped) -> list:
        """What the machine counted for each core, by core index: None
        each where it cannot count."""
        return [None] * len(mapped.cores)

    def chip_counters(self, transceiver, chips: list) -> dict:
        """{(x, y): RouterCounts} for ``chips``, from the routers'
        diagnostic registers (32-bit: they wrap after 4.3e9 packets)."""
        counts = {}
        for xy in chips:
            diagnostics = transceiver.get_router_diagnostics(*xy)
            counts[xy] = RouterCounts(
                diagnostics.n_local_multicast_packets
                + diagnostics.n_external_multicast_packets,
                diagnostics.n_dropped_multicast_packets)
        return counts

    def error(self, exception: Exception, captured: str) -> Exception:
        """The spinnpop error to raise for an exception of the tool chain,
        given what the tools logged."""
        raise NotImplementedError

    def release(self) -> None:
        """Called when a run is over, once the tools have stopped."""

    def close(self) -> None:
        """Ends the session."""
        self.release()


def make_backend(name: str, options: dict) -> Backend:
    """The backend setup(backend=name, **options) asked for (raising
    ConfigurationError for options it cannot use)."""
    # The tools' libraries add warning filters as they are imported.
    with warnings.catch_warnings():
        from spinnpop.backends.emulator.backend import EmulatorBackend
        from spinnpop.backends.spinnaker.backend import SpiNNakerBackend
    if name == "spinnaker":
        return SpiNNakerBackend(**options)
    return EmulatorBackend(**options)
