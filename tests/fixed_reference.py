"""An independent numpy implementation of fixed-point training of dense
networks: the maths of ``numeric_fixed_impl.h`` and ``fixed_maths.h``
written again on int64 arrays, whole layers at a time, sample by sample,
to compare the models' results with bit for bit.

Values have V = 20 fraction bits and weights W = 24; a product is rounded
to nearest (halves up) once; sums are exact. Saturation is not modelled:
the networks compared stay in range (the runs must count none).
"""

from __future__ import annotations

import numpy as np

V, W = 20, 24
ONE = 1 << V


def shift(x, s):
    """x / 2^s rounded to nearest, halves up."""
    return (x + (1 << (s - 1))) >> s


def trunc_div(n, d):
    """C's division: the quotient truncated toward zero."""
    q = np.abs(n) // np.abs(d)
    return np.where((n < 0) != (d < 0), -q, q)


def round_div(n, d):
    """n / d rounded to nearest, halves away from zero."""
    half = np.abs(d) // 2
    return trunc_div(np.where(n >= 0, n + half, n - half), d)


def div(a, b):
    return round_div(a * (1 << V), b)


def mul(a, b):
    return shift(a * b, V)


LN2, INV_LN2, SQRT2 = 744261118, 1549082005, 1518500250
Q30 = 1 << 30


def exp(x):
    x = np.asarray(x, np.int64)
    n = shift(x * INV_LN2, 30 + V)
    r = x * (1 << (30 - V)) - n * LN2
    p = np.full_like(x, Q30 // 5040)
    for c in (720, 120, 24, 6, 2, 1, 1):
        p = ((p * r) >> 30) + Q30 // c
    s = 30 - V - n
    assert np.all(s > 0), "beyond the value range"
    return np.where(s >= 62, 0, shift(p, np.minimum(s, 61)))


def log(x):
    x = np.asarray(x, np.int64)
    assert np.all(x > 0)
    top = np.frexp(x.astype(np.float64))[1].astype(np.int64) - 1  # top bit
    e = top - V
    m = x * (1 << (30 - top))
    big = m > SQRT2
    m = np.where(big, m >> 1, m)
    e = np.where(big, e + 1, e)
    f = m - Q30
    s = round_div(f * Q30, 2 * Q30 + f)
    s2 = (s * s) >> 30
    q = np.full_like(x, Q30 // 11)
    for c in (9, 7, 5, 3, 1):
        q = ((q * s2) >> 30) + Q30 // c
    return shift(e * LN2 + ((2 * s * q) >> 30), 30 - V)


def tanh(x):
    a = np.abs(x)
    e = exp(-2 * np.minimum(a, 9 * ONE - 1))
    t = np.where(a < 9 * ONE, div(ONE - e, ONE + e), ONE)
    return np.where(x < 0, -t, t)


def sigmoid(x):
    s = div(np.full_like(x, ONE), ONE + exp(-np.abs(x)))
    return np.where(x < 0, ONE - s, s)


ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0),
             lambda z, a: np.where(z > 0, ONE, 0)),
    "linear": (lambda z: z, lambda z, a: np.full_like(z, ONE)),
    "sigmoid": (sigmoid, lambda z, a: mul(a, ONE - a)),
    "tanh": (tanh, lambda z, a: ONE - mul(a, a)),
}


def encode(x, bits):
    """The host's encoding: float32 times 2^bits, rounded to nearest."""
    return np.rint(np.asarray(x, np.float32)
                   * np.float32(2.0 ** bits)).astype(np.int64)


class FixedMLP:
    """A chain of dense populations, trained as the models do.

    :param weights: float32 (n_pre, n_post) per projection.
    :param biases: float32 (n_post,) per population.
    :param activations: names per population; the last may be "softmax"
        (with cross-entropy; else the loss is ``loss``).
    :param loss: the C name of the loss after any other output: "mse",
        "mae" or "binary_cross_entropy" (after a sigmoid).
    """

    def __init__(self, weights, biases, activations, loss="mse"):
        self.w = [encode(w, W) for w in weights]
        self.b = [encode(b, W) for b in biases]
        self.activations = activations
        self.loss = loss

    def _forward(self, x):
        a_s, z_s = [x], []
        for layer, (w, b) in enumerate(zip(self.w, self.b)):
            z = shift(a_s[-1][:, None] * w, W).sum(axis=0) + shift(b, W - V)
            z_s.append(z)
            name = self.activations[layer]
            if name == "softmax":
                top = z.max()
                e = exp(z - top)
                total = e.sum()
                a_s.append(div(e, total))
                self.log_norm = top + log(total)
            else:
                a_s.append(ACTIVATIONS[name][0](z))
        return a_s, z_s

    def train(self, x, y, epochs, batch_size, rate, momentum):
        """SGD over the samples in order; returns the weights, the biases
        and the mean loss of each epoch, as floats."""
        x, y = encode(x, V), encode(y, V)
        lr, m = (int(np.rint(r * 2.0 ** W)) for r in (rate, momentum))
        v_w = [np.zeros_like(w) for w in self.w]
        v_b = [np.zeros_like(b) for b in self.b]
        losses = []
        for _ in range(epochs):
            sample_losses = np.zeros(len(x))
            for first in range(0, len(x), batch_size):
                batch = range(first, min(first + batch_size, len(x)))
                g_w = [np.zeros_like(w) for w in self.w]
                g_b = [np.zeros_like(b) for b in self.b]
                for i in batch:
                    sample_losses[i] = self._sample(x[i], y[i], g_w, g_b)
                mean = round_div(np.int64(1 << W), len(batch))
                for params, grads, velocity in ((self.w, g_w, v_w),
                                                (self.b, g_b, v_b)):
                    for k, g in enumerate(grads):
                        step = shift(g * mean, W)
                        if m:
                            velocity[k] = shift(m * velocity[k], W) + step
                            step = velocity[k]
                        params[k] = params[k] - shift(lr * step, W)
            losses.append(float(sample_losses.mean()))
        return ([w.astype(np.float64) / 2.0 ** W for w in self.w],
                [b.astype(np.float64) / 2.0 ** W for b in self.b], losses)

    def _sample(self, x, y, g_w, g_b) -> float:
        """Adds one sample's gradients; returns its loss."""
        a_s, z_s = self._forward(x)
        out = self.activations[-1]
        z, a, n = z_s[-1], a_s[-1], np.int64(len(y) * ONE)
        if out == "softmax":
            loss = mul(y, self.log_norm - z).sum()
            delta = a - y
        elif self.loss == "binary_cross_entropy":
            # softplus(z) - y z, softplus(z) = max(z, 0) + log(1 + e^-|z|)
            softplus = np.maximum(z, 0) + log(ONE + exp(-np.abs(z)))
            loss = div(softplus - mul(y, z), n).sum()
            delta = div(a - y, n)
        elif self.loss == "mae":
            loss = div(np.abs(a - y), n).sum()
            delta = mul(div(np.sign(a - y) * ONE, n),
                        ACTIVATIONS[out][1](z, a))
        else:
            loss = div(mul(a - y, a - y), n).sum()
            delta = mul(div(mul(2 * ONE, a - y), n),
                        ACTIVATIONS[out][1](z, a))
        for layer in range(len(self.w) - 1, -1, -1):
            g_w[layer] += shift(a_s[layer][:, None] * delta, 2 * V - W)
            g_b[layer] += delta * (1 << (W - V))
            if layer:
                error = shift(self.w[layer] * delta, W).sum(axis=1)
                derivative = ACTIVATIONS[self.activations[layer - 1]][1]
                delta = mul(error, derivative(z_s[layer - 1],
                                              a_s[layer]))
        return loss / 2.0 ** V
