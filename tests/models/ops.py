"""One small ONNX model per size-relevant op, each with the sizes it accepts worked out by hand.

Every model ends in a windowed layer or a join, so a tensor emptied by a crop is
refused there (onnxruntime lets an empty tensor through Pad, Slice and Relu, and
refuses it at the next Conv or pool).
"""

from __future__ import annotations

from typing import Any

from models.build import ModelInfo, Net

Built = tuple[Any, ModelInfo]  # (onnx.ModelProto, ModelInfo)
INT64_MAX = 2**63 - 1
SWEEP = tuple(range(1, 131))


def _info(name: str, rule: str, accepts, example, axes=("H", "W"), channels=1, sweep=SWEEP, **more) -> ModelInfo:
    return ModelInfo(name, "x", tuple(axes), channels, rule, accepts, tuple(sweep), tuple(example), **more)


def pad() -> Built:
    """Pad with constant pads, negative ones crop: conv k=3 (n - 2), then pads H: +1 -2, W: -1 -1.

    H: n - 2 + 1 - 2 = n - 3, W: n - 2 - 1 - 1 = n - 4; the conv k=3 p=1 after needs >= 1.
    """
    net = Net("pad", 1)
    x = net.conv(net.input, 2, 3)
    x = net.pad(x, [1, -1, -2, -1])
    y = net.conv(x, 2, 3, padding=1)
    return net.model(y), _info("pad", "H >= 4, W >= 5", lambda s: s[0] >= 4 and s[1] >= 5, (5, 5))


def resize() -> Built:
    """Resize nearest x2 after a 2x2 pool, added to the input (2(n // 2) = n: n even); then linear x3.

    At n = 1 the pool has no window; onnxruntime's pool gives 1 there (see ModelInfo.ort_rule).
    """
    net = Net("resize", 1, opset=13)
    up = net.resize(net.pool(net.input, 2), 2)
    y = net.resize(net.add(net.input, up), 3, mode="linear")
    y = net.conv(y, 1, 1, name="head")
    return net.model(y), _info(
        "resize", "n even", lambda s: all(n % 2 == 0 for n in s), (2, 2),
        ort_rule="n even, or n = 1: the pool's truncation gives 1, Resize 2, and Add broadcasts the input's 1",
        ort_accepts=lambda s: all(n % 2 == 0 or n == 1 for n in s))


def upsample() -> Built:
    """The deprecated Upsample x2 (opset 9) beside ConvTranspose k=2 s=2: both 2n, every n >= 1."""
    net = Net("upsample", 1, opset=9)
    y = net.add(net.upsample(net.input, 2), net.tconv(net.input, 1, 2, stride=2))
    y = net.conv(y, 1, 1, name="head")
    return net.model(y), _info("upsample", "every size >= 1", lambda s: True, (1, 1))


def slice_() -> Built:
    """Slice H 1:-1 and W 0::2, beside a MaxPool with kernel (3, 1) and strides (1, 2): both (n - 2, ceil(m/2)).

    The max pool needs n >= 3; the Slice then leaves n - 2 >= 1.
    """
    net = Net("slice", 1)
    a = net.slice(net.input, [1, 0], [-1, INT64_MAX], [2, 3], [1, 2])
    b = net.pool(net.input, (3, 1), stride=(1, 2))
    y = net.conv(net.concat(a, b), 1, 1, name="head")
    return net.model(y), _info("slice", "H >= 3, W >= 1", lambda s: s[0] >= 3, (3, 1))


def gap_head() -> Built:
    """conv k=3 s=2 p=1, squeeze-excitation (Mul by Sigmoid(GAP), broadcast), GAP, Reshape [1, -1], Gemm.

    The conv fits every n >= 1 and the rest doesn't depend on the size.
    """
    net = Net("gap_head", 3)
    x = net.relu(net.conv(net.input, 4, 3, stride=2, padding=1))
    x = net.binary("Mul", x, net.unary("Sigmoid", net.global_pool(x)))
    x = net.reshape(net.global_pool(x), [1, -1])
    y = net.gemm(x, 4, 10)
    return net.model(y), _info("gap_head", "every size >= 1", lambda s: True, (1, 1), channels=3)


def flatten_gemm() -> Built:
    """conv k=3 s=2 p=1 (2 channels), Flatten, Gemm with 2 * 4 * 4 inputs: ceil(n/2) = 4, so n in {7, 8}."""
    net = Net("flatten_gemm", 1)
    y = net.gemm(net.flatten(net.conv(net.input, 2, 3, stride=2, padding=1)), 2 * 4 * 4, 3)
    return net.model(y), _info("flatten_gemm", "H, W in {7, 8}", lambda s: all(n in (7, 8) for n in s), (7, 8),
                               sweep=tuple(range(1, 41)))


def same_lower() -> Built:
    """Conv k=4 s=3 SAME_LOWER (ceil(n/3)) plus AveragePool k=3 s=3 ceil_mode (ceil(n/3) too): every n >= 1."""
    net = Net("same_lower", 1)
    a = net.conv(net.input, 1, 4, stride=3, auto_pad="SAME_LOWER")
    b = net.pool(net.input, 3, ceil_mode=True, op="AveragePool")
    y = net.conv(net.add(a, b), 1, 1, name="head")
    return net.model(y), _info("same_lower", "every size >= 1", lambda s: True, (1, 1))


def dilated() -> Built:
    """Dilations: conv k=3 d=2 (n - 4), MaxPool k=2 d=2 s=1 (n - 6), conv k=3 d=3 p=3 (same), LpPool k=2 s=1 (n - 7)."""
    net = Net("dilated", 1)
    x = net.conv(net.input, 2, 3, dilation=2)
    x = net.pool(x, 2, stride=1, dilation=2)
    x = net.conv(x, 2, 3, dilation=3, padding=3)
    y = net.pool(x, 2, stride=1, op="LpPool")
    return net.model(y), _info("dilated", "every size >= 8", lambda s: all(n >= 8 for n in s), (8, 8))


def conv1d() -> Built:
    """1-D: Conv k=5 s=2 p=2 (ceil(L/2)), ConvTranspose k=4 s=2 p=1 (2 ceil(L/2)), added to the input.

    Equal when L is even; at L = 1 the Add broadcasts the input's 1 against 2.
    """
    net = Net("conv1d", 1, axes=("L",))
    a = net.conv(net.input, 2, 5, stride=2, padding=2)
    y = net.add(net.input, net.tconv(a, 1, 4, stride=2, padding=1))
    y = net.conv(y, 1, 1, name="head")
    return net.model(y), _info("conv1d", "L even, or L = 1", lambda s: s[0] % 2 == 0 or s[0] == 1, (2,),
                               axes=("L",))


def conv3d() -> Built:
    """3-D: conv k=3 p=1, MaxPool k=2, ConvTranspose k=2 s=2, Concat with the conv: D, H, W each even."""
    net = Net("conv3d", 1, axes=("D", "H", "W"))
    a = net.conv(net.input, 2, 3, padding=1)
    c = net.tconv(net.pool(a, 2), 2, 2, stride=2)
    y = net.conv(net.concat(a, c), 1, 1, name="head")
    return net.model(y), _info("conv3d", "D, H, W even", lambda s: all(n % 2 == 0 for n in s), (2, 2, 2),
                               axes=("D", "H", "W"), sweep=tuple(range(1, 21)))


def tconv_output_shape() -> Built:
    """ConvTranspose k=3 s=2 with output_shape (10, 12): the full output 2(n - 1) + 3 is cropped to it.

    onnxruntime pads as well as crops, by less than the stride: it accepts
    2(n - 1) + 3 + 1 >= 10 (n >= 4) on H and >= 12 (n >= 5) on W, and any crop.
    """
    net = Net("tconv_output_shape", 1)
    y = net.conv(net.tconv(net.input, 1, 3, stride=2, output_shape=(10, 12)), 1, 1, name="head")
    return net.model(y), _info("tconv_output_shape", "H >= 4, W >= 5", lambda s: s[0] >= 4 and s[1] >= 5, (4, 5),
                               sweep=tuple(range(1, 41)))


def ceil_pool() -> Built:
    """MaxPool k=2 s=2 pads 1,1 ceil_mode (n // 2 + 1, the last window dropped when n is odd)
    plus Conv k=1 s=2 pads 1,1 (ceil(n/2) + 1): equal when n is even; at n = 1 (1 and 2) the Add broadcasts."""
    net = Net("ceil_pool", 1)
    a = net.pool(net.input, 2, padding=1, ceil_mode=True)
    b = net.conv(net.input, 1, 1, stride=2, padding=1)
    y = net.conv(net.add(a, b), 1, 1, name="head")
    return net.model(y), _info("ceil_pool", "n even, or n = 1", lambda s: all(n % 2 == 0 or n == 1 for n in s),
                               (2, 2))


OPS = {
    "pad": pad, "resize": resize, "upsample": upsample, "slice": slice_, "gap_head": gap_head,
    "flatten_gemm": flatten_gemm, "same_lower": same_lower, "dilated": dilated, "conv1d": conv1d,
    "conv3d": conv3d, "tconv_output_shape": tconv_output_shape, "ceil_pool": ceil_pool,
}
