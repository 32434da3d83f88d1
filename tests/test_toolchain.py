"""The SpiNNaker tool chain runs with spinnpop's configuration: nothing is
needed in, written to or read from the user's home, and the tools' progress
bars and logging stay off the terminal."""

import os
import subprocess
import sys

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
