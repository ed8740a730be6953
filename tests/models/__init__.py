"""Test models for issue 11, built in code (nothing is downloaded).

- ``build``: a small builder over ``onnx.helper`` and the ``ModelInfo`` every builder returns;
- ``nets``: VGG, ResNet-50, a 4-level U-Net and a mixed SAME / ceil-mode / output_padding net, in ONNX;
- ``ops``: one small ONNX model per size-relevant op (Pad, Resize, Slice, heads, SAME_LOWER, ...);
- ``torch_nets``: the U-Net, ResNet-50 and the mixed net as ``nn.Module``, and their ONNX exports;
- ``reproducers``: the smallest models on which another tool is wrong (docs/conventions.md).

Each builder returns ``(model, ModelInfo)``. The modules import onnx or torch and
skip (under pytest) when it is missing.
"""
