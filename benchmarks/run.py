"""spinnpop's benchmarks (``make bench``): each prints its measurements
and the ratios against its peers, all measured in this run."""

from __future__ import annotations

import argparse
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mlp_fashion_mnist  # noqa: E402

from spinnpop.hardware import DTCM_HEAP_BYTES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000,
                        help="training samples (one epoch)")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"\n784-128-10 MLP on Fashion-MNIST, {args.samples} samples, one "
          f"epoch, SGD(lr={mlp_fashion_mnist.RATES} by batch size, momentum="
          f"{mlp_fashion_mnist.MOMENTUM}), same initial weights and order")
    rows = mlp_fashion_mnist.run(args.samples)
    speed = {(name, batch): rate for name, batch, rate, _ in rows}
    print(f"{'peer':<20}{'batch':>6}{'samples/s':>12}{'mean loss':>11}")
    for name, batch, rate, loss in rows:
        print(f"{name:<20}{batch:>6}{rate:>12.0f}{loss:>11.4f}")
    print("\nratios (spinnpop emulator, batch 32, over the peer):")
    ours = speed[("spinnpop emulator", 32)]
    for name, batch, rate, _ in rows:
        if name != "spinnpop emulator":
            print(f"  {name}, batch {batch}: {ours / rate:.2f}")
    print(f"  spinnpop emulator batch 1 over PyTorch batch 1: "
          f"{speed[('spinnpop emulator', 1)] / speed[('PyTorch CPU', 1)]:.2f}")
    use = mlp_fashion_mnist.machine_use
    print(f"\nemulated machine: {use['cores']} cores on {use['chips']} "
          f"chip(s); largest DTCM heap {use['dtcm']} of "
          f"{DTCM_HEAP_BYTES} bytes; {use['packets']:.0f} packets per "
          "sample")


if __name__ == "__main__":
    main()
