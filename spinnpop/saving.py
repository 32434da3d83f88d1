"""Saving and loading: weights by label (``save_weights`` /
``load_weights``), or a whole session (``save`` / ``load``): the network,
its weights, the optimizer's state and where the sample order stands, so
that a loaded session predicts the same bits and trains on as the saved
one would have.

Files are numpy ``.npz`` archives (HDF5 through h5py for a path ending in
``.h5``): an array per weight, named ``projection/<label>/weight`` and
``population/<label>/bias``, and for ``save`` a JSON description beside
them.
"""

from __future__ import annotations

import inspect
import json
import os

import numpy as np

from spinnpop.cells import CELL_TYPES
from spinnpop.connectors import CONNECTORS
from spinnpop.control import current_state
from spinnpop.errors import ConfigurationError, DataError

_FORMAT = "spinnpop-session-1"
_DESCRIPTION = "__spinnpop__"


def weights_by_name(state=None) -> dict:
    """Copies of the session's trained parameters: {name: array}, named
    ``projection/<label>/weight`` (its ``get("weight")`` shape) and
    ``population/<label>/bias``."""
    state = state or current_state()
    named = {}
    for kind, owners in (("projection", state.projections),
                         ("population", state.populations)):
        for owner, array in _parameters(kind, owners):
            name = f"{kind}/{owner.label}/{_PARAMETER[kind]}"
            if name in named:
                raise ConfigurationError(
                    f"two {kind}s are labelled {owner.label!r}; give them "
                    "unique labels (label=...) to save or restore them")
            named[name] = array.copy()
    return named


_PARAMETER = {"projection": "weight", "population": "bias"}


def _parameters(kind: str, owners: list):
    for owner in owners:
        if kind == "projection" and owner._weight is not None:
            yield owner, owner._weight
        elif kind == "population" and owner._bias_shape() is not None:
            yield owner, owner._bias_array("bias")


def set_weights_by_name(named: dict, what: str = "the weights") -> None:
    """Sets every trained parameter of the session from ``named`` (as
    ``weights_by_name`` gives them), after checking that the names and
    shapes are exactly the session's."""
    state = current_state()
    targets = {}
    for kind, owners in (("projection", state.projections),
                         ("population", state.populations)):
        for owner, array in _parameters(kind, owners):
            targets[f"{kind}/{owner.label}/{_PARAMETER[kind]}"] = array
    missing = sorted(set(targets) - set(named))
    extra = sorted(set(named) - set(targets))
    if missing or extra:
        raise ConfigurationError(
            f"{what} do not fit this network: missing {missing}, not in the "
            f"network {extra} (parameters are matched by label)")
    for name, array in targets.items():
        value = np.asarray(named[name])
        if value.shape != array.shape:
            raise ConfigurationError(
                f"{what}: {name} has shape {value.shape}, the network's has "
                f"{array.shape}")
        if not np.all(np.isfinite(value)):
            raise DataError(f"{what}: {name} holds NaN or infinity")
    for name, array in targets.items():
        array[:] = np.asarray(named[name], dtype=np.float32)


def save_weights(path) -> None:
    """Writes the session's weights and biases to ``path`` (.npz, or .h5
    with h5py installed), by population and projection label."""
    _write(path, weights_by_name(), None)


def load_weights(path) -> None:
    """Sets the session's weights and biases from a ``save_weights`` (or
    ``save``) file; a ConfigurationError if its labels or shapes are not
    exactly this network's."""
    arrays, _ = _read(path)
    set_weights_by_name(arrays, f"the weights in {os.fspath(path)!r}")


def save(path) -> None:
    """Writes the whole session to ``path``: the network (populations,
    projections, their labels and neurons per core), the weights, the
    optimizer of the last training with its state, the last loss, the
    numeric type, the seed and how many runs have drawn sample orders."""
    state = current_state()
    arrays = weights_by_name(state)
    optimizer = state.optimizer
    if optimizer is not None:
        for name, array in optimizer.state_by_name().items():
            arrays[f"optimizer/{name}"] = array
    description = {
        "format": _FORMAT,
        "session": {"seed": state.seed, "numeric": state.numeric.name,
                    "samples_in_flight": state.samples_in_flight,
                    "runs": state.runs,
                    "neurons_per_core": {cell.__name__: n for cell, n in
                                         state.neurons_per_core.items()}},
        "populations": [
            {"label": p.label, "shape": list(p.shape),
             "cell": type(p.celltype).__name__,
             "neurons_per_core": p._neurons_per_core}
            for p in state.populations],
        "projections": [
            {"label": p.label, "pre": p.pre.label, "post": p.post.label,
             "connector": _connector_config(p.connector)}
            for p in state.projections],
        "optimizer": None if optimizer is None else optimizer.config(),
        "loss": None if state.last_loss is None else {
            p.label: loss.name for p, loss in state.last_loss.items()},
    }
    _write(path, arrays, description)


def load(path):
    """Rebuilds a ``save``d session in the current one, which must have
    no populations yet and the saved numeric type: the network, its
    weights, and the sample order where it stood (the saved seed, samples
    in flight and count of trainings replace the session's). A file that
    fails to load leaves the session as it was.

    :return: a ``Loaded`` with ``populations`` and ``projections`` by
        label, and ``optimizer``: the saved optimizer with its state (pass
        it to ``train`` to continue exactly) or None.
    """
    state = current_state()
    arrays, description = _read(path)
    if description is None or description.get("format") != _FORMAT:
        raise ConfigurationError(
            f"{os.fspath(path)!r} holds weights only, not a session saved "
            "with spinnpop.save; use spinnpop.load_weights for it")
    if state.populations:
        raise ConfigurationError(
            "load builds the saved network in the current session, which "
            f"already has {len(state.populations)} population(s): call "
            "spinnpop.setup() first")
    session = description["session"]
    if session["numeric"] != state.numeric.name:
        raise ConfigurationError(
            f"the session in {os.fspath(path)!r} computed in "
            f"{session['numeric']!r}, this one in {state.numeric.name!r}: "
            f"call setup(numeric={session['numeric']!r}) first")
    settings = dict(state.neurons_per_core)
    drawn = state.rng.bit_generator.state
    try:
        loaded = _rebuild(state, description, arrays, os.fspath(path))
    except Exception:
        # Nothing of a file that fails stays in the session.
        state.populations.clear()
        state.projections.clear()
        state.neurons_per_core = settings
        state.rng.bit_generator.state = drawn
        raise
    state.seed = session["seed"]
    state.samples_in_flight = session["samples_in_flight"]
    state.runs = session["runs"]
    return loaded


def _rebuild(state, description: dict, arrays: dict, path: str):
    """The saved network, weights, optimizer and loss, in ``state``."""
    from spinnpop.populations import Population
    from spinnpop.projections import Projection
    from spinnpop.training.losses import get_loss
    from spinnpop.training.optimizers import optimizer_from_config
    cells = {c.__name__: c for c in CELL_TYPES}
    try:
        for name, n in description["session"]["neurons_per_core"].items():
            state.neurons_per_core[cells[name]] = n
    except KeyError as missing:
        raise ConfigurationError(
            f"{path!r} names {missing}, which this version of spinnpop "
            "does not have") from None
    populations = {}
    for p in description["populations"]:
        populations[p["label"]] = Population(
            tuple(p["shape"]), _named(cells, p["cell"], path)(),
            label=p["label"],
            neurons_per_core=p["neurons_per_core"])
    projections = {}
    for p in description["projections"]:
        projections[p["label"]] = Projection(
            populations[p["pre"]], populations[p["post"]],
            _connector(p["connector"], path), label=p["label"])
    set_weights_by_name(
        {n: a for n, a in arrays.items() if not n.startswith("optimizer/")},
        f"the weights in {path!r}")
    optimizer = None
    if description["optimizer"] is not None:
        optimizer = optimizer_from_config(description["optimizer"])
        optimizer.restore_state(
            {n[len("optimizer/"):]: a for n, a in arrays.items()
             if n.startswith("optimizer/")}, state)
        state.optimizer = optimizer
    if description["loss"] is not None:
        state.last_loss = {populations[label]: get_loss(name)
                           for label, name in description["loss"].items()}
    return Loaded(populations, projections, optimizer)


class Loaded:
    """What ``load`` rebuilt: ``populations`` and ``projections`` (dicts by
    label) and ``optimizer`` (or None)."""

    def __init__(self, populations: dict, projections: dict, optimizer):
        self.populations = populations
        self.projections = projections
        self.optimizer = optimizer

    def __repr__(self):
        return (f"Loaded(populations={list(self.populations)}, "
                f"projections={list(self.projections)}, "
                f"optimizer={self.optimizer!r})")


def _connector_config(connector) -> dict:
    """The connector's type and the arguments that make it again."""
    config = {"type": type(connector).__name__}
    for name in inspect.signature(type(connector)).parameters:
        value = getattr(connector, name)
        config[name] = list(value) if isinstance(value, tuple) else value
    return config


def _connector(config: dict, path: str):
    kinds = {c.__name__: c for c in CONNECTORS}
    arguments = {k: tuple(v) if isinstance(v, list) else v
                 for k, v in config.items() if k != "type"}
    return _named(kinds, config["type"], path)(**arguments)


def _named(kinds: dict, name: str, path: str):
    """The class called ``name``, or a ConfigurationError."""
    if name not in kinds:
        raise ConfigurationError(
            f"{path!r} names {name!r}, which this version of spinnpop does "
            f"not have (it has {sorted(kinds)})")
    return kinds[name]


def _is_hdf5(path: str) -> bool:
    return path.endswith((".h5", ".hdf5"))


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ConfigurationError(
            "HDF5 files need h5py: pip install h5py (or spinnpop[hdf5]), "
            "or save to a .npz path") from None
    return h5py


def _write(path, arrays: dict, description: dict | None) -> None:
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigurationError(f"expected a file path; received: {path!r}")
    path = os.fspath(path)
    if _is_hdf5(path):
        with _h5py().File(path, "w") as file:
            for name, array in arrays.items():
                file.create_dataset(name, data=array)
            if description is not None:
                file.attrs[_DESCRIPTION] = json.dumps(description)
        return
    if description is not None:
        arrays = dict(arrays, **{_DESCRIPTION: np.array(
            json.dumps(description))})
    # np.savez adds ".npz" to a path without it; write to the very path.
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def _read(path) -> tuple:
    """({name: array}, description or None) of a file."""
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigurationError(f"expected a file path; received: {path!r}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ConfigurationError(f"no file {path!r}")
    if _is_hdf5(path):
        h5py = _h5py()
        try:
            with h5py.File(path, "r") as file:
                arrays = {}
                file.visititems(lambda name, item: arrays.__setitem__(
                    name, item[()]) if hasattr(item, "shape") else None)
                text = file.attrs.get(_DESCRIPTION)
        except OSError as error:
            raise ConfigurationError(
                f"{path!r} is not an HDF5 file ({error})") from None
        return arrays, None if text is None else json.loads(text)
    try:
        with np.load(path, allow_pickle=False) as file:
            arrays = {name: file[name] for name in file.files}
    except (ValueError, OSError, TypeError) as error:
        raise ConfigurationError(
            f"{path!r} is not a spinnpop weights file ({error})") from None
    text = arrays.pop(_DESCRIPTION, None)
    return arrays, None if text is None else json.loads(str(text))
