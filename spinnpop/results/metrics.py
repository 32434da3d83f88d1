"""Losses, predictions and accuracy from what the output cores recorded.

Each output core records per step its share of the loss, its largest
output and where that is; a sample's loss is the sum of the shares, its
predicted class the winner over cores (the first, on a tie, as numpy's
argmax)."""

from __future__ import annotations

import numpy as np

from spinnpop.mapping.regions import METRICS_RECORD
from spinnpop.numeric import Format


def step_metrics(records: list, values: Format) -> tuple:
    """(loss per step, predicted class per step) from the metric records
    of one population's cores, in core order; ``values`` is the format of
    the recorded numbers."""
    loss = np.zeros(len(records[0]), dtype=np.float64)
    maxima = np.stack([values.decode(r["max_output"]) for r in records],
                      axis=1)
    winners = np.argmax(maxima, axis=1)
    argmax = np.stack([r["argmax"] for r in records], axis=1)
    for record in records:
        loss += values.decode(record["loss"])
    return loss, argmax[np.arange(len(winners)), winners].astype(np.int64)


def read_records(raw, cores: list, n_steps: int) -> list:
    """The metric records of ``cores`` (indices into the mapping)."""
    return [METRICS_RECORD.unpack(raw(core), n_steps) for core in cores]


def in_top_k(outputs: np.ndarray, classes: np.ndarray, k: int) -> np.ndarray:
    """Whether each step's class is among its ``k`` largest outputs
    (outputs (steps, classes), classes (steps,)); classes tied at the
    k-th place are all in, as Keras' in_top_k has it."""
    target = outputs[np.arange(len(classes)), classes]
    return (outputs > target[:, None]).sum(axis=1) < k


def summarise(loss_by_output: dict, predicted: dict, classes: dict,
              steps: slice, outputs: dict | None = None,
              top_k: dict | None = None) -> dict:
    """Keras-style logs over ``steps``: "loss" (summed over outputs) and
    "accuracy", or per-output "<label>_loss" and "<label>_accuracy" too
    when there are several outputs; and each of ``top_k`` ({name: k}),
    from ``outputs`` ({label: (steps, size)}), for classification. An
    output whose ``classes`` are labels (steps, size) has Keras' binary
    accuracy: the labels its outputs give at a threshold of 0.5."""
    logs = {"loss": float(sum(loss[steps].mean()
                              for loss in loss_by_output.values()))}
    several = len(loss_by_output) > 1
    for label, loss in loss_by_output.items():
        if several:
            logs[f"{label}_loss"] = float(loss[steps].mean())
        labels = classes.get(label)
        if labels is not None and labels.ndim == 2:
            correct = (outputs[label][steps] > 0.5) == labels[steps]
        elif labels is not None:
            correct = predicted[label][steps] == labels[steps]
        if labels is not None:
            name = f"{label}_accuracy" if several else "accuracy"
            logs[name] = float(correct.mean())
        if labels is not None and labels.ndim == 1:
            for metric, k in (top_k or {}).items():
                name = f"{label}_{metric}" if several else metric
                logs[name] = float(in_top_k(outputs[label][steps],
                                            classes[label][steps], k).mean())
    return logs
