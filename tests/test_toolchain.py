"""The SpiNNaker tool chain runs with spinnpop's configuration (nothing is
needed in, written to or read from the user's home, and the tools' progress
bars and logging stay off the terminal), and loads and runs networks on the
emulator as it would on a board."""

import os
import subprocess
import sys

import numpy as np
import pytest
from spinn_machine import MulticastRoutingEntry, RoutingEntry
from spinn_machine.virtual_machine import virtual_machine_by_boards
from spinnman.exceptions import SpinnmanInvalidParameterException

import spinnpop as sp
from spinnpop.backends.emulator.backend import EmulatorBackend
from spinnpop.backends.emulator.transceiver import EmulatorTransceiver
from conftest import data, mlp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "scripts", "train_small.py")
USER_CFG = ".spiNNakerGraphFrontEnd.cfg"


def run_in(home, cwd):
    env = dict(os.environ, HOME=str(home), PYTHONPATH=ROOT)
    env.pop("XDG_CONFIG_HOME", None)
    return subprocess.run([sys.executable, SCRIPT], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_no_user_configuration_needed_or_created(tmp_path):
    home, cwd = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    cwd.mkdir()
    result = run_in(home, cwd)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert not (home / USER_CFG).exists()
    assert list(cwd.iterdir()) == []          # no reports folder left here
    for noise in ("Placing Vertices", "====", "!WARNING", "INFO"):
        assert noise not in result.stderr, result.stderr


def test_a_users_own_configuration_is_left_alone(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    text = "[Machine]\nmachine_name = 192.168.240.1\nversion = 5\n"
    (home / USER_CFG).write_text(text)
    result = run_in(home, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (home / USER_CFG).read_text() == text


def trained_with_tables(monkeypatch, settings=None):
    """Trains a small MLP whose cores share chips; returns its weights and
    the routing tables the tool chain loaded, {(x, y): entries}."""
    loaded = {}
    load = EmulatorTransceiver.load_multicast_routes

    def recording(self, x, y, routes, app_id):
        loaded[(x, y)] = [(e.key, e.mask, e.spinnaker_route) for e in routes]
        load(self, x, y, routes, app_id)

    monkeypatch.setattr(EmulatorTransceiver, "load_multicast_routes",
                        recording)
    if settings is not None:
        monkeypatch.setattr(EmulatorBackend, "settings",
                            lambda self: settings)
    sp.setup(seed=1)
    try:
        _, projections = mlp([6, 24, 5], ["tanh", "softmax"],
                             neurons_per_core=2)
        x, labels = data(20, 6, 5)
        sp.train(x, labels, epochs=2, batch_size=5, verbose=0,
                 loss="sparse_categorical_crossentropy")
        return [p.get("weight") for p in projections], loaded
    finally:
        sp.end()


def test_the_emulator_routes_with_the_tables_the_tools_load(monkeypatch):
    """Tables are loaded as the tool chain would load them on a board:
    here uncompressed, as they fit; compressed as far as the pair
    compressor goes, they are smaller and training is unchanged."""
    plain, tables = trained_with_tables(monkeypatch)
    monkeypatch.undo()
    compressed, smaller = trained_with_tables(monkeypatch, {
        ("Mapping", "router_table_compress_as_far_as_possible"): "True"})
    assert tables.keys() == smaller.keys()
    assert sum(map(len, smaller.values())) < sum(map(len, tables.values()))
    for got, want in zip(compressed, plain, strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_chips_router_holds_1023_application_entries():
    transceiver = EmulatorTransceiver(virtual_machine_by_boards(1),
                                      order=list, setup=None)
    try:
        entries = [MulticastRoutingEntry(key, 0xFFFFFFFF, RoutingEntry(
            processor_ids=[1], link_ids=[])) for key in range(1024)]
        transceiver.load_multicast_routes(0, 0, entries[:1023], 0)
        with pytest.raises(SpinnmanInvalidParameterException,
                           match="1023"):
            transceiver.load_multicast_routes(0, 0, entries, 0)
    finally:
        transceiver.engine.close()


def test_the_process_is_left_as_it_was(tmp_path):
    """Handlers, hooks, warning filters and exit handlers after each call
    and after end; Ctrl-C; and no files left behind once Python exits."""
    shm = "/dev/shm"
    leftovers = set(os.listdir(shm)) if os.path.isdir(shm) else set()
    env = dict(os.environ, PYTHONPATH=ROOT, TMPDIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests", "scripts",
                                      "process_state.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert list(tmp_path.iterdir()) == []
    if os.path.isdir(shm):
        assert not [name for name in set(os.listdir(shm)) - leftovers
                    if name.startswith("spinnpop-")]


@pytest.mark.parametrize("step, start", [(0, 0), (1, 4), (4, 4), (5, 8),
                                         (8, 8), (9, 10), (11, 14),
                                         (19, 20)])
def test_a_stop_waits_for_a_batch_start(step, start):
    """Batches of 4 in epochs of 10 start at 0, 4, 8, then 10, 14, 18 (the
    last of an epoch is short); outside training every step starts one."""
    from spinnpop.backends.running import _batch_start
    from spinnpop.mapping import layout
    from spinnpop.mapping.regions import RUN_PARAMS
    train, infer = (RUN_PARAMS.unpack(layout.run_params(
        mode, layout.RunShape(10, 40, False), 4, 20))[0]
        for mode in (1, 0))
    assert _batch_start(train, step) == start
    assert _batch_start(infer, step) == step
