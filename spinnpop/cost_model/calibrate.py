"""Regenerates calibration.json: the ARM cycles of each model's work.

    make -C c_models harness && python -m spinnpop.cost_model.calibrate

Small networks of every layer kind train on the emulator, which records
the packets each core takes and the image of its SDRAM. Each core is then
replayed on its model's ARM build (c_models/cost/harness.c, built as
spinnaker_tools builds for GNU) under unicorn, every instruction costed with
ARM9E-S timings (arm9e.py): c_main, then each packet's interrupt and,
after every few packets (GROUPS), the callbacks they queued. A second build
of the same model counts its cost sites (cost.h) for the same calls. Per model, non-negative least squares fits the
cycles of each call to its features (emulator.h's enum emu_cost_feature):
cycles per packet interrupt, queued callback, packet sent, and per call and
unit of each site. The emulator then prices each core's work with them.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import subprocess

import numpy as np

from spinnpop.backends.emulator.engine import COST_FEATURES
from spinnpop.cost_model.arm9e import (
    DTCM, DTCM_SIZE, SDRAM_READ_CYCLES, CycleCounter, load_elf)
from spinnpop.cost_model.table import PATH
from spinnpop.mapping.regions import CostSite

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HARNESS_DIR = os.path.join(ROOT, "c_models", "build", "harness")
NO_TASK = 0x100
FEATURE = {name: i for i, name in enumerate(COST_FEATURES)}


class _Core:
    """One build of a model in a unicorn CPU, its SDRAM image loaded."""

    def __init__(self, elf: str, user0: int, image: np.ndarray, timed: bool):
        from unicorn import UC_ARCH_ARM, UC_MODE_ARM, UC_PROT_ALL, Uc
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
        self.symbols = load_elf(self.uc, elf)
        start = user0 & ~0xFFF
        size = (user0 + len(image) - start + 0xFFF) & ~0xFFF
        self.uc.mem_map(start, size, UC_PROT_ALL)
        self.uc.mem_write(user0, image.tobytes())
        self._write("harness_user0", user0)
        self.counter = CycleCounter(self.uc) if timed else None

    def _word(self, name: str, index: int = 0) -> int:
        data = self.uc.mem_read(self.symbols[name] + 4 * index, 4)
        return int.from_bytes(data, "little")

    def _write(self, name: str, value: int) -> None:
        self.uc.mem_write(self.symbols[name], value.to_bytes(4, "little"))

    def call(self, function: str, *args) -> int:
        """Runs an entry point of the harness; returns its cycles (0 if
        untimed)."""
        from unicorn.arm_const import (UC_ARM_REG_LR, UC_ARM_REG_R0,
                                       UC_ARM_REG_R1, UC_ARM_REG_SP)
        halt = self.symbols["harness_halt"]
        for register, value in zip((UC_ARM_REG_R0, UC_ARM_REG_R1), args):
            self.uc.reg_write(register, value)
        self.uc.reg_write(UC_ARM_REG_SP, DTCM + DTCM_SIZE)
        self.uc.reg_write(UC_ARM_REG_LR, halt)
        before = self.counter.cycles if self.counter else 0
        self.uc.emu_start(self.symbols[function], halt)
        if self._word("harness_error") not in (0, NO_TASK):
            raise RuntimeError(f"the core stopped with run-time error "
                               f"{self._word('harness_error')}")
        return (self.counter.cycles - before) if self.counter else 0

    def task_ran(self) -> bool:
        if self._word("harness_error") == NO_TASK:
            self._write("harness_error", 0)
            return False
        return True

    def features(self) -> np.ndarray:
        """Packets sent and each site's (calls, units), so far."""
        counts = np.zeros(len(COST_FEATURES))
        counts[FEATURE["sent"]] = self._word("harness_sent")
        for site in CostSite:
            for k, what in enumerate(("calls", "units")):
                counts[FEATURE[f"{site.name.lower()}_{what}"]] = \
                    self._word("harness_sites", 2 * int(site) + k)
        return counts


#: How many packets come before the queued callbacks run, in turn: a core
#: busy when packets come handles several in one callback, as on a chip, so
#: that a callback's own cost is told apart from each item's in it.
GROUPS = (1, 3, 2, 4)


def replay(binary: str, user0: int, image: np.ndarray,
           packets: np.ndarray) -> list:
    """[(features, cycles)] of each call of a core's replay."""
    timed = _Core(os.path.join(HARNESS_DIR, binary + "-clean.elf"), user0,
                  image, True)
    counting = _Core(os.path.join(HARNESS_DIR, binary + "-count.elf"), user0,
                     image, False)
    timed.call("harness_start")
    counting.call("harness_start")
    calls = []
    seen = counting.features()

    def record(cause: str, cycles: int) -> None:
        nonlocal seen
        now = counting.features()
        features = now - seen
        features[FEATURE[cause]] = 1
        seen = now
        calls.append((features, cycles))

    cycle = sum(GROUPS)
    group_ends = set(np.cumsum(GROUPS) % cycle)
    for i, (key, payload) in enumerate(packets):
        cycles = timed.call("harness_packet", int(key), int(payload))
        counting.call("harness_packet", int(key), int(payload))
        record("packet", cycles)
        if (i + 1) % cycle not in group_ends and i + 1 < len(packets):
            continue        # more of the group come first
        while True:
            cycles = timed.call("harness_task")
            counting.call("harness_task")
            ran = timed.task_ran()
            if ran != counting.task_ran():
                raise RuntimeError(f"{binary}: its two builds took "
                                   "different paths")
            if not ran:
                break
            record("task", cycles)
    return calls


def _networks(numeric: str):
    """(build, optimizer) of the calibration networks: every model binary
    of the numeric type appears in at least one, with two slice sizes; in
    float32, each also with Adam (its further work told apart from SGD's
    update by the runs with SGD)."""
    import spinnpop as sp

    def dense(hidden, output, loss, per_core):
        def build():
            inp = sp.Population(12, sp.Input())
            h1 = sp.Population(9, hidden[0](), neurons_per_core=per_core[0])
            h2 = sp.Population(7, hidden[1](), neurons_per_core=per_core[1])
            out = sp.Population(4, output(), neurons_per_core=2)
            for pre, post in ((inp, h1), (h1, h2), (h2, out)):
                sp.Projection(pre, post, sp.AllToAllConnector())
            return loss, 4, (12,)
        return build

    def lenet(activation, output, loss):
        def build():
            image = sp.Population((8, 8, 1), sp.Input())
            maps = sp.Population((8, 8, 3), activation(),
                                 neurons_per_core=96)
            pooled = sp.Population((4, 4, 3), activation(),
                                   neurons_per_core=24)
            out = sp.Population(3, output())
            sp.Projection(image, maps,
                          sp.ConvolutionConnector(3, padding="same"))
            sp.Projection(maps, pooled, sp.PoolingConnector(2))
            sp.Projection(pooled, out, sp.AllToAllConnector())
            return loss, 3, (8, 8, 1)
        return build

    # Each dense network twice, split two ways, so that the cost of a
    # call that sends partial errors (one per core fed) is told apart from
    # the once-per-sample calls.
    builds = []
    for per_core in ((5, 4), (3, 2)):
        builds.append(dense((sp.ReLU, sp.Tanh), sp.Softmax,
                            "categorical_crossentropy", per_core))
        builds.append(dense((sp.Softmax, sp.Tanh), sp.Softmax,
                            "categorical_crossentropy", per_core))
        builds.append(dense((sp.Tanh, sp.ReLU), sp.Sigmoid,
                            "binary_crossentropy", per_core))
        for hidden, output in (((sp.Sigmoid, sp.Linear), sp.Linear),
                               ((sp.Linear, sp.ReLU), sp.ReLU),
                               ((sp.Tanh, sp.Sigmoid), sp.Sigmoid),
                               ((sp.ReLU, sp.Tanh), sp.Tanh)):
            for loss in ("mse", "mae"):
                builds.append(dense(hidden, output, loss, per_core))
    for activation in (sp.ReLU, sp.Sigmoid, sp.Tanh, sp.Linear):
        builds.append(lenet(activation, sp.Softmax,
                            "categorical_crossentropy"))
    optimizers = [lambda: sp.SGD(0.05, momentum=0.5)]
    if numeric == "float32":
        optimizers.append(lambda: sp.Adam(0.01))
    for build in builds:
        for optimizer in optimizers:
            yield build, optimizer


def trace_network(build, numeric: str, optimizer, samples: int = 6) -> list:
    """Trains a network on the emulator with ``optimizer()``; [(binary,
    user0, image, packets)] of each of its cores."""
    import spinnpop as sp
    from spinnpop.control import current_state
    sp.setup(numeric=numeric)
    try:
        loss, n_out, in_shape = build()
        cores = []

        def observe(engine, transceiver, mapped):
            for core in mapped.cores:
                if core.weights_in_sdram:
                    raise RuntimeError(
                        f"a {core.binary} core of a calibration network "
                        "reads its weights from SDRAM; the table prices "
                        "weights in DTCM (table.SDRAM_WEIGHT_READS)")
                index = transceiver.core_index(core.x, core.y, core.p)
                user0 = transceiver.read_user(core.x, core.y, core.p, 0)
                engine.trace_packets(index, 100_000)
                cores.append((core.binary, user0,
                              engine.sdram_block(core.x, core.y, user0),
                              index, engine))
        current_state().backend.observers.append(observe)
        rng = np.random.default_rng(0)
        x = rng.uniform(-1, 1, (samples,) + in_shape).astype(np.float32)
        x[x < -0.5] = 0          # some inputs zero, as after a ReLU
        y = np.eye(n_out, dtype=np.float32)[rng.integers(0, n_out,
                                                         samples)]
        sp.train(x, y, epochs=1, batch_size=3, loss=loss,
                 optimizer=optimizer(), shuffle=False, verbose=0)
        return [(binary, user0, image, engine.traced(index))
                for binary, user0, image, index, engine in cores]
    finally:
        sp.end()


def fit(calls: list) -> tuple:
    """Non-negative least squares of cycles on features: {feature:
    cycles} for the features the calls have."""
    from scipy.optimize import nnls
    X = np.array([f for f, _ in calls])
    y = np.array([c for _, c in calls], dtype=float)
    used = np.flatnonzero(X.any(axis=0))
    coefficients, _ = nnls(X[:, used], y)
    return {COST_FEATURES[u]: round(float(c), 3)
            for u, c in zip(used, coefficients)}


def _versions() -> dict:
    import capstone
    import unicorn
    gcc = subprocess.run(["arm-none-eabi-gcc", "--version"],
                         capture_output=True, text=True).stdout
    return {"arm-none-eabi-gcc": gcc.splitlines()[0],
            "flags": "-mthumb-interwork -march=armv5te -std=gnu99 "
                     "-ffreestanding -O2 (ARM mode)",
            "unicorn": unicorn.__version__, "capstone": capstone.__version__,
            "python": platform.python_version()}


def calibrate(numerics=("float32", "fixed")) -> dict:
    """The calibration table: per model binary, cycles per feature, and how
    well the fit predicts each replayed core's total."""
    calls_by_binary = collections.defaultdict(list)
    totals = collections.defaultdict(list)
    for numeric in numerics:
        for build, optimizer in _networks(numeric):
            for binary, user0, image, packets in trace_network(
                    build, numeric, optimizer):
                calls = replay(binary, user0, image, packets)
                calls_by_binary[binary].extend(calls)
                totals[binary].append(calls)
                print(f"{binary}: {len(calls)} calls, "
                      f"{sum(c for _, c in calls)} cycles", flush=True)
    models = {}
    for binary, calls in sorted(calls_by_binary.items()):
        cycles = fit(calls)
        errors = []
        for core_calls in totals[binary]:
            measured = sum(c for _, c in core_calls)
            predicted = sum(sum(cycles.get(COST_FEATURES[i], 0.0) * v
                                for i, v in enumerate(f))
                            for f, _ in core_calls)
            errors.append(abs(predicted - measured) / max(measured, 1))
        models[binary] = {"cycles": cycles, "calls": len(calls),
                          "largest_core_error": round(max(errors), 4)}
    return {"about": __doc__.strip().splitlines()[0],
            "versions": _versions(), "sdram_read_cycles": SDRAM_READ_CYCLES,
            "models": models}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numeric", action="append",
                        choices=("float32", "fixed"))
    parser.add_argument("--output", default=PATH)
    args = parser.parse_args()
    result = calibrate(tuple(args.numeric or ("float32", "fixed")))
    with open(args.output, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
