"""The networks LeCun et al. (1998) compared on MNIST, in modern form (ReLU,
max pooling, LeNet-5's C3 fully connected), trained on the emulator and in
PyTorch on the CPU from the same initial weights, sample order and
hyperparameters, measured in one run.

- MLPs 784-300-10, 784-1000-10, 784-300-100-10, 784-500-150-10
- LeNet-1: C1 4@24x24 (5x5), S2 4@12x12, C3 12@8x8 (5x5), S4 12@4x4, 10
- LeNet-4: C1 4@28x28 (5x5, 'same' for the paper's 32x32 padding),
  S2 4@14x14, C3 16@10x10 (5x5), S4 16@5x5, F5 120, 10
- LeNet-5: C1 6@28x28 (5x5 'same'), S2 6@14x14, C3 16@10x10 (5x5),
  S4 16@5x5, F5 120, F6 84, 10
- boosted LeNet-4: three LeNet-4s, the second trained on samples half of
  which the first gets right and half wrong, the third on samples where
  the first two disagree; their outputs summed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

import spinnpop as sp
from spinnpop.training.schedule import epoch_orders

RATE, MOMENTUM, BATCH = 0.01, 0.9, 32
#: The last epoch runs at RATE / DECAY (a step decay, as LeCun et al.
#: lowered theirs): it settles the weights that both frameworks' chaotic
#: (float rounding) paths reach, so their test accuracies can be compared.
DECAY = 10
#: Samples of the batch-1 speed runs (and the learning rate there).
BATCH1_SAMPLES, BATCH1_RATE = 2_000, 0.001
#: How the emulator's runs split the populations: as many neurons per core
#: as fit, its fastest. The default split, for time on a chip, spreads
#: wide layers over many cores (784-300-10's hidden layer over 150) and so
#: multicasts each input to each of them: 35 times slower on the host.
SPLIT = "packed"

# (kind, arguments): "conv" (maps, kernel, padding), "pool" (size),
# "dense" (size); every layer but the last is ReLU.
NETWORKS = {
    "MLP 784-300-10": [("dense", 300)],
    "MLP 784-1000-10": [("dense", 1000)],
    "MLP 784-300-100-10": [("dense", 300), ("dense", 100)],
    "MLP 784-500-150-10": [("dense", 500), ("dense", 150)],
    "LeNet-1": [("conv", 4, 5, "valid"), ("pool", 2),
                ("conv", 12, 5, "valid"), ("pool", 2)],
    "LeNet-4": [("conv", 4, 5, "same"), ("pool", 2),
                ("conv", 16, 5, "valid"), ("pool", 2), ("dense", 120)],
    "LeNet-5": [("conv", 6, 5, "same"), ("pool", 2),
                ("conv", 16, 5, "valid"), ("pool", 2), ("dense", 120),
                ("dense", 84)],
}


def build(layers: list, seed: int, numeric: str = "float32",
          **options) -> list:
    """The network in a fresh session computing in ``numeric`` (other
    ``setup`` options in ``options``); [(population, projection into it)]
    after the input, ending with the 10-way softmax."""
    sp.setup(seed=seed, numeric=numeric, **options)
    previous = sp.Population((28, 28, 1), sp.Input(), label="image")
    built = []
    for i, layer in enumerate(layers + [("out", 10)]):
        label = f"{layer[0]}{i + 1}"
        if layer[0] == "conv":
            _, maps, kernel, padding = layer
            connector = sp.ConvolutionConnector(kernel, padding=padding)
            shape = connector.output_size(previous.shape) + (maps,)
            cell = sp.ReLU()
        elif layer[0] == "pool":
            connector = sp.PoolingConnector(layer[1])
            shape = connector.output_size(previous.shape) \
                + (previous.shape[2],)
            cell = sp.Linear()
        else:
            connector, shape = sp.AllToAllConnector(), layer[1]
            cell = sp.Softmax() if layer[0] == "out" else sp.ReLU()
        population = sp.Population(shape, cell, label=label)
        built.append((population, sp.Projection(previous, population,
                                                connector)))
        previous = population
    return built


def torch_model(built: list):
    """The same network as torch.nn layers, with the same weights (the
    softmax left to the loss)."""
    import torch

    class ChannelsLast(torch.nn.Module):
        """Keras' Flatten of a channels-first tensor."""

        def forward(self, x):
            return x.permute(0, 2, 3, 1).reshape(len(x), -1)

    modules, shaped = [], True
    for population, projection in built:
        connector = projection.connector
        if isinstance(connector, sp.ConvolutionConnector):
            kernel = projection.get("weight")
            layer = torch.nn.Conv2d(kernel.shape[2], kernel.shape[3],
                                    kernel.shape[:2],
                                    padding=connector.size[0] // 2
                                    if connector.padding == "same" else 0)
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(kernel).permute(
                    3, 2, 0, 1))
                layer.bias.copy_(torch.from_numpy(population.get("bias")))
        elif isinstance(connector, sp.PoolingConnector):
            layer = torch.nn.MaxPool2d(connector.size)
        else:
            if shaped:
                modules.append(ChannelsLast())
                shaped = False
            layer = torch.nn.Linear(*projection.shape)
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(
                    projection.get("weight").T))
                layer.bias.copy_(torch.from_numpy(population.get("bias")))
        modules.append(layer)
        if isinstance(population.celltype, sp.ReLU):
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def phases(epochs: int) -> list:
    """(epochs, learning rate) of each train call: all but the last epoch
    at RATE, the last at RATE / DECAY."""
    if epochs == 1:
        return [(1, RATE)]
    return [(epochs - 1, RATE), (1, RATE / DECAY)]


def torch_train(model, x, y, runs: list, batch_size: int) -> float:
    """Trains in the orders and learning rates of ``runs``, [(order,
    rate)] (orders of whole epochs of len(x) steps), with one optimizer;
    returns seconds."""
    import torch
    optimizer = torch.optim.SGD(model.parameters(), lr=runs[0][1],
                                momentum=MOMENTUM)
    xs = torch.from_numpy(x.reshape(-1, 28, 28, 1)).permute(0, 3, 1, 2)
    ys = torch.from_numpy(y.astype(np.int64))
    start = time.perf_counter()
    for order, rate in runs:
        for group in optimizer.param_groups:
            group["lr"] = rate
        for epoch in range(0, len(order), len(x)):
            steps = order[epoch:epoch + len(x)]
            for first in range(0, len(x), batch_size):
                picked = torch.from_numpy(
                    steps[first:first + batch_size].astype(np.int64))
                loss = torch.nn.functional.cross_entropy(model(xs[picked]),
                                                         ys[picked])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return time.perf_counter() - start


def torch_predict(model, x) -> np.ndarray:
    import torch
    with torch.no_grad():
        xs = torch.from_numpy(x.reshape(-1, 28, 28, 1)).permute(0, 3, 1, 2)
        return torch.cat([torch.softmax(model(xs[i:i + 1000]), 1)
                          for i in range(0, len(xs), 1000)]).numpy()


@dataclass
class Result:
    """One network's row of the table."""

    name: str
    accuracy: dict = field(default_factory=dict)     # peer -> test accuracy
    speed: dict = field(default_factory=dict)        # (peer, batch) -> /s
    packets: float = 0.0                             # per training sample
    cores: int = 0


@dataclass
class Trained:
    """What training one network in both gave."""

    spinnpop_probs: np.ndarray
    torch_probs: np.ndarray
    spinnpop_seconds: float
    torch_seconds: float
    packets: float
    cores: int
    spinnpop_extra_probs: np.ndarray = None


def train_both(layers, x, y, x_test, epochs: int, seed: int = 0,
               also_predict=None) -> Trained:
    """Trains one network in both from the same initial weights and order;
    returns test probabilities (and the emulator's for ``also_predict``)
    and timings."""
    built = build(layers, seed, split=SPLIT)
    model = torch_model(built)
    optimizer = sp.SGD(RATE, MOMENTUM)
    runs, seconds, packets = [], 0.0, 0
    for call, (run_epochs, rate) in enumerate(phases(epochs)):
        optimizer.learning_rate = rate
        start = time.perf_counter()
        sp.train(x, y, epochs=run_epochs, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy", optimizer=optimizer,
                 shuffle=True, verbose=0)
        seconds += time.perf_counter() - start
        cores = sp.counters().cores
        packets += sum(c.sent for c in cores)
        runs.append((epoch_orders(seed, call, len(x), run_epochs,
                                  shuffle=True), rate))
    packets /= len(x) * epochs
    probs = sp.predict(x_test)
    extra = None if also_predict is None else sp.predict(also_predict)
    sp.end()
    torch_seconds = torch_train(model, x, y, runs, BATCH)
    return Trained(probs, torch_predict(model, x_test), seconds,
                   torch_seconds, packets, len(cores), extra)


def batch1_speed(layers, x, y) -> tuple:
    """(emulator, PyTorch) samples/s training with batch 1. The emulator
    first trains once on the same data (so that its mapping is cached, as
    it is for any call after the first of a shape) and starts again from
    the same initial weights."""
    x, y = x[:BATCH1_SAMPLES], y[:BATCH1_SAMPLES]
    built = build(layers, 0, split=SPLIT)
    model = torch_model(built)
    initial = [(p, p.get("bias") if p._bias_shape() else None, j,
                j.get("weight") if j.shape else None) for p, j in built]

    def train():
        sp.train(x, y, epochs=1, batch_size=1,
                 loss="sparse_categorical_crossentropy",
                 optimizer=sp.SGD(BATCH1_RATE, MOMENTUM), shuffle=False,
                 verbose=0)

    train()
    for population, bias, projection, weight in initial:
        if bias is not None:
            population.set(bias=bias)
        if weight is not None:
            projection.set(weight=weight)
    start = time.perf_counter()
    train()
    ours = len(x) / (time.perf_counter() - start)
    sp.end()
    theirs = len(x) / torch_train(
        model, x, y, [(np.arange(len(x)), BATCH1_RATE)], 1)
    return ours, theirs


def warm_up(x, y) -> None:
    """The first call of a process imports the tool chain and maps for the
    first time: not something to time."""
    for layers in NETWORKS.values():
        build(layers, 0, split=SPLIT)
        sp.train(x[:BATCH], y[:BATCH], epochs=1, batch_size=BATCH,
                 loss="sparse_categorical_crossentropy", verbose=0)
        sp.end()
        break


def boosted(x, y, x_test, epochs: int, result: Result) -> tuple:
    """Boosted LeNet-4 (LeCun et al. 1998, section IV.C.12): summed test
    probabilities of (emulator, PyTorch). The second and third nets train
    on the sets the emulator's nets select, so that both frameworks train
    on the same samples in the same order."""
    layers = NETWORKS["LeNet-4"]
    rng = np.random.default_rng(0)
    first = train_both(layers, x, y, x_test, epochs, seed=0, also_predict=x)
    guess = first.spinnpop_extra_probs.argmax(axis=1)
    wrong = np.flatnonzero(guess != y)
    right = rng.choice(np.flatnonzero(guess == y), len(wrong), replace=False)
    half = rng.permutation(np.concatenate([wrong, right]))
    second = train_both(layers, x[half], y[half], x_test, epochs, seed=1,
                        also_predict=x)
    disagree = np.flatnonzero(
        second.spinnpop_extra_probs.argmax(axis=1) != guess)
    third = train_both(layers, x[disagree], y[disagree], x_test, epochs,
                       seed=2)
    nets = (first, second, third)
    steps = sum(len(s) for s in (x, half, disagree)) * epochs
    result.speed[("spinnpop emulator", 32)] = steps / sum(
        n.spinnpop_seconds for n in nets)
    result.speed[("PyTorch CPU", 32)] = steps / sum(
        n.torch_seconds for n in nets)
    result.packets = sum(n.packets * s for n, s in zip(
        nets, (len(x), len(half), len(disagree)))) * epochs / steps
    result.cores = first.cores
    return (sum(n.spinnpop_probs for n in nets),
            sum(n.torch_probs for n in nets))


def run(data: tuple, epochs: int, names=None) -> list:
    """A Result per network (``names``: a subset of NETWORKS and
    "boosted LeNet-4")."""
    (x, y), (x_test, y_test) = data
    warm_up(x, y)
    results = []
    for name in names or list(NETWORKS) + ["boosted LeNet-4"]:
        result = Result(name)
        if name == "boosted LeNet-4":
            ours, theirs = boosted(x, y, x_test, epochs, result)
            layers = NETWORKS["LeNet-4"]
        else:
            layers = NETWORKS[name]
            trained = train_both(layers, x, y, x_test, epochs)
            ours, theirs = trained.spinnpop_probs, trained.torch_probs
            steps = len(x) * epochs
            result.speed[("spinnpop emulator", 32)] = \
                steps / trained.spinnpop_seconds
            result.speed[("PyTorch CPU", 32)] = steps / trained.torch_seconds
            result.packets, result.cores = trained.packets, trained.cores
        result.accuracy = {
            "spinnpop emulator": float((ours.argmax(1) == y_test).mean()),
            "PyTorch CPU": float((theirs.argmax(1) == y_test).mean())}
        b1 = batch1_speed(layers, x, y)
        result.speed[("spinnpop emulator", 1)] = b1[0]
        result.speed[("PyTorch CPU", 1)] = b1[1]
        results.append(result)
        print(table_row(result), flush=True)
    return results


TABLE_HEADER = (f"{'network':<21}{'accuracy %':>17}{'samples/s, batch 1':>21}"
                f"{'samples/s, batch 32':>22}{'packets':>9}{'cores':>7}\n"
                f"{'':<21}{'spinnpop  torch':>17}{'spinnpop  torch':>21}"
                f"{'spinnpop   torch':>22}{'/sample':>9}")


def table_row(r: Result) -> str:
    ours, theirs = "spinnpop emulator", "PyTorch CPU"
    return (f"{r.name:<21}"
            f"{100 * r.accuracy[ours]:>9.2f}{100 * r.accuracy[theirs]:>7.2f}"
            f"{r.speed[(ours, 1)]:>11.0f}{r.speed[(theirs, 1)]:>8.0f}"
            f"{r.speed[(ours, 32)]:>12.0f}{r.speed[(theirs, 32)]:>8.0f}"
            f"{r.packets:>11.0f}{r.cores:>7d}")
