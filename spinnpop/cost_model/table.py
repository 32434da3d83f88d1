"""The calibration table: ARM968 cycles of each model's work, by cost
feature, as ``python -m spinnpop.cost_model.calibrate`` measured them on
the ARM build (calibration.json, committed with the tool versions it came
from)."""

from __future__ import annotations

import functools
import json
import os

import numpy as np

from spinnpop.backends.emulator.engine import COST_FEATURES

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "calibration.json")


@functools.lru_cache(maxsize=1)
def table() -> dict:
    """The calibration (calibration.json), or an empty one."""
    if not os.path.exists(PATH):
        return {"models": {}}
    with open(PATH) as f:
        return json.load(f)


def cost_coefficients(binary: str) -> np.ndarray:
    """Cycles per unit of each of COST_FEATURES for a model binary; zeros
    if the table does not have it (``calibrated`` says)."""
    model = table()["models"].get(binary)
    coefficients = np.zeros(len(COST_FEATURES))
    if model is not None:
        for name, cycles in model["cycles"].items():
            coefficients[COST_FEATURES.index(name)] = cycles
    return coefficients


def calibrated(binary: str) -> bool:
    return binary in table()["models"]
