"""Callbacks in Keras' shape: objects whose hooks ``train`` calls at the
start and end of training and of each epoch, with that epoch's logs
(``loss``, ``accuracy``, ``val_loss``, ...). Epochs run on the machine; a
callback sees them only between machine runs, so ``train`` ends a run at
every epoch when there are callbacks (a mapping cached, but the data
loaded again per epoch: a fraction of a second each)."""

from __future__ import annotations

import csv
import os
import warnings

from spinnpop.errors import ConfigurationError
from spinnpop.validation import check_integer, check_number


class Callback:
    """The base of every callback: override the hooks you need.

    ``self.model`` is set before training starts: a handle on the session
    being trained, with ``stop_training`` (set it to True to end training
    after this epoch), ``optimizer`` and ``get_weights()`` /
    ``set_weights(weights)``.
    """

    model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """After the last epoch, or the one a callback stopped at."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Before epoch ``epoch`` (0-based) starts on the machine."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """After epoch ``epoch`` (0-based), with its logs, validation
        included."""


def _monitor_mode(monitor: str, mode: str) -> str:
    """"min" or "max": "auto" maximises accuracies, minimises the rest."""
    if mode not in ("auto", "min", "max"):
        raise ConfigurationError(
            f"expected mode 'auto', 'min' or 'max'; received: mode={mode!r}")
    if mode != "auto":
        return mode
    return "max" if monitor.endswith(("accuracy", "acc")) else "min"


class _Monitoring(Callback):
    """A callback that follows one logged quantity for improvements."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0):
        if not isinstance(monitor, str):
            raise ConfigurationError(
                f"expected the name of a logged quantity for `monitor`, "
                f"e.g. 'val_loss'; received: monitor={monitor!r}")
        check_number(min_delta, "min_delta", low=0.0)
        self.monitor = monitor
        self.mode = _monitor_mode(monitor, mode)
        self.min_delta = float(min_delta)

    def _current(self, logs: dict | None) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__}: {self.monitor!r} is not in the "
                f"logs (available: {sorted(logs or {})}); it is skipped",
                RuntimeWarning, stacklevel=3)
        return value

    def _improves(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference


class EarlyStopping(_Monitoring):
    """Stops training once ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, as Keras 3 does.

    :param restore_best_weights: at the end of training, put back the
        weights of the epoch with the best ``monitor``.
    :param baseline: an improvement only counts once ``monitor`` is
        better than this.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0,
                 patience: int = 0, verbose: int = 0, mode: str = "auto",
                 baseline: float | None = None,
                 restore_best_weights: bool = False):
        super().__init__(monitor, mode, min_delta)
        self.patience = check_integer(patience, "patience", 0)
        self.verbose = verbose
        self.baseline = (None if baseline is None
                         else check_number(baseline, "baseline"))
        self.restore_best_weights = bool(restore_best_weights)

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None
        if self.restore_best_weights:
            self.model.get_weights()    # labels that can name them, or why

    def on_epoch_end(self, epoch, logs=None):
        current = self._current(logs)
        if current is None:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improves(current,
                                                       self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print("Restoring the weights of the end of the best epoch: "
                      f"{self.best_epoch + 1}")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_Monitoring):
    """Saves the session after epochs: ``spinnpop.save`` (architecture,
    weights, optimizer state), or only ``spinnpop.save_weights``.

    :param filepath: where; may hold ``{epoch}`` (1-based) and logged
        quantities, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``.
    :param save_best_only: only when ``monitor`` improves.
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto"):
        super().__init__(monitor, mode)
        self.filepath = _path(filepath, "filepath")
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.best = None

    def on_train_begin(self, logs=None):
        self.model.get_weights()    # labels that can name them, or why

    def on_epoch_end(self, epoch, logs=None):
        from spinnpop.saving import save, save_weights
        logs = logs or {}
        if self.save_best_only:
            current = self._current(logs)
            if current is None or not self._improves(current, self.best):
                return
            self.best = current
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ConfigurationError(
                f"ModelCheckpoint cannot fill in {self.filepath!r} ({error});"
                f" it may use {{epoch}} and {sorted(logs)}") from None
        folder = os.path.dirname(path)
        if folder:                  # as Keras: the folder is made
            os.makedirs(folder, exist_ok=True)
        (save_weights if self.save_weights_only else save)(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved to {path}")


class CSVLogger(Callback):
    """Writes each epoch's logs as a row of a CSV file: ``epoch`` (0-based,
    as Keras) and the logged quantities in name order.

    :param append: add to an existing file instead of starting afresh.
    """

    def __init__(self, filename, separator: str = ",",
                 append: bool = False):
        self.filename = _path(filename, "filename")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ConfigurationError(
                f"expected one character for `separator`; received: "
                f"separator={separator!r}")
        self.separator = separator
        self.append = bool(append)
        self._keys = None

    def on_train_begin(self, logs=None):
        self._keys = None
        self._header = not (self.append and os.path.exists(self.filename)
                            and os.path.getsize(self.filename) > 0)
        if not self.append:
            open(self.filename, "w").close()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
        with open(self.filename, "a", newline="") as file:
            writer = csv.writer(file, delimiter=self.separator)
            if self._header:
                writer.writerow(["epoch"] + self._keys)
                self._header = False
            writer.writerow([epoch] + [logs.get(k, "NA")
                                       for k in self._keys])


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate before each epoch to
    ``schedule(epoch, rate)`` (or ``schedule(epoch)``), as Keras; the rate
    reaches the cores with the epoch's run, and is logged as
    ``learning_rate``."""

    def __init__(self, schedule, verbose: int = 0):
        if not callable(schedule):
            raise ConfigurationError(
                f"expected a function for `schedule`; received: "
                f"{schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.model.optimizer.learning_rate
        try:
            rate = self.schedule(epoch, rate)
        except TypeError:
            rate = self.schedule(epoch)
        self.model.optimizer.set_learning_rate(rate)
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate "
                  f"{self.model.optimizer.learning_rate:.6g}")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


def check_callbacks(callbacks) -> list:
    """The callbacks of a ``train`` call as a list, checked."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        callbacks = [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise ConfigurationError(
            f"expected a list of callbacks; received: callbacks="
            f"{callbacks!r}")
    for callback in callbacks:
        if not isinstance(callback, Callback):
            names = ", ".join(c.__name__ for c in (
                EarlyStopping, ModelCheckpoint, CSVLogger,
                LearningRateScheduler))
            raise ConfigurationError(
                f"expected callback objects ({names}, or a subclass of "
                f"spinnpop.callbacks.Callback); received: {callback!r}")
    return list(callbacks)


def _path(value, name: str) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise ConfigurationError(
            f"expected a path for `{name}`; received: {name}={value!r}")
    return os.fspath(value)
