"""Callbacks for ``spinnpop.train``, in Keras' shape (see
spinnpop.training.callbacks): ``sp.callbacks.EarlyStopping`` and the
rest."""

from spinnpop.training.callbacks import (Callback, CSVLogger, EarlyStopping,
                                         LearningRateScheduler,
                                         ModelCheckpoint)

__all__ = ["Callback", "CSVLogger", "EarlyStopping", "LearningRateScheduler",
           "ModelCheckpoint"]
