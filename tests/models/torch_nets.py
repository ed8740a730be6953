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


# ---------------------------------------------------------------- more nets, for the PyTorch importer
# Written for tests/test_import_torch.py: each exercises calls the three nets above do not.
# IMPORT_NETS maps a name to (a factory of the zeroed module in eval mode, an example input shape it runs on).

F = torch.nn.functional


class VGG(nn.Module):
    """torchvision's VGG-11 layout (no weights): 3x3 convs p=1, five MaxPool2d(2), AdaptiveAvgPool2d(7), flatten,
    Linear, Dropout; or, with ``adaptive=False``, the flatten straight after the features (fixed in_features)."""

    def __init__(self, width: int = 1, adaptive: bool = True) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for stage, convs in enumerate((1, 1, 2, 2, 2)):
            for _ in range(convs):
                layers += [nn.Conv2d(channels, width * 2 ** min(stage + 1, 4), 3, padding=1), nn.ReLU(inplace=True)]
                channels = width * 2 ** min(stage + 1, 4)
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7)) if adaptive else nn.Identity()
        self.classifier = nn.Sequential(nn.Linear(channels * 7 * 7, 16), nn.ReLU(True), nn.Dropout(),
                                        nn.Linear(16, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class UNetOutputPadding(nn.Module):
    """Two levels down by Conv2d(k=3, s=2, p=1) (ceil(n/2)), up by ConvTranspose2d(k=3, s=2, p=1, output_padding=1)
    (2m), skips by torch.cat: runs where n = 0 (mod 4)."""

    def __init__(self, width: int = 2) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, width, 3, padding=1)
        self.down1 = nn.Conv2d(width, width, 3, stride=2, padding=1)
        self.down2 = nn.Conv2d(width, width, 3, stride=2, padding=1)
        self.up2 = nn.ConvTranspose2d(width, width, 3, stride=2, padding=1, output_padding=1)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 3, stride=2, padding=1, output_padding=1)
        self.head = nn.Conv2d(2 * width, 1, 1)

    def forward(self, x):
        s0 = F.relu(self.stem(x))
        s1 = F.relu(self.down1(s0))
        bottom = F.relu(self.down2(s1))
        u1 = torch.cat([s1, self.up2(bottom)], dim=1)
        return self.head(torch.cat([s0, self.up1(u1)], dim=1))


class SameDilated(nn.Module):
    """padding='same' with stride 1: dilations, an even kernel (PyTorch pads one more after), a residual add;
    padding='valid'; a reflect-padded conv (sizes as zero padding, but PyTorch needs n > padding)."""

    def __init__(self, width: int = 2, padding_mode: str = "zeros") -> None:
        super().__init__()
        self.a = nn.Conv2d(1, width, (3, 4), padding="same", dilation=(2, 1))
        self.b = nn.Conv2d(width, width, 5, padding="same", dilation=3, padding_mode=padding_mode)
        self.c = nn.Conv2d(width, width, (1, 2), padding="valid")
        self.d = nn.Conv2d(width, width, 3, padding=(2, 1), dilation=(2, 1), padding_mode=padding_mode)

    def forward(self, x):
        a = F.gelu(self.a(x))
        y = a + torch.sigmoid(self.b(a))
        return self.d(self.c(y)) * 0.5


class PadCat(nn.Module):
    """The classic U-Net "pad to match": pool, upsample, F.pad by (0, 1, 0, 1), cat with the input (odd sizes run);
    a crop by negative F.pad joined to a slice x[..., 1:-1, 1:-1]; a concatenation along W."""

    def __init__(self, width: int = 2) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, width, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.zero = nn.ZeroPad2d((1, 1, 0, 0))

    def forward(self, x):
        a = self.conv(x)
        up = F.pad(self.up(self.pool(a)), (0, 1, 0, 1))
        joined = torch.cat([a, up], 1)
        cropped = F.pad(joined, (-1, -1, -1, -1)) + joined[..., 1:-1, 1:-1]
        wide = torch.cat((cropped, self.zero(cropped)), dim=-1)
        return wide[:, :1, 2:, ::2]


class CeilPools(nn.Module):
    """Pools in ceil mode whose last window PyTorch drops (it would start in the right padding), with padding and
    dilation; an AvgPool in ceil mode, an LPPool; and functional max pooling with constant arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.b = nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True)
        self.c = nn.MaxPool2d(2, stride=3, dilation=2, ceil_mode=True)
        self.d = nn.LPPool2d(2, 2, ceil_mode=True)

    def forward(self, x):
        y = self.c(self.b(self.a(x)))
        return F.max_pool2d(self.d(y), kernel_size=(1, 2), stride=1, ceil_mode=True)


class Interpolate(nn.Module):
    """Upsample (bilinear) and F.interpolate with integer scale factors per axis, interpolate to a fixed size joined
    to an adaptive pool of the same size, and a PixelShuffle."""

    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, width, 3, stride=2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.pool = nn.AdaptiveMaxPool2d((5, 7))
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        a = self.up(self.conv(x))
        b = F.interpolate(a, scale_factor=(2.0, 3), mode="nearest")
        fixed = F.interpolate(b, size=(5, 7), mode="bilinear") * self.pool(a)
        return torch.cat([self.shuffle(fixed), F.interpolate(x, size=(10, 14))], 1)


class AdaptiveLinear(nn.Module):
    """A classifier head: AdaptiveAvgPool2d((2, 3)), x.view(x.size(0), -1), Linear, ReLU, F.linear-free."""

    def __init__(self, width: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, width, 5, stride=3, padding=2)
        self.bn = nn.BatchNorm2d(width)
        self.pool = nn.AdaptiveAvgPool2d((2, 3))
        self.fc = nn.Linear(width * 6, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv(x))))
        return F.softmax(self.fc(x.view(x.size(0), -1)), dim=1)


class Conv1dNet(nn.Module):
    """1-D: dilated and 'same' Conv1d, ConvTranspose1d with output_padding and dilation, ceil-mode AvgPool1d."""

    def __init__(self, width: int = 2) -> None:
        super().__init__()
        self.a = nn.Conv1d(1, width, 4, stride=3, dilation=2, padding=1)
        self.b = nn.Conv1d(width, width, 4, padding="same")
        self.pool = nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True)
        self.up = nn.ConvTranspose1d(width, width, 3, stride=3, padding=2, output_padding=2, dilation=2)

    def forward(self, x):
        return self.up(self.pool(F.leaky_relu(self.b(self.a(x)))))


class Conv3dNet(nn.Module):
    """3-D: a strided Conv3d, MaxPool3d in ceil mode, ConvTranspose3d back up, and a skip joined by addition."""

    def __init__(self, width: int = 2) -> None:
        super().__init__()
        self.a = nn.Conv3d(1, width, 3, padding=1)
        self.pool = nn.MaxPool3d((2, 2, 1), ceil_mode=True)
        self.up = nn.ConvTranspose3d(width, width, (2, 2, 1), stride=(2, 2, 1))
        self.norm = nn.InstanceNorm3d(width)

    def forward(self, x):
        a = self.a(x)
        return self.norm(a + self.up(self.pool(a)))


def _ready(module: nn.Module) -> nn.Module:
    return _zeroed(module)


IMPORT_NETS = {
    "vgg": (lambda: _ready(VGG()), (1, 3, 32, 32)),
    "vgg_fixed": (lambda: _ready(VGG(adaptive=False)), (1, 3, 224, 224)),
    "unet_output_padding": (lambda: _ready(UNetOutputPadding()), (1, 1, 16, 16)),
    "same_dilated": (lambda: _ready(SameDilated()), (1, 1, 16, 16)),
    "same_dilated_reflect": (lambda: _ready(SameDilated(padding_mode="reflect")), (1, 1, 16, 16)),
    "pad_cat": (lambda: _ready(PadCat()), (1, 1, 15, 17)),
    "ceil_pools": (lambda: _ready(CeilPools()), (1, 1, 32, 32)),
    "interpolate": (lambda: _ready(Interpolate()), (1, 1, 17, 17)),
    "adaptive_linear": (lambda: _ready(AdaptiveLinear()), (1, 1, 16, 16)),
    "conv1d": (lambda: _ready(Conv1dNet()), (1, 1, 32)),
    "conv3d": (lambda: _ready(Conv3dNet()), (1, 1, 8, 8, 5)),
}
