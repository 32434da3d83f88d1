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


#: Reads of a weight or gradient in each unit of these features: the table
#: has them from DTCM (the calibration's cores hold their weights there); a
#: core whose weights are in SDRAM pays ``sdram_read_cycles`` more for each.
SDRAM_WEIGHT_READS = {"forward_units": 1, "partials_units": 1,
                      "gradients_units": 1, "update_units": 2}


@functools.lru_cache(maxsize=None)
def cost_coefficients(binary: str,
                      weights_in_sdram: bool = False) -> np.ndarray:
    """Cycles per unit of each of COST_FEATURES for a model binary (read
    only); zeros if the table does not have it (``calibrated`` says)."""
    model = table()["models"].get(binary)
    coefficients = np.zeros(len(COST_FEATURES))
    if model is not None:
        for name, cycles in model["cycles"].items():
            coefficients[COST_FEATURES.index(name)] = cycles
        if weights_in_sdram:
            for name, reads in SDRAM_WEIGHT_READS.items():
                coefficients[COST_FEATURES.index(name)] += (
                    reads * table()["sdram_read_cycles"])
    coefficients.flags.writeable = False
    return coefficients


def calibrated(binary: str) -> bool:
    return binary in table()["models"]
