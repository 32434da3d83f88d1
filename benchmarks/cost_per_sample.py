"""Time and energy per training sample on SpiNNaker 1, as spinnpop's cost
model estimates them (spinnpop.cost_model: cycles measured on the models' ARM
build, SpiNNMachine's power model), for float32 and fixed point, beside
Intel Loihi's published on-chip backprop (Renner et al., Nat. Commun.
2024: 400-400-10 on MNIST, 1.5 ms and 0.59 mJ per training sample).

Each network trains on real Fashion-MNIST samples, so ReLU's zeros skip
work as they would, on the split spinnpop chooses (graph.timing) and, for
the MLPs, on a split chosen by hand. The bound is what the model itself
allows: the network's multiply-accumulates (forward, partial errors,
gradients) at the cycles the calibration gives a MAC, on fully busy cores
of full chips.
"""

from __future__ import annotations

import math

from spinn_machine.version.version_5 import Version5

import spinnpop as sp
from lenet_family import NETWORKS as LENET, build
from spinnpop.control import current_state
from spinnpop.cost_model.report import CLOCK_HZ
from spinnpop.cost_model.table import table
from spinnpop.datasets import load_fashion_mnist

LOIHI = {"seconds": 1.5e-3, "joules": 0.59e-3}
#: (name, layers as the LeNet family writes them, neurons per core of the
#: hidden layers: None for the split spinnpop chooses)
NETWORKS = (("400-400-10", [("dense", 400)], None),
            ("400-400-10 8/core", [("dense", 400)], 8),
            ("784-128-10", [("dense", 128)], None),
            ("784-128-10 32/core", [("dense", 128)], 32),
            ("LeNet-5", LENET["LeNet-5"], None))


def _data(layers: list, samples: int):
    """Fashion-MNIST: the centre 20 x 20 of each image for 400 inputs (as
    MNIST's digits fill it), whole images otherwise."""
    (x, y), _ = load_fashion_mnist()
    x = x[:samples].reshape(-1, 28, 28, 1)
    if layers == [("dense", 400)]:
        x = x[:, 4:24, 4:24]
    return x, y[:samples]


def _macs() -> int:
    """Multiply-accumulates of one training sample of the session's
    network that no skipping of zeros removes: forward and gradients
    through every weight, partial errors through every trained one."""
    total = 0
    for projection in current_state().projections:
        if projection.shape is None:      # pooling: no weights
            continue
        post = projection.post.size
        fan_in = (projection.pre.size if len(projection.shape) == 2
                  else math.prod(projection.shape[:3]))
        trained = not isinstance(projection.pre.celltype, sp.Input)
        total += (2 + int(trained)) * fan_in * post
    return total


def _mac_bound(macs: int, numeric: str) -> float:
    """Joules per sample if every MAC ran at the calibrated cycles per MAC
    on a fully busy core (its share of a busy chip's power)."""
    cycles = table()["models"][f"dense-relu-none-{numeric}"]["cycles"]
    version = Version5()
    watts_per_core = (version.WATTS_PER_IDLE_CHIP / 16
                      + version.WATTS_PER_CORE_ACTIVE_OVERHEAD)
    return macs * cycles["forward_units"] / CLOCK_HZ * watts_per_core


def run(samples: int):
    """Yields (network, numeric, Cost, bound joules) for each."""
    for name, layers, per_core in NETWORKS:
        x, y = _data(layers, samples)
        for numeric in ("float32", "fixed"):
            if len(layers[0]) == 2:     # an MLP
                sp.setup(numeric=numeric)
                previous = sp.Population(x[0].size, sp.Input())
                for _, size in layers + [("out", 10)]:
                    cell = sp.Softmax() if size == 10 else sp.ReLU()
                    population = sp.Population(size, cell,
                                               neurons_per_core=per_core
                                               if size != 10 else None)
                    sp.Projection(previous, population,
                                  sp.AllToAllConnector())
                    previous = population
                x_in = x.reshape(len(x), -1)
            else:
                build(layers, 0, numeric)
                x_in = x
            sp.train(x_in, y, epochs=1, batch_size=32,
                     loss="sparse_categorical_crossentropy",
                     optimizer=sp.SGD(0.05, 0.9), verbose=0)
            cost, macs = sp.cost(), _macs()
            sp.end()
            yield name, numeric, cost, _mac_bound(macs, numeric)


def report(samples: int) -> None:
    print(f"\nTime and energy per training sample on SpiNNaker 1 "
          f"(cost model; {samples} samples, batch 32)")
    print(f"{'network':<20}{'numeric':>8}{'cores':>6}{'ms':>9}"
          f"{'/Loihi':>8}{'mJ chips':>10}{'/Loihi':>8}{'mJ board':>10}"
          f"{'/bound':>8}")
    for name, numeric, cost, bound in run(samples):
        print(f"{name:<20}{numeric:>8}{cost.cores:>6}"
              f"{cost.seconds * 1e3:>9.3f}"
              f"{cost.seconds / LOIHI['seconds']:>8.2f}"
              f"{cost.joules_chips * 1e3:>10.3f}"
              f"{cost.joules_chips / LOIHI['joules']:>8.2f}"
              f"{cost.joules_board * 1e3:>10.3f}"
              f"{cost.joules_chips / bound:>8.2f}")
    print(f"Loihi (Renner et al. 2024): {LOIHI['seconds'] * 1e3:g} ms, "
          f"{LOIHI['joules'] * 1e3:g} mJ per training sample")
