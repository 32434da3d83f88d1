"""The spinnaker backend: set-up, binaries, an unreachable board and a
refusing spalloc server (all on loopback addresses: tests never send
anywhere else), and a whole training run on a board stood in for by the
emulator behind the same transceiver interface."""

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

import spinnpop as sp
from spinnpop.backends.emulator.backend import EmulatorBackend, PacketLoss
from spinnpop.backends.spinnaker import backend as spinnaker_backend
from spinnpop.backends.spinnaker.binaries import SOURCES
from spinnpop.backends.spinnaker.config import hide_credentials
from spinnpop.mapping.mapped import Traffic
from conftest import data, mlp

#: Loopback, and not 127.0.0.1 (the tools' virtual-board address).
BOARD = "127.0.0.5"
MODELS = ["input-float32", "dense-tanh-none-float32",
          "dense-softmax-cross_entropy-float32"]


@pytest.fixture(autouse=True)
def no_user_configuration(tmp_path, monkeypatch):
    """A home, configuration folders and working folder of the test's own,
    so that a developer's ~/.spiNNakerGraphFrontEnd.cfg does not count."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc"))
    monkeypatch.chdir(tmp_path)
    yield home
    sp.end()


@pytest.fixture
def binaries(tmp_path):
    """A folder with a file for each model of `network`, newer than the
    sources (the stand-in board runs the host builds of the same
    models)."""
    folder = tmp_path / "aplx"
    folder.mkdir()
    for name in MODELS:
        (folder / (name + ".aplx")).write_bytes(b"\0" * 64)
    return folder


def network():
    populations, projections = mlp([6, 12, 4], ["tanh", "softmax"],
                                   neurons_per_core=5)
    return populations, projections


def train(epochs=2):
    _, projections = network()
    x, labels = data(24, 6, 4)
    sp.train(x, labels, epochs=epochs, batch_size=4, verbose=0,
             loss="sparse_categorical_crossentropy")
    return [p.get("weight") for p in projections]


def test_setup_needs_one_machine(no_user_configuration):
    with pytest.raises(sp.ConfigurationError, match="needs a machine"):
        sp.setup(backend="spinnaker")
    with pytest.raises(sp.ConfigurationError, match="not both"):
        sp.setup(backend="spinnaker", machine=BOARD,
                 spalloc_server="http://127.0.0.6/")
    with pytest.raises(sp.ConfigurationError, match="machine"):
        sp.setup(backend="spinnaker", machine="")
    with pytest.raises(sp.ConfigurationError, match="reorder_seed"):
        sp.setup(backend="spinnaker", machine=BOARD, reorder_seed=1)
    with pytest.raises(sp.ConfigurationError, match="binaries"):
        sp.setup(backend="spinnaker", machine=BOARD, binaries=3)
    (no_user_configuration / ".spiNNakerGraphFrontEnd.cfg").write_text(
        "[Machine]\nmachine_name = 127.0.0.5\n")
    sp.setup(backend="spinnaker")      # the user's configuration names one


def test_setup_writes_nothing_into_home(no_user_configuration, binaries):
    sp.setup(backend="spinnaker", machine=BOARD, binaries=str(binaries))
    with pytest.raises(sp.MachineError):
        train(epochs=1)
    assert list(no_user_configuration.iterdir()) == []


def test_missing_or_old_binaries_say_make_aplx(tmp_path, binaries):
    sp.setup(backend="spinnaker", machine=BOARD,
             binaries=str(tmp_path / "nowhere"))
    with pytest.raises(sp.BuildError, match="make aplx.*SPINN_DIRS"):
        train()
    old = os.path.getmtime(os.path.join(SOURCES, "common", "core.c")) - 10
    os.utime(binaries / (MODELS[1] + ".aplx"), (old, old))
    sp.setup(backend="spinnaker", machine=BOARD, binaries=str(binaries))
    with pytest.raises(sp.BuildError, match=f"older.*{MODELS[1]}.*make aplx"):
        train()


def test_an_unreachable_board_is_a_clear_error_in_bounded_time(binaries):
    sp.setup(backend="spinnaker", machine=BOARD, binaries=str(binaries))
    start = time.monotonic()
    with pytest.raises(sp.MachineError, match=f"machine_name = {BOARD}"):
        train()
    assert time.monotonic() - start < 30


class _Refusing(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(403)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


def test_a_refusing_spalloc_server_is_a_clear_error_without_secrets(
        binaries, monkeypatch):
    server = HTTPServer(("127.0.0.7", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SPALLOC_PASSWORD", "hunter22")
    try:
        url = f"http://alice:s3cret@127.0.0.7:{server.server_port}/spalloc/"
        sp.setup(backend="spinnaker", spalloc_server=url,
                 binaries=str(binaries))
        start = time.monotonic()
        with pytest.raises(sp.MachineError, match="spalloc_server") as error:
            train()
        assert time.monotonic() - start < 30
        assert "s3cret" not in str(error.value)
        assert "hunter22" not in str(error.value)
    finally:
        server.shutdown()
        server.server_close()


def test_credentials_are_hidden(monkeypatch):
    monkeypatch.setenv("SPALLOC_USER", "alice")
    assert hide_credentials("https://bob:pw@spinnaker.example/x and alice") \
        == "https://***@spinnaker.example/x and ***"


class EmulatedBoard(spinnaker_backend.SpiNNakerBackend):
    """The spinnaker backend with the emulator behind its transceiver, in
    place of a board: everything but the transceiver is the board's."""

    config_defaults = EmulatorBackend.config_defaults   # no system cores
    poll_seconds = 0.0

    def __init__(self, **options):
        super().__init__(**options)
        self.board = EmulatorBackend()

    def prepare(self, tools):
        super().prepare(tools)
        self.board.prepare(tools)

    def loaded(self, mapped):
        self.board.loaded(mapped)

    def release(self):
        self.board.release()


def test_training_on_a_board_runs_as_on_the_emulator(binaries, monkeypatch):
    sp.setup(seed=3)
    on_emulator = train()
    emulator_counters = sp.counters()
    monkeypatch.setattr(spinnaker_backend, "SpiNNakerBackend", EmulatedBoard)
    sp.setup(backend="spinnaker", seed=3, machine=BOARD,
             binaries=str(binaries))
    on_board = train()
    for got, want in zip(on_board, on_emulator):
        np.testing.assert_array_equal(got, want)
    counters = sp.counters()
    assert all(core.sent is None and core.received is None
               for core in counters.cores)     # a board cannot count them
    assert [core.protocol_errors for core in counters.cores] == \
        [core.protocol_errors for core in emulator_counters.cores]
    routers = [[(chip.chip, chip.routed, chip.dropped) for chip in c.chips]
               for c in (counters, emulator_counters)]
    assert routers[0] == routers[1]
    assert all(chip.link_sent is None for chip in counters.chips)


def test_a_board_recovers_a_lost_packet_or_stalls_after_its_timeout(
        binaries, monkeypatch):
    class LossyBoard(EmulatedBoard):
        stall_seconds = 0.5
        lost = 1

        def prepare(self, tools):
            self.board.faults = [PacketLoss(1, Traffic.FORWARD,
                                            count=self.lost)]
            super().prepare(tools)

    monkeypatch.setattr(spinnaker_backend, "SpiNNakerBackend", LossyBoard)
    for lost in (1, 10**9):
        LossyBoard.lost = lost
        sp.setup(backend="spinnaker", machine=BOARD, binaries=str(binaries))
        if lost == 1:
            train()
            assert sp.counters().dropped == 1
            assert sum(c.resends + c.requests
                       for c in sp.counters().cores) >= 1
            continue
        with pytest.raises(sp.StallError, match="stalled"):
            train()
