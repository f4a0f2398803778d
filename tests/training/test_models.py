"""Model output shapes, the seed VGG's exact layers, LeNet's computed flatten size."""

import pytest
import torch

from lrtui.training.models import MODELS, VGG, LeNet, build_model


@pytest.mark.parametrize(
    ("name", "channels", "size"),
    [("vgg", 3, 32), ("lenet", 1, 28), ("lenet", 3, 32), ("resnet18", 3, 32), ("resnet18", 1, 28)],
)
def test_output_shapes(name, channels, size):
    model = build_model(name, in_channels=channels, image_size=size)
    out = model(torch.randn(4, channels, size, size))
    assert out.shape == (4, 10)


def test_vgg_is_the_seed_network():
    vgg = VGG()
    convs = [m for m in vgg.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [
        (3, 32), (32, 64), (64, 64), (64, 128), (128, 128), (128, 128)
    ]  # fmt: skip
    assert all(c.bias is None and c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs)
    assert (vgg.fc1.in_features, vgg.fc1.out_features, vgg.fc2.out_features) == (2048, 128, 10)
    assert vgg.fc1.bias is None and vgg.fc2.bias is None
    assert sum(p.numel() for p in vgg.parameters()) == 688_224


def test_lenet_flatten_size_fits_the_input():
    assert LeNet(1, 10, 28).flat_features == 16 * 5 * 5  # the seed's 16*3*3 fits no 28x28 input
    assert LeNet(3, 10, 32).flat_features == 16 * 6 * 6


def test_resnet18_small_stem():
    model = build_model("resnet18", in_channels=3, image_size=32)
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
    assert isinstance(model.maxpool, torch.nn.Identity)
    assert model.fc.out_features == 10


def test_registry_and_bad_shapes():
    assert set(MODELS) == {"vgg", "lenet", "resnet18"}
    assert all(entry.description and entry.expected_input for entry in MODELS.values())
    with pytest.raises(ValueError, match=r"'vgg' cannot take 1x28x28.*3x32x32"):
        build_model("vgg", in_channels=1, image_size=28)
    with pytest.raises(ValueError, match="one of vgg, lenet, resnet18"):
        build_model("alexnet", in_channels=3, image_size=32)
