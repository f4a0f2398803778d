"""Models: the seed articles' networks, and resnet18 adapted to 32x32 images.

- `VGG`: seed 001 exactly as written (bias-free 3x3 convs, fc 2048 -> 128 -> 10); 3x32x32 input only.
- `LeNet`: seed 004. The seed hard-codes `fc1 = Linear(16*3*3, 128)`, which fits no 28x28 input
  (28 -> conv 26 -> pool 13 -> conv 11 -> pool 5, so 16*5*5 = 400). Here the flatten size is computed by
  a dummy forward of the conv stack on the given input shape: 400 for 1x28x28 (MNIST), 576 for 3x32x32.
- `resnet18`: torchvision's resnet18 with a 3x3 stride-1 stem and no max-pool (the usual CIFAR variant:
  the ImageNet stem would shrink a 32x32 image to 8x8 before the first block), 10 classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from lrtui.training.config import MODEL_INFO


class VGG(nn.Module):
    """Seed 001's VGG, layer for layer (names kept so the seed's state_dicts load)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 1, 1, bias=False)
        self.conv2_1 = nn.Conv2d(32, 64, 3, 1, 1, bias=False)
        self.conv2_2 = nn.Conv2d(64, 64, 3, 1, 1, bias=False)
        self.conv3_1 = nn.Conv2d(64, 128, 3, 1, 1, bias=False)
        self.conv3_2 = nn.Conv2d(128, 128, 3, 1, 1, bias=False)
        self.conv3_3 = nn.Conv2d(128, 128, 3, 1, 1, bias=False)
        self.fc1 = nn.Linear(2048, 128, bias=False)
        self.fc2 = nn.Linear(128, num_classes, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.conv1(x))
        out = F.max_pool2d(out, 2)
        out = F.relu(self.conv2_1(out))
        out = F.relu(self.conv2_2(out))
        out = F.max_pool2d(out, 2)
        out = F.relu(self.conv3_1(out))
        out = F.relu(self.conv3_2(out))
        out = F.relu(self.conv3_3(out))
        out = F.max_pool2d(out, 2)
        out = out.flatten(1)  # the seed's .view(size(0), -1); flatten also accepts channels_last tensors
        out = F.relu(self.fc1(out))
        return self.fc2(out)


class LeNet(nn.Module):
    """Seed 004's LeNet with the flatten size computed from `input_size` (see the module docstring)."""

    def __init__(self, in_channels: int = 1, n_outputs: int = 10, input_size: int = 28):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 8, kernel_size=3)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3)
        self.pool = nn.MaxPool2d(kernel_size=2)
        with torch.no_grad():
            flat = self._features(torch.zeros(1, in_channels, input_size, input_size)).shape[1]
        self.flat_features = flat
        self.fc1 = nn.Linear(flat, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, n_outputs)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return x.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._features(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def resnet18_small(in_channels: int = 3, num_classes: int = 10) -> nn.Module:
    from torchvision.models import resnet18  # lazy: torchvision import costs seconds

    model = resnet18(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


@dataclass(frozen=True)
class ModelEntry:
    builder: Callable[..., nn.Module]  # builder(in_channels=, image_size=, num_classes=)
    description: str
    expected_input: str


MODELS: dict[str, ModelEntry] = {
    "vgg": ModelEntry(
        lambda in_channels=3, image_size=32, num_classes=10: VGG(num_classes),
        MODEL_INFO["vgg"].description,
        MODEL_INFO["vgg"].expected_input,
    ),
    "lenet": ModelEntry(
        lambda in_channels=1, image_size=28, num_classes=10: LeNet(in_channels, num_classes, image_size),
        MODEL_INFO["lenet"].description,
        MODEL_INFO["lenet"].expected_input,
    ),
    "resnet18": ModelEntry(
        lambda in_channels=3, image_size=32, num_classes=10: resnet18_small(in_channels, num_classes),
        MODEL_INFO["resnet18"].description,
        MODEL_INFO["resnet18"].expected_input,
    ),
}


def build_model(name: str, *, in_channels: int, image_size: int, num_classes: int = 10) -> nn.Module:
    """Build a registered model; rejects an input shape the model cannot take, naming both."""
    if name not in MODELS:
        raise ValueError(f"model = {name!r} is invalid: one of {', '.join(MODELS)}")
    info = MODEL_INFO[name]
    if (
        (info.channels is not None and in_channels != info.channels)
        or (info.exact_size is not None and image_size != info.exact_size)
        or image_size < info.min_size
    ):
        raise ValueError(
            f"model = {name!r} cannot take {in_channels}x{image_size}x{image_size} images: it expects "
            f"{info.expected_input}"
        )
    return MODELS[name].builder(in_channels=in_channels, image_size=image_size, num_classes=num_classes)
