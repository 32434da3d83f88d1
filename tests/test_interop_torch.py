"""Optional: networks converted from torch.nn.Sequential compute what torch
does, and the session's network exported to torch computes what predict
does, trained or not."""

import re
import sys

import pytest

import spinnpop as sp
from spinnpop.control import current_state
from spinnpop.interop.torch import from_torch, to_torch

from conftest import assert_close, data, images, trained_for_export

torch = pytest.importorskip("torch")
nn = torch.nn


def torch_outputs(module, x):
    """``module`` on spinnpop's inputs x: (n, features) or (n, h, w, c),
    which torch takes as (n, c, h, w)."""
    xs = torch.from_numpy(x)
    if x.ndim == 4:
        xs = xs.permute(0, 3, 1, 2)
    with torch.no_grad():
        return module(xs).numpy()


def test_mlp_from_torch(session):
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 5),
                           nn.Softmax(dim=-1))
    populations = from_torch(module, 20)
    assert [p.label for p in populations] == [
        "torch.input", "torch.0", "torch.2"]
    assert [type(p.celltype) for p in populations] == [
        sp.Input, sp.ReLU, sp.Softmax]
    x, _ = data(9, 20, 5)
    assert_close(sp.predict(x), torch_outputs(module, x))


def test_lenet_from_torch(session):
    """'same' and 'valid' convolutions, max and average pooling, and a
    flatten whose order differs (C, H, W in torch, H, W, C in spinnpop)."""
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(24, 10), nn.ReLU(), nn.Linear(10, 3), nn.Softmax(dim=1))
    populations = from_torch(module, (12, 12, 1), label_prefix="lenet")
    assert [p.shape for p in populations] == [
        (12, 12, 1), (12, 12, 4), (6, 6, 4), (4, 4, 6), (2, 2, 6), (10,),
        (3,)]
    assert populations[2].label == "lenet.2"
    x = images(6, (12, 12, 1))
    assert_close(sp.predict(x), torch_outputs(module, x))


@pytest.mark.filterwarnings("ignore:Using padding='same' with even")
def test_even_kernel_same_and_strides(session):
    """torch's padding="same" puts the odd pad of an even kernel where
    Keras does; strided 'valid' convolutions and overlapping pooling."""
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(2, 3, (2, 4), padding="same"), nn.Sigmoid(),
        nn.Conv2d(3, 4, 3, stride=2), nn.MaxPool2d(2, stride=1),
        nn.Flatten(), nn.Linear(16, 4))
    from_torch(module, (7, 8, 2))
    x = images(4, (7, 8, 2))
    assert_close(sp.predict(x), torch_outputs(module, x))


def test_trained_network_to_torch(session):
    """After training, the exported module computes what predict does,
    Keras' asymmetric 'same' padding of a strided convolution included."""
    conv, x = trained_for_export(sp.SGD(0.1, 0.9))
    module = to_torch()
    assert isinstance(module[0], nn.ZeroPad2d)
    assert module[0].padding == (1, 2, 1, 2)
    assert conv.get("bias").any()
    assert_close(torch_outputs(module, x), sp.predict(x))


def test_round_trip(session):
    """to_torch then from_torch, in a new session, predicts the same."""
    torch.manual_seed(0)
    module = nn.Sequential(nn.Flatten(), nn.Linear(18, 6), nn.Tanh(),
                           nn.Linear(6, 3, bias=False))
    from_torch(module, (3, 3, 2))
    x = images(5, (3, 3, 2))
    expected = sp.predict(x)
    exported = to_torch()
    assert_close(torch_outputs(exported, x), expected)
    sp.setup(seed=3)
    from_torch(exported, (3, 3, 2), label_prefix="again")
    assert_close(sp.predict(x), expected)


@pytest.mark.parametrize("layer, message", [
    (nn.Dropout(0.5), "Dropout at position 2"),
    (nn.BatchNorm2d(4), "BatchNorm2d at position 2"),
    (nn.LSTM(4, 4), "LSTM at position 2"),
    (nn.Conv2d(4, 4, 3, padding=2), "padding=(2, 2)"),
    (nn.Conv2d(4, 4, 3, padding=1, stride=2), "stride=(2, 2)"),
    (nn.Conv2d(4, 4, 3, dilation=2), "dilation=(2, 2)"),
    (nn.Conv2d(4, 4, 3, groups=2), "groups=2"),
    (nn.Conv2d(3, 4, 3), "in_channels=3"),
    (nn.MaxPool2d(2, ceil_mode=True), "ceil_mode=True"),
    (nn.AvgPool2d(2, padding=1), "padding=1"),
    (nn.Softmax(dim=-1), "dim=-1"),
    (nn.Linear(4, 4), "put an nn.Flatten before it"),
    (nn.Flatten(2), "start_dim=2"),
])
def test_unsupported_layer(session, layer, message):
    """Named with its position, before any population is made."""
    module = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), layer,
                           nn.Flatten(), nn.Linear(64, 2))
    with pytest.raises(sp.ConfigurationError, match=re.escape(message)):
        from_torch(module, (6, 6, 1))
    assert current_state().populations == []


def test_misplaced_activation_and_shapes(session):
    with pytest.raises(sp.ConfigurationError, match="right after"):
        from_torch(nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Tanh()), 4)
    with pytest.raises(sp.ConfigurationError, match="in_features=5"):
        from_torch(nn.Sequential(nn.Linear(5, 2)), 4)
    with pytest.raises(sp.ConfigurationError, match="needs an image"):
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 3)), 9)
    with pytest.raises(sp.ConfigurationError, match="input_shape"):
        from_torch(nn.Sequential(nn.Linear(4, 2)), (2, 2))
    assert current_state().populations == []


def test_labels_taken(session):
    from_torch(nn.Sequential(nn.Linear(4, 2)), 4)
    with pytest.raises(sp.ConfigurationError, match="label_prefix"):
        from_torch(nn.Sequential(nn.Linear(4, 2)), 4)
    assert len(from_torch(nn.Sequential(nn.Linear(4, 2)), 4, "b")) == 2


def test_only_chains_export(session):
    image = sp.Population((4, 4, 2), sp.Input())
    a = sp.Population((4, 4, 2), sp.ReLU())
    b = sp.Population((4, 4, 2), sp.ReLU())
    sp.Projection(image, a, sp.ConvolutionConnector(3, padding="same"))
    sp.Projection(a, b, sp.ConvolutionConnector(3, padding="same"))
    sp.Projection(a, b, sp.OneToOneConnector())
    with pytest.raises(sp.ConfigurationError,
                       match="only chains.*'population2' is fed by 2"):
        to_torch()


def test_branches_do_not_export(session):
    inp = sp.Population(4, sp.Input())
    for _ in range(2):
        sp.Projection(inp, sp.Population(2, sp.Linear()),
                      sp.AllToAllConnector())
    with pytest.raises(sp.ConfigurationError, match="only chains.*feeds 2"):
        to_torch()


def test_needs_setup_and_torch(monkeypatch):
    sp.end()
    with pytest.raises(sp.NotSetUpError):
        from_torch(nn.Sequential(nn.Linear(4, 2)), 4)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(sp.ConfigurationError, match="pip install torch"):
        to_torch()
