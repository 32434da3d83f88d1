"""An independent float32 numpy implementation of the networks spinnpop
trains: the same maths, written as whole-batch computations on the host
(convolutions as im2col matrix products), sharing nothing with the C
models. Tests (and benchmarks) run both from the same initial weights and
sample order and compare.

Semantics, as spinnpop's API defines them: a population's value is
activation(sum of its projections + bias); a convolution's bias is one
per output channel and a pooled population has none; max pooling sends
the error to the first maximum of each window; a batch's gradient is the
mean over its samples; "mse" averages over output units; softmax with
cross-entropy back-propagates p - y; SGD, Adam and RMSprop follow
PyTorch.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32


def _activate(name: str, z: np.ndarray, group: int | None = None
              ) -> np.ndarray:
    """f(z) of a batch (B, n); a softmax over each ``group`` neurons (the
    channels of a position), or over all of them."""
    if name == "softmax" and group:
        return _activate(name, z.reshape(-1, group)).reshape(z.shape)
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


def _windows(x: np.ndarray, size: tuple, strides: tuple,
             pads: tuple, out: tuple) -> np.ndarray:
    """(B, h_out, w_out, kh, kw, C) views of the windows of x (B, H, W,
    C) padded with zeros by pads ((top, bottom), (left, right))."""
    x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    rows = [[x[:, i:i + strides[0] * (out[0] - 1) + 1:strides[0],
               j:j + strides[1] * (out[1] - 1) + 1:strides[1], :]
             for j in range(size[1])] for i in range(size[0])]
    return np.stack([np.stack(row, axis=3) for row in rows], axis=3)


def _unwindow(grad: np.ndarray, shape: tuple, size: tuple, strides: tuple,
              pads: tuple) -> np.ndarray:
    """The inverse of _windows for gradients: adds each window's part
    (B, h_out, w_out, kh, kw, C) back into x's shape (B, H, W, C)."""
    batch, height, width, channels = shape
    padded = np.zeros((batch, height + sum(pads[0]), width + sum(pads[1]),
                       channels), F32)
    out = grad.shape[1:3]
    for i in range(size[0]):
        for j in range(size[1]):
            padded[:, i:i + strides[0] * (out[0] - 1) + 1:strides[0],
                   j:j + strides[1] * (out[1] - 1) + 1:strides[1], :] += \
                grad[:, :, :, i, j, :]
    return padded[:, pads[0][0]:pads[0][0] + height,
                  pads[1][0]:pads[1][0] + width]


class Connection:
    """A projection: ``kind`` "dense", "conv", "pool" or "identity";
    ``weight`` (n_pre, n_post) or (kh, kw, c_in, c_out), else None;
    ``size``, ``strides``, ``pads`` (Keras' "same" split), ``operation``
    for windows."""

    def __init__(self, pre, post, kind, weight=None, size=(1, 1),
                 strides=(1, 1), pads=((0, 0), (0, 0)), operation="max"):
        self.pre, self.post, self.kind = pre, post, kind
        self.weight = None if weight is None else np.array(weight, F32)
        self.size, self.strides, self.pads = size, strides, pads
        self.operation = operation
        self.velocity = (None if weight is None
                         else np.zeros_like(self.weight))
        self.squares = (None if weight is None
                        else np.zeros_like(self.weight))

    def forward(self, a: np.ndarray, pre_shape: tuple,
                post_shape: tuple) -> tuple:
        """(contribution (B, n_post), what backward needs)."""
        if self.kind == "dense":
            return a @ self.weight, a
        if self.kind == "identity":
            return a, None
        x = a.reshape((len(a),) + pre_shape)
        cols = _windows(x, self.size, self.strides, self.pads,
                        post_shape[:2])
        if self.kind == "conv":
            flat = cols.reshape(-1, np.prod(self.weight.shape[:3]))
            z = flat @ self.weight.reshape(flat.shape[1], -1)
            return z.reshape(len(a), -1), (x.shape, flat)
        windows = cols.reshape(cols.shape[:3] + (-1, cols.shape[-1]))
        if self.operation == "max":
            first = windows.argmax(axis=3)     # the first maximum
            z = np.take_along_axis(windows, first[:, :, :, None],
                                   axis=3)[:, :, :, 0]
            return z.reshape(len(a), -1), (x.shape, windows.shape, first)
        z = windows.mean(axis=3, dtype=F32)
        return z.reshape(len(a), -1), (x.shape, windows.shape, None)

    def backward(self, delta: np.ndarray, saved, post_shape: tuple) -> tuple:
        """(gradient of the weights or None, error of the pre (B, n_pre))."""
        if self.kind == "dense":
            return saved.T @ delta, delta @ self.weight.T
        if self.kind == "identity":
            return None, delta
        batch = len(delta)
        d = delta.reshape((batch,) + post_shape)
        if self.kind == "conv":
            shape, flat = saved
            c_out = post_shape[2]
            grad = (flat.T @ d.reshape(-1, c_out)).reshape(self.weight.shape)
            back = d.reshape(-1, c_out) @ self.weight.reshape(-1, c_out).T
            cols = back.reshape(d.shape[:3] + self.weight.shape[:3])
        else:
            shape, windows_shape, first = saved
            if first is None:
                spread = np.repeat(d[:, :, :, None, :] / F32(windows_shape[3]),
                                   windows_shape[3], axis=3)
            else:
                spread = np.zeros(windows_shape, F32)
                np.put_along_axis(spread, first[:, :, :, None],
                                  d[:, :, :, None, :], axis=3)
            cols = spread.reshape(d.shape[:3] + self.size + (shape[3],))
            grad = None
        error = _unwindow(cols, shape, self.size, self.strides, self.pads)
        return grad, error.reshape(batch, -1)


def _power(base: np.float32, t: int) -> np.float32:
    """base^t in float32 by squaring, in the cores' order."""
    result = F32(1)
    while t:
        if t & 1:
            result = result * base
        base = base * base
        t >>= 1
    return result


class NumpyNetwork:
    """A feed-forward network.

    :param layers: {name: (activation, shape)} in an order where every
        layer comes after those feeding it; activation None for an input.
    :param connections: [Connection].
    :param biases: {name: b} for every layer that has a bias.
    :param softmax_groups: {name: channels} of each softmax taken at every
        position of a shaped layer (Keras' axis=-1): its cross-entropy is
        the mean over positions; any other softmax takes the whole layer.
    """

    def __init__(self, layers: dict, connections: list, biases: dict,
                 softmax_groups: dict | None = None):
        self.layers = dict(layers)
        self.softmax_groups = dict(softmax_groups or {})
        self.connections = list(connections)
        self.biases = {k: np.array(v, F32) for k, v in biases.items()}
        self.bias_velocity = {k: np.zeros_like(v)
                              for k, v in self.biases.items()}
        self.bias_squares = {k: np.zeros_like(v)
                             for k, v in self.biases.items()}
        self.steps = 0      # optimizer steps taken (Adam's t)

    @classmethod
    def from_network(cls, populations, projections) -> "NumpyNetwork":
        """A copy of a spinnpop network's current weights."""
        from spinnpop.connectors import (AllToAllConnector,
                                         ConvolutionConnector,
                                         OneToOneConnector)
        layers = {p.label: (p.celltype.activation, p.grid)
                  for p in populations}
        connections = []
        for projection in projections:
            connector = projection.connector
            pre, post = projection.pre.label, projection.post.label
            if isinstance(connector, AllToAllConnector):
                connections.append(Connection(pre, post, "dense",
                                              projection.get("weight")))
            elif isinstance(connector, OneToOneConnector):
                connections.append(Connection(pre, post, "identity"))
            else:
                pre_shape = projection.pre.grid
                out = connector.output_size(pre_shape)
                top, left = connector.pads(pre_shape)
                pads = tuple((first, max((o - 1) * s + k - n - first, 0))
                             for first, o, s, k, n in zip(
                                 (top, left), out, connector.strides,
                                 connector.size, pre_shape[:2]))
                if isinstance(connector, ConvolutionConnector):
                    connections.append(Connection(
                        pre, post, "conv", projection.get("weight"),
                        connector.size, connector.strides, pads))
                else:
                    connections.append(Connection(
                        pre, post, "pool", None, connector.size,
                        connector.strides, pads, connector.operation))
        biases = {}
        for population in populations:
            if population._bias_shape() is not None:
                biases[population.label] = population.get("bias")
        groups = {p.label: p.grid[2] for p in populations
                  if p.celltype.activation == "softmax" and len(p.shape) > 1}
        return cls(layers, connections, biases, groups)

    def _bias(self, name: str, batch: int) -> np.ndarray:
        """The bias of a layer spread over its neurons (B, n)."""
        bias = self.biases.get(name)
        shape = self.layers[name][1]
        n = int(np.prod(shape))
        if bias is None:
            return np.zeros((batch, n), F32)
        return np.tile(bias, (batch, n // len(bias)))   # or per channel

    def forward(self, inputs: dict) -> tuple:
        """({name: z}, {name: a}) for a batch; ``inputs`` {name: (B, n)}."""
        z, a, _ = self._forward(inputs)
        return z, a

    def _forward(self, inputs: dict) -> tuple:
        """forward's (z, a) and what each connection's backward needs."""
        z, a, saved = {}, {}, {}
        for name, (activation, shape) in self.layers.items():
            if activation is None:
                a[name] = np.asarray(inputs[name], F32).reshape(
                    len(inputs[name]), -1)
                continue
            batch = len(next(iter(a.values())))
            total = self._bias(name, batch)
            for i, c in enumerate(self.connections):
                if c.post == name:
                    term, saved[i] = c.forward(a[c.pre], self.layers[c.pre][1],
                                               shape)
                    total = term + total
            z[name] = total
            a[name] = _activate(activation, total,
                                self.softmax_groups.get(name))
        return z, a, saved

    def _positions(self, name: str) -> int:
        """Positions a softmax of layer ``name`` is taken at."""
        size = int(np.prod(self.layers[name][1]))
        return size // self.softmax_groups.get(name, size)

    def losses(self, outputs: dict, targets: dict, kinds: dict) -> np.ndarray:
        """Per-sample loss summed over outputs; ``kinds`` {name:
        "cross_entropy" | "binary_cross_entropy" | "mse" | "mae"}."""
        total = 0
        for name, kind in kinds.items():
            p, y = outputs[name], np.asarray(targets[name], F32)
            if kind == "cross_entropy":
                total = total - (y * np.log(p)).sum(axis=1) / F32(
                    self._positions(name))
            elif kind == "binary_cross_entropy":
                total = total - (y * np.log(p) + (F32(1) - y)
                                 * np.log(F32(1) - p)).mean(axis=1)
            elif kind == "mae":
                total = total + np.abs(p - y).mean(axis=1)
            else:
                total = total + ((p - y) ** 2).mean(axis=1)
        return total

    def train_batch(self, inputs: dict, targets: dict, kinds: dict,
                    learning_rate: float, momentum: float,
                    weight_decay: float = 0.0, nesterov: bool = False,
                    optimizer: str = "sgd", beta1: float = 0.9,
                    beta2: float = 0.999,
                    epsilon: float = 1e-8) -> np.ndarray:
        """One optimizer step on a batch, as PyTorch defines them: "sgd"
        (with weight decay and Nesterov momentum), "adam" (``beta1``,
        ``beta2``, ``epsilon``) or "rmsprop" (``beta2`` its alpha,
        ``momentum``, ``epsilon``); returns the batch's per-sample losses
        (taken before the step)."""
        z, a, saved = self._forward(inputs)
        batch = F32(len(next(iter(inputs.values()))))
        errors = {}  # dLoss/da of hidden layers, summed over their consumers
        grads, bias_grads = {}, {}
        for name in reversed(list(self.layers)):
            activation, shape = self.layers[name]
            if activation is None:
                continue
            if name in kinds:
                y = np.asarray(targets[name], F32)
                n = F32(y.shape[1])
                if kinds[name] == "cross_entropy":
                    delta = (a[name] - y) / F32(self._positions(name))
                elif kinds[name] == "binary_cross_entropy":
                    delta = (a[name] - y) / n
                elif kinds[name] == "mae":
                    delta = (np.sign(a[name] - y) / n
                             * _derivative(activation, z[name], a[name]))
                else:
                    delta = (F32(2) * (a[name] - y) / n
                             * _derivative(activation, z[name], a[name]))
            elif activation == "softmax":   # its full Jacobian
                group = self.softmax_groups.get(name, a[name].shape[1])
                e = errors[name].reshape(-1, group)
                p = a[name].reshape(-1, group)
                delta = (p * (e - (p * e).sum(axis=1, keepdims=True))
                         ).reshape(a[name].shape)
            else:
                delta = errors[name] * _derivative(activation, z[name],
                                                   a[name])
            if name in self.biases:
                bias_grads[name] = delta.reshape(
                    -1, len(self.biases[name])).sum(axis=0)
            for i, c in enumerate(self.connections):
                if c.post != name:
                    continue
                grads[i], back = c.backward(delta, saved[i], shape)
                if self.layers[c.pre][0] is not None:
                    errors[c.pre] = back if c.pre not in errors \
                        else errors[c.pre] + back
        rate, momentum = F32(learning_rate), F32(momentum)
        decay, eps = F32(weight_decay), F32(epsilon)
        keep1, keep2 = F32(beta1), F32(beta2)
        self.steps += 1
        if optimizer == "adam":
            # 1 - beta^t by squaring, as the cores take it.
            step_size = rate / (F32(1) - _power(keep1, self.steps))
            root_correction = np.sqrt(F32(1) - _power(keep2, self.steps))

        def step(value, grad, velocity, squares):
            g = grad / batch
            if decay:
                g = g + decay * value
            if optimizer == "sgd":
                if momentum:
                    velocity[:] = momentum * velocity + g
                    g = g + momentum * velocity if nesterov else velocity
                return value - rate * g
            squares[:] = keep2 * squares + (F32(1) - keep2) * (g * g)
            if optimizer == "adam":
                velocity[:] = keep1 * velocity + (F32(1) - keep1) * g
                return value - step_size * (
                    velocity / (np.sqrt(squares) / root_correction + eps))
            direction = g / (np.sqrt(squares) + eps)
            if momentum:
                velocity[:] = momentum * velocity + direction
                direction = velocity
            return value - rate * direction

        for i, grad in grads.items():
            c = self.connections[i]
            if grad is not None:
                c.weight = step(c.weight, grad, c.velocity, c.squares)
        for name, grad in bias_grads.items():
            self.biases[name] = step(self.biases[name], grad,
                                     self.bias_velocity[name],
                                     self.bias_squares[name])
        return self.losses(a, targets, kinds)

    def train(self, inputs: dict, targets: dict, kinds: dict, order,
              batch_size: int, epochs_of: int, learning_rate: float,
              momentum: float = 0.0, **options) -> np.ndarray:
        """Minibatch training over ``order`` (data-set index per step), in
        epochs of ``epochs_of`` steps whose last batch may be short, with
        ``train_batch``'s ``options`` (the optimizer and its settings);
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
                    kinds, learning_rate, momentum, **options))
        return np.concatenate(losses)

    def weights(self) -> list:
        """The weights of the connections that have them, in order."""
        return [c.weight for c in self.connections if c.weight is not None]
