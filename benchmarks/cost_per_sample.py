"""Time and energy per training sample on SpiNNaker 1, as spinnpop's cost
model estimates them (spinnpop.cost_model: cycles measured on the models' ARM
build, SpiNNMachine's power model), for float32 and fixed point, beside
Intel Loihi's published on-chip backprop (Renner et al., Nat. Commun.
2024: 400-400-10 on MNIST, 1.5 ms and 0.59 mJ per training sample).

Each network trains on real Fashion-MNIST samples (400 inputs: the centre
20 x 20 of each image, as MNIST's digits fill it), so ReLU's zeros skip
work as they would. The bound is what the model itself allows: the
network's multiply-accumulates (forward, partial errors, gradients) at the
cycles the calibration gives a MAC, on fully busy cores of full chips.
"""

from __future__ import annotations

from spinn_machine.version.version_5 import Version5

import spinnpop as sp
from spinnpop.cost_model.report import CLOCK_HZ
from spinnpop.cost_model.table import table
from spinnpop.datasets import load_fashion_mnist

LOIHI = {"seconds": 1.5e-3, "joules": 0.59e-3}
#: (name, input size, hidden sizes, neurons per core of the hidden layers:
#: None for spinnpop's default)
NETWORKS = (("400-400-10", 400, (400,), None),
            ("400-400-10 spread", 400, (400,), 8),
            ("784-128-10", 784, (128,), None),
            ("784-128-10 spread", 784, (128,), 4))


def _data(n_in: int, samples: int):
    (x, y), _ = load_fashion_mnist()
    x = x[:samples].reshape(-1, 28, 28)
    if n_in == 400:
        x = x[:, 4:24, 4:24]
    return x.reshape(samples, -1), y[:samples]


def _mac_bound(n_in: int, hidden: tuple, numeric: str) -> float:
    """Joules per sample if every MAC ran at the calibrated cycles per MAC
    on a fully busy core (its share of a busy chip's power)."""
    cycles = table()["models"][f"dense-relu-none-{numeric}"]["cycles"]
    per_mac = cycles["forward_units"]
    sizes = (n_in,) + hidden + (10,)
    forward = sum(a * b for a, b in zip(sizes, sizes[1:]))
    partials = sum(a * b for a, b in zip(sizes[1:], sizes[2:]))
    macs = 2 * forward + partials          # forward, gradients, partials
    version = Version5()
    watts_per_core = (version.WATTS_PER_IDLE_CHIP / 16
                      + version.WATTS_PER_CORE_ACTIVE_OVERHEAD)
    return macs * per_mac / CLOCK_HZ * watts_per_core


def run(samples: int):
    """Yields (network, numeric, Cost, bound joules) for each."""
    for name, n_in, hidden, per_core in NETWORKS:
        x, y = _data(n_in, samples)
        for numeric in ("float32", "fixed"):
            sp.setup(numeric=numeric)
            layers = [sp.Population(n_in, sp.Input())]
            for size in hidden:
                layers.append(sp.Population(size, sp.ReLU(),
                                            neurons_per_core=per_core))
            layers.append(sp.Population(10, sp.Softmax()))
            for pre, post in zip(layers, layers[1:]):
                sp.Projection(pre, post, sp.AllToAllConnector())
            sp.train(x, y, epochs=1, batch_size=32,
                     loss="sparse_categorical_crossentropy",
                     optimizer=sp.SGD(0.05, 0.9), verbose=0)
            cost = sp.cost()
            sp.end()
            yield name, numeric, cost, _mac_bound(n_in, hidden, numeric)


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
    print(f"Loihi (Renner et al. 2024): {LOIHI['seconds'] * 1e3} ms, "
          f"{LOIHI['joules'] * 1e3} mJ per training sample")
