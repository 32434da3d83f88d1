"""``train``, ``predict`` and ``evaluate``: from the user's arrays to runs on
the machine and back.

Everything a run needs is checked here before anything is mapped or run;
the machine then goes through whole epochs by itself, and the host only
reads back what the cores recorded and the weights they learned.
"""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np

from spinnpop.control import check_same_session, current_state
from spinnpop.errors import (ConfigurationError, DataError, SaturationWarning,
                             ShapeError)
from spinnpop.graph.network import Network
from spinnpop.hardware import APPLICATION_CORES_PER_CHIP, CHIPS_PER_BOARD
from spinnpop.mapping import layout, loading
from spinnpop.mapping.regions import (METRICS_RECORD, STATUS, Region,
                                      RunMode)
from spinnpop.numeric import Format
from spinnpop.populations import Population
from spinnpop.results import diagnosis, metrics
from spinnpop.results.counters import RunCounters
from spinnpop.training.history import History
from spinnpop.training.losses import (LOSSES, check_metrics, default_loss,
                                      get_loss)
from spinnpop.saving import set_weights_by_name, weights_by_name
from spinnpop.training.callbacks import check_callbacks
from spinnpop.training.optimizers import Optimizer, get_optimizer
from spinnpop.training.progress import Progress, check_verbose
from spinnpop.training.schedule import (EpochOrders, batches_in,
                                        steps_per_run)
from spinnpop.validation import check_integer, numeric_array, to_float32

_WORD = 4

#: Where each optimizer buffer lives on the cores.
_BUFFER_REGIONS = {"velocity": Region.VELOCITY, "squares": Region.SQUARES}


def train(x, y, epochs: int = 1, batch_size: int = 32, loss=None,
          optimizer=None, shuffle: bool = True, verbose=1,
          metrics=None, validation_data=None, validation_split=None,
          callbacks=None) -> History:
    """Trains the network with minibatch gradient descent, on the machine.

    :param x: samples, (n_samples, size) of the input population (or
        (n_samples, *shape)); a dict {population: array} for several.
    :param y: targets of the output population, as the loss wants them
        (one-hot (n_samples, n_classes), class indices (n_samples,), or
        values); a dict {population: array} for several.
    :param batch_size: samples per weight update (all of them, if
        fewer).
    :param loss: "categorical_crossentropy",
        "sparse_categorical_crossentropy", "binary_crossentropy", "mse" or
        "mae"; or a dict of them by output population.
    :param optimizer: an SGD, Adam or RMSprop, or its name ("sgd",
        "adam", "rmsprop"; default: SGD(0.01));
        passing the same object again continues with its state.
    :param shuffle: shuffle each epoch with the session's seed; else the
        samples go in order (a last partial batch is smaller).
    :param verbose: 0 is silent, 1 shows a progress bar per epoch, 2
        prints a line per epoch.
    :param metrics: Keras' metric names; "accuracy" is reported for
        classification whether asked for or not; a top-k accuracy
        ("top_k_categorical_accuracy", k = 5) has the output cores record
        every output, which the host ranks.
    :param validation_data: (x, y) evaluated on the machine after every
        epoch: ``val_loss`` (and ``val_accuracy``) in the logs.
    :param validation_split: or this fraction of x and y, their last
        samples (before shuffling, as Keras), held out for validation.
    :param callbacks: spinnpop.callbacks objects (EarlyStopping,
        ModelCheckpoint, CSVLogger, LearningRateScheduler, or your own
        Callback). With callbacks or validation, each epoch is a run of
        its own on the machine.
    :return: a History with per-epoch "loss" (and "accuracy" for
        classification, and the "val_" ones).
    :raises KeyboardInterrupt: on Ctrl-C, once the running batch is done
        (its weights kept); its ``history`` has the epochs completed.
    """
    state = current_state()
    epochs = check_integer(epochs, "epochs", 1)
    batch_size = check_integer(batch_size, "batch_size", 1)
    if loss is None:
        raise ConfigurationError(
            f"train needs a loss: one of {sorted(LOSSES)}, e.g. "
            "loss='categorical_crossentropy'")
    optimizer = get_optimizer(optimizer)
    verbose = check_verbose(verbose)
    callbacks = check_callbacks(callbacks)
    top_k = check_metrics(metrics)
    network = _network(state)
    inputs, outputs = _endpoints(network)
    losses = _losses(loss, outputs)
    xs, ys, n = _bind_data(x, y, inputs, outputs, losses)
    xs, ys, n, validation = _validation(validation_data, validation_split,
                                        xs, ys, n, inputs, outputs, losses)
    _check_numbers(state, xs, ys, optimizer)
    if validation is not None:
        _check_numbers(state, validation[0], validation[1], None)
    orders = EpochOrders(state.seed, state.runs, n, bool(shuffle))
    run_batch = min(batch_size, n)      # as Keras: one batch of them all
    state.runs += 1
    state.last_loss = losses
    state.optimizer = optimizer
    optimizer.forget_unused()
    history = History({"epochs": epochs, "batch_size": batch_size,
                       "samples": n, "shuffle": bool(shuffle),
                       "optimizer": repr(optimizer)})
    # Callbacks and validation see each epoch between runs; without them
    # a run holds as many epochs as the cores can record, shown live.
    stepwise = bool(callbacks) or validation is not None
    record = _records_outputs(losses, top_k)
    per_run = 1 if stepwise else max(
        1, steps_per_run(_bytes_per_step(network, record)) // n)
    progress = Progress(verbose, n, epochs)
    reporter = _EpochReporter(network, n, epochs, losses, ys, progress,
                              live=not stepwise, top_k=top_k,
                              record=record)
    model = TrainingModel(optimizer)
    for callback in callbacks:
        callback.set_model(model)
    counters = RunCounters()
    try:
        for callback in callbacks:
            callback.on_train_begin({})
        epoch = 0
        while epoch < epochs and not model.stop_training:
            count = min(per_run, epochs - epoch)
            for callback in callbacks:
                callback.on_epoch_begin(epoch, {})
            _check_optimizer(state.numeric, optimizer)   # a schedule's rate
            run_order = orders.next(count)
            shape = layout.RunShape(
                n, len(run_order), record,
                squares="squares" in optimizer.buffers())
            network.prepare(losses, n)
            raw, mapped = _execute(
                state, network, RunMode.TRAIN, shape, xs, ys, run_order,
                run_batch, optimizer, counters,
                reporter.watch(first_epoch=epoch, order=run_order))
            _keep_trained(state, network, mapped, raw, optimizer, shape,
                          run_batch)
            if raw.state == "interrupted":  # Ctrl-C: stopped at a batch end
                # Epochs validated and seen by callbacks are in the
                # history already; without them, those the run finished.
                for done, logs in reporter.take():
                    if not stepwise:
                        history.add_epoch(done, logs)
                raise KeyboardInterrupt
            for done, logs in reporter.take():
                if validation is not None:
                    logs.update({f"val_{name}": value for name, value in
                                 _evaluate(state, network, losses,
                                           *validation, top_k).items()})
                    state.last_run = counters    # the training's, not this
                for callback in callbacks:
                    callback.on_epoch_end(done, logs)
                history.add_epoch(done, logs)
                if stepwise:
                    progress.epoch_end(done, logs)
            epoch += count
        for callback in callbacks:
            callback.on_train_end({})
    except KeyboardInterrupt as interrupt:
        interrupt.history = history      # the epochs done, as Keras keeps
        raise
    finally:
        progress.close()
    _warn_saturated(counters)
    return history


class TrainingModel:
    """What callbacks see of the training (``Callback.model``):
    ``stop_training``, ``optimizer``, and the session's weights."""

    def __init__(self, optimizer):
        self.stop_training = False
        self.optimizer = optimizer

    @staticmethod
    def get_weights() -> dict:
        """Copies of every weight and bias, by name."""
        return weights_by_name()

    @staticmethod
    def set_weights(weights: dict) -> None:
        """Puts back what ``get_weights`` gave."""
        set_weights_by_name(weights)


def _validation(data, split, xs: dict, ys: dict, n: int, inputs: list,
                outputs: list, losses: dict) -> tuple:
    """(training x, y, n, validation (x, y, n) or None) from
    ``validation_data`` or ``validation_split``."""
    if data is not None and split is not None:
        raise ConfigurationError(
            "give validation_data or validation_split, not both")
    if data is not None:
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ConfigurationError(
                "expected validation_data=(x, y), a pair; received a "
                f"{type(data).__name__}"
                + (f" of {len(data)}" if isinstance(data, (tuple, list))
                   else ""))
        return xs, ys, n, _bind_data(data[0], data[1], inputs, outputs,
                                     losses)
    if split is None:
        return xs, ys, n, None
    if isinstance(split, bool) or not isinstance(split, numbers.Real) \
            or not 0 < split < 1:
        raise ConfigurationError(
            "expected validation_split in (0, 1), the fraction of samples "
            f"held out; received: validation_split={split!r}")
    keep = int(n * (1 - split))
    if keep < 1 or keep == n:
        raise ConfigurationError(
            f"validation_split={split!r} of {n} samples leaves "
            f"{keep} for training and {n - keep} for validation; both need "
            "at least one")
    head = {p: a[:keep] for p, a in xs.items()}, {
        p: a[:keep] for p, a in ys.items()}
    tail = ({p: a[keep:] for p, a in xs.items()},
            {p: a[keep:] for p, a in ys.items()}, n - keep)
    return head[0], head[1], keep, tail


def predict(x, batch_size: int = 32, verbose: int = 0):
    """Outputs of the network for ``x``, computed on the machine.

    :return: (n_samples, *shape) float32 of the output population, or a
        dict {population: array} for several.
    """
    del verbose  # inference prints nothing
    check_integer(batch_size, "batch_size", 1)
    state = current_state()
    network = _network(state)
    inputs, outputs = _endpoints(network)
    losses = _inference_losses(state, outputs)
    xs, _, n = _bind_data(x, None, inputs, outputs, losses)
    _check_numbers(state, xs, {}, None)
    ys = {p: np.zeros((n, p.size), np.float32) for p in outputs}
    predicted = {p: [] for p in outputs}
    for raw, mapped, n_steps in _infer(state, network, losses, xs, ys, n,
                                       record_outputs=True):
        for population in outputs:
            predicted[population].append(_outputs(
                _region_words(raw, Region.OUTPUTS), mapped, population,
                n_steps, network.numeric.values))
    arrays = {p: np.concatenate(parts).reshape((n,) + p.shape)
              for p, parts in predicted.items()}
    return arrays[outputs[0]] if len(outputs) == 1 else arrays


def evaluate(x, y, batch_size: int = 32, loss=None, verbose: int = 0) -> dict:
    """Loss (and accuracy) of the network on ``x``, ``y``, computed on the
    machine.

    :param loss: as for train; default: the loss of the last training.
    :return: {"loss": ..., "accuracy": ...}; with several outputs also
        "<label>_loss" and "<label>_accuracy".
    """
    del verbose  # inference prints nothing
    check_integer(batch_size, "batch_size", 1)
    state = current_state()
    network = _network(state)
    inputs, outputs = _endpoints(network)
    losses = (_losses(loss, outputs) if loss is not None
              else _inference_losses(state, outputs, required=True))
    xs, ys, n = _bind_data(x, y, inputs, outputs, losses)
    _check_numbers(state, xs, ys, None)
    return _evaluate(state, network, losses, xs, ys, n)


def _evaluate(state, network: Network, losses: dict, xs: dict, ys: dict,
              n: int, top_k: dict | None = None) -> dict:
    """Keras' logs of checked data, computed on the machine (and the top-k
    accuracies ``top_k``, {name: k}, from the outputs it records)."""
    outputs = [node.population for node in network.outputs]
    step_loss = {p.label: [] for p in outputs}
    predicted = {p.label: [] for p in outputs}
    recorded = {p.label: [] for p in outputs}
    record = _records_outputs(losses, top_k)
    for raw, mapped, n_steps in _infer(state, network, losses, xs, ys, n,
                                       record_outputs=record):
        for node in network.outputs:
            loss_steps, classes = _step_metrics(raw, mapped, node, n_steps)
            step_loss[node.label].append(loss_steps)
            predicted[node.label].append(classes)
            if record:
                recorded[node.label].append(_outputs(
                    _region_words(raw, Region.OUTPUTS), mapped,
                    node.population, n_steps, network.numeric.values))
    classes = {p.label: losses[p].classes(ys[p], p) for p in outputs}
    return metrics.summarise(
        {label: np.concatenate(parts) for label, parts in step_loss.items()},
        {label: np.concatenate(parts) for label, parts in predicted.items()},
        classes, slice(None),
        {label: np.concatenate(parts) for label, parts in recorded.items()
         if parts}, top_k)


def _infer(state, network: Network, losses: dict, xs: dict, ys: dict,
           n: int, record_outputs: bool):
    """Inference runs over consecutive pieces of the data; yields (raw run,
    mapping, steps) of each. ``network`` is prepared for each piece."""
    counters = RunCounters()
    network.prepare(losses, n)
    per_run = steps_per_run(_bytes_per_step(network, record_outputs))
    for start in range(0, n, per_run):
        stop = min(n, start + per_run)
        piece = slice(start, stop)
        part_x = {p: a[piece] for p, a in xs.items()}
        part_y = {p: a[piece] for p, a in ys.items()}
        network.prepare(losses, stop - start)
        shape = layout.RunShape(stop - start, stop - start, record_outputs)
        order = np.arange(stop - start, dtype=np.uint32)
        raw, mapped = _execute(state, network, RunMode.INFER, shape, part_x,
                               part_y, order, 1, None, counters)
        yield raw, mapped, stop - start
    _warn_saturated(counters)


def _execute(state, network: Network, mode: RunMode, shape, inputs: dict,
             targets: dict, order: np.ndarray, batch_size: int, optimizer,
             counters: RunCounters, watch=None) -> tuple:
    """Maps, loads, runs and reads back one run through the tool chain."""
    # The tools load slowly, and their libraries add warning filters.
    with warnings.catch_warnings():
        from spinnpop.mapping import toolchain
    run = layout.run_params(
        int(mode), shape, batch_size, state.backend.patience_ms,
        network.numeric,
        optimizer.run_settings() if optimizer is not None else None)
    buffers = () if optimizer is None else optimizer.buffers()
    data = loading.RunData(
        weights={p: p._weight for p in state.projections
                 if p._weight is not None},
        biases={p: p._bias_array("bias") for p in state.populations
                if p._bias_shape() is not None},
        velocities=optimizer.velocities if optimizer is not None else {},
        squares=optimizer.squares if "squares" in buffers else None,
        inputs=inputs, targets=targets,
        order=np.ascontiguousarray(order, dtype=np.uint32))

    def reads(node):
        return node.layer.reads(mode, [_BUFFER_REGIONS[b]
                                       for b in buffers]) + (
            [Region.OUTPUTS] if node.is_output and shape.record_outputs
            else [])
    raw, mapped = toolchain.run_network(network, shape, run, state.backend,
                                        data, reads, watch)
    counters.add(mapped, network, raw, len(order))
    state.last_run = counters
    if raw.state == "interrupted":
        if mode != RunMode.TRAIN:
            raise KeyboardInterrupt
    elif raw.state != "done":
        diagnosis.raise_for(raw, network, mapped, shape.n_samples, order)
    return raw, mapped


def _check_numbers(state, xs: dict, ys: dict, optimizer) -> None:
    """A DataError, before anything is mapped, for any number of the run
    that the session's fixed-point type cannot hold (float32's range is
    checked where the numbers are taken)."""
    numeric = state.numeric
    if not numeric.is_fixed:
        return
    for population, array in xs.items():
        numeric.values.check(array, f"x for {population.label!r}")
    for population, array in ys.items():
        numeric.values.check(array, f"y for {population.label!r}")
    for projection in state.projections:
        if projection._weight is not None:
            numeric.weights.check(projection._weight,
                                  f"weights of {projection.label!r}")
    for population in state.populations:
        if population._bias_shape() is not None:
            numeric.weights.check(population._bias_array("bias"),
                                  f"biases of {population.label!r}")
    if optimizer is not None:
        _check_optimizer(numeric, optimizer)


def _check_optimizer(numeric, optimizer) -> None:
    """A DataError for a setting or buffer of the optimizer that the
    session's fixed-point weights cannot hold (or that rounds to 0)."""
    if not numeric.is_fixed:
        return
    if "squares" in optimizer.buffers():
        raise ConfigurationError(
            f"{type(optimizer).__name__} keeps running means of squared "
            "gradients (1e-8 and less), below the resolution of this "
            f"session's {numeric.weights.name} weights "
            f"({numeric.weights.resolution:.3g}); use "
            "setup(numeric='float32'), or SGD in fixed point")
    for what in ("learning_rate", "momentum", "weight_decay"):
        rate = getattr(optimizer, what)
        numeric.weights.check(np.array(rate), f"SGD {what}")
        if rate and abs(rate) < numeric.weights.resolution / 2:
            raise DataError(
                f"SGD {what}={rate!r} rounds to 0 in the "
                f"{numeric.weights.name} format of this session (its "
                f"resolution is {numeric.weights.resolution:.3g})")
    for owner, buffer in optimizer.velocities.items():
        numeric.weights.check(buffer, f"momentum buffer of {owner.label!r}")


def _warn_saturated(counters: RunCounters) -> None:
    """Saturated fixed-point results are never silent."""
    saturated = {}
    for core in counters.cores:
        if core.saturations:
            saturated[core.population] = (saturated.get(core.population, 0)
                                          + core.saturations)
    if saturated:
        warnings.warn(SaturationWarning(
            f"{sum(saturated.values())} fixed-point results went beyond "
            f"their format's range and were saturated (by population: "
            f"{saturated}); scale the data or weights down, lower the "
            "learning rate, or use setup(numeric='float32')"), stacklevel=3)


def _keep_trained(state, network, mapped, raw, optimizer: Optimizer,
                  shape, batch_size: int) -> None:
    """Takes the learned weights, the optimizer's buffers and its step
    count off the cores."""
    def region(kind):
        return lambda index: network.numeric.weights.decode(
            raw.region(index, kind, np.uint32))

    matrices, biases = loading.unstack(network, mapped, region(Region.WEIGHTS))
    for projection, matrix in matrices.items():
        projection._weight[:] = matrix
    for population, bias in biases.items():
        population._bias_array("bias")[:] = bias
    for name in optimizer.buffers():
        matrices, biases = loading.unstack(network, mapped,
                                           region(_BUFFER_REGIONS[name]))
        optimizer.buffer(name).update(matrices)
        optimizer.buffer(name).update(biases)
    steps = shape.n_steps
    if raw.state != "done":         # stopped at a batch end
        output = network.outputs[0].population.index
        steps = min(int(raw.statuses[i]["steps_done"])
                    for i in mapped.core_indices(output))
    optimizer.steps += batches_in(steps, shape.n_samples, batch_size)


class _EpochReporter:
    """Reads the epochs' losses and accuracies as they finish on the
    machine, and shows the progress of the running one (and, given
    ``live``, each epoch's logs as it ends)."""

    #: Seconds between readings of the running loss for the progress bar.
    LOSS_EVERY = 0.5

    def __init__(self, network, n_samples, epochs, losses, targets,
                 progress, live, top_k, record):
        self.n, self.epochs = n_samples, epochs
        self.progress, self.live, self.top_k = progress, live, top_k
        self.record = record
        self.outputs = network.outputs
        self.values = network.numeric.values
        self.classes = {}
        for node in network.outputs:
            classes = losses[node.population].classes(
                targets[node.population], node.population)
            self.classes[node.label] = classes
        self.next_epoch = 0
        self.finished = []
        self.loss_read = 0.0

    def watch(self, first_epoch: int, order: np.ndarray):
        """The watch for a run starting at epoch ``first_epoch``."""
        self.next_epoch = first_epoch
        classes = {label: None if c is None else c[order]
                   for label, c in self.classes.items()}

        def for_mapping(mapped):
            def look(read):
                self._report(mapped, read, first_epoch, classes)
            return look
        return for_mapping

    def take(self) -> list:
        """[(epoch, logs)] of the epochs finished since the last call."""
        finished, self.finished = self.finished, []
        return finished

    def _report(self, mapped, read, first_epoch: int,
                run_classes: dict) -> None:
        cores = {node.label: mapped.core_indices(node.population.index)
                 for node in self.outputs}
        done = min(int(STATUS.unpack(read(i, Region.STATUS))[0]["steps_done"])
                   for indices in cores.values() for i in indices)
        while (self.next_epoch - first_epoch + 1) * self.n <= done \
                and self.next_epoch < self.epochs:
            local = self.next_epoch - first_epoch
            loss, predicted = self._records(read, cores, local * self.n,
                                            self.n)
            classes = {label: None if c is None
                       else c[local * self.n:(local + 1) * self.n]
                       for label, c in run_classes.items()}
            outputs = self._outputs(read, mapped, local * self.n, self.n)
            logs = metrics.summarise(loss, predicted, classes, slice(None),
                                     outputs, self.top_k)
            self.finished.append((self.next_epoch, logs))
            if self.live:
                self.progress.epoch_end(self.next_epoch, logs)
            self.next_epoch += 1
        into = done - (self.next_epoch - first_epoch) * self.n
        if self.progress.verbose == 1 and 0 < into < self.n:
            running = None
            now = time.perf_counter()
            if now - self.loss_read >= self.LOSS_EVERY:
                self.loss_read = now
                losses, _ = self._records(read, cores, done - into, into)
                running = float(sum(v.mean() for v in losses.values()))
            self.progress.samples_done(self.next_epoch, into, running)

    def _outputs(self, read, mapped, first: int, count: int) -> dict:
        """{output: (count, size) outputs} of the run's steps first to
        first + count, if a metric needs them."""
        if not self.record:
            return {}

        def words(index):
            width = mapped.cores[index].stop - mapped.cores[index].start
            return np.frombuffer(read(index, Region.OUTPUTS,
                                      first * width * _WORD,
                                      count * width * _WORD), np.uint32)
        return {node.label: _outputs(words, mapped, node.population, count,
                                     self.values)
                for node in self.outputs}

    def _records(self, read, cores: dict, first: int, count: int) -> tuple:
        """({output: loss per step}, {output: class per step}) of the
        run's steps first to first + count."""
        size = METRICS_RECORD.size
        loss, predicted = {}, {}
        for node in self.outputs:
            records = metrics.read_records(
                lambda i: read(i, Region.METRICS, first * size,
                               count * size),
                cores[node.label], count)
            loss[node.label], predicted[node.label] = \
                metrics.step_metrics(records, self.values)
        return loss, predicted


def _step_metrics(raw, mapped, node, n_steps: int) -> tuple:
    records = metrics.read_records(
        lambda i: raw.regions[(i, Region.METRICS)],
        mapped.core_indices(node.population.index), n_steps)
    return metrics.step_metrics(records, node.network.numeric.values)


def _region_words(raw, region):
    """``words(core index)``: a region of a finished run, as uint32."""
    return lambda index: raw.region(index, region, np.uint32)


def _outputs(words, mapped, population, n_steps: int,
             values: Format) -> np.ndarray:
    """(n_steps, size) float32 outputs of ``population`` from the words
    its cores recorded (``words(core index)``, steps x the core's
    neurons)."""
    out = np.zeros((n_steps, population.size), np.float32)
    for index in mapped.core_indices(population.index):
        core = mapped.cores[index]
        out[:, core.start:core.stop] = values.decode(
            words(index)).reshape(n_steps, -1)
    return out


def _records_outputs(losses: dict, top_k: dict) -> bool:
    """Whether the output cores record every output, for a metric that
    needs them (a top-k or a binary accuracy)."""
    return bool(top_k) or any(loss.needs_outputs
                              for loss in losses.values())


def _bytes_per_step(network: Network, record_outputs: bool) -> int:
    """Most bytes a core records per step."""
    widest = max((stop - start for node in network.outputs
                  for start, stop in node.slices), default=0)
    return (_WORD + METRICS_RECORD.size
            + (_WORD * widest if record_outputs else 0))


def _network(state) -> Network:
    """The session's network, checked."""
    return Network(state.populations, state.projections,
                   state.samples_in_flight, state.numeric,
                   state.backend.n_boards * CHIPS_PER_BOARD
                   * APPLICATION_CORES_PER_CHIP, state.split)


def _endpoints(network: Network) -> tuple:
    """(input populations, output populations) of a checked network."""
    return ([n.population for n in network.inputs],
            [n.population for n in network.outputs])


def _losses(loss, outputs: list) -> dict:
    if isinstance(loss, dict):
        state = current_state()
        for population in loss:
            _check_key(population, state, "loss")
        missing = [p.label for p in outputs if p not in loss]
        if missing:
            raise ConfigurationError(f"no loss given for output population(s)"
                                     f" {missing}")
        return {p: get_loss(loss[p]) for p in outputs}
    return {p: get_loss(loss) for p in outputs}


def _inference_losses(state, outputs: list, required: bool = False) -> dict:
    """The losses of the last training, else the defaults per cell type."""
    if state.last_loss is not None and all(p in state.last_loss
                                           for p in outputs):
        return {p: state.last_loss[p] for p in outputs}
    if required:
        raise ConfigurationError(
            "evaluate needs a loss: pass loss=... (one of "
            f"{sorted(LOSSES)}), or train first")
    return {p: default_loss(p) for p in outputs}


def _check_key(population, state, what: str) -> None:
    if not isinstance(population, Population):
        raise ConfigurationError(f"keys of the {what} dict must be "
                                 f"Populations; received: {population!r}")
    check_same_session(population, state, "population")


def _per_population(data, populations: list, what: str) -> dict:
    if isinstance(data, dict):
        state = current_state()
        for population in data:
            _check_key(population, state, what)
        wanted = set(populations)
        missing = [p.label for p in populations if p not in data]
        extra = [p.label for p in data if p not in wanted]
        if missing or extra:
            raise ConfigurationError(
                f"{what} must have one array for each of "
                f"{[p.label for p in populations]}; missing {missing}, "
                f"not expected {extra}")
        return dict(data)
    if len(populations) != 1:
        raise ConfigurationError(
            f"the network has {len(populations)} populations for {what} "
            f"({[p.label for p in populations]}): pass {what} as a dict "
            "{population: array}")
    return {populations[0]: data}


def _bind_data(x, y, inputs: list, outputs: list, losses: dict) -> tuple:
    """Checked float32 arrays by population, and the number of samples."""
    xs = {p: _samples(value, p)
          for p, value in _per_population(x, inputs, "x").items()}
    sizes = {p.label: len(a) for p, a in xs.items()}
    if len(set(sizes.values())) > 1:
        raise ShapeError(f"the inputs have different numbers of samples: "
                         f"{sizes}")
    n = next(iter(sizes.values()))
    ys = {}
    if y is not None:
        ys = {p: losses[p].targets(value, p, n)
              for p, value in _per_population(y, outputs, "y").items()}
    return xs, ys, n


def _samples(value, population) -> np.ndarray:
    """Input data of a population as float32 (n_samples, size)."""
    array = numeric_array(value, f"x for {population.label!r}")
    size, shape = population.size, population.shape
    if array.ndim == 1 and size == 1:
        array = array[:, None]
    if array.ndim < 1 or array.shape[1:] not in ((size,), shape):
        raise ShapeError(
            f"x for {population.label!r} must have shape (n_samples, {size})"
            + (f" or (n_samples, {', '.join(map(str, shape))})"
               if len(shape) > 1 else "")
            + f"; received shape {array.shape}")
    if len(array) == 0:
        raise ShapeError(f"x for {population.label!r} has no samples")
    return to_float32(array.reshape(len(array), size),
                      f"x for {population.label!r}")
