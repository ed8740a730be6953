"""The U-Net, ResNet-50 and the mixed net as ``nn.Module`` (no torchvision), and their ONNX exports.

Their sizes are those of the ONNX builds in ``nets`` (same rules): the mixed net's
SAME_UPPER conv k=3 s=2 becomes padding=1, which gives the same ceil(n/2) at
every n, and its stride-1 SAME conv becomes ``padding='same'``.
"""

from __future__ import annotations

from typing import Any

import pytest

# The suite collects this module for doctests; without torch it is skipped, not an error.
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from models.build import ModelInfo  # noqa: E402
from models.nets import mixed as onnx_mixed  # noqa: E402
from models.nets import resnet50 as onnx_resnet50  # noqa: E402
from models.nets import unet as onnx_unet  # noqa: E402


def _block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.ReLU())


class UNet(nn.Module):
    """Four levels: two padded 3x3 convs, MaxPool2d(2) down, ConvTranspose2d(k=2, s=2) up, torch.cat skips."""

    def __init__(self, width: int = 1, levels: int = 4) -> None:
        super().__init__()
        widths = [width * 2**level for level in range(levels + 1)]
        self.down = nn.ModuleList(_block(1 if n == 0 else widths[n - 1], widths[n]) for n in range(levels))
        self.pool = nn.MaxPool2d(2)
        self.bottom = _block(widths[levels - 1], widths[levels])
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[n + 1], widths[n], 2, stride=2) for n in range(levels))
        self.merge = nn.ModuleList(_block(2 * widths[n], widths[n]) for n in range(levels))
        self.head = nn.Conv2d(widths[0], 2, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for n in reversed(range(len(self.up))):
            x = self.merge[n](torch.cat([skips[n], self.up[n](x)], 1))
        return self.head(x)


class Bottleneck(nn.Module):
    """1x1, 3x3 (stride here: v1.5), 1x1, plus the input or its 1x1 strided projection."""

    def __init__(self, in_channels: int, inner: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, inner, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(inner)
        self.conv2 = nn.Conv2d(inner, inner, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv3 = nn.Conv2d(inner, inner * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(inner * 4)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or in_channels != inner * 4:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, inner * 4, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(inner * 4))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet50(nn.Module):
    """torchvision's resnet50 layout ([3, 4, 6, 3] bottlenecks), with tiny widths."""

    def __init__(self, width: int = 1, classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8 * width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(8 * width)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels, stages = 8 * width, []
        for stage, (blocks, stride) in enumerate(((3, 1), (4, 2), (6, 2), (3, 2))):
            inner = 2 * width * 2**stage
            layers = []
            for block in range(blocks):
                layers.append(Bottleneck(channels, inner, stride if block == 0 else 1))
                channels = inner * 4
            stages.append(nn.Sequential(*layers))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Mixed(nn.Module):
    """The mixed net of ``nets.mixed``: strided conv, 'same' conv, ceil-mode pool, ConvTransposes with output_padding."""

    def __init__(self, width: int = 2) -> None:
        super().__init__()
        self.down = nn.Conv2d(1, width, 3, stride=2, padding=1)
        self.same = nn.Conv2d(width, width, 3, padding="same")
        self.pool = nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True)
        self.up1 = nn.ConvTranspose2d(width, width, 2, stride=2, padding=1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(2 * width, width, 3, stride=2, padding=1, output_padding=1)
        self.head = nn.Conv2d(1 + width, 1, 1)
        self.relu = nn.ReLU()

    def forward(self, x):
        a = self.relu(self.same(self.relu(self.down(x))))
        j = torch.cat([a, self.up1(self.pool(a))], 1)
        return self.head(torch.cat([x, self.up2(j)], 1))


def _zeroed(module: nn.Module) -> nn.Module:
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.zero_()
    return module.eval()


def unet() -> tuple[Any, ModelInfo]:
    return _zeroed(UNet()), onnx_unet()[1]


def resnet50() -> tuple[Any, ModelInfo]:
    return _zeroed(ResNet50()), onnx_resnet50()[1]


def mixed() -> tuple[Any, ModelInfo]:
    return _zeroed(Mixed()), onnx_mixed()[1]


TORCH_NETS = {"unet": unet, "resnet50": resnet50, "mixed": mixed}


def exported(name: str) -> tuple[Any, ModelInfo]:
    """``TORCH_NETS[name]`` exported to ONNX at its example size, with H and W symbolic: (ModelProto, ModelInfo)."""
    from runtime import export_onnx

    module, info = TORCH_NETS[name]()
    return export_onnx(module, (1, info.channels, *info.example)), info
