"""The notebooks run from top to bottom."""

import glob
import importlib.util
import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted(glob.glob(os.path.join(
    os.path.dirname(__file__), os.pardir, "notebooks", "*.ipynb")))


#: Notebooks that read Fashion-MNIST (Debian's dataset-fashion-mnist).
FASHION_MNIST = {"lenet5.ipynb", "lenet5_from_torch.ipynb"}
#: Notebooks that bring a model over from PyTorch (an optional extra).
TORCH = {"lenet5_from_torch.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path):
    from spinnpop.datasets import FASHION_MNIST_DIR
    if os.path.basename(path) in FASHION_MNIST and not os.path.isdir(
            FASHION_MNIST_DIR):
        pytest.skip(f"no Fashion-MNIST in {FASHION_MNIST_DIR}: install "
                    "Debian's dataset-fashion-mnist")
    if os.path.basename(path) in TORCH and importlib.util.find_spec(
            "torch") is None:
        pytest.skip("no PyTorch: pip install spinnpop[torch]")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": os.path.dirname(path)}})
    client.execute()
