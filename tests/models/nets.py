"""The four networks of issue 11, as ONNX graphs built with ``onnx.helper``.

Channels are tiny and weights zero: only sizes matter, and the files stay small.
Each builder returns ``(ModelProto, ModelInfo)``; the rule in the ModelInfo is
worked out by hand in the builder's docstring.
"""

from __future__ import annotations

from typing import Any

from models.build import ModelInfo, Net

Built = tuple[Any, ModelInfo]  # (onnx.ModelProto, ModelInfo)


def _every(predicate):
    return lambda size: all(predicate(n) for n in size)


def vgg(width: int = 2) -> Built:
    """VGG-11's feature extractor: conv3x3 p=1 (+ReLU) stacks, five 2x2 max pools, then GAP, Flatten, Gemm.

    A 3x3 conv with padding 1 keeps the size; a pool floors it to n // 2 and needs
    n >= 2. Five pools need n // 16 >= 2: every n >= 32, no join to misalign.
    onnxruntime's MaxPool also runs a 2x2 stride-2 window on a 1-long input (its
    truncating division gives 1), so it runs every n >= 1.
    """
    net = Net("vgg", 3)
    x = net.input
    for stage, convs in enumerate((1, 1, 2, 2, 2), start=1):
        for n in range(convs):
            x = net.relu(net.conv(x, width * 2 ** min(stage, 3), 3, padding=1, name=f"conv{stage}_{n + 1}"))
        x = net.pool(x, 2, name=f"pool{stage}")
    x = net.flatten(net.global_pool(x))
    x = net.gemm(x, net.channels["pool5"], 10)
    return net.model(x), ModelInfo(
        "vgg", "x", ("H", "W"), 3, "every size >= 32", _every(lambda n: n >= 32),
        sweep=tuple(range(1, 131)), example=(32, 32),
        ort_rule="every size >= 1", ort_accepts=_every(lambda n: n >= 1))


def resnet50(width: int = 1) -> Built:
    """ResNet-50 (v1.5: the stride is on the 3x3 conv), bottlenecks [3, 4, 6, 3], projections through Add.

    Stem: conv 7x7 s=2 p=3 gives floor((n - 1)/2) + 1 = ceil(n/2), and fits for n >= 1;
    max pool 3x3 s=2 p=1 the same. In a down-sampling block the main path's 3x3 s=2 p=1
    and the projection's 1x1 s=2 p=0 both give ceil(n/2) for every n >= 1, so each Add
    lines up. Every n >= 1 is accepted (the last stage is then 1x1).
    """
    net = Net("resnet50", 3)
    x = net.relu(net.conv(net.input, 8 * width, 7, stride=2, padding=3, name="conv1"))
    x = net.pool(x, 3, stride=2, padding=1, name="maxpool")
    channels = 8 * width
    for stage, (blocks, stride) in enumerate(((3, 1), (4, 2), (6, 2), (3, 2)), start=1):
        inner = width * 2 ** (stage - 1) * 2
        for block in range(blocks):
            prefix = f"layer{stage}.{block}"
            s = stride if block == 0 else 1
            y = net.relu(net.conv(x, inner, 1, name=f"{prefix}.conv1"))
            y = net.relu(net.conv(y, inner, 3, stride=s, padding=1, name=f"{prefix}.conv2"))
            y = net.conv(y, inner * 4, 1, name=f"{prefix}.conv3")
            if block == 0:
                x = net.conv(x, inner * 4, 1, stride=s, name=f"{prefix}.downsample")
            x = net.relu(net.add(y, x, name=f"{prefix}.add"))
            channels = inner * 4
    x = net.flatten(net.global_pool(x, name="avgpool"))
    x = net.gemm(x, channels, 10, name="fc")
    return net.model(x), ModelInfo(
        "resnet50", "x", ("H", "W"), 3, "every size >= 1", _every(lambda n: n >= 1),
        sweep=(1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 97, 224), example=(64, 64))


def unet(width: int = 1, levels: int = 4) -> Built:
    """A padded U-Net: two conv3x3 p=1 per level, 2x2 max pools down, ConvTranspose k=2 s=2 up, Concat skips.

    Convs keep the size; a pool gives n // 2; the up-conv doubles. Level j's skip has
    m and the up-conv returns 2 * (m // 2), equal exactly when m is even. So every one
    of the four sizes n, n/2, n/4, n/8 must be even and the bottleneck n/16 >= 1:
    n is a multiple of 16 (n >= 16).
    """
    net = Net("unet", 1)
    x = net.input
    skips = []
    for level in range(1, levels + 1):
        c = width * 2 ** (level - 1)
        x = net.relu(net.conv(x, c, 3, padding=1, name=f"enc{level}.conv1"))
        x = net.relu(net.conv(x, c, 3, padding=1, name=f"enc{level}.conv2"))
        skips.append(x)
        x = net.pool(x, 2, name=f"down{level}")
    c = width * 2 ** levels
    x = net.relu(net.conv(x, c, 3, padding=1, name="bottom.conv1"))
    x = net.relu(net.conv(x, c, 3, padding=1, name="bottom.conv2"))
    for level in range(levels, 0, -1):
        c = width * 2 ** (level - 1)
        x = net.tconv(x, c, 2, stride=2, name=f"up{level}")
        x = net.concat(skips[level - 1], x, name=f"cat{level}")
        x = net.relu(net.conv(x, c, 3, padding=1, name=f"dec{level}.conv1"))
        x = net.relu(net.conv(x, c, 3, padding=1, name=f"dec{level}.conv2"))
    x = net.conv(x, 2, 1, name="head")
    step = 2 ** levels
    return net.model(x), ModelInfo(
        "unet", "x", ("H", "W"), 1, f"multiples of {step}", _every(lambda n: n % step == 0 and n >= step),
        sweep=tuple(range(1, 131)), example=(step, step))


def mixed(width: int = 2) -> Built:
    """SAME_UPPER convs, a ceil-mode max pool with padding, and ConvTransposes with output_padding.

    a = Conv k=3 s=2 SAME_UPPER            -> A = ceil(n/2)
    a2 = Conv k=3 s=1 SAME_UPPER           -> A
    b = MaxPool k=2 s=2 pads 1,1 ceil_mode -> ceil(A/2) + 1 windows, minus the last one when
                                              it starts in the right padding (A odd): A // 2 + 1
    c = ConvTranspose k=2 s=2 pads 1,1 output_padding=1 -> 2(B - 1) - 2 + 2 + 1 = 2B - 1 = 2(A // 2) + 1
    Concat(a2, c): equal exactly when A is odd.
    d = ConvTranspose k=3 s=2 pads 1,1 output_padding=1 -> 2(A - 1) - 2 + 3 + 1 = 2A
    Concat(x, d): 2 ceil(n/2) = n exactly when n is even.
    n even and n/2 odd: n = 2 (mod 4), n >= 2.
    """
    net = Net("mixed", 1)
    a = net.relu(net.conv(net.input, width, 3, stride=2, auto_pad="SAME_UPPER", name="down"))
    a2 = net.relu(net.conv(a, width, 3, auto_pad="SAME_UPPER", name="same"))
    b = net.pool(a2, 2, stride=2, padding=1, ceil_mode=True, name="pool")
    c = net.tconv(b, width, 2, stride=2, padding=1, output_padding=1, name="up1")
    j = net.concat(a2, c, name="cat1")
    d = net.tconv(j, width, 3, stride=2, padding=1, output_padding=1, name="up2")
    y = net.conv(net.concat(net.input, d, name="cat2"), 1, 1, name="head")
    return net.model(y), ModelInfo(
        "mixed", "x", ("H", "W"), 1, "n = 2 (mod 4), n >= 2", _every(lambda n: n % 4 == 2),
        sweep=tuple(range(1, 131)), example=(6, 6))


NETS = {"vgg": vgg, "resnet50": resnet50, "unet": unet, "mixed": mixed}
