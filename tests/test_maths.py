"""The models' own exp, log, tanh and sqrt (c_models/common/
float32_maths.h): close to the exact values (sqrt: exactly numpy's), and the
same bits on the host and on the ARM968 (where an ARM cross-compiler and
qemu-arm are installed)."""

import os
import shutil
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = os.path.join(ROOT, "tests", "c", "maths_probe.c")
COMMON = os.path.join(ROOT, "c_models", "common")


def run_probe(compile_command: list, run_command: list) -> np.ndarray:
    subprocess.run(compile_command, check=True, capture_output=True)
    out = subprocess.run(run_command, check=True, capture_output=True,
                         text=True).stdout
    return np.array([[int(word, 16) for word in line.split()]
                     for line in out.splitlines()], dtype=np.uint32)


@pytest.fixture(scope="module")
def host_bits(tmp_path_factory):
    binary = str(tmp_path_factory.mktemp("maths") / "probe")
    return run_probe(["gcc", "-O3", "-ffp-contract=off", "-I", COMMON, PROBE,
                      "-o", binary], [binary])


def ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - exact| in units of the last place of the float32 result."""
    with np.errstate(invalid="ignore", over="ignore"):
        spacing = np.spacing(np.abs(exact).astype(np.float32))
    return np.abs(got.astype(np.float64) - exact) / spacing


def test_close_to_the_exact_values(host_bits):
    results = host_bits[:, 1:4].view(np.float32)
    with np.errstate(all="ignore"):     # random bits include NaNs
        x = host_bits[:, 0].view(np.float32).astype(np.float64)
        exact = {"exp": np.exp(x), "log": np.log(np.abs(x)),
                 "tanh": np.tanh(x)}
    normal = np.isfinite(x) & (np.abs(x) >= np.finfo(np.float32).tiny)
    finite_exp = normal & (x > -87.3) & (x < 88.7)    # normal results
    for column, (name, limit, used) in enumerate((
            ("exp", 1.0, finite_exp), ("log", 2.0, normal),
            ("tanh", 3.0, normal))):
        worst = ulps(results[used, column], exact[name][used]).max()
        assert worst <= limit, (name, worst)
    assert np.isinf(results[x > 89, 0]).all() and (results[x < -104, 0]
                                                   == 0).all()
    assert (np.abs(results[np.abs(x) > 10, 2]) == 1).all()


def test_sqrt_is_correctly_rounded(host_bits):
    magnitude = np.abs(host_bits[:, 0].view(np.float32))
    with np.errstate(invalid="ignore"):
        expected = np.sqrt(magnitude)       # IEEE: correctly rounded
    assert np.array_equal(host_bits[:, 4].view(np.float32), expected,
                          equal_nan=True)
    subnormal = magnitude < np.finfo(np.float32).tiny
    assert subnormal.sum() > 10         # the random bits reach them


COMPILER, QEMU = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-arm")


@pytest.mark.skipif(COMPILER is None or QEMU is None,
                    reason="needs Debian's gcc-arm-none-eabi and qemu-user")
@pytest.mark.parametrize("mode", ["-marm", "-mthumb"])
def test_same_bits_on_the_arm968(host_bits, tmp_path, mode):
    binary = str(tmp_path / "probe.elf")
    arm_bits = run_probe(
        [COMPILER, "-O2", "-march=armv5te", mode, "-mfloat-abi=soft",
         "-ffp-contract=off", "--specs=rdimon.specs", "-I", COMMON, PROBE,
         "-o", binary], [QEMU, binary])
    assert np.array_equal(arm_bits, host_bits)
