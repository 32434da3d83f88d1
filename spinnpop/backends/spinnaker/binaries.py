"""The models built for SpiNNaker by ``make aplx``: where they are, and
whether they are there and up to date before anything is sent to a board."""

from __future__ import annotations

import os

from spinnpop.errors import BuildError

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
#: The C sources in a source checkout of spinnpop (absent if installed
#: from a wheel).
SOURCES = os.path.join(_ROOT, "c_models")
#: Where ``make aplx`` puts the binaries.
DEFAULT_FOLDER = os.path.join(SOURCES, "build", "aplx")
_HOW = ("run `make aplx` in spinnpop's folder, with SPINN_DIRS naming "
        "spinnaker_tools (README.rst, 'Hardware builds')")


def _newest_source() -> float:
    """The time of the last change to the models' C sources (0 if they
    are not here to compare with)."""
    newest = 0.0
    for folder in ("common", "models"):
        for parent, _, files in os.walk(os.path.join(SOURCES, folder)):
            for name in files:
                if name.endswith((".c", ".h")):
                    newest = max(newest, os.path.getmtime(
                        os.path.join(parent, name)))
    return newest


def check_binaries(folder: str, names: list) -> None:
    """Raises BuildError unless every binary in ``names`` (file names)
    is in ``folder`` and newer than the C sources."""
    missing = sorted(name for name in set(names)
                     if not os.path.isfile(os.path.join(folder, name)))
    if missing:
        raise BuildError(
            f"{len(missing)} model binaries for SpiNNaker are missing from "
            f"{folder} ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}): {_HOW}, or give "
            "setup(binaries=...) the folder they are in")
    newest = _newest_source()
    stale = sorted(name for name in set(names) if os.path.getmtime(
        os.path.join(folder, name)) < newest)
    if stale:
        raise BuildError(
            f"the model binaries in {folder} are older than the C sources "
            f"in {SOURCES} ({', '.join(stale[:3])}"
            f"{', ...' if len(stale) > 3 else ''}): {_HOW} again")
