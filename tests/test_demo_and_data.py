"""The main job reaches its accuracy, and the data loaders read what they
promise."""

import gzip

import numpy as np
import pytest

import spinnpop as sp
from spinnpop import datasets
from spinnpop.demo import main


def test_demo_learns_the_digits(capsys):
    accuracy = main(["--epochs", "20"])
    printed = capsys.readouterr().out
    assert accuracy >= 0.95
    assert "Epoch 20/20" in printed and "test accuracy" in printed


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + np.array(
        array.shape, ">u4").tobytes()
    with gzip.open(path, "wb") as out:
        out.write(header + array.astype(np.uint8).tobytes())


def test_idx_files_load_as_mnist(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28))
    labels = rng.integers(0, 10, 5)
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", labels)
    (x, y), (x_test, y_test) = datasets.load_mnist(str(tmp_path))
    assert x.shape == (5, 784) and x.dtype == np.float32
    np.testing.assert_allclose(x * 255, images.reshape(5, -1), atol=1e-3)
    assert list(y) == list(labels) and len(y_test) == 5


def test_keras_npz_loads_as_mnist(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (3, 28, 28), np.uint8),
             y_train=np.arange(3), x_test=np.zeros((2, 28, 28), np.uint8),
             y_test=np.arange(2))
    (x, y), (x_test, _) = datasets.load_mnist(str(path))
    assert x.shape == (3, 784) and x_test.shape == (2, 784)


def test_missing_data_is_a_clear_error(tmp_path):
    with pytest.raises(sp.ConfigurationError, match="IDX"):
        datasets.load_mnist(str(tmp_path))
    with pytest.raises(sp.ConfigurationError, match="no MNIST"):
        datasets.load_mnist(str(tmp_path / "nothing.npz"))
    (tmp_path / "junk").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(sp.ConfigurationError, match="not an IDX"):
        datasets.read_idx(str(tmp_path / "junk"))
