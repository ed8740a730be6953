"""Ground truth from the real runtimes, and what other tools say about the same models.

The tests of issue 11 check symconv against what onnxruntime and PyTorch actually
do, never against a formula. This module runs them:

- :class:`OrtModel` / :func:`ort_shapes`: every tensor's shape when onnxruntime runs
  a model at one input size (every intermediate is made a graph output of a copy);
- :class:`TorchModel` / :func:`torch_shapes`: every node's shape when PyTorch runs a
  module (a ``torch.fx`` trace run node by node, or forward hooks when the module
  can't be traced);
- :func:`export_onnx`: a module exported to ONNX with symbolic spatial axes;
- :func:`onnx_inferred`, :func:`ort_symbolic`: what ``onnx.shape_inference`` and
  onnxruntime's ``SymbolicShapeInference`` say, as text per tensor;
- :func:`export_report`: what ``torch.export`` says about a module with dynamic sizes.

A runtime that refuses gives a :class:`RuntimeRefusal` holding its message; nothing
here raises for a refused size. onnx, onnxruntime and torch are imported lazily, so
importing this module needs none of them.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence, Union

Shape = tuple[int, ...]


@dataclass(frozen=True)
class RuntimeRefusal:
    """A runtime (or tool) refused: its message, and the node it names when it names one."""

    message: str
    node: str | None = None

    @staticmethod
    def from_error(error: BaseException) -> "RuntimeRefusal":
        message = " ".join(str(error).split())
        found = re.search(r"Name:'([^']*)'", message)
        return RuntimeRefusal(message, found.group(1) if found and found.group(1) else None)


Shapes = Union[dict[str, Shape], RuntimeRefusal]


def _dims(value_info: Any) -> tuple[int | str | None, ...]:
    dims: list[int | str | None] = []
    for dim in value_info.type.tensor_type.shape.dim:
        kind = dim.WhichOneof("value")
        dims.append(dim.dim_value if kind == "dim_value" else dim.dim_param if kind == "dim_param" else None)
    return tuple(dims)


def input_shape(model: Any, size: Sequence[int]) -> Shape:
    """The full input shape for spatial ``size``: batch 1, the file's channel count, then ``size``.

    >>> import pytest; _ = pytest.importorskip("onnx")
    >>> from onnx import TensorProto, helper
    >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "H", "W"])
    >>> model = helper.make_model(helper.make_graph([], "g", [x], [x]))
    >>> input_shape(model, (5, 7))
    (1, 3, 5, 7)
    """
    dims = _dims(model.graph.input[0])
    channels = dims[1] if isinstance(dims[1], int) and dims[1] > 0 else 1
    return (1, channels, *size)


class OrtModel:
    """One onnxruntime session over a copy of ``model`` whose every node output is a graph output."""

    def __init__(self, model: Any) -> None:
        import onnx
        import onnxruntime as ort

        ort.set_default_logger_severity(4)
        self.model = model
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        known = {output.name for output in copy.graph.output}
        self.names = [name for node in copy.graph.node for name in node.output if name]
        for name in self.names:
            if name not in known:
                copy.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
        options = ort.SessionOptions()
        options.log_severity_level = 4
        # No graph rewrites: fused or folded nodes would drop the intermediates we want to see.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        self.session = ort.InferenceSession(copy.SerializeToString(), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.outputs = [output.name for output in self.session.get_outputs()]

    def shapes(self, size: Sequence[int]) -> Shapes:
        """Every tensor's shape at spatial ``size`` (the input's included), or the refusal."""
        import numpy as np

        shape = input_shape(self.model, size)
        try:
            values = self.session.run(self.outputs, {self.input: np.zeros(shape, np.float32)})
        except Exception as error:  # onnxruntime raises several unrelated classes
            return RuntimeRefusal.from_error(error)
        result = {self.input: shape}
        result.update({name: tuple(int(n) for n in value.shape) for name, value in zip(self.outputs, values)})
        return result


def ort_shapes(model: Any, size: Sequence[int]) -> Shapes:
    """Run onnxruntime on ``model`` at spatial ``size``: every tensor's shape, or a RuntimeRefusal.

    For many sizes, build one :class:`OrtModel` and call its ``shapes``.

    >>> import pytest; _ = pytest.importorskip("onnxruntime")

    >>> from onnx import TensorProto, helper
    >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, "L"])
    >>> y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    >>> pool = helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3], strides=[1])
    >>> model = helper.make_model(helper.make_graph([pool], "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    >>> model.ir_version = 8
    >>> ort_shapes(model, (5,))
    {'x': (1, 1, 5), 'y': (1, 1, 3)}
    >>> ort_shapes(model, (2,))  # no window, yet no refusal: an empty tensor
    {'x': (1, 1, 2), 'y': (1, 1, 0)}
    >>> ort_shapes(model, (1,)).node
    'pool'
    """
    return OrtModel(model).shapes(size)


class TorchModel:
    """``module`` traced once with ``torch.fx`` (or, with ``method="hooks"``, hooked), to run at many sizes."""

    def __init__(self, module: Any, method: str = "fx") -> None:
        import torch
        from torch.fx import Interpreter, symbolic_trace

        self.module = module.eval()
        self.method = method
        if method == "fx":
            recorded: dict[str, Shape] = {}

            class Recorder(Interpreter):
                def run_node(self, node):  # type: ignore[no-untyped-def]
                    try:
                        value = super().run_node(node)
                    except Exception as error:
                        raise _NodeError(str(node.target) if node.op == "call_module" else node.name) from error
                    if isinstance(value, torch.Tensor):
                        key = "output" if node.op == "output" else \
                            str(node.target) if node.op == "call_module" else node.name
                        recorded[key] = tuple(value.shape)
                    return value

            self.recorded = recorded
            traced = symbolic_trace(self.module)
            self.interpreter = Recorder(traced)
            # A submodule called twice (a shared pool) keeps only its last shape.
            self.calls = Counter(str(node.target) for node in traced.graph.nodes if node.op == "call_module")

    def shapes(self, shape: Sequence[int]) -> Shapes:
        """Each node's output shape on zeros of ``shape`` (``output`` is the module's), or the refusal."""
        import torch

        x = torch.zeros(tuple(shape))
        if self.method == "hooks":
            return _hooked(self.module, x)
        self.recorded.clear()
        try:
            # oneDNN builds a kernel per new shape, which is most of the time at tiny widths.
            with torch.no_grad(), _without_onednn():
                out = self.interpreter.run(x)
        except _NodeError as error:
            cause = error.__cause__ or error
            return RuntimeRefusal(" ".join(str(cause).split()), error.node)
        self.recorded["output"] = tuple(out.shape)
        return dict(self.recorded)


@contextmanager
def _without_onednn() -> Iterator[None]:
    # torch.backends.mkldnn.flags() would do, but warns about TF32 on every call.
    import torch

    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


class _NodeError(Exception):
    """Carries the name of the fx node that raised; the framework's error is its cause.

    The name is an attribute: fx appends "While executing ..." to the message.
    """

    def __init__(self, node: str) -> None:
        super().__init__(node)
        self.node = node


def _hooked(module: Any, x: Any) -> Shapes:
    import torch

    recorded: dict[str, Shape] = {"x": tuple(x.shape)}

    def hook(name: str):  # type: ignore[no-untyped-def]
        def record(_module, _inputs, out):  # type: ignore[no-untyped-def]
            if isinstance(out, torch.Tensor):
                recorded[name] = tuple(out.shape)
        return record

    handles = [sub.register_forward_hook(hook(name)) for name, sub in module.named_modules() if name]
    try:
        with torch.no_grad(), _without_onednn():
            out = module(x)
    except Exception as error:
        return RuntimeRefusal.from_error(error)
    finally:
        for handle in handles:
            handle.remove()
    recorded["output"] = tuple(out.shape)
    return recorded


def torch_shapes(module: Any, shape: Sequence[int], method: str = "fx") -> Shapes:
    """Run ``module`` on zeros of ``shape``: each node's output shape, or a RuntimeRefusal.

    ``method="fx"`` traces with ``torch.fx`` and records every node (functional ops such
    as ``torch.cat`` and ``+`` included), by submodule name or fx node name;
    ``method="hooks"`` records the output of every submodule, for modules fx can't
    trace. For many sizes, build one :class:`TorchModel` and call its ``shapes``.

    >>> import pytest; torch = pytest.importorskip("torch")
    >>> net = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3), torch.nn.MaxPool1d(2))
    >>> torch_shapes(net, (1, 1, 9))
    {'input_1': (1, 1, 9), '0': (1, 2, 7), '1': (1, 2, 3), 'output': (1, 2, 3)}
    >>> torch_shapes(net, (1, 1, 3))
    RuntimeRefusal(message='max_pool1d() Invalid computed output size: 0', node='1')
    >>> torch_shapes(net, (1, 1, 9), method="hooks")
    {'x': (1, 1, 9), '0': (1, 2, 7), '1': (1, 2, 3), 'output': (1, 2, 3)}
    """
    return TorchModel(module, method).shapes(shape)


def export_onnx(module: Any, shape: Sequence[int], axes: Sequence[str] = ("H", "W"), opset: int = 17) -> Any:
    """Export ``module`` to a ModelProto whose spatial axes are the dim_params ``axes``.

    Uses the TorchScript-based exporter (``dynamo=False``): the torch.export-based one
    needs the onnxscript package. Input "x", output "y"; ``shape`` is the example.
    """
    import io

    import onnx
    import torch

    module = module.eval()
    spatial = {2 + n: name for n, name in enumerate(axes)}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(tuple(shape)),), buffer, dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": spatial}, opset_version=opset)
    return onnx.load_from_string(buffer.getvalue())


# ---------------------------------------------------------------- other tools

Dims = tuple[Union[int, str, None], ...]


def onnx_inferred(model: Any, **options: Any) -> dict[str, Dims]:
    """``onnx.shape_inference.infer_shapes``: each tensor's dims (int, dim_param text, or None).

    >>> import pytest; _ = pytest.importorskip("onnx")
    >>> from onnx import TensorProto, helper
    >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 5])
    >>> y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    >>> pool = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3])
    >>> model = helper.make_model(helper.make_graph([pool], "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    >>> onnx_inferred(model)["y"]
    (1, 1, 3)
    """
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model, **options)
    return {info.name: _dims(info) for info in [*inferred.graph.value_info, *inferred.graph.output]}


def ort_symbolic(model: Any, auto_merge: bool = False) -> Union[dict[str, Dims], RuntimeRefusal]:
    """onnxruntime's ``SymbolicShapeInference.infer_shapes``: each tensor's dims, or its refusal.

    Its symbolic dims are sympy expressions printed as text ("floor(H/2)"): read them
    with :func:`evaluate`.
    """
    import os
    import tempfile

    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    # When it gives up, it saves the model as sym_shape_infer_temp.onnx plus a <uuid>.data
    # file into the working directory: let it, in a directory of its own.
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                inferred = SymbolicShapeInference.infer_shapes(model, auto_merge=auto_merge)
        except Exception as error:
            return RuntimeRefusal(" ".join(str(error).split()) or type(error).__name__)
        finally:
            os.chdir(here)
    return {info.name: _dims(info) for info in [*inferred.graph.value_info, *inferred.graph.output]}


def evaluate(dim: int | str | None, values: Mapping[str, int]) -> int | None:
    """A dim at concrete sizes: ints pass, expressions in the input's names are evaluated, opaque names give None.

    Expressions are read with symconv's own parser (no eval).

    >>> evaluate("floor(H/2)", {"H": 7}), evaluate(5, {}), evaluate("unk__0", {"H": 7})
    (3, 5, None)
    """
    import sympy

    from symconv.core.errors import SymconvError
    from symconv.core.parsing import parse_expression

    if dim is None or isinstance(dim, int):
        return dim
    names = {name: sympy.Symbol(name, integer=True, positive=True) for name in values}
    try:
        expression = parse_expression(dim, names)
    except SymconvError:
        return None
    return int(expression.subs({names[name]: value for name, value in values.items()}))


@dataclass(frozen=True)
class ExportReport:
    """What ``torch.export.export`` said: on failure ``error`` (its first line), ``guards`` (the lines
    naming guards that not all sizes satisfy) and ``fixes`` (the suggested lines); on success
    ``ranges`` (its range constraints as text) and the ``program`` itself."""

    error: str | None
    fixes: tuple[str, ...]
    ranges: tuple[str, ...]
    program: Any = None
    guards: tuple[str, ...] = ()

    def accepts(self, shape: Sequence[int]) -> bool:
        """Whether the exported program runs on zeros of ``shape`` (its guards pass)."""
        import torch

        try:
            self.program.module()(torch.zeros(tuple(shape)))
        except Exception:
            return False
        return True


def export_report(module: Any, shape: Sequence[int], dims: Mapping[int, Any]) -> ExportReport:
    """``torch.export.export(module, (zeros(shape),), dynamic_shapes=({axis: dim},))``, summarised."""
    import torch
    from torch.export import export

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = export(module.eval(), (torch.zeros(tuple(shape)),), dynamic_shapes=(dict(dims),))
    except Exception as error:
        text = str(error)
        fixes: tuple[str, ...] = ()
        if "Suggested fixes:" in text:
            block = text.split("Suggested fixes:", 1)[1].split("\n\n", 1)[0]
            fixes = tuple(line.strip() for line in block.strip().splitlines() if line.strip())
        guards = tuple(line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- "))
        return ExportReport(f"{type(error).__name__}: {text.strip().splitlines()[0]}", fixes, (), guards=guards)
    ranges = tuple(sorted(f"{symbol}: {value}" for symbol, value in program.range_constraints.items()))
    return ExportReport(None, (), ranges, program)
