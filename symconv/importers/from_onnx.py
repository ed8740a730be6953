"""ONNX models in, :class:`~symconv.graphs.graph.Graph` out: every size-relevant attribute of the standard ops.

:func:`from_onnx` reads a ``.onnx`` file or an ``onnx.ModelProto`` and gives the
graph of its spatial tensors, one node per ONNX node that touches them (the
helper nodes a few ops need are named after them). The spatial axes of each
input (every axis after batch and channels, ONNX's NCHW layout) are symbols,
named by the input's ``dim_param`` or else ``H``, ``W`` (``D, H, W`` in 3-D,
``L`` in 1-D), even where the file fixes them. Values that only decide sizes
(initializers, ``Constant`` nodes, ``Shape`` of batch and channels and the
``Gather``/``Concat``/``Cast`` chains an exporter builds from them) are folded;
anything that needs a spatial size it cannot fold, and any op or attribute it
cannot size, is one line naming the node, the op and the attribute or input.
It never guesses.

Each node keeps the ONNX node's name as its ``label`` and its op type as its
``op_type``, so that messages read ``Concat '/up3/Concat': 88 vs 89 along H``;
its name is a readable identifier made from the ONNX name
(``/layer1/layer1.0/conv1/Conv`` is ``layer1_0_conv1``). :func:`import_onnx`
also gives which node each ONNX tensor is.

Where onnxruntime departs from the windows (docs/conventions.md, "Shape inference
in other tools": truncating pools, empty tensors, SAME with a dilation), symconv
follows the strict semantics that PyTorch and the ONNX specification share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import prod
from pathlib import Path, PurePath
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from symconv.core.errors import ParameterError, SymconvError
from symconv.graphs.graph import AXIS_NAMES, Graph, GraphBuilder
from symconv.graphs.ops import (
    MAX_AXES, RESERVED_AXES, Concat, Dense, Elementwise, Fixed, Flatten, Identity, Input, LayerOp, Op, Pad, Slice,
)
from symconv.layers.layer import Layer
from symconv.graphs.sizes import input_values

MAX_FILE_SIZE = 1 << 30  #: bytes of an .onnx file read (weights included; external data is not read)
MAX_CONSTANT = 1 << 16  #: elements of a folded constant that a size computation may build
_INT64_MAX = 2**63 - 1
_BOUND = 10**6  #: slice bounds beyond this are open ends (symconv's integers stay below it)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}\Z")

#: ONNX ops that keep their first input's shape, and their words in symconv's text form.
SHAPE_PRESERVING = {
    "Relu": "relu", "LeakyRelu": "leaky_relu", "PRelu": "prelu", "Elu": "elu", "Selu": "selu", "Celu": "celu",
    "Gelu": "gelu", "Sigmoid": "sigmoid", "HardSigmoid": "hardsigmoid", "HardSwish": "hardswish", "Tanh": "tanh",
    "Softmax": "softmax", "LogSoftmax": "log_softmax", "Clip": "clip", "Abs": "abs", "Neg": "neg", "Exp": "exp",
    "Log": "log", "Sqrt": "sqrt", "BatchNormalization": "bn", "InstanceNormalization": "instancenorm",
    "LayerNormalization": "layernorm", "GroupNormalization": "groupnorm", "LpNormalization": "norm",
    "MeanVarianceNormalization": "norm", "LRN": "lrn", "Dropout": "dropout", "Identity": "identity",
    "Mish": "mish", "Softplus": "act", "Softsign": "act", "ThresholdedRelu": "act", "Shrink": "act",
    "Reciprocal": "act", "Erf": "act", "Floor": "act", "Ceil": "act", "Round": "act", "Sign": "act",
    "Sin": "act", "Cos": "act", "Not": "act", "IsNaN": "act", "IsInf": "act", "Cast": "identity",
    "CastLike": "identity", "QuantizeLinear": "identity", "DequantizeLinear": "identity", "Hardmax": "act",
}
#: ONNX ops whose inputs broadcast, and their words.
BROADCASTING = {
    "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow", "Max": "max", "Min": "min",
    "Mean": "mean", "Sum": "add", "Where": "where", "Mod": "div", "And": "mul", "Or": "add", "Xor": "add",
    "Equal": "sub", "Greater": "sub", "Less": "sub", "GreaterOrEqual": "sub", "LessOrEqual": "sub",
    "BitShift": "mul",
}
POOLS = ("MaxPool", "AveragePool", "LpPool")
GLOBAL_POOLS = ("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
REDUCTIONS = ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")


@dataclass(frozen=True)
class OnnxImport:
    """An imported model: its ``graph``, and ``tensors``: the graph node that each ONNX tensor of spatial or
    flat data is (by the tensor's name)."""

    graph: Graph
    tensors: Mapping[str, str]


def from_onnx(model: Any, input_size: Any = None) -> Graph:
    """The graph of an ONNX model: ``model`` is a path (``str`` or ``Path``) or an ``onnx.ModelProto``.

    With ``input_size`` (an int, one per axis, or ``{axis: size}``) the inputs'
    spatial axes are fixed at those sizes, so that every size is a number and
    sizes computed from the input's shape fold too.

    >>> import pytest; onnx = pytest.importorskip("onnx")
    >>> from onnx import TensorProto, helper
    >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "H", "W"])
    >>> y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    >>> pool = helper.make_node("MaxPool", ["x"], ["y"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2])
    >>> model = helper.make_model(helper.make_graph([pool], "g", [x], [y]))
    >>> print(from_onnx(model))
    x = input [H, W]; pool = pool k=2 (x)
    >>> from symconv.graphs.sizes import run_graph
    >>> run_graph(from_onnx(model), (1, 4)).failure.message
    "MaxPool '/pool/MaxPool' along H: no kernel position fits: i + p_l + p_r = 1 < d(k - 1) + 1 = 2"
    """
    return import_onnx(model, input_size).graph


def import_onnx(model: Any, input_size: Any = None) -> OnnxImport:
    """:func:`from_onnx`, with the graph node of every ONNX tensor it maps."""
    try:
        import onnx  # noqa: F401
    except ModuleNotFoundError:
        raise ParameterError("model", "onnx", "importing onnx models needs the onnx package:"
                             " pip install 'symconv[onnx]'") from None
    proto = _load(model)
    return _Importer(proto, input_size).run()


# ---------------------------------------------------------------- reading the model


def _load(model: Any) -> Any:
    import onnx
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

    if isinstance(model, onnx.ModelProto):
        proto = model
        shown = "ModelProto"
    elif isinstance(model, (str, PurePath)):
        shown = str(model)
        path = Path(model)
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise ParameterError("model", shown, "not a file: give an .onnx file")
        except OSError as error:
            raise ParameterError("model", shown, f"cannot read it ({error.strerror or type(error).__name__})") from None
        if size > MAX_FILE_SIZE:
            raise ParameterError("model", shown, f"the file has {size} bytes; symconv reads at most {MAX_FILE_SIZE}")
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_SIZE + 1)
        proto = onnx.ModelProto()
        try:
            proto.ParseFromString(data)
        except (DecodeError, ValueError, RuntimeError):
            raise ParameterError("model", shown, "not an ONNX model: the file does not parse as one"
                                 " (corrupt, truncated, or another format)") from None
    else:
        raise ParameterError("model", type(model).__name__, "give an .onnx file's path or an onnx.ModelProto")
    if not proto.HasField("graph") or (not proto.graph.node and not proto.graph.input):
        raise ParameterError("model", shown, "not an ONNX model: it has no graph (corrupt, or another format)")
    return proto


def _attributes(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _identifier(label: str, op_type: str, parents: Any = frozenset()) -> str:
    """A readable identifier from an ONNX node's name: ``/layer1/layer1.0/conv1/Conv`` is ``layer1_0_conv1``.

    The op type is dropped where the node is in a module of its own (a scope that ``parents``, the scopes
    holding other scopes, does not hold), and kept for an op of a larger module (``layer1_0_add``).

    >>> _identifier("/layer1/layer1.0/conv1/Conv", "Conv"), _identifier("/Concat_3", "Concat")
    ('layer1_0_conv1', 'concat_3')
    >>> _identifier("/layer1/layer1.0/Add", "Add", {("layer1",), ("layer1", "layer1.0")})
    'layer1_0_add'
    """
    parts = [part for part in label.split("/") if part]
    if parts and re.fullmatch(re.escape(op_type) + r"(_\d+)?", parts[-1]):
        if len(parts) == 1 or tuple(parts[:-1]) in parents:
            parts[-1] = parts[-1].lower()
        else:
            parts.pop()
    qualified = ""
    for part in parts:  # the exporter scopes a node by every module it is in: keep the innermost path
        qualified = part if not qualified or part.startswith(qualified + ".") else f"{qualified}.{part}"
    name = re.sub(r"[^A-Za-z0-9]+", "_", qualified).strip("_") or op_type.lower()
    if not re.match(r"[A-Za-z_]", name):
        name = f"{op_type.lower()}_{name}"
    if name != name.lower() and name == op_type:
        name = name.lower()
    return name[:56].rstrip("_") if len(name) > 56 else name


class _Partial:
    """A 1-D integer vector known in part (a ``Shape`` with spatial sizes in it): None marks what is not known."""

    def __init__(self, values: Sequence[Optional[int]], why: str) -> None:
        self.values = list(values)
        self.why = why


class _Importer:
    def __init__(self, model: Any, input_size: Any) -> None:
        from onnx import numpy_helper

        self.model = model
        self.graph = model.graph
        self.opset = next((entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")), 1)
        self.g = GraphBuilder()
        self.names: set[str] = set()
        self.node_of: dict[str, str] = {}  # ONNX tensor -> graph node
        self.rank: dict[str, int] = {}  # spatial tensors: their ONNX rank
        self.channels: dict[str, Optional[int]] = {}
        self.batch: dict[str, Optional[int]] = {}
        self.flat: set[str] = set()  # tensors after a flatten
        self.constants: dict[str, Any] = {}
        self.partial: dict[str, _Partial] = {}
        self.opaque: dict[str, str] = {}  # tensor -> why its value is not known
        self.depends: dict[str, str] = {}  # tensor -> the spatial size its value depends on
        self.fixed: dict[str, int] = {}
        self.parents = {tuple(parts[:n]) for parts in ([p for p in node.name.split("/") if p][:-1]
                                                       for node in self.graph.node) for n in range(1, len(parts))}
        for tensor in self.graph.initializer:
            self.constants[tensor.name] = None if tensor.data_location == 1 else _Lazy(numpy_helper, tensor)
        self._inputs(input_size)

    # ------------------------------------------------------------ names and inputs

    def fresh(self, wanted: str) -> str:
        name = wanted if wanted not in ("input", "output") else wanted + "_"
        number = 1
        while name in self.names:
            number += 1
            name = f"{wanted}_{number}"
        self.names.add(name)
        return name

    def _inputs(self, input_size: Any) -> None:
        spatial = []
        for value in self.graph.input:
            if value.name in self.constants:
                continue
            dims = _dims(value)
            if dims is not None and 3 <= len(dims) <= 2 + MAX_AXES:
                spatial.append((value, dims))
            else:
                self.opaque[value.name] = f"the graph input {value.name!r} has no spatial axes"
        if not spatial:
            ranks = ", ".join(f"{v.name}: rank {len(_dims(v) or ())}" for v in self.graph.input
                              if v.name not in self.constants) or "none"
            raise ParameterError("model", self.graph.name or "graph", "it has no input with spatial axes"
                                 f" (N, C and 1 to {MAX_AXES} spatial axes): its inputs are {ranks}")
        taken: set[str] = set()
        shapes = []
        for number, (_, dims) in enumerate(spatial):
            axes = len(dims) - 2
            defaults = AXIS_NAMES.get(axes, tuple(f"A{n}" for n in range(axes)))
            if number:
                defaults = tuple(f"{name}{number + 1}" for name in defaults)
            shape = []
            for n, dim in enumerate(dims[2:]):
                name = dim if isinstance(dim, str) and _IDENTIFIER.match(dim) and dim not in RESERVED_AXES \
                    and not dim[0].isdigit() else defaults[n]
                while name not in (dim,) and name in taken and name in defaults:
                    name += "_"
                shape.append(name)
            taken.update(shape)
            shapes.append(shape)
        if input_size is not None:
            axes_graph = Graph(tuple(
                _input_node(f"x{n}", shape) for n, shape in enumerate(shapes)))
            self.fixed = input_values(axes_graph, input_size)
        for (value, dims), shape in zip(spatial, shapes):
            name = self.fresh(_identifier(value.name, "input") if value.name else "x")
            self.g.node(name, Input(tuple(self.fixed.get(axis, axis) for axis in shape)), (), value.name, "Input")
            self.node_of[value.name] = name
            self.rank[value.name] = len(dims)
            self.batch[value.name] = dims[0] if isinstance(dims[0], int) and dims[0] > 0 else None
            self.channels[value.name] = dims[1] if isinstance(dims[1], int) and dims[1] > 0 else None

    # ------------------------------------------------------------ values

    def fail(self, node: Any, what: str, value: Any, rule: str) -> ParameterError:
        return ParameterError(f"node {node.name or node.output[0]!r} ({node.op_type}) {what}", value, rule)

    def constant(self, node: Any, index: int, what: str, optional: bool = False) -> Any:
        """The folded value of the node's input ``index`` (a numpy array), or a one-line error."""
        names = list(node.input)
        if index >= len(names) or not names[index]:
            if optional:
                return None
            raise self.fail(node, what, "missing", "symconv needs this input to size the op")
        name = names[index]
        if name in self.constants:
            value = self.constants[name]
            if value is None:
                raise self.fail(node, what, name, "its value is stored outside the file (external data),"
                                " which symconv does not read")
            if isinstance(value, _Lazy):
                value = self.constants[name] = value.load()
            return value
        if name in self.partial:
            known = self.partial[name]
            if None not in known.values:
                import numpy as np

                return np.array(known.values, np.int64)
            raise self.fail(node, what, name, f"it depends on {known.why}, which symconv keeps symbolic:"
                            " it cannot fold it (export with constant sizes, or give input_size)")
        if name in self.depends:
            raise self.fail(node, what, name, f"it depends on {self.depends[name]}, which symconv keeps symbolic:"
                            " it cannot fold it (export with constant sizes, or give input_size)")
        why = self.opaque.get(name) or ("a tensor of spatial data" if name in self.node_of else "no constant")
        raise self.fail(node, what, name, f"symconv sizes this op only from a constant, and this is {why}")

    def ints(self, node: Any, index: int, what: str, optional: bool = False) -> Optional[list[int]]:
        value = self.constant(node, index, what, optional)
        return None if value is None else [int(v) for v in value.reshape(-1)]

    def weight_dims(self, node: Any, index: int) -> Optional[tuple[int, ...]]:
        name = node.input[index] if index < len(node.input) else ""
        if name in self.constants:
            tensor = next((t for t in self.graph.initializer if t.name == name), None)
            if tensor is not None:
                return tuple(int(d) for d in tensor.dims)
            return tuple(self.constant(node, index, "weight").shape)
        for value in [*self.graph.input, *self.graph.value_info]:
            if value.name == name:
                dims = _dims(value)
                if dims is not None and all(isinstance(d, int) and d > 0 for d in dims):
                    return tuple(dims)  # type: ignore[arg-type]
        return None

    # ------------------------------------------------------------ the nodes

    def run(self) -> OnnxImport:
        for node in self.graph.node:
            if node.domain not in ("", "ai.onnx"):
                if any(name in self.node_of for name in node.input):
                    raise self.fail(node, "domain", node.domain, "symconv sizes the standard (ai.onnx) ops only")
                self._opaque(node, f"the output of {node.op_type} of domain {node.domain}")
                continue
            reads = [name for name in node.input if name in self.node_of]
            if not reads or node.op_type in ("Shape", "Size"):
                self._fold(node)
                continue
            handler = self.HANDLERS.get(node.op_type)
            if node.op_type in SHAPE_PRESERVING:
                handler = _Importer._same
            elif node.op_type in BROADCASTING:
                handler = _Importer._broadcast
            if handler is None:
                raise self.fail(node, "op_type", node.op_type, "symconv cannot size this op on spatial data"
                                " (docs/graphs.md lists the ops it sizes)")
            try:
                handler(self, node, _attributes(node))
            except ParameterError as error:
                if error.name.startswith("node "):
                    raise
                raise self.fail(node, error.name, error.value, error.rule) from None
        outputs = [self.node_of[value.name] for value in self.graph.output if value.name in self.node_of]
        if outputs:
            self.g.output(*dict.fromkeys(outputs))
        return OnnxImport(self.g.build(), dict(self.node_of))

    def add(self, node: Any, op: Op, inputs: Sequence[str], output: Optional[int] = 0, name: str = "",
            label: Optional[str] = None, op_type: Optional[str] = None) -> str:
        """Add a graph node for ONNX ``node``: ``op`` on ``inputs``; map its output ``output``."""
        label = label or node.name or node.output[0]
        made = self.fresh(name or _identifier(label, node.op_type, self.parents))
        self.g.node(made, op, inputs, label, op_type or node.op_type)
        if output is not None and output < len(node.output) and node.output[output]:
            self.node_of[node.output[output]] = made
        return made

    def same_as(self, node: Any, source: str, channels: Any = "same", flat: Optional[bool] = None) -> None:
        for out in node.output:
            if out:
                self.rank[out] = self.rank.get(source, 2)
                self.batch[out] = self.batch.get(source)
                self.channels[out] = self.channels.get(source) if channels == "same" else channels
                if flat if flat is not None else source in self.flat:
                    self.flat.add(out)

    def _x(self, node: Any) -> tuple[str, str, int]:
        source = node.input[0]
        if source not in self.node_of:
            raise self.fail(node, "input", source, "symconv sizes this op only with spatial data as its first input")
        return source, self.node_of[source], self.rank.get(source, 2) - 2

    def _spatial(self, node: Any) -> tuple[str, str, int]:
        source, x, axes = self._x(node)
        if source in self.flat:
            raise self.fail(node, "input", source, "this op works along spatial axes, but its input is flat"
                            " (after a flatten)")
        return source, x, axes

    def _same(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._x(node)
        for index, name in enumerate(node.input[1:], 1):
            if name in self.node_of and node.op_type != "CastLike":
                raise self.fail(node, f"input {index}", name, "symconv sizes this op with one data input")
            if node.op_type in ("PRelu", "LayerNormalization") and name and source not in self.flat:
                self._constant_join(node, x, name, axes, index)
        self.add(node, Identity(SHAPE_PRESERVING[node.op_type]), [x])
        for index, out in enumerate(node.output[1:], 1):  # Dropout's mask, the statistics of a training BN
            if out:
                self.opaque[out] = f"output {index} of {node.op_type}"
        self.same_as(node, source)
        if node.op_type in ("BatchNormalization", "Dropout") and len(node.output) > 1 and node.output[1]:
            if node.op_type == "Dropout":
                self.node_of[node.output[1]] = self.node_of[node.output[0]]
                self.opaque.pop(node.output[1], None)

    def _constant_join(self, node: Any, x: str, name: str, axes: int, index: int) -> None:
        """A constant parameter with spatial sizes other than 1: the data's sizes must broadcast with it."""
        table = self._table(node, x, name, axes, index)
        if table:
            self.add(node, Elementwise("mul"), [x, table], None, f"{table}_check")

    def _table(self, node: Any, x: str, name: str, axes: int, index: int) -> str:
        """A constant operand with spatial sizes other than 1 (a positional table), as a node of that fixed
        size; "" where it has none (a bias, a scalar)."""
        try:
            dims = tuple(self.constant(node, index, f"input {index}").shape)
        except ParameterError:
            return ""
        spatial = dims[-axes:] if len(dims) >= axes else dims
        if len(dims) > axes + 2 or not any(d != 1 for d in spatial):
            return ""
        if 0 in spatial:
            raise self.fail(node, f"input {index}", name, "an empty constant is not sized")
        stem = _identifier(node.name or node.output[0], node.op_type, self.parents)
        sizes = (1,) * (axes - len(spatial)) + tuple(int(d) for d in spatial)
        return self.add(node, Fixed("resize", sizes), [x], None, f"{stem}_table", name, "Constant")

    def _broadcast(self, node: Any, attributes: dict) -> None:
        data = [name for name in node.input if name in self.node_of]
        ranks = {self.rank.get(name, 2) for name in data}
        flat = {name in self.flat for name in data}
        if len(ranks) > 1 or len(flat) > 1:
            raise self.fail(node, "inputs", tuple(data), "symconv joins tensors of equal rank only")
        rank = ranks.pop()
        first = data[0]
        inputs = [self.node_of[name] for name in data]
        for index, name in enumerate(node.input):
            if name and name not in self.node_of and rank > 2 and first not in self.flat:
                table = self._table(node, self.node_of[first], name, rank - 2, index)
                inputs += [table] if table else []
        if len(inputs) == 1:
            self.add(node, Identity(), inputs)
        else:
            self.add(node, Elementwise(BROADCASTING[node.op_type]), inputs)
        known = [self.channels.get(name) for name in data]
        self.same_as(node, first, None if None in known else max(known))  # type: ignore[type-var]

    # windowed layers

    def _window(self, node: Any, attributes: dict, axes: int, kernel: Sequence[int], pool: bool) -> dict:
        def per_axis(key: str, default: int) -> tuple[int, ...]:
            values = attributes.get(key)
            if values is None:
                return (default,) * axes
            values = tuple(int(v) for v in values)
            if len(values) != axes:
                raise ParameterError(key, values, f"one value per spatial axis ({axes})")
            return values

        strides, dilations = per_axis("strides", 1), per_axis("dilations", 1)
        auto_pad = _text(attributes.get("auto_pad", "NOTSET")) or "NOTSET"
        pads = attributes.get("pads")
        if pads is not None and len(pads) != 2 * axes:
            raise ParameterError("pads", tuple(pads), f"pads are all the begins, then all the ends ({2 * axes})")
        padding: Any
        if auto_pad == "NOTSET":
            pads = [int(v) for v in pads] if pads is not None else [0] * 2 * axes
            padding = tuple((pads[n], pads[n + axes]) for n in range(axes))
        elif auto_pad == "VALID":
            padding = "valid"
        elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            padding = "tf-same" if auto_pad == "SAME_UPPER" else "onnx-same-lower"
        else:
            raise ParameterError("auto_pad", auto_pad, "auto_pad is NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        return dict(kernel_size=tuple(int(k) for k in kernel), stride=strides, padding=padding, dilation=dilations)

    def _conv(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._spatial(node)
        dims = self.weight_dims(node, 1)
        kernel = attributes.get("kernel_shape") or (dims[2:] if dims is not None else None)
        if kernel is None or len(kernel) != axes:
            raise self.fail(node, "kernel_shape", kernel, f"symconv needs the kernel shape ({axes} values), from"
                            " kernel_shape or a constant weight")
        window = self._window(node, attributes, axes, kernel, pool=False)
        self.add(node, _layer("conv", **window), [x])
        self.same_as(node, source, dims[0] if dims is not None else None)

    def _pool(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._spatial(node)
        kernel = attributes.get("kernel_shape")
        if kernel is None or len(kernel) != axes:
            raise ParameterError("kernel_shape", kernel, f"a pool has one kernel size per spatial axis ({axes})")
        window = self._window(node, attributes, axes, kernel, pool=True)
        ceil_mode = bool(attributes.get("ceil_mode", 0))
        if isinstance(window["padding"], str) and window["padding"] != "valid":
            ceil_mode = False  # SAME gives ceil(i/s) in either mode
        kind = "pool"
        if not ceil_mode and not isinstance(window["padding"], str) and any(
                max(pair) > k // 2 for pair, k in zip(window["padding"], window["kernel_size"])):
            kind = "conv"  # ONNX allows padding beyond half the kernel, PyTorch's pools don't; in floor mode the
            # windows are a convolution's
        self.add(node, _layer(kind, ceil_mode=ceil_mode, **window) if ceil_mode else _layer(kind, **window), [x])
        if len(node.output) > 1 and node.output[1]:  # MaxPool's indices
            self.node_of[node.output[1]] = self.node_of[node.output[0]]
        self.same_as(node, source)

    def _conv_transpose(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._spatial(node)
        dims = self.weight_dims(node, 1)
        kernel = attributes.get("kernel_shape") or (dims[2:] if dims is not None else None)
        if kernel is None or len(kernel) != axes:
            raise self.fail(node, "kernel_shape", kernel, f"symconv needs the kernel shape ({axes} values), from"
                            " kernel_shape or a constant weight")
        kernel = tuple(int(k) for k in kernel)
        group = int(attributes.get("group", 1))
        channels = dims[1] * group if dims is not None else None
        window = self._window(node, dict(attributes, auto_pad="NOTSET"), axes, kernel, pool=False)
        output_padding = tuple(int(v) for v in attributes.get("output_padding", (0,) * axes))
        if len(output_padding) != axes:
            raise ParameterError("output_padding", output_padding, f"one value per spatial axis ({axes})")
        strides, dilations = window["stride"], window["dilation"]
        auto_pad = _text(attributes.get("auto_pad", "NOTSET")) or "NOTSET"
        output_shape = attributes.get("output_shape")
        if output_shape is not None:
            wanted = tuple(int(v) for v in output_shape)
            wanted = wanted[2:] if len(wanted) == axes + 2 else wanted
            if len(wanted) != axes or min(wanted) < 1:
                raise ParameterError("output_shape", tuple(output_shape), f"one positive size per spatial axis"
                                     f" ({axes})")
            self._output_shape(node, source, x, kernel, strides, dilations, output_padding, wanted, channels)
            return
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            # The output is s * i: the total padding s(i - 1) + a + d(k - 1) + 1 - s i does not depend on i.
            totals = [a + d * (k - 1) + 1 - s for k, s, d, a in zip(kernel, strides, dilations, output_padding)]
            if min(totals) < 0:
                raise ParameterError("auto_pad", auto_pad, f"the total padding {tuple(totals)} is negative: ONNX"
                                     " says the output is stride * input, onnxruntime gives the unpadded length;"
                                     " symconv does not guess")
            window["padding"] = tuple((t // 2, t - t // 2) if auto_pad == "SAME_UPPER" else (t - t // 2, t // 2)
                                      for t in totals)
        elif auto_pad == "VALID":
            window["padding"] = ((0, 0),) * axes
        elif auto_pad != "NOTSET":
            raise ParameterError("auto_pad", auto_pad, "auto_pad is NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        self.add(node, _layer("transposed", output_padding=output_padding, **window), [x])
        self.same_as(node, source, channels)

    def _output_shape(self, node: Any, source: str, x: str, kernel: tuple, strides: tuple, dilations: tuple,
                      output_padding: tuple, wanted: tuple, channels: Optional[int]) -> None:
        """ConvTranspose with ``output_shape``: the full output s(i - 1) + a + d(k - 1) + 1 is cropped to it by
        pads computed from it, or padded by less than the stride (as onnxruntime allows): three nodes, the
        transpose, a check that the full output plus s - 1 reaches the wanted size, and the fixed size."""
        stem = _identifier(node.name or node.output[0], node.op_type, self.parents)
        full = self.add(node, _layer("transposed", kernel, strides, ((0, 0),) * len(kernel), dilations,
                                     output_padding), [x], None, f"{stem}_full")
        fits = self.add(node, _layer("conv", wanted, 1, tuple((0, s - 1) for s in strides)), [full], None,
                        f"{stem}_fits")
        self.add(node, Fixed("resize", wanted), [fits], name=stem)
        self.same_as(node, source, channels)

    def _global_pool(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._spatial(node)
        self.add(node, Fixed("gpool"), [x])
        self.same_as(node, source)

    def _reduce(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._spatial(node)
        rank = axes + 2
        listed = attributes.get("axes")
        if listed is None and len(node.input) > 1 and node.input[1]:
            listed = self.ints(node, 1, "axes")
        every = listed is None or len(listed) == 0
        if every and attributes.get("noop_with_empty_axes", 0):
            self.add(node, Identity(), [x])
            self.same_as(node, source)
            return
        chosen = set(range(rank)) if every else {int(a) % rank for a in listed}  # type: ignore[union-attr]
        spatial = set(range(2, rank))
        keep = bool(attributes.get("keepdims", 1))
        if not chosen & spatial:
            if not keep:
                raise ParameterError("keepdims", 0, "a reduction over batch or channels that drops them"
                                     " changes the layout: symconv does not size it")
            self.add(node, Identity(), [x])
            self.same_as(node, source, 1 if 1 in chosen else "same")
            return
        if not spatial <= chosen:
            raise ParameterError("axes", tuple(sorted(chosen)), "a reduction over some spatial axes only is not sized")
        channels = 1 if 1 in chosen else self.channels.get(source)
        if keep:
            self.add(node, Fixed("gpool"), [x])
            self.same_as(node, source, channels)
        else:
            stem = _identifier(node.name or node.output[0], node.op_type, self.parents)
            pooled = self.add(node, Fixed("gpool"), [x], None, f"{stem}_pool")
            self.add(node, Flatten(channels), [pooled], name=stem)
            self.same_as(node, source, channels, flat=True)

    # padding, slices, resizing

    def _pad(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._spatial(node)
        rank = axes + 2
        mode = _text(attributes.get("mode", "constant"))
        if self.opset < 11:
            pads = [int(v) for v in attributes.get("pads", attributes.get("paddings", ()))]
            chosen = list(range(rank))
        else:
            pads = self.ints(node, 1, "pads") or []
            listed = self.ints(node, 3, "axes", optional=True)
            chosen = [a % rank for a in listed] if listed is not None else list(range(rank))
        if len(pads) != 2 * len(chosen):
            raise ParameterError("pads", tuple(pads), f"two values (begin, end) per padded axis ({len(chosen)})")
        per_axis = {axis: (pads[n], pads[n + len(chosen)]) for n, axis in enumerate(chosen)}
        if mode not in ("constant", "edge", "wrap") and any(per_axis.get(a, (0, 0)) != (0, 0) for a in range(2, rank)):
            raise ParameterError("mode", mode, "symconv sizes constant, edge and wrap padding; reflect padding"
                                 " also needs the padding below the size, which it does not model")
        channels = self.channels.get(source)
        if channels is not None and 1 in per_axis:
            channels += sum(per_axis[1])
        if any(per_axis.get(0, (0, 0))):
            raise ParameterError("pads", tuple(pads), "padding the batch axis is not sized")
        spatial = tuple(per_axis.get(axis, (0, 0)) for axis in range(2, rank))
        if all(pair == (0, 0) for pair in spatial):
            self.add(node, Identity(), [x])
        else:
            self.add(node, Pad(_one_padding(spatial)), [x])
        self.same_as(node, source, channels)

    def _slice(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._spatial(node)
        rank = axes + 2
        if self.opset < 10:
            starts, ends = list(attributes.get("starts", ())), list(attributes.get("ends", ()))
            listed = attributes.get("axes")
            steps = [1] * len(starts)
        else:
            starts, ends = self.ints(node, 1, "starts") or [], self.ints(node, 2, "ends") or []
            listed = self.ints(node, 3, "axes", optional=True)
            steps = self.ints(node, 4, "steps", optional=True) or [1] * len(starts)
        chosen = [int(a) % rank for a in listed] if listed is not None else list(range(len(starts)))
        if not len(starts) == len(ends) == len(chosen) == len(steps) or len(set(chosen)) != len(chosen):
            raise ParameterError("starts", tuple(starts), "starts, ends, axes and steps have one value per sliced axis")
        ranges: list[Any] = [(None, None, 1)] * axes
        channels = self.channels.get(source)
        for start, end, axis, step in zip(starts, ends, chosen, steps):
            if step < 1:
                raise ParameterError("steps", tuple(steps), "symconv sizes slices with positive steps")
            if axis < 2:
                if axis == 1 and channels is not None:
                    channels = len(range(channels)[int(start):int(end):int(step)])
                elif start != 0 or end < (self.batch.get(source) or _INT64_MAX):
                    if axis == 0:
                        raise ParameterError("axes", tuple(chosen), "slicing the batch axis is not sized")
                continue
            ranges[axis - 2] = (_bound(start, True), _bound(end, False), int(step))
        if all(entry == (None, None, 1) for entry in ranges):
            self.add(node, Identity(), [x])
        else:
            self.add(node, Slice(tuple(ranges)), [x])
        self.same_as(node, source, channels)

    def _resize(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._spatial(node)
        rank = axes + 2
        scales: Optional[list[float]] = None
        sizes: Optional[list[int]] = None
        if node.op_type == "Upsample" and self.opset < 9:
            scales = [float(v) for v in attributes.get("scales", ())]
            what = "scales"
        else:
            index = 1 if node.op_type == "Upsample" or self.opset < 11 else 2
            value = self.constant(node, index, "scales", optional=True)
            if value is not None and value.size:
                scales = [float(v) for v in value.reshape(-1)]
            elif node.op_type == "Resize" and self.opset >= 11:
                sizes = self.ints(node, 3, "sizes", optional=True)
            what = "scales" if sizes is None else "sizes"
        if scales is None and sizes is None:
            raise ParameterError("scales", None, "a Resize gives constant scales or sizes")
        listed = attributes.get("axes")
        chosen = [int(a) % rank for a in listed] if listed is not None else list(range(rank))
        values = scales if scales is not None else sizes
        if len(values) != len(chosen):  # type: ignore[arg-type]
            raise ParameterError(what, tuple(values), f"one value per axis ({len(chosen)})")  # type: ignore[arg-type]
        per_axis = dict(zip(chosen, values))  # type: ignore[arg-type]
        policy = _text(attributes.get("keep_aspect_ratio_policy", "stretch"))
        if sizes is not None and policy != "stretch":
            raise ParameterError("keep_aspect_ratio_policy", policy, "symconv sizes Resize with sizes only when it"
                                 " stretches")
        channels = self.channels.get(source)
        if scales is not None:
            for axis in (0, 1):
                if per_axis.get(axis, 1.0) != 1.0:
                    raise ParameterError("scales", tuple(scales), "symconv sizes scales of 1 on batch and channels")
            factors = []
            for axis in range(2, rank):
                factor = per_axis.get(axis, 1.0)
                if factor != int(factor) or factor < 1:
                    raise ParameterError("scales", tuple(scales), f"symconv sizes integer scale factors on the"
                                         f" spatial axes; {factor:g} on axis {axis} is not one")
                factors.append(int(factor))
            if all(f == 1 for f in factors):
                self.add(node, Identity(), [x])
            else:
                self.add(node, LayerOp(Layer("upsample", _one(factors))), [x])
        else:
            if 1 in per_axis and channels is not None and per_axis[1] != channels:
                channels = int(per_axis[1])
            if 0 in per_axis and self.batch.get(source) not in (None, per_axis[0]):
                raise ParameterError("sizes", tuple(sizes), "resizing the batch axis is not sized")  # type: ignore
            fixed = tuple(per_axis.get(axis) for axis in range(2, rank))
            if None in fixed:
                raise ParameterError("sizes", tuple(sizes), "sizes of only some spatial axes are not sized")  # type: ignore
            self.add(node, Fixed("resize", tuple(int(v) for v in fixed)), [x])  # type: ignore[arg-type]
        self.same_as(node, source, channels)

    def _concat(self, node: Any, attributes: dict) -> None:
        data = [name for name in node.input if name]
        first = data[0] if data[0] in self.node_of else next(name for name in data if name in self.node_of)
        if any(name not in self.node_of for name in data):
            raise self.fail(node, "inputs", tuple(data), "symconv concatenates tensors of data only, not constants")
        rank = self.rank.get(first, 2)
        if len({self.rank.get(name, 2) for name in data}) > 1 or len({name in self.flat for name in data}) > 1:
            raise self.fail(node, "inputs", tuple(data), "symconv concatenates tensors of equal rank only")
        axis = int(attributes.get("axis", 1)) % rank
        inputs = [self.node_of[name] for name in data]
        known = [self.channels.get(name) for name in data]
        if first in self.flat:
            self.add(node, Concat(), inputs)
            self.same_as(node, first, None)
            return
        self.add(node, Concat(axis - 2 if axis >= 2 else None), inputs)
        self.same_as(node, first, (None if None in known else sum(known)) if axis == 1
                     else "same")

    # the end of the network

    def _flatten(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._x(node)
        axis = int(attributes.get("axis", 1)) % (axes + 2)
        if source in self.flat:
            self.add(node, Identity(), [x])
            self.same_as(node, source)
            return
        if axis > 1:
            raise ParameterError("axis", axis, "a flatten that keeps spatial axes is not sized")
        channels = self.channels.get(source)
        if axis == 0:
            batch = self.batch.get(source)
            channels = None if channels is None or batch is None else channels * batch
        self.add(node, Flatten(channels), [x])
        self.same_as(node, source, channels, flat=True)

    def _reshape(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._x(node)
        shape = self.ints(node, 1, "shape") or []
        if source in self.flat:
            if len(shape) <= 2 and (-1 in shape or 0 in shape):
                self.add(node, Identity(), [x])
                self.same_as(node, source)
                return
            raise ParameterError("shape", tuple(shape), "a reshape of a flat tensor to a fixed shape is not sized;"
                                 " symconv sizes [N, -1]")
        rank = axes + 2
        if len(shape) == rank and all(v == 0 for v in shape[2:]) and not attributes.get("allowzero", 0):
            channels = self.channels.get(source)
            if shape[1] not in (0, -1) and channels is not None and shape[1] != channels:
                raise ParameterError("shape", tuple(shape), f"the channels change from {channels} to {shape[1]}"
                                     " while the spatial sizes stay")
            self.add(node, Identity(), [x])
            self.same_as(node, source)
            return
        batch, channels = self.batch.get(source), self.channels.get(source)
        if len(shape) == 2 and shape[0] in (0, batch) and shape[0] != -1:
            size = None if shape[1] == -1 else shape[1]
            if size is not None and channels is None:
                raise ParameterError("shape", tuple(shape), "a reshape to a fixed size needs the channels known")
            self.add(node, Flatten(channels, size), [x])
            self.same_as(node, source, channels, flat=True)
            return
        raise ParameterError("shape", tuple(shape), "symconv sizes a reshape at the end of a network, to"
                             " [N, -1] or [N, K], or one that keeps every spatial size (0)")

    def _squeeze(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._x(node)
        if source in self.flat:
            self.add(node, Identity(), [x])
            self.same_as(node, source)
            return
        rank = axes + 2
        listed = attributes.get("axes")
        if listed is None and len(node.input) > 1 and node.input[1]:
            listed = self.ints(node, 1, "axes")
        chosen = {int(a) % rank for a in listed} if listed else set(range(rank))
        if chosen != set(range(2, rank)) and chosen != set(range(2, rank)) | {0}:
            raise ParameterError("axes", tuple(sorted(chosen)), "symconv sizes a squeeze of every spatial axis"
                                 " (after global pooling)")
        tensor = self.g.build().tensors[x]
        if any(follows is not None for follows in tensor.follows):
            raise ParameterError("axes", tuple(sorted(chosen)), "the squeezed axes follow the input's size: they"
                                 " are 1 only at one size; pool them first")
        self.add(node, Flatten(self.channels.get(source)), [x])
        self.same_as(node, source, flat=True)

    def _dense(self, node: Any, attributes: dict) -> None:
        source, x, axes = self._x(node)
        if source not in self.flat:
            raise self.fail(node, "input", source, f"{node.op_type} on a tensor with spatial axes is not sized:"
                            " flatten it first")
        if node.input[0] != source or any(name in self.node_of for name in node.input[1:]):
            raise self.fail(node, "inputs", tuple(node.input), f"symconv sizes {node.op_type} of data by a"
                            " constant weight")
        dims = self.weight_dims(node, 1)
        if dims is None or len(dims) != 2:
            raise self.fail(node, "input 1", node.input[1], "symconv needs a constant 2-D weight")
        if attributes.get("transA", 0):
            raise ParameterError("transA", 1, "a transposed flat input is not sized")
        inner, width = (dims[1], dims[0]) if attributes.get("transB", 0) else dims
        self.add(node, Dense(node.op_type.lower(), inner, width), [x])
        self.same_as(node, source, width, flat=True)

    HANDLERS: dict[str, Callable[["_Importer", Any, dict], None]] = {
        "Conv": _conv, "ConvTranspose": _conv_transpose, "MaxPool": _pool, "AveragePool": _pool,
        "LpPool": _pool, "GlobalAveragePool": _global_pool, "GlobalMaxPool": _global_pool,
        "GlobalLpPool": _global_pool, "Pad": _pad, "Slice": _slice, "Resize": _resize, "Upsample": _resize,
        "Concat": _concat, "Flatten": _flatten, "Reshape": _reshape, "Squeeze": _squeeze, "Gemm": _dense,
        "MatMul": _dense, **dict.fromkeys(REDUCTIONS, _reduce),
    }

    # ------------------------------------------------------------ folding constants

    def _opaque(self, node: Any, why: str) -> None:
        for out in node.output:
            if out:
                self.opaque[out] = why

    def _fold(self, node: Any) -> None:
        """A node that reads no spatial data: fold it where it computes sizes, else remember why it can't be."""
        import numpy as np

        op, attributes = node.op_type, _attributes(node)
        out = node.output[0] if node.output else ""
        why = f"the output of {op} {node.name or out!r}"
        try:
            if op == "Constant":
                self.constants[out] = _constant_value(attributes)
                return
            if op == "Shape":
                source = node.input[0]
                if source not in self.rank:
                    self._fold_values(node, lambda x: np.array(x.shape, np.int64))
                    return
                values = [self.batch.get(source), self.channels.get(source)] + self._sizes(source)
                if source in self.flat:
                    values = [self.batch.get(source), None]
                start, end = int(attributes.get("start", 0)), attributes.get("end")
                values = values[start:None if end is None else int(end)]
                self._set(out, values, f"a spatial size of {source!r} (Shape {node.name or out!r})")
                return
            depends = next((self.depends[name] for name in node.input if name in self.depends), None)
            if depends is not None:
                for name in node.output:
                    self.depends[name] = depends
                return
            if node.input and all(name in self.partial or name in self.constants for name in node.input if name) \
                    and any(name in self.partial for name in node.input if name):
                self._fold_partial(node, attributes, out, why)
                return
            folders = _FOLDERS.get(op)
            if folders is None or any(name and name not in self.constants for name in node.input):
                self._opaque(node, self._why(node, why))
                return
            self._fold_values(node, lambda *values: folders(attributes, *values))
        except (ValueError, TypeError, IndexError, ArithmeticError, MemoryError, SymconvError):
            self._opaque(node, why + " (symconv could not fold it)")

    def _sizes(self, source: str) -> list[Optional[int]]:
        """The spatial sizes of a tensor where they are fixed (an input fixed by input_size, after a global
        pool), else None."""
        if source in self.flat:
            return []
        graph = self.g.build()
        tensor = graph.tensors[self.node_of[source]]
        if all(follows is not None for follows in tensor.follows):
            return [None] * tensor.axes
        from symconv.graphs.sizes import tensor_sizes

        return [None if size is None or not size.is_Integer else int(size)
                for size in tensor_sizes(graph)[self.node_of[source]]]

    def _why(self, node: Any, why: str) -> str:
        for name in node.input:
            if name in self.partial:
                return self.partial[name].why
            if name in self.opaque:
                return self.opaque[name]
        return why

    def _fold_values(self, node: Any, compute: Callable[..., Any]) -> None:
        import numpy as np

        values = []
        for index, name in enumerate(node.input):
            value = self.constant(node, index, f"input {index}") if name else None
            if value is not None and value.size > MAX_CONSTANT:
                self._opaque(node, f"a constant of {value.size} values, more than symconv folds ({MAX_CONSTANT})")
                return
            values.append(value)
        result = compute(*values)
        result = np.asarray(result)
        if result.size > MAX_CONSTANT:
            self._opaque(node, f"a constant of {result.size} values, more than symconv folds ({MAX_CONSTANT})")
            return
        self.constants[node.output[0]] = result

    def _fold_partial(self, node: Any, attributes: dict, out: str, why: str) -> None:
        """Fold the few ops an exporter applies to a Shape: Gather, Slice, Concat, Cast, (Un)squeeze."""
        op = node.op_type
        first = node.input[0]
        known = self.partial.get(first)
        values = known.values if known is not None else None
        reason = known.why if known is not None else self._why(node, why)
        if op in ("Cast", "Identity", "Unsqueeze", "Squeeze") and values is not None:
            self.partial[out] = _Partial(values, reason)
        elif op == "Gather" and values is not None and int(attributes.get("axis", 0)) == 0:
            indices = self.constant(node, 1, "indices")
            picked = [values[int(i)] for i in indices.reshape(-1)]
            if indices.ndim == 0 and picked[0] is not None:
                import numpy as np

                self.constants[out] = np.array(picked[0], np.int64)
            else:
                self._set(out, picked, reason)
        elif op == "Slice" and values is not None:
            starts, ends = self.ints(node, 1, "starts") or [0], self.ints(node, 2, "ends") or [0]
            steps = self.ints(node, 4, "steps", optional=True) or [1]
            self._set(out, values[starts[0]:min(ends[0], len(values) + 1):steps[0]], reason)
        elif op == "Concat":
            joined: list[Optional[int]] = []
            for index, name in enumerate(node.input):
                part = self.partial[name].values if name in self.partial else \
                    [int(v) for v in self.constant(node, index, f"input {index}").reshape(-1)]
                joined.extend(part)
            self._set(out, joined, reason)
        else:
            for name in node.output:
                self.depends[name] = reason

    def _set(self, out: str, values: Sequence[Optional[int]], why: str) -> None:
        import numpy as np

        if None in values:
            self.partial[out] = _Partial(values, why)
        else:
            self.constants[out] = np.array(values, np.int64)


class _Lazy:
    """An initializer, converted to numpy only when a size needs its values (weights never are)."""

    def __init__(self, numpy_helper: Any, tensor: Any) -> None:
        self.numpy_helper = numpy_helper
        self.tensor = tensor

    def load(self) -> Any:
        return self.numpy_helper.to_array(self.tensor)


def _layer(op: str, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1, output_padding: Any = 0,
           ceil_mode: bool = False) -> LayerOp:
    """A registered layer kind; ``padding`` is per-axis pairs, "valid", or a scheme's name ("tf-same")."""
    scheme = None
    if isinstance(padding, str):
        scheme, padding = (None if padding == "valid" else padding), 0
    return LayerOp(Layer(op, _one(kernel_size), _one(stride), _one_padding(padding), _one(dilation),
                         _one(output_padding), ceil_mode, scheme=scheme))


def _one(values: Any) -> Any:
    """One value for every axis where the per-axis values are equal (so the text reads ``k=3``, not ``k=3,3``)."""
    if isinstance(values, (tuple, list)) and values and all(value == values[0] for value in values):
        return values[0]
    return tuple(values) if isinstance(values, list) else values


def _one_padding(pairs: Any) -> Any:
    """Per-axis (before, after) pairs as P, one pair for every axis, or the pairs."""
    if not isinstance(pairs, tuple) or not pairs or not all(isinstance(pair, tuple) for pair in pairs):
        return pairs
    if any(pair != pairs[0] for pair in pairs):
        return pairs
    before, after = pairs[0]
    return before if before == after else ((before, after),)


def _input_node(name: str, shape: Sequence[str]) -> Any:
    from symconv.graphs.graph import Node

    return Node(name, Input(tuple(shape)))


def _dims(value: Any) -> Optional[list[Union[int, str, None]]]:
    kind = value.type.WhichOneof("value")
    if kind != "tensor_type" or not value.type.tensor_type.HasField("shape"):
        return None
    dims: list[Union[int, str, None]] = []
    for dim in value.type.tensor_type.shape.dim:
        which = dim.WhichOneof("value")
        dims.append(dim.dim_value if which == "dim_value" else dim.dim_param if which == "dim_param" else None)
    return dims


def _bound(value: int, start: bool) -> Optional[int]:
    """A Slice bound as Python reads it: ONNX's INT64 extremes (and anything past symconv's integers) are open."""
    if value >= _BOUND:
        return None if not start else _BOUND
    if value <= -_BOUND:
        return None if start else -_BOUND
    return int(value)


def _constant_value(attributes: Mapping[str, Any]) -> Any:
    import numpy as np
    from onnx import numpy_helper

    if "value" in attributes:
        return numpy_helper.to_array(attributes["value"])
    for key, kind in (("value_float", np.float32), ("value_floats", np.float32), ("value_int", np.int64),
                      ("value_ints", np.int64)):
        if key in attributes:
            return np.array(attributes[key], kind)
    raise ValueError("a Constant without a value symconv reads")


def _fold_gather(attributes: Mapping[str, Any], data: Any, indices: Any) -> Any:
    import numpy as np

    return np.take(data, indices, axis=int(attributes.get("axis", 0)))


def _fold_slice(attributes: Mapping[str, Any], data: Any, starts: Any, ends: Any, axes: Any = None,
                steps: Any = None) -> Any:
    index = [slice(None)] * data.ndim
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[int(axis)] = slice(int(start), int(end), int(step))
    return data[tuple(index)]


def _fold_unsqueeze(attributes: Mapping[str, Any], data: Any, axes: Any = None) -> Any:
    import numpy as np

    listed = attributes.get("axes") if axes is None else axes
    return np.expand_dims(data, tuple(int(a) for a in ([] if listed is None else listed)))


def _fold_squeeze(attributes: Mapping[str, Any], data: Any, axes: Any = None) -> Any:
    import numpy as np

    listed = attributes.get("axes") if axes is None else axes
    return np.squeeze(data, None if listed is None else tuple(int(a) for a in listed))


def _binary(function: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    return lambda attributes, a, b: function(a, b)


def _fold_div(attributes: Mapping[str, Any], a: Any, b: Any) -> Any:
    import numpy as np

    if np.issubdtype(a.dtype, np.integer):
        return np.trunc(a / b).astype(a.dtype)  # ONNX integer division truncates
    return a / b


def _fold_cast(attributes: Mapping[str, Any], data: Any) -> Any:
    from onnx import helper

    return data.astype(helper.tensor_dtype_to_np_dtype(int(attributes["to"])))


def _fold_concat(attributes: Mapping[str, Any], *values: Any) -> Any:
    import numpy as np

    return np.concatenate([v for v in values if v is not None], axis=int(attributes.get("axis", 0)))


def _fold_constant_of_shape(attributes: Mapping[str, Any], shape: Any) -> Any:
    import numpy as np
    from onnx import numpy_helper

    value = numpy_helper.to_array(attributes["value"]) if "value" in attributes else np.zeros(1, np.float32)
    if prod(int(v) for v in shape) > MAX_CONSTANT:
        raise ValueError("too large")
    return np.full(tuple(int(v) for v in shape), value.reshape(-1)[0], value.dtype)


def _operators() -> dict[str, Callable[..., Any]]:
    import operator

    import numpy as np

    return {
        "Identity": lambda attributes, x: x, "Cast": _fold_cast, "Gather": _fold_gather, "Slice": _fold_slice,
        "Unsqueeze": _fold_unsqueeze, "Squeeze": _fold_squeeze, "Concat": _fold_concat,
        "Add": _binary(operator.add), "Sub": _binary(operator.sub), "Mul": _binary(operator.mul),
        "Div": _fold_div, "Floor": lambda attributes, x: np.floor(x), "Ceil": lambda attributes, x: np.ceil(x),
        "Sqrt": lambda attributes, x: np.sqrt(x), "Neg": lambda attributes, x: -x,
        "Max": lambda attributes, *xs: np.maximum.reduce(xs), "Min": lambda attributes, *xs: np.minimum.reduce(xs),
        "ConstantOfShape": _fold_constant_of_shape, "Reshape": lambda attributes, x, shape: x.reshape(shape),
        "Shape": lambda attributes, x: np.array(x.shape, np.int64),
    }


class _Folders(dict):
    """The folding rules, built on first use (numpy and onnx are imported only then)."""

    def get(self, key: Any, default: Any = None) -> Any:
        if not self:
            self.update(_operators())
        return super().get(key, default)


_FOLDERS: dict[str, Callable[..., Any]] = _Folders()

__all__ = ["from_onnx", "import_onnx", "OnnxImport", "MAX_FILE_SIZE", "SHAPE_PRESERVING", "BROADCASTING"]
