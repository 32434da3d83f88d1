"""An independent float32 numpy implementation of the networks spinnpop
trains: the same maths, written as a whole-batch computation on the host,
sharing nothing with the C models. Tests (and benchmarks) run both from the
same initial weights and sample order and compare.

Semantics, as spinnpop's API defines them: a population's value is
activation(sum of its projections + bias); a batch's gradient is the mean
over its samples; "mse" averages over output units; softmax with
cross-entropy back-propagates p - y; SGD(momentum) follows PyTorch.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return z
    if name == "relu":
        return np.maximum(z, F32(0))
    if name == "sigmoid":
        return F32(1) / (F32(1) + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def _derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    if name == "linear":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0).astype(F32)
    if name == "sigmoid":
        return a * (F32(1) - a)
    if name == "tanh":
        return F32(1) - a * a
    raise ValueError(name)


class NumpyMLP:
    """A feed-forward network of dense layers.

    :param layers: {name: activation} in an order where every layer comes
        after those feeding it; activation None for an input.
    :param connections: [(pre, post, W)] with W of shape (n_pre, n_post).
    :param biases: {name: b} for every non-input layer.
    """

    def __init__(self, layers: dict, connections: list, biases: dict):
        self.layers = dict(layers)
        self.connections = [(pre, post, np.array(w, F32))
                            for pre, post, w in connections]
        self.biases = {k: np.array(v, F32) for k, v in biases.items()}
        # Momentum buffers, by connection index and by layer name.
        self.velocity = {i: np.zeros_like(w)
                         for i, (_, _, w) in enumerate(self.connections)}
        self.velocity.update((k, np.zeros_like(v))
                             for k, v in self.biases.items())

    @classmethod
    def from_network(cls, populations, projections) -> "NumpyMLP":
        """A copy of a spinnpop network's current weights."""
        layers = {p.label: p.celltype.activation for p in populations}
        connections = [(j.pre.label, j.post.label, j.get("weight"))
                       for j in projections]
        biases = {p.label: p.get("bias") for p in populations
                  if p.celltype.activation is not None}
        return cls(layers, connections, biases)

    def forward(self, inputs: dict) -> tuple:
        """({name: z}, {name: a}) for a batch; ``inputs`` {name: (B, n)}."""
        z, a = {}, {}
        for name, activation in self.layers.items():
            if activation is None:
                a[name] = np.asarray(inputs[name], F32)
                continue
            total = None
            for pre, post, w in self.connections:
                if post == name:
                    term = a[pre] @ w
                    total = term if total is None else total + term
            z[name] = total + self.biases[name]
            a[name] = _activate(activation, z[name])
        return z, a

    def losses(self, outputs: dict, targets: dict, kinds: dict) -> np.ndarray:
        """Per-sample loss summed over outputs; ``kinds`` {name:
        "cross_entropy" | "mse"}."""
        total = 0
        for name, kind in kinds.items():
            p, y = outputs[name], np.asarray(targets[name], F32)
            if kind == "cross_entropy":
                total = total - (y * np.log(p)).sum(axis=1)
            else:
                total = total + ((p - y) ** 2).mean(axis=1)
        return total

    def train_batch(self, inputs: dict, targets: dict, kinds: dict,
                    learning_rate: float, momentum: float) -> np.ndarray:
        """One SGD step on a batch; returns its per-sample losses (taken
        before the step)."""
        z, a = self.forward(inputs)
        batch = F32(len(next(iter(inputs.values()))))
        errors = {}  # dLoss/da of hidden layers, summed over their consumers
        grads = {}
        for name in reversed(list(self.layers)):
            activation = self.layers[name]
            if activation is None:
                continue
            if name in kinds:
                y = np.asarray(targets[name], F32)
                if kinds[name] == "cross_entropy":
                    delta = a[name] - y
                else:
                    delta = (F32(2) * (a[name] - y) / F32(y.shape[1])
                             * _derivative(activation, z[name], a[name]))
            else:
                delta = errors[name] * _derivative(activation, z[name],
                                                   a[name])
            grads[name] = delta.sum(axis=0)
            for i, (pre, post, w) in enumerate(self.connections):
                if post != name:
                    continue
                grads[i] = a[pre].T @ delta
                if self.layers[pre] is not None:
                    back = delta @ w.T
                    errors[pre] = back if pre not in errors \
                        else errors[pre] + back
        rate, momentum = F32(learning_rate), F32(momentum)
        for key, grad in grads.items():
            g = grad / batch
            if momentum:
                self.velocity[key] = momentum * self.velocity[key] + g
                g = self.velocity[key]
            if isinstance(key, int):
                pre, post, w = self.connections[key]
                self.connections[key] = (pre, post, w - rate * g)
            else:
                self.biases[key] = self.biases[key] - rate * g
        return self.losses(a, targets, kinds)

    def train(self, inputs: dict, targets: dict, kinds: dict, order,
              batch_size: int, epochs_of: int, learning_rate: float,
              momentum: float = 0.0) -> np.ndarray:
        """Minibatch SGD over ``order`` (data-set index per step), in
        epochs of ``epochs_of`` steps whose last batch may be short;
        returns every step's loss."""
        order = np.asarray(order)
        losses = []
        for start in range(0, len(order), epochs_of):
            epoch = order[start:start + epochs_of]
            for first in range(0, len(epoch), batch_size):
                picked = epoch[first:first + batch_size]
                losses.append(self.train_batch(
                    {k: np.asarray(v)[picked] for k, v in inputs.items()},
                    {k: np.asarray(v)[picked] for k, v in targets.items()},
                    kinds, learning_rate, momentum))
        return np.concatenate(losses)

    def weights(self) -> list:
        """The weight matrices, in connection order."""
        return [w for _, _, w in self.connections]
