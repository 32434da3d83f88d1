"""What training reports, as Keras' ``History``."""

from __future__ import annotations


class History:
    """``history[metric]`` is a list with one value per epoch, as in Keras;
    ``epoch`` lists the epochs and ``params`` the run's settings."""

    def __init__(self, params: dict):
        self.history = {}
        self.epoch = []
        self.params = params

    def add_epoch(self, epoch: int, logs: dict) -> None:
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self):
        return f"History({self.history})"
