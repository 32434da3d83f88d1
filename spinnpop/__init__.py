"""spinnpop: deep learning (training too) on SpiNNaker, in the style of PyNN.

Layers are Populations, packed many neurons to an ARM core; Projections
join them; C models on the cores run the forward pass, send errors back
with multicast packets and update their own weights. The default backend
is spinnpop's host emulator of the machine, which runs the same C on the
mapping the SpiNNaker tool chain makes.
"""

from spinnpop.cells import Input, Linear, ReLU, Sigmoid, Softmax, Tanh
from spinnpop.connectors import (AllToAllConnector, ConvolutionConnector,
                                 OneToOneConnector, PoolingConnector)
from spinnpop.control import end, set_number_of_neurons_per_core, setup
from spinnpop.errors import (BuildError, ConfigurationError, DataError,
                             MachineError, MappingError, NetworkError,
                             NotSetUpError, ResourceError, RunError,
                             SaturationWarning, ShapeError, SpinnpopError,
                             StallError)
from spinnpop.interop.keras import from_keras, to_keras
from spinnpop.interop.torch import from_torch, to_torch
from spinnpop.populations import Population
from spinnpop.projections import Projection
from spinnpop import callbacks, plot
from spinnpop.results.counters import RunCounters
from spinnpop.saving import load, load_weights, save, save_weights
from spinnpop.training.history import History
from spinnpop.training.optimizers import SGD, Adam, RMSprop
from spinnpop.training.runner import evaluate, predict, train


def counters() -> RunCounters:
    """What the machine counted in the last train, predict or evaluate
    call: packets sent, received and dropped and callbacks run, per core
    (with the packets sent by kind of traffic) and per chip."""
    from spinnpop.control import current_state
    state = current_state()
    if state.last_run is None:
        raise NotSetUpError("nothing has run yet in this session: call "
                            "train, predict or evaluate first")
    return state.last_run


def cost():
    """Estimated time and energy per sample of the last train, predict or
    evaluate call, had it run on SpiNNaker 1 (emulator only): a
    spinnpop.cost_model.report.Cost, from the cycles of the models' ARM build
    (spinnpop/cost_model/calibration.json) and SpiNNMachine's power model."""
    from spinnpop.cost_model.report import cost_of
    return cost_of(counters())


__all__ = [
    "setup", "end", "set_number_of_neurons_per_core", "Population",
    "Projection", "AllToAllConnector", "ConvolutionConnector",
    "PoolingConnector", "OneToOneConnector", "Input", "Linear", "ReLU",
    "Sigmoid", "Tanh", "Softmax", "SGD", "Adam", "RMSprop", "History",
    "train", "predict", "evaluate", "counters", "cost", "RunCounters",
    "SpinnpopError", "NotSetUpError",
    "ConfigurationError", "ShapeError", "DataError", "NetworkError",
    "ResourceError", "MappingError", "MachineError", "BuildError",
    "RunError", "StallError", "SaturationWarning", "callbacks", "save",
    "load", "save_weights", "load_weights", "plot", "from_torch",
    "to_torch", "from_keras", "to_keras",
]
