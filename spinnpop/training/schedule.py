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


class EpochOrders:
    """The data-set index of every step, drawn epoch by epoch as the runs
    need them (a long training never holds its whole order): each epoch a
    permutation drawn in turn from (seed, call) if ``shuffle``, else in
    order."""

    def __init__(self, seed: int, call: int, n_samples: int, shuffle: bool):
        self.n_samples = n_samples
        self._rng = np.random.default_rng([seed, call]) if shuffle else None

    def next(self, epochs: int) -> np.ndarray:
        """The order of the next ``epochs`` epochs: (epochs * n_samples,)
        uint32."""
        if self._rng is None:
            return np.tile(np.arange(self.n_samples, dtype=np.uint32),
                           epochs)
        return np.concatenate([
            self._rng.permutation(self.n_samples).astype(np.uint32)
            for _ in range(epochs)])


def epoch_orders(seed: int, call: int, n_samples: int, epochs: int,
                 shuffle: bool) -> np.ndarray:
    """The whole order of a training call of ``epochs`` epochs (what
    ``train`` draws run by run), for references to repeat it."""
    return EpochOrders(seed, call, n_samples, shuffle).next(epochs)


def batches_in(steps: int, n_samples: int, batch_size: int) -> int:
    """Optimizer steps in the first ``steps`` sequence steps of a run, in
    epochs of ``n_samples`` whose last batch may be short."""
    epochs, left = divmod(steps, n_samples)
    return epochs * -(-n_samples // batch_size) + -(-left // batch_size)


def steps_per_run(bytes_per_step: int) -> int:
    """Most steps one run may take when a core records ``bytes_per_step``
    for each."""
    return max(1, STEP_RECORDS_PER_CORE // bytes_per_step)
