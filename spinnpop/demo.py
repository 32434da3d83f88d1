"""spinnpop's main job: train an MLP on the emulator and report accuracy.

    python -m spinnpop.demo [--epochs N]

A 64-128-10 network (ReLU, then softmax) learns scikit-learn's 8x8 digits
with minibatch SGD; every forward pass, error packet and weight update
runs in the C models on the emulated SpiNNaker, mapped by the real tool
chain. Prints the loss and accuracy of each epoch, then the test
accuracy.
"""

from __future__ import annotations

import argparse
import time

import spinnpop as sp
from spinnpop.datasets import load_digits


def build(seed: int) -> None:
    """The demo's network, 64-128-10, in a fresh emulator session."""
    sp.setup(backend="emulator", seed=seed)
    pixels = sp.Population(64, sp.Input(), label="pixels")
    hidden = sp.Population(128, sp.ReLU(), label="hidden",
                           neurons_per_core=32)
    digits = sp.Population(10, sp.Softmax(), label="digits")
    sp.Projection(pixels, hidden, sp.AllToAllConnector())
    sp.Projection(hidden, digits, sp.AllToAllConnector())


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_digits(seed=args.seed)
    print(f"digits: {len(x_train)} training and {len(x_test)} test images "
          f"of {x_train.shape[1]} pixels")

    build(args.seed)
    start = time.perf_counter()
    sp.train(x_train, y_train, epochs=args.epochs, batch_size=32,
             loss="sparse_categorical_crossentropy",
             optimizer=sp.SGD(learning_rate=0.1, momentum=0.9), verbose=2)
    seconds = time.perf_counter() - start
    steps = args.epochs * len(x_train)
    cores = sp.counters().cores
    print(f"trained {steps} samples in {seconds:.1f} s on {len(cores)} "
          f"emulated cores ({steps / seconds:.0f} samples/s)")

    results = sp.evaluate(x_test, y_test)
    print(f"test loss {results['loss']:.4f}, "
          f"test accuracy {100 * results['accuracy']:.2f} %")
    sp.end()
    return results["accuracy"]


if __name__ == "__main__":
    main()
