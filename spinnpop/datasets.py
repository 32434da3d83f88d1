"""Data sets that work offline: scikit-learn's 8x8 digits (inside the
package), Fashion-MNIST from Debian's ``dataset-fashion-mnist``, and MNIST
from files the user has (IDX, as published, or Keras' ``mnist.npz``).

Each loader returns ((x_train, y_train), (x_test, y_test)) with x float32
in [0, 1], shape (n, pixels), and y integer class labels.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from spinnpop.errors import ConfigurationError

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
_IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def load_digits(test_fraction: float = 0.25, seed: int = 0) -> tuple:
    """scikit-learn's 1,797 8x8 digits, split into train and test sets
    (stratified, shuffled with ``seed``)."""
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split
    digits = sklearn_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=test_fraction, random_state=seed,
        stratify=digits.target)
    return (x_train, y_train), (x_test, y_test)


def read_idx(path: str) -> np.ndarray:
    """An array from an IDX file (the MNIST format), gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as stream:
        data = stream.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ConfigurationError(f"{path} is not an IDX file of bytes")
    n_dims = data[3]
    dims = np.frombuffer(data, ">u4", count=n_dims, offset=4)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * n_dims).reshape(dims)


def _find(directory: str, name: str) -> str:
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return path
    raise ConfigurationError(
        f"no {name}(.gz) in {directory}; for Fashion-MNIST install Debian's "
        "dataset-fashion-mnist, or give the folder of the IDX files")


def load_idx_directory(directory: str) -> tuple:
    """The four standard IDX files of an MNIST-format set in
    ``directory``."""
    arrays = [read_idx(_find(directory, name)) for name in _IDX_NAMES]
    x_train, y_train, x_test, y_test = arrays
    scale = np.float32(1 / 255)
    return ((x_train.reshape(len(x_train), -1) * scale, y_train.astype(int)),
            (x_test.reshape(len(x_test), -1) * scale, y_test.astype(int)))


def load_fashion_mnist(directory: str = FASHION_MNIST_DIR) -> tuple:
    """Fashion-MNIST: 60,000 + 10,000 28x28 images of 10 classes."""
    return load_idx_directory(directory)


def load_mnist(path: str) -> tuple:
    """MNIST from ``path``: a folder of the four IDX files, or a Keras
    ``mnist.npz``. Nothing is downloaded."""
    if os.path.isdir(path):
        return load_idx_directory(path)
    if path.endswith(".npz") and os.path.exists(path):
        with np.load(path) as data:
            scale = np.float32(1 / 255)
            x_train, x_test = data["x_train"], data["x_test"]
            return ((x_train.reshape(len(x_train), -1) * scale,
                     data["y_train"].astype(int)),
                    (x_test.reshape(len(x_test), -1) * scale,
                     data["y_test"].astype(int)))
    raise ConfigurationError(f"no MNIST at {path!r}: give a folder of the "
                             "IDX files or a Keras mnist.npz")
