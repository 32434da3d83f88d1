"""What ``train`` shows while the machine trains: at ``verbose=1`` a live
progress bar per epoch (tqdm's, a widget in notebooks) with samples/s and
the running loss, at ``verbose=2`` a line per epoch, at 0 nothing."""

from __future__ import annotations

import numbers
import sys
import time

from spinnpop.errors import ConfigurationError


def check_verbose(verbose) -> int:
    """``verbose`` as 0, 1 or 2, as Keras takes it."""
    if verbose == "auto":
        return 1
    if not isinstance(verbose, numbers.Integral) or isinstance(verbose, bool) \
            or verbose not in (0, 1, 2):
        raise ConfigurationError(
            "expected verbose 0 (quiet), 1 (progress bar) or 2 (a line per "
            f"epoch); received: verbose={verbose!r}")
    return int(verbose)


def _bar():
    """tqdm's bar (a widget in notebooks) without its monitor thread,
    which would outlive the call and register an exit handler."""
    from tqdm.auto import tqdm

    class Bar(tqdm):
        monitor_interval = 0
    return Bar


def epoch_line(epoch: int, epochs: int, logs: dict, seconds: float) -> str:
    """Keras' line for a finished epoch."""
    shown = " - ".join(f"{name}: {value:.4f}" for name, value in logs.items())
    return f"Epoch {epoch + 1}/{epochs} - {shown} ({seconds:.1f} s elapsed)"


class Progress:
    """The display of one ``train`` call."""

    def __init__(self, verbose: int, n_samples: int, epochs: int):
        self.verbose, self.n, self.epochs = verbose, n_samples, epochs
        self.started = time.perf_counter()
        # The stream of now: during a run the tool chain's output (and
        # sys.stderr with it) is captured.
        self.stream = sys.stderr
        self.bar = None
        self.bar_epoch = None

    def samples_done(self, epoch: int, done: int, loss: float | None) -> None:
        """``done`` samples of ``epoch`` are through the machine; ``loss``
        is their mean loss, if known."""
        if self.verbose != 1:
            return
        if self.bar_epoch != epoch:
            self._close()
            self.bar = _bar()(total=self.n, unit="sample", leave=True,
                              desc=f"Epoch {epoch + 1}/{self.epochs}",
                              file=self.stream)
            self.bar_epoch = epoch
        self.bar.update(min(done, self.n) - self.bar.n)
        if loss is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def epoch_end(self, epoch: int, logs: dict) -> None:
        """Shows a finished epoch's logs (validation included)."""
        if self.verbose == 2:
            print(epoch_line(epoch, self.epochs, logs,
                             time.perf_counter() - self.started), flush=True)
        elif self.verbose == 1:
            self.samples_done(epoch, self.n, None)
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
            self._close()

    def close(self) -> None:
        """Ends the display (also when training fails)."""
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar, self.bar_epoch = None, None
