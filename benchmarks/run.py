"""spinnpop's benchmarks (``make bench``): each prints its measurements
and the ratios against its peers, all measured in this run.

    python benchmarks/run.py [--only mlp|call|lenet|loss|fixed|cost]
                             [--epochs N]
                             [--networks "LeNet-5" ...] [--mnist PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import call_cost  # noqa: E402
import cost_per_sample  # noqa: E402
import fixed_point  # noqa: E402
import lenet_family  # noqa: E402
import mlp_fashion_mnist  # noqa: E402
import packet_loss  # noqa: E402

from spinnpop.datasets import load_fashion_mnist, load_mnist  # noqa: E402
from spinnpop.hardware import DTCM_HEAP_BYTES  # noqa: E402


def mlp(samples: int) -> None:
    print(f"\n784-128-10 MLP on Fashion-MNIST, {samples} samples, one "
          f"epoch, SGD(lr={mlp_fashion_mnist.RATES} by batch size, momentum="
          f"{mlp_fashion_mnist.MOMENTUM}), same initial weights and order")
    rows = mlp_fashion_mnist.run(samples)
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


def call() -> None:
    print(f"\nWhat a train call costs besides its samples: the digits demo's "
          f"network, mapping cached, one batch of {call_cost.BATCH} per call")
    result = call_cost.run()
    print(f"median of {call_cost.CALLS} calls: {result['seconds']:.3f} s "
          f"(goal: under 0.1 s)")
    print(f"where a call goes (under cProfile, {result['profiled']:.3f} s "
          "for the call; the records are within the steps above them):")
    for step, seconds in result["steps"]:
        print(f"  {step:<44}{1000 * seconds:7.1f} ms")


def lenet(data, name: str, epochs: int, networks) -> None:
    print(f"\nThe LeNet family (LeCun et al. 1998; ReLU, max pooling) on "
          f"{name}: {len(data[0][0])} training and {len(data[1][0])} test "
          f"samples, {epochs} epoch(s), SGD(lr={lenet_family.RATE}, the last "
          f"epoch's / {lenet_family.DECAY}, momentum={lenet_family.MOMENTUM}),"
          f" batch {lenet_family.BATCH}, same initial weights and order in "
          f"both; batch-1 speed over {lenet_family.BATCH1_SAMPLES} samples")
    print(lenet_family.TABLE_HEADER)
    results = lenet_family.run(data, epochs, networks)
    print("\nratios (spinnpop emulator over PyTorch CPU), accuracy "
          "difference in percentage points:")
    for r in results:
        ours, theirs = "spinnpop emulator", "PyTorch CPU"
        print(f"  {r.name:<21} batch 1: "
              f"{r.speed[(ours, 1)] / r.speed[(theirs, 1)]:.2f}, batch 32: "
              f"{r.speed[(ours, 32)] / r.speed[(theirs, 32)]:.2f}, "
              f"emulator b32 over PyTorch b1: "
              f"{r.speed[(ours, 32)] / r.speed[(theirs, 1)]:.2f}; accuracy "
              f"{100 * (r.accuracy[ours] - r.accuracy[theirs]):+.2f}")


def loss(samples: int) -> None:
    print(f"\nRecovering lost packets: one epoch, batch {packet_loss.BATCH},"
          f" Fashion-MNIST on {samples} samples; routers drop packets at "
          "random at each rate, against no drops")
    print(f"{'network':<26}{'drop rate':>10}{'dropped':>9}{'resends':>9}"
          f"{'requests':>9}{'time':>8}{'chip':>8}{'packets':>9}"
          f"{'weights moved':>15}")
    base = {}
    for name, rate, result, moved in packet_loss.run(samples):
        base.setdefault(name, result)
        print(f"{name:<26}{rate:>10.0e}{result['dropped']:>9}"
              f"{result['resends']:>9}{result['requests']:>9}"
              f"{result['seconds'] / base[name]['seconds']:>8.2f}"
              f"{result['chip_seconds'] / base[name]['chip_seconds']:>8.2f}"
              f"{result['sent'] / base[name]['sent']:>9.3f}{moved:>15.1e}")
    print("(resends: times a core re-sent what it was waiting on; requests: "
          "lost packets asked for one by one; time (host), chip (the cost "
          "model's time per sample on SpiNNaker 1) and packets as "
          "ratios over no drops; weights moved: largest difference over the "
          "largest weight, per projection)")


def fixed(data, epochs: int, samples: int, networks) -> None:
    print(f"\nFixed point against float32 on Fashion-MNIST: {samples} "
          f"training and {len(data[1][0])} test samples, {epochs} epoch(s), "
          f"SGD as the LeNet family's, same initial weights and order")
    print(f"{'network':<18}{'float32':>9}{'fixed':>9}{'difference':>12}"
          f"{'saturated':>11}")
    for name, result in fixed_point.run(data, epochs, samples, networks):
        ours, theirs = result["fixed"], result["float32"]
        print(f"{name:<18}{100 * theirs['accuracy']:>8.2f}%"
              f"{100 * ours['accuracy']:>8.2f}%"
              f"{100 * (ours['accuracy'] - theirs['accuracy']):>+11.2f}pp"
              f"{ours['saturations']:>11}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("mlp", "call", "lenet", "loss",
                                           "fixed", "cost"))
    parser.add_argument("--cost-samples", type=int, default=512,
                        help="training samples of the time and energy "
                             "estimates")
    parser.add_argument("--samples", type=int, default=10_000,
                        help="training samples of the MLP speed benchmark")
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs of the LeNet family's training (and "
                             "of fixed point's comparison)")
    parser.add_argument("--fixed-samples", type=int, default=60_000,
                        help="training samples of the fixed-point "
                             "comparison")
    parser.add_argument("--networks", nargs="+",
                        choices=list(lenet_family.NETWORKS)
                        + ["boosted LeNet-4"]
                        + [n for n in fixed_point.COMPARED
                           if n not in lenet_family.NETWORKS],
                        help="a subset of the LeNet family (and, with "
                             "--only fixed, of the fixed-point comparison)")
    parser.add_argument("--mnist", metavar="PATH",
                        help="also run the LeNet family on MNIST: a folder "
                             "of its IDX files or a Keras mnist.npz")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    if args.only in (None, "mlp"):
        mlp(args.samples)
    if args.only in (None, "call"):
        call()
    if args.only in (None, "loss"):
        loss(args.samples)
    if args.only in (None, "cost"):
        cost_per_sample.report(args.cost_samples)
    if args.only in (None, "fixed"):
        fixed(load_fashion_mnist(), args.epochs, args.fixed_samples,
              args.networks)
    family = list(lenet_family.NETWORKS) + ["boosted LeNet-4"]
    networks = (None if args.networks is None
                else [n for n in args.networks if n in family])
    if args.only in (None, "lenet") and networks != []:
        lenet(load_fashion_mnist(), "Fashion-MNIST", args.epochs, networks)
        if args.mnist:
            lenet(load_mnist(args.mnist), "MNIST", args.epochs, networks)


if __name__ == "__main__":
    main()
