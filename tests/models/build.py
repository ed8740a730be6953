"""A small builder over ``onnx.helper``: layers by name, channels tracked, zero weights.

Every node's output tensor carries the node's name, so a runtime's message
("Concat 'cat2'") and a shape table read the same. Sizes are per axis: an int
means the same value on every spatial axis, a tuple gives one value per axis,
and explicit ``pads`` use ONNX's order (all begins, then all ends).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

import numpy as np
import pytest

# The suite collects this module for doctests; without onnx it is skipped, not an error.
onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

OPSET = 17
IR_VERSION = 8  # the oldest IR that opset 17 allows, so older runtimes load the files too

PerAxis = Union[int, Sequence[int]]


@dataclass(frozen=True)
class ModelInfo:
    """What a test model is, and which input sizes it accepts, worked out by hand.

    ``accepts`` is the true set: every windowed layer has at least one whole window
    (ceil mode: one window starting inside the input or the left padding) and every
    join lines up. ``ort_accepts``, when given, is what onnxruntime does instead
    (see the section "Shape inference in other tools" of docs/conventions.md).
    ``input`` is the graph input's name and ``axes`` its spatial dim_params; the tests
    run each axis over ``sweep`` with the others at ``example``, a size it accepts.
    """

    name: str
    input: str
    axes: tuple[str, ...]
    channels: int
    rule: str
    accepts: Callable[[tuple[int, ...]], bool]
    sweep: tuple[int, ...]
    example: tuple[int, ...]
    ort_rule: str = ""
    ort_accepts: Callable[[tuple[int, ...]], bool] | None = field(default=None)

    def runtime_accepts(self, size: tuple[int, ...]) -> bool:
        """The sizes onnxruntime runs: ``ort_accepts`` where given, else ``accepts``."""
        return (self.ort_accepts or self.accepts)(size)


class Net:
    """Append layers to one graph; each method returns the name of the tensor it made."""

    def __init__(self, name: str, channels: int, axes: Sequence[str] = ("H", "W"), *, opset: int = OPSET,
                 input: str = "x", fixed: Sequence[int] | None = None) -> None:
        self.name = name
        self.axes = tuple(axes)
        self.rank = len(self.axes)
        self.opset = opset
        self.input = input
        self.fixed = tuple(fixed) if fixed is not None else None
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.channels: dict[str, int] = {input: channels}
        self.ranks: dict[str, int] = {input: 2 + self.rank}
        self._counts: Counter[str] = Counter()

    # ---------------------------------------------------------------- plumbing

    def _fresh(self, stem: str, name: str | None) -> str:
        if name is not None:
            return name
        self._counts[stem] += 1
        return f"{stem}{self._counts[stem]}"

    def _per_axis(self, value: PerAxis) -> list[int]:
        return [int(value)] * self.rank if isinstance(value, int) else [int(v) for v in value]

    def _pads(self, padding: PerAxis) -> list[int]:
        values = self._per_axis(padding)
        return values * 2 if len(values) == self.rank else values

    def _constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def _node(self, op: str, inputs: Sequence[str], out: str, channels: int, rank: int | None = None,
              **attributes) -> str:
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=out, **attributes))
        self.channels[out] = channels
        self.ranks[out] = self.ranks[inputs[0]] if rank is None else rank
        return out

    # ---------------------------------------------------------------- windowed layers

    def conv(self, x: str, out_channels: int, kernel_size: PerAxis, stride: PerAxis = 1, padding: PerAxis = 0,
             dilation: PerAxis = 1, auto_pad: str | None = None, name: str | None = None) -> str:
        out = self._fresh("conv", name)
        kernel = self._per_axis(kernel_size)
        weight = self._constant(f"{out}.weight", np.zeros([out_channels, self.channels[x], *kernel], np.float32))
        attributes = dict(kernel_shape=kernel, strides=self._per_axis(stride), dilations=self._per_axis(dilation))
        if auto_pad is None:
            attributes["pads"] = self._pads(padding)
        else:
            attributes["auto_pad"] = auto_pad
        return self._node("Conv", [x, weight], out, out_channels, **attributes)

    def tconv(self, x: str, out_channels: int, kernel_size: PerAxis, stride: PerAxis = 1, padding: PerAxis = 0,
              output_padding: PerAxis = 0, dilation: PerAxis = 1, output_shape: PerAxis | None = None,
              auto_pad: str | None = None, name: str | None = None) -> str:
        out = self._fresh("tconv", name)
        kernel = self._per_axis(kernel_size)
        weight = self._constant(f"{out}.weight", np.zeros([self.channels[x], out_channels, *kernel], np.float32))
        attributes = dict(kernel_shape=kernel, strides=self._per_axis(stride), dilations=self._per_axis(dilation),
                          output_padding=self._per_axis(output_padding))
        if output_shape is not None:
            attributes["output_shape"] = self._per_axis(output_shape)
        if auto_pad is not None:
            attributes["auto_pad"] = auto_pad
        elif output_shape is None:
            attributes["pads"] = self._pads(padding)
        return self._node("ConvTranspose", [x, weight], out, out_channels, **attributes)

    def pool(self, x: str, kernel_size: PerAxis, stride: PerAxis | None = None, padding: PerAxis = 0,
             ceil_mode: bool = False, dilation: PerAxis | None = None, auto_pad: str | None = None,
             op: str = "MaxPool", name: str | None = None, **extra) -> str:
        out = self._fresh({"MaxPool": "pool", "AveragePool": "avgpool", "LpPool": "lppool"}[op], name)
        kernel = self._per_axis(kernel_size)
        attributes = dict(kernel_shape=kernel, strides=self._per_axis(kernel if stride is None else stride), **extra)
        if ceil_mode:
            attributes["ceil_mode"] = 1
        if dilation is not None:
            attributes["dilations"] = self._per_axis(dilation)
        if auto_pad is None:
            attributes["pads"] = self._pads(padding)
        else:
            attributes["auto_pad"] = auto_pad
        return self._node(op, [x], out, self.channels[x], **attributes)

    def global_pool(self, x: str, op: str = "GlobalAveragePool", name: str | None = None) -> str:
        return self._node(op, [x], self._fresh("gap", name), self.channels[x])

    # ---------------------------------------------------------------- joins and reshaping

    def concat(self, *xs: str, name: str | None = None) -> str:
        return self._node("Concat", xs, self._fresh("cat", name), sum(self.channels[x] for x in xs), axis=1)

    def binary(self, op: str, a: str, b: str, name: str | None = None) -> str:
        channels = max(self.channels[a], self.channels[b])
        return self._node(op, [a, b], self._fresh(op.lower(), name), channels)

    def add(self, a: str, b: str, name: str | None = None) -> str:
        return self.binary("Add", a, b, name)

    def unary(self, op: str, x: str, name: str | None = None) -> str:
        return self._node(op, [x], self._fresh(op.lower(), name), self.channels[x])

    def relu(self, x: str, name: str | None = None) -> str:
        return self.unary("Relu", x, name)

    def pad(self, x: str, pads: Sequence[int], name: str | None = None) -> str:
        """Constant padding of the spatial axes; ``pads`` in ONNX's order, negative values crop."""
        out = self._fresh("pad", name)
        begins, ends = list(pads[: self.rank]), list(pads[self.rank:])
        every = np.array([0, 0, *begins, 0, 0, *ends], np.int64)
        return self._node("Pad", [x, self._constant(f"{out}.pads", every)], out, self.channels[x], mode="constant")

    def resize(self, x: str, scales: PerAxis, mode: str = "nearest", name: str | None = None) -> str:
        out = self._fresh("resize", name)
        every = np.array([1, 1, *self._per_axis(scales)], np.float32)
        scale = self._constant(f"{out}.scales", every)
        return self._node("Resize", [x, "", scale], out, self.channels[x], mode=mode)

    def upsample(self, x: str, scales: PerAxis, name: str | None = None) -> str:
        """The deprecated ``Upsample`` (opset 9): build the net with ``opset=9``."""
        out = self._fresh("upsample", name)
        every = np.array([1, 1, *self._per_axis(scales)], np.float32)
        return self._node("Upsample", [x, self._constant(f"{out}.scales", every)], out, self.channels[x])

    def slice(self, x: str, starts: Sequence[int], ends: Sequence[int], axes: Sequence[int],
              steps: Sequence[int] | None = None, name: str | None = None) -> str:
        out = self._fresh("slice", name)
        inputs = [x] + [self._constant(f"{out}.{key}", np.array(values, np.int64))
                        for key, values in (("starts", starts), ("ends", ends), ("axes", axes))]
        if steps is not None:
            inputs.append(self._constant(f"{out}.steps", np.array(steps, np.int64)))
        return self._node("Slice", inputs, out, self.channels[x])

    def flatten(self, x: str, name: str | None = None) -> str:
        return self._node("Flatten", [x], self._fresh("flatten", name), -1, rank=2, axis=1)

    def reshape(self, x: str, shape: Sequence[int], name: str | None = None) -> str:
        out = self._fresh("reshape", name)
        return self._node("Reshape", [x, self._constant(f"{out}.shape", np.array(shape, np.int64))], out, -1,
                          rank=len(shape))

    def gemm(self, x: str, in_features: int, out_features: int, name: str | None = None) -> str:
        out = self._fresh("gemm", name)
        weight = self._constant(f"{out}.weight", np.zeros([out_features, in_features], np.float32))
        bias = self._constant(f"{out}.bias", np.zeros([out_features], np.float32))
        return self._node("Gemm", [x, weight, bias], out, out_features, rank=2, transB=1)

    # ---------------------------------------------------------------- the model

    def model(self, output: str) -> onnx.ModelProto:
        """The ModelProto: input [1, C, *axes] with the axes as dim_params (or ``fixed`` values)."""
        dims: list[int | str] = [1, self.channels[self.input], *(self.fixed or self.axes)]
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info(self.input, TensorProto.FLOAT, dims)],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, [None] * self.ranks[output])],
            self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  producer_name="symconv-tests")
        model.ir_version = IR_VERSION if self.opset < 21 else 10
        onnx.checker.check_model(model)
        return model
