"""The C builds without warnings, and runs clean under AddressSanitizer and
UBSan through a training, a prediction and a stalled run."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
C_MODELS = os.path.join(ROOT, "c_models")
SCRIPT = os.path.join(ROOT, "tests", "scripts", "train_small.py")


def build(out, *options):
    return subprocess.run(
        ["make", "-C", C_MODELS, "-j2", "host", f"HOST_OUT={out}",
         "EXTRA_CFLAGS=-Werror", *options],
        capture_output=True, text=True, timeout=600)


def test_host_build_has_no_warnings(tmp_path):
    result = build(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning:" not in result.stderr


def asan_runtime():
    path = subprocess.run(["gcc", "-print-file-name=libasan.so"],
                          capture_output=True, text=True).stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


@pytest.mark.skipif(asan_runtime() is None, reason="no libasan for gcc")
def test_sanitizers_find_nothing(tmp_path):
    result = build(tmp_path, "SANITIZE=1")
    assert result.returncode == 0, result.stdout + result.stderr
    env = dict(os.environ, PYTHONPATH=ROOT, SPINNPOP_NATIVE_DIR=str(tmp_path),
               LD_PRELOAD=asan_runtime(),
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    run = subprocess.run([sys.executable, SCRIPT], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-4000:]
    assert "AddressSanitizer" not in report and "runtime error" not in report
