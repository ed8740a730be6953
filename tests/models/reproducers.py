"""The smallest models on which another tool is wrong: docs/conventions.md, "Shape inference in other tools".

ONNX ones are 1-D with the length ``L`` (symbolic, or ``fixed`` when the finding is
at one size); each function's docstring is the finding. The torch ones are in
``TORCH_REPRODUCERS``: a module and an example input shape.
"""

from __future__ import annotations

from typing import Any

from models.build import Net

INT64_MAX = 2**63 - 1


def _net(name: str, fixed: int | None = None, opset: int = 17) -> Net:
    return Net(name, 1, axes=("L",), opset=opset, fixed=None if fixed is None else (fixed,))


# ---------------------------------------------------------------- onnx.shape_inference


def conv_k1() -> Any:
    """Conv k=1 on a symbolic L: onnx names the output length ``unk__0``, though it is L."""
    net = _net("conv_k1")
    return net.model(net.conv(net.input, 1, 1))


def conv_too_small() -> Any:
    """Conv k=3 at L = 1: onnx says -1 (no error); onnxruntime refuses; there is no window."""
    net = _net("conv_too_small", fixed=1)
    return net.model(net.conv(net.input, 1, 3))


def conv_truncated() -> Any:
    """Conv k=2 s=2 at L = 1: onnx says 1 (C++ division truncates (1 - 2)/2 to 0); onnxruntime refuses."""
    net = _net("conv_truncated", fixed=1)
    return net.model(net.conv(net.input, 1, 2, stride=2))


def ceil_pool(opset: int = 17, fixed: int | None = 3) -> Any:
    """MaxPool k=2 s=2 pads 1,1 ceil_mode: the last window starts in the right padding when L is odd
    and is dropped, so L = 3 gives 2. onnx says 3 up to opset 21 and 2 from opset 22;
    onnxruntime's symbolic inference says ceiling(L/2) + 1 (3) at every opset."""
    net = _net("ceil_pool", fixed=fixed, opset=opset)
    return net.model(net.pool(net.input, 2, padding=1, ceil_mode=True))


# ---------------------------------------------------------------- onnxruntime's SymbolicShapeInference


def tconv() -> Any:
    """ConvTranspose k=2 s=2 on a symbolic L: an opaque name (``ConvTranspose_0_o0__d2``), though it is 2L."""
    net = _net("tconv")
    return net.model(net.tconv(net.input, 1, 2, stride=2))


def same_conv() -> Any:
    """Conv k=2 s=2 SAME_UPPER: ``floor(L/2)``; SAME gives ceil(L/2) (2 at L = 3, as onnxruntime runs)."""
    net = _net("same_conv")
    return net.model(net.conv(net.input, 1, 2, stride=2, auto_pad="SAME_UPPER"))


def same_add_pool() -> Any:
    """Add(Conv k=3 s=2 SAME_UPPER, MaxPool k=2 s=2): says ``floor(L/2)`` for both, so the Add lines up at
    every L; onnxruntime refuses every odd L >= 5 (ceil(L/2) against floor(L/2); at 3 the 1 broadcasts)."""
    net = _net("same_add_pool")
    a = net.conv(net.input, 1, 3, stride=2, auto_pad="SAME_UPPER")
    return net.model(net.add(a, net.pool(net.input, 2)))


def same_add_conv() -> Any:
    """Add(Conv k=3 s=2 SAME_UPPER, Conv k=1 s=2): both are ceil(L/2) and onnxruntime runs every L. By default
    the inference stops ("Incomplete symbolic shape inference"); with auto_merge it merges both to the wrong
    ``floor(L/2)``."""
    net = _net("same_add_conv")
    a = net.conv(net.input, 1, 3, stride=2, auto_pad="SAME_UPPER")
    return net.model(net.add(a, net.conv(net.input, 1, 1, stride=2)))


def ceil_add() -> Any:
    """Add(MaxPool k=2 s=2 pads 1,1 ceil_mode, Conv k=1 s=2 pads 1,1): says ``ceiling(L/2) + 1`` for both,
    so it lines up at every L (with auto_merge); onnxruntime refuses odd L >= 3 (L // 2 + 1 against
    ceil(L/2) + 1)."""
    net = _net("ceil_add")
    a = net.pool(net.input, 2, padding=1, ceil_mode=True)
    return net.model(net.add(a, net.conv(net.input, 1, 1, stride=2, padding=1)))


def slice_from_end() -> Any:
    """Slice starts=-3 ends=INT64_MAX: says 3 for every L; the start clamps to 0, so L < 3 gives L."""
    net = _net("slice_from_end")
    return net.model(net.slice(net.input, [-3], [INT64_MAX], [2]))


def slice_backwards(fixed: int = 3) -> Any:
    """Slice starts=5 ends=1 steps=-1 at L = 3: says 2 even at this fixed size; the start clamps to
    L - 1 = 2, so the slice is [2] and has 1."""
    net = _net("slice_backwards", fixed=fixed)
    return net.model(net.slice(net.input, [5], [1], [2], [-1]))


def lppool() -> Any:
    """LpPool k=2 on a symbolic L: every dim opaque (``LpPool_0_o0__d0`` ...), the batch and channels too."""
    net = _net("lppool")
    return net.model(net.pool(net.input, 2, op="LpPool"))


def upsample(fixed: int = 3) -> Any:
    """Upsample x2 (opset 9) even at the fixed L = 3: every dim opaque (``Upsample_0_o0__d0`` ...); it is 6."""
    net = Net("upsample", 1, axes=("L",), opset=9, fixed=(fixed,))
    return net.model(net.upsample(net.input, 2))


# ---------------------------------------------------------------- onnxruntime's kernels


def pool_truncated(fixed: int | None = 1) -> Any:
    """MaxPool k=2 s=2 at L = 1: onnxruntime gives 1 (its division truncates); no window fits, PyTorch refuses."""
    net = _net("pool_truncated", fixed=fixed)
    return net.model(net.pool(net.input, 2))


def same_dilated() -> Any:
    """Conv k=3 d=2 SAME_UPPER: onnxruntime refuses at every L ("Dilation not supported for
    AutoPadType::SAME_UPPER or AutoPadType::SAME_LOWER"); the ONNX spec defines it and onnx sizes it."""
    net = _net("same_dilated")
    return net.model(net.conv(net.input, 1, 3, dilation=2, auto_pad="SAME_UPPER"))


def same_pool_negative() -> Any:
    """MaxPool k=1 s=2 SAME_UPPER at L = 2: onnxruntime refuses ("padding values must be non-negative");
    the padding (ceil(2/2) - 1)*2 + 1 - 2 = -1 is negative. Conv with the same attributes runs (1)."""
    net = _net("same_pool_negative", fixed=2)
    return net.model(net.pool(net.input, 1, stride=2, auto_pad="SAME_UPPER"))


def tconv_dilated_output_padding() -> Any:
    """ConvTranspose k=1 s=1 d=2 output_padding=1: onnxruntime refuses at every L ("Computed output shape is
    inconsistent with input spatial dimensions"); PyTorch allows output_padding < max(stride, dilation)."""
    net = _net("tconv_dilated_output_padding")
    return net.model(net.tconv(net.input, 1, 1, dilation=2, output_padding=1))


ONNX_REPRODUCERS = {
    name: build for name, build in globals().items()
    if callable(build) and getattr(build, "__module__", None) == __name__ and not name.startswith("_")
}


def torch_reproducers() -> dict[str, tuple[Any, tuple[int, ...]]]:
    """name -> (module, example input shape), for ``torch.export``."""
    import torch
    from torch import nn

    class AddPoolConv(nn.Module):
        """Add(MaxPool2d(2, ceil_mode=True), Conv2d(k=1, s=2)): ceil(n/2) on both sides at every n."""

        def __init__(self) -> None:
            super().__init__()
            self.pool = nn.MaxPool2d(2, ceil_mode=True)
            self.conv = nn.Conv2d(1, 1, 1, stride=2)

        def forward(self, x):
            return self.pool(x) + self.conv(x)

    class Skip(nn.Module):
        """One U-Net level: cat(x, ConvTranspose2d(k=2, s=2)(MaxPool2d(2)(x))): n even."""

        def __init__(self) -> None:
            super().__init__()
            self.pool = nn.MaxPool2d(2)
            self.up = nn.ConvTranspose2d(1, 1, 2, stride=2)

        def forward(self, x):
            return torch.cat([x, self.up(self.pool(x))], 1)

    return {
        "maxpool1d": (nn.MaxPool1d(2), (1, 1, 8)),
        "maxpool2d": (nn.MaxPool2d(2), (1, 1, 8, 8)),
        "conv1d": (nn.Conv1d(1, 1, 3), (1, 1, 8)),
        "ceil_pool": (nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True), (1, 1, 8, 8)),
        "add_pool_conv": (AddPoolConv(), (1, 1, 8, 8)),
        "skip": (Skip(), (1, 1, 32, 32)),
        "skip_odd": (Skip(), (1, 1, 33, 33)),
    }
