"""The order samples are seen in, and how long runs are cut into pieces.

A run records a few words per step on its input and output cores, so very
long trainings run as several runs of whole epochs (and big inferences as
several runs of consecutive samples), with the weights carried between
them; each run still goes through its epochs without the host.
"""

from __future__ import annotations

import numpy as np

#: SDRAM a core may spend on per-step records (order, metrics, outputs).
STEP_RECORDS_PER_CORE = 16 * 1024 * 1024


def epoch_orders(seed: int, call: int, n_samples: int, epochs: int,
                 shuffle: bool) -> np.ndarray:
    """Data-set index of every step: epochs x n_samples, each epoch a
    permutation drawn from (seed, call) if ``shuffle``, else in order."""
    if not shuffle:
        return np.tile(np.arange(n_samples, dtype=np.uint32), epochs)
    rng = np.random.default_rng([seed, call])
    return np.concatenate([rng.permutation(n_samples).astype(np.uint32)
                           for _ in range(epochs)])


def steps_per_run(bytes_per_step: int) -> int:
    """Most steps one run may take when a core records ``bytes_per_step``
    for each."""
    return max(1, STEP_RECORDS_PER_CORE // bytes_per_step)
