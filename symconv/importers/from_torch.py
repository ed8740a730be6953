"""PyTorch in: an ``nn.Module`` traced with ``torch.fx``, as a :class:`~symconv.graphs.graph.Graph`.

:func:`from_torch` traces the module with ``torch.fx.symbolic_trace`` (``torch.nn``'s
layers are leaves, every other module is traced through) and reads each call:

- modules: ``Conv1d/2d/3d`` (any ``padding``, ``'same'``, ``'valid'``, any ``padding_mode``),
  ``ConvTranspose1d/2d/3d`` (``output_padding``, a constant ``output_size=`` at call time),
  ``MaxPool*``, ``AvgPool*``, ``LPPool*`` (``ceil_mode``), ``AdaptiveAvgPool*``,
  ``AdaptiveMaxPool*``, ``Upsample`` (an integer ``scale_factor``, or a ``size``),
  ``PixelShuffle``, the padding layers (``ZeroPad2d``, ``ReflectionPad2d``, ...),
  ``Flatten``, ``Linear`` after it, and the shape-preserving layers (activations,
  normalisation, dropout, ``Identity``);
- functions and methods: their functional forms (``F.conv2d``, ``F.max_pool2d``,
  ``F.interpolate``, ``F.pad``, ...), ``torch.cat``, ``+ - * /`` and ``torch.add``/``mul``
  (broadcasting), ``torch.flatten``, ``x.view(x.size(0), -1)``, slices with constant
  bounds (``x[..., 1:-1]``) and the shape-preserving functions (``F.relu``,
  ``torch.sigmoid``, ``x.contiguous()``, ...).

**Why fx, not torch.export.** ``torch.fx.symbolic_trace`` records each call with its
constant arguments, never a size: a ``MaxPool2d(2)`` is the same node whatever input
it will see, so the graph it gives holds for every size. The example input only runs
the traced module once (``torch.fx.passes.shape_prop``), to learn the number of
spatial axes, the channel counts, and that the module runs at all. ``torch.export``
traces with one example too, but specialises sizes 0 and 1, needs a dynamic-shape
spec for every axis, and its guards describe only the path that example took (see
``docs/conventions.md``): what it says holds for other sizes is a guess that symconv
would have to check anyway. The price of fx: a module whose control flow reads its
input (``if x.shape[-1] > 8``) cannot be traced, and is refused with the reason.

Every answer is PyTorch's in eval mode (``BatchNorm`` in training mode also refuses a
batch of one 1x1 sample). ``padding_mode='reflect'`` and ``'circular'`` (and ``F.pad``'s
modes) give the sizes of zero padding, but PyTorch also needs more input units than a
reflected padding (as many as a circular one), and ``F.pad`` crops by its negative
amounts before it pads: such a need is a crop and a pad back in the graph (nodes
``<name>_needs`` and ``<name>_kept``), which change no size and no region, and refuse
exactly where PyTorch does. One difference stays: PyTorch lets a crop or a slice give
an empty tensor (size 0); symconv calls a size below 1 invalid.

The input is batched: ``(batch, channels, *spatial)``. Its spatial axes are ``H``,
``W`` (``D, H, W`` in 3-D, ``L`` in 1-D), or ``input_names``. With several inputs
(``forward(x, y)``) each has its own axes, named after its parameter (``H_y``,
``W_y``), since nothing says that two inputs have equal sizes; name them alike in
``input_names`` to say that they do.

Whatever it cannot size exactly is one line naming the call, the op and the
argument; it never guesses. After the graph is built, its sizes at the example are
checked against the shapes PyTorch gave.

>>> import pytest; torch = pytest.importorskip("torch")
>>> from torch import nn
>>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True))
>>> graph = from_torch(net, torch.zeros(1, 1, 8, 8))
>>> print(graph)
input_1 = input [H, W]; _0 = conv k=3 p=1 (input_1); _1 = relu (_0); _2 = pool k=2 ceil (_1)
>>> graph.node("_2").label, graph.node("_2").op_type
('2', 'MaxPool2d')
"""

from __future__ import annotations

import inspect
import operator
import re
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Optional, Sequence

from symconv.core.errors import ParameterError, SymconvError
from symconv.graphs.graph import AXIS_NAMES, Graph, GraphBuilder
from symconv.graphs.ops import MAX_AXES

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


# ---------------------------------------------------------------- what an fx node's value is


@dataclass(frozen=True)
class _Tensor:
    """A tensor of the graph: its node's name and its number of spatial axes (0: flat)."""

    name: str
    axes: int


@dataclass(frozen=True)
class _Constant:
    """A tensor that reads no input (a parameter, a buffer, something computed from them): its shape."""

    shape: tuple[int, ...]


@dataclass(frozen=True)
class _Runtime:
    """A value read from a tensor's shape at run time (``x.size(2)``): ``what`` it is, for messages."""

    what: str


@dataclass(frozen=True)
class _Batch(_Runtime):
    """The batch size, read at run time (``x.size(0)``, ``x.shape[0]``)."""


@dataclass(frozen=True)
class _Shape(_Runtime):
    """A tensor's whole shape, read at run time (``x.shape``, ``x.size()``)."""


class _Refused(Exception):
    """An argument symconv cannot size: raised by a reader, turned into one line naming the call."""

    def __init__(self, argument: str, value: Any, rule: str) -> None:
        super().__init__(rule)
        self.argument, self.value, self.rule = argument, value, rule


def _shown(value: Any) -> Any:
    """An argument as messages show it: run-time values by what they are."""
    if isinstance(value, _Runtime):
        return f"<{value.what}>"
    if isinstance(value, _Tensor):
        return f"<tensor {value.name}>"
    if isinstance(value, _Constant):
        return f"<constant tensor of shape {value.shape}>"
    if isinstance(value, (tuple, list)):
        return type(value)(_shown(entry) for entry in value)
    return value


def _constant(argument: str, value: Any) -> Any:
    """``value`` if it holds no run-time value, else a refusal: symconv sizes only constant arguments."""
    def walk(entry: Any) -> bool:
        if isinstance(entry, (_Runtime, _Tensor)):
            return False
        if isinstance(entry, (tuple, list)):
            return all(map(walk, entry))
        if isinstance(entry, slice):
            return all(map(walk, (entry.start, entry.stop, entry.step)))
        return True

    if not walk(value):
        raise _Refused(argument, _shown(value), "it is computed at run time from a tensor's shape; symconv sizes"
                                                " only arguments that are constants in the traced graph")
    return value


def _per_axis(argument: str, value: Any, axes: int) -> tuple[int, ...]:
    """PyTorch's int-or-tuple argument as one int per axis."""
    value = _constant(argument, value)
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * axes
    if len(values) == 1:
        values *= axes
    if len(values) != axes or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise _Refused(argument, value, f"expected an integer or {axes} integers, one per spatial axis")
    return values


def _integer_factor(argument: str, value: Any, axes: int) -> tuple[int, ...]:
    """A scale factor per axis, each a positive integer (``2`` or ``2.0``)."""
    value = _constant(argument, value)
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * axes
    if len(values) == 1:
        values *= axes
    if len(values) != axes or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 1
                                      and float(v).is_integer() for v in values):
        raise _Refused(argument, value, "symconv sizes integer scale factors only (a factor like 1.5 or 0.5 gives"
                                        " floor(i * f), which no graph op gives)")
    return tuple(int(v) for v in values)


def _one(values: tuple[int, ...]) -> Any:
    """Per-axis values as the graph's text writes them: one value when every axis has it."""
    return values[0] if len(set(values)) == 1 else values


def _pairs(values: Sequence[Any]) -> tuple[tuple[int, int], ...]:
    """Symmetric padding, or (before, after) pairs, per axis: one pair when every axis has it."""
    pairs = tuple(v if isinstance(v, tuple) else (v, v) for v in values)
    return pairs[:1] if len(set(pairs)) == 1 else pairs


def _needs(padding_mode: str, largest: Sequence[int]) -> tuple[int, ...]:
    """The input units per axis that PyTorch's ``padding_mode`` needs, given the larger padding per axis:
    'reflect' reflects inside the input (more units than the padding), 'circular' wraps it (as many)."""
    if padding_mode == "reflect":
        return tuple(p + 1 for p in largest)
    if padding_mode == "circular":
        return tuple(largest)
    return (1,) * len(largest)


def _bind(args: Sequence[Any], kwargs: dict, names: Sequence[str], defaults: dict) -> dict:
    """The arguments of a call by name, in PyTorch's order ``names``, defaults filled in."""
    bound = dict(defaults)
    bound.update(zip(names, args))
    bound.update(kwargs)
    return bound


# ---------------------------------------------------------------- the tables of calls

#: Shape-preserving layers, functions and methods, by the word of :data:`symconv.graphs.ops.SHAPE_PRESERVING`.
_PRESERVING_MODULES = {
    "ReLU": "relu", "ReLU6": "relu6", "LeakyReLU": "leaky_relu", "RReLU": "leaky_relu", "PReLU": "prelu",
    "ELU": "elu", "SELU": "selu", "CELU": "celu", "GELU": "gelu", "SiLU": "silu", "Mish": "mish",
    "Sigmoid": "sigmoid", "Hardsigmoid": "hardsigmoid", "Hardswish": "hardswish", "Tanh": "tanh",
    "Softmax": "softmax", "Softmax2d": "softmax", "Softmin": "softmax", "LogSoftmax": "log_softmax",
    "Hardtanh": "clip", "Softplus": "act", "Softsign": "act", "Tanhshrink": "act", "Hardshrink": "act",
    "Softshrink": "act", "Threshold": "act", "LogSigmoid": "act",
    "BatchNorm1d": "bn", "BatchNorm2d": "bn", "BatchNorm3d": "bn", "SyncBatchNorm": "bn",
    "InstanceNorm1d": "instancenorm", "InstanceNorm2d": "instancenorm", "InstanceNorm3d": "instancenorm",
    "GroupNorm": "gn", "LocalResponseNorm": "lrn", "CrossMapLRN2d": "lrn",
    "Dropout": "dropout", "Dropout1d": "dropout", "Dropout2d": "dropout", "Dropout3d": "dropout",
    "AlphaDropout": "dropout", "FeatureAlphaDropout": "dropout", "Identity": "identity",
}
_PRESERVING_FUNCTIONS = {
    "relu": "relu", "relu_": "relu", "relu6": "relu6", "leaky_relu": "leaky_relu", "leaky_relu_": "leaky_relu",
    "rrelu": "leaky_relu", "prelu": "prelu", "elu": "elu", "elu_": "elu", "selu": "selu", "celu": "celu",
    "gelu": "gelu", "silu": "silu", "mish": "mish", "sigmoid": "sigmoid", "hardsigmoid": "hardsigmoid",
    "hardswish": "hardswish", "tanh": "tanh", "softmax": "softmax", "softmin": "softmax",
    "log_softmax": "log_softmax", "hardtanh": "clip", "hardtanh_": "clip", "clamp": "clip", "clip": "clip",
    "softplus": "act", "softsign": "act", "logsigmoid": "act", "threshold": "act", "abs": "abs", "neg": "neg",
    "exp": "exp", "log": "log", "sqrt": "sqrt", "batch_norm": "bn", "instance_norm": "instancenorm",
    "group_norm": "gn", "local_response_norm": "lrn", "normalize": "norm", "dropout": "dropout",
    "dropout1d": "dropout", "dropout2d": "dropout", "dropout3d": "dropout", "alpha_dropout": "dropout",
    "feature_alpha_dropout": "dropout", "zeros_like": "identity", "ones_like": "identity",
}
_PRESERVING_METHODS = {
    **{name: kind for name, kind in _PRESERVING_FUNCTIONS.items() if name not in ("zeros_like", "ones_like")},
    "sigmoid_": "sigmoid", "tanh_": "tanh", "clamp_": "clip", "clip_": "clip", "abs_": "abs", "neg_": "neg",
    "exp_": "exp", "log_": "log", "sqrt_": "sqrt", "contiguous": "identity", "float": "identity",
    "double": "identity", "half": "identity", "bfloat16": "identity", "to": "identity", "type": "identity",
    "type_as": "identity", "clone": "identity", "detach": "identity",
}
#: Element-wise functions and methods (their inputs broadcast), by the word of ``ELEMENTWISE``.
_ELEMENTWISE = {
    "add": "add", "iadd": "add", "add_": "add", "sub": "sub", "isub": "sub", "sub_": "sub", "subtract": "sub",
    "mul": "mul", "imul": "mul", "mul_": "mul", "multiply": "mul", "truediv": "div", "itruediv": "div",
    "div": "div", "div_": "div", "divide": "div", "true_divide": "div", "floordiv": "div", "pow": "pow",
    "pow_": "pow", "maximum": "max", "minimum": "min", "where": "where",
}


# ---------------------------------------------------------------- the importer


def _torch() -> Any:
    try:
        import torch
    except ModuleNotFoundError:
        raise ParameterError("module", "torch", "importing PyTorch models needs the torch package:"
                             " pip install 'symconv[torch]'") from None
    return torch


def _examples(torch: Any, example_input: Any) -> tuple[Any, ...]:
    inputs = tuple(example_input) if isinstance(example_input, (tuple, list)) else (example_input,)
    if not inputs:
        raise ParameterError("example_input", example_input, "give a tensor, or one tensor per input of forward")
    for number, value in enumerate(inputs):
        if not isinstance(value, torch.Tensor):
            raise ParameterError("example_input" if len(inputs) == 1 else f"example_input[{number}]",
                                 type(value).__name__, "expected a torch.Tensor (batch, channels, *spatial)")
        if not 3 <= value.dim() <= 2 + MAX_AXES:
            raise ParameterError("example_input" if len(inputs) == 1 else f"example_input[{number}]",
                                 tuple(value.shape), f"an input is (batch, channels, *spatial), with 1 to {MAX_AXES}"
                                 " spatial axes")
    return inputs


def _wrapped(torch: Any, layer: Any) -> Any:
    """``layer`` as the one child of a module, named after its class (``convtranspose2d``)."""
    name = type(layer).__name__.lower()

    class Layer(torch.nn.Module):
        def forward(self, x: Any) -> Any:
            return getattr(self, name)(x)

    root = Layer()
    root.add_module(name, layer)
    return root


def _trace(torch: Any, module: Any, given: int, name: str) -> Any:
    """``torch.fx.symbolic_trace(module)``; parameters of ``forward`` beyond the ``given`` inputs keep their
    defaults; whatever fx refuses is one line."""
    from torch.fx import symbolic_trace

    try:
        parameters = [p for p in inspect.signature(module.forward).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    extra = parameters[given:]
    missing = [p.name for p in extra if p.default is p.empty]
    if missing:
        raise ParameterError("example_input", f"{given} tensor(s)", f"{name}.forward also needs"
                             f" {', '.join(missing)}: give one example tensor per input")
    concrete = {p.name: p.default for p in extra}
    try:
        return symbolic_trace(module, concrete_args=concrete or None)
    except Exception as error:  # fx raises TraceError, TypeError, RuntimeError, ... with its reason
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ParameterError("module", name, f"torch.fx cannot trace it: {reason[:300]}") from None


def _axis_names(placeholders: Sequence[Any], inputs: Sequence[Any], input_names: Any) -> list[tuple[str, ...]]:
    axes = [value.dim() - 2 for value in inputs]
    if input_names is None:
        names = []
        for number, (node, count) in enumerate(zip(placeholders, axes)):
            base = AXIS_NAMES.get(count, tuple(f"A{n}" for n in range(count)))
            suffix = str(node.target) if re.fullmatch(r"[A-Za-z0-9_]{1,24}", str(node.target)) else str(number + 1)
            names.append(base if number == 0 else tuple(f"{axis}_{suffix}" for axis in base))
        return names
    given = [input_names] if len(inputs) == 1 and all(isinstance(n, str) for n in input_names) else input_names
    rule = (f"give one name per spatial axis ({', '.join(map(str, axes))} axes) for each of the {len(inputs)}"
            " input(s): names alike share a size")
    if isinstance(given, str) or len(given) != len(inputs):
        raise ParameterError("input_names", input_names, rule)
    names = []
    for entry, count in zip(given, axes):
        if isinstance(entry, str) or len(entry) != count or not all(isinstance(name, str) for name in entry):
            raise ParameterError("input_names", input_names, rule)
        names.append(tuple(entry))
    return names


def _joined(torch: Any, node: Any) -> bool:
    """Whether ``node`` joins tensors whose spatial sizes must agree: a concatenation or an element-wise op."""
    targets = {torch.cat, getattr(torch, "concat", None), getattr(torch, "concatenate", None)}
    name = getattr(node.target, "__name__", node.target) if node.op != "call_module" else None
    return node.op in ("call_function", "call_method") and (node.target in targets or name in _ELEMENTWISE)


def _aligned(torch: Any, value: Any, like: Any) -> Any:
    """``value`` cropped or zero-padded at the end of each spatial axis to the sizes of ``like``."""
    if not isinstance(value, torch.Tensor) or not isinstance(like, torch.Tensor) or value.dim() != like.dim():
        return value
    pads: list[int] = []
    for axis in range(value.dim() - 1, 1, -1):  # F.pad reads the last axis first
        mine, theirs = value.shape[axis], like.shape[axis]
        pads += [0, 0 if 1 in (mine, theirs) else theirs - mine]  # a size 1 broadcasts
    return torch.nn.functional.pad(value, pads) if any(pads) else value


def _run(torch: Any, name: str, traced: Any, inputs: Sequence[Any]) -> tuple[dict[Any, Any], set[Any]]:
    """Run the traced module once on the example: each fx node's shape (a tuple), or ``...`` for a value that is
    not a tensor, and the joins that had to be forced. Where it raises, one line naming the node.

    A join whose inputs' sizes differ (a model that fails at the example, or at every size) is forced to run,
    its inputs cropped or padded to the first one's sizes, so that the run still learns every channel count and
    rank; what sizes the model runs on is symconv's to say, not the example's."""
    from torch.fx import Interpreter

    found: dict[Any, Any] = {}
    forced: set[Any] = set()

    class Recorder(Interpreter):
        def run_node(self, node: Any) -> Any:
            try:
                value = super().run_node(node)
            except Exception as error:
                if not _joined(torch, node):
                    raise _Failed(node, error) from None  # fx appends to args[0]: the node is an attribute
                args, kwargs = self.fetch_args_kwargs_from_env(node)
                if node.target in (torch.cat, getattr(torch, "concat", None), getattr(torch, "concatenate", None)):
                    tensors = list(args[0])
                    args = ([_aligned(torch, tensor, tensors[0]) for tensor in tensors], *args[1:])
                else:
                    first = next((arg for arg in args if isinstance(arg, torch.Tensor)), None)
                    args = tuple(_aligned(torch, arg, first) for arg in args)
                try:
                    value = getattr(self, node.op)(node.target, args, kwargs)
                except Exception:
                    raise _Failed(node, error) from None
                forced.add(node)
            found[node] = tuple(int(n) for n in value.shape) if isinstance(value, torch.Tensor) else ...
            return value

    try:
        with torch.no_grad():
            Recorder(traced).run(*inputs)
    except _Failed as failed:
        node, error = failed.node, failed.error
        where = str(node.target) if node.op == "call_module" else node.name
        reason = " ".join(str(error).split()) or type(error).__name__
        raise ParameterError("example_input", tuple(tuple(value.shape) for value in inputs) if len(inputs) > 1
                             else tuple(inputs[0].shape),
                             f"{name} does not run on it: at {where!r}: {reason[:300]}") from None
    return found, forced


class _Failed(Exception):
    """The fx node where the example run raised, and the error."""

    def __init__(self, node: Any, error: BaseException) -> None:
        super().__init__(str(error))
        self.node, self.error = node, error


def from_torch(module: Any, example_input: Any, input_names: Any = None) -> Graph:
    """The graph of ``module``, traced with ``torch.fx``; ``example_input`` (a tensor, or one per input of
    ``forward``) only serves to run it once. ``input_names`` names the spatial axes: one name per axis for one
    input, or one sequence per input (names alike share a size).

    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from symconv.graphs.sizes import tensor_sizes
    >>> net = torch.nn.Sequential(torch.nn.MaxPool1d(2), torch.nn.ConvTranspose1d(1, 1, 3, stride=2, padding=1))
    >>> graph = from_torch(net, torch.zeros(1, 1, 8), input_names=["T"])
    >>> print(graph)
    input_1 = input [T]; _0 = pool k=2 (input_1); _1 = tconv k=3 s=2 p=1 (_0)
    >>> tensor_sizes(graph)
    {'input_1': (T,), '_0': (floor(T/2),), '_1': (2*floor(T/2) - 1,)}
    >>> from_torch(torch.nn.Sequential(torch.nn.Unfold(2)), torch.zeros(1, 1, 8, 8))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: Unfold '0' op='torch.nn.modules.fold.Unfold' is invalid: symconv does not ...
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise ParameterError("module", type(module).__name__, "expected a torch.nn.Module")
    inputs = _examples(torch, example_input)
    shown = type(module).__name__
    if torch.fx.Tracer().is_leaf_module(module, ""):
        # A layer on its own: fx would trace its forward (and the checks in it); read it as a layer instead.
        module = _wrapped(torch, module)
    traced = _trace(torch, module, len(inputs), shown)
    placeholders = [node for node in traced.graph.nodes if node.op == "placeholder"][:len(inputs)]
    names = _axis_names(placeholders, inputs, input_names)
    shapes, forced = _run(torch, shown, traced, inputs)
    return _Importer(torch, traced, placeholders, names, inputs, shapes, forced).graph()


class _Importer:
    """Reads a traced module node by node into a :class:`GraphBuilder`."""

    def __init__(self, torch: Any, traced: Any, placeholders: Sequence[Any], names: Sequence[tuple[str, ...]],
                 inputs: Sequence[Any], shapes: dict[Any, Any], forced: set[Any] = frozenset()) -> None:  # type: ignore
        self.torch, self.F, self.traced, self.shapes = torch, torch.nn.functional, traced, shapes
        self.forced = forced
        self.placeholders = {node: (axes, value) for node, axes, value in zip(placeholders, names, inputs)}
        self.batch = int(inputs[0].shape[0])
        self.builder = GraphBuilder()
        self.values: dict[Any, Any] = {}
        self.labels: dict[str, tuple[str, Optional[str]]] = {}
        self.used: set[str] = set()
        self.node: Any = None
        functions: dict[Any, Callable[[tuple, dict], Any]] = {}
        for name in ("conv1d", "conv2d", "conv3d"):
            functions[getattr(self.F, name)] = self._f_conv
        for name in ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
            functions[getattr(self.F, name)] = self._f_conv_transpose
        for name in ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
                     "lp_pool1d", "lp_pool2d", "lp_pool3d"):
            if hasattr(self.F, name):
                functions[getattr(self.F, name)] = self._f_pool
        for name in ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
                     "adaptive_max_pool2d", "adaptive_max_pool3d"):
            functions[getattr(self.F, name)] = self._f_adaptive
        for name in ("interpolate", "upsample", "upsample_nearest", "upsample_bilinear"):
            functions[getattr(self.F, name)] = self._f_interpolate
        for target in (torch.cat, getattr(torch, "concat", None), getattr(torch, "concatenate", None)):
            if target is not None:
                functions[target] = self._f_cat
        functions.update({self.F.pad: self._f_pad, torch.flatten: self._f_flatten, self.F.linear: self._f_linear,
                          self.F.pixel_shuffle: self._f_pixel_shuffle, self.F.layer_norm: self._f_layer_norm,
                          operator.getitem: self._f_getitem, getattr: self._f_getattr})
        for name, kind in _PRESERVING_FUNCTIONS.items():
            for space in (self.F, torch):
                if callable(getattr(space, name, None)) and getattr(space, name) not in functions:
                    functions[getattr(space, name)] = self._preserving(kind)
        for name, kind in _ELEMENTWISE.items():
            for space in (operator, torch):
                if callable(getattr(space, name, None)) and getattr(space, name) not in functions:
                    functions[getattr(space, name)] = self._elementwise(kind)
        functions[operator.neg] = self._preserving("neg")
        self.functions = functions

    # ------------------------------------------------------------ plumbing

    def graph(self) -> Graph:
        outputs: list[str] = []
        for node in self.traced.graph.nodes:
            self.node = node
            if node.op == "output":
                outputs = [value.name for value in self._flat(self.resolve(node.args)) if isinstance(value, _Tensor)]
                continue
            try:
                self.values[node] = self.read(node)
            except _Refused as refused:
                raise ParameterError(f"{self.title()} {self.label()!r} {refused.argument}", refused.value,
                                     refused.rule) from None
            except ParameterError as error:  # a node the graph refuses, named by its module or call
                rule = error.rule if not error.name.startswith("node ") else f"{error.name}={error.value}: {error.rule}"
                raise ParameterError(f"{self.title()} {self.label()!r}", _shown(self.args_shown()), rule) from None
            self._check_rank(node)
        if not outputs:
            raise ParameterError("module", type(self.traced).__name__, "its forward returns no tensor that follows"
                                 " the input")
        self.builder.output(*dict.fromkeys(outputs))
        built = self.builder.build()
        nodes = tuple(replace(node, label=self.labels[node.name][0], op_type=self.labels[node.name][1])
                      if node.name in self.labels else node for node in built.nodes)
        graph = Graph(nodes, built.outputs)
        self._check_example(graph)
        return graph

    def _flat(self, value: Any) -> list[Any]:
        if isinstance(value, (tuple, list)):
            return [entry for item in value for entry in self._flat(item)]
        if isinstance(value, dict):
            return [entry for item in value.values() for entry in self._flat(item)]
        return [value]

    def resolve(self, value: Any) -> Any:
        """An fx argument with every node replaced by what it is."""
        from torch.fx import Node

        if isinstance(value, Node):
            return self.values[value]
        if isinstance(value, (tuple, list)):
            return type(value)(self.resolve(entry) for entry in value)
        if isinstance(value, dict):
            return {key: self.resolve(entry) for key, entry in value.items()}
        if isinstance(value, slice):
            return slice(self.resolve(value.start), self.resolve(value.stop), self.resolve(value.step))
        return value

    def label(self) -> str:
        node = self.node
        return str(node.target) if node.op in ("call_module", "placeholder", "get_attr") else node.name

    def title(self) -> str:
        node = self.node
        if node.op == "call_module":
            return type(self.traced.get_submodule(node.target)).__name__
        if node.op == "call_method":
            return str(node.target)
        if node.op == "call_function":
            name = getattr(node.target, "__name__", str(node.target))
            return "max_pool" if name == "fn" else name  # F.max_pool*d is a boolean_dispatch wrapper
        return node.op

    def args_shown(self) -> Any:
        return self.resolve(tuple(self.node.args))

    def fresh(self, name: str) -> str:
        """A node name for the graph: the fx name, made a valid and unused one."""
        name = re.sub(r"\W", "_", name)[:60] or "node"
        if not _NAME.match(name) or name in ("input", "output"):
            name = "_" + name
        base, number = name, 1
        while name in self.used:
            number += 1
            name = f"{base}_{number}"
        self.used.add(name)
        return name

    def add(self, make: Callable[[str], str], axes: int, name: Optional[str] = None,
            label: Optional[str] = None) -> _Tensor:
        """Add the node ``make(name)`` for the current fx node, labelled with its module path or call."""
        made = make(self.fresh(name or self.node.name))
        self.labels[made] = (label or self.label(), self.title())
        return _Tensor(made, axes)

    def meta_shape(self, node: Any) -> Optional[tuple[int, ...]]:
        """The shape of ``node``'s tensor in the example run (None: not a tensor)."""
        shape = self.shapes.get(node)
        return shape if isinstance(shape, tuple) else None

    def is_tensor(self, node: Any) -> bool:
        return isinstance(self.shapes.get(node), tuple)

    def _check_rank(self, node: Any) -> None:
        value = self.values.get(node)
        shape = self.meta_shape(node)
        if isinstance(value, _Tensor) and shape is not None and len(shape) != 2 + value.axes:
            raise ParameterError(f"{self.title()} {self.label()!r}", shape, f"its output has {len(shape)} axes where"
                                 f" symconv follows (batch, channels{', *spatial' if value.axes else ''}):"
                                 " symconv does not follow this change of axes")

    def _check_example(self, graph: Graph) -> None:
        """The graph's sizes at the example are PyTorch's, node by node: the importer's own check."""
        from symconv.graphs.sizes import run_graph

        sizes = {axis: int(n) for axes, value in self.placeholders.values() for axis, n in zip(axes, value.shape[2:])}
        found = run_graph(graph, {axis: sizes[axis] for axis in graph.axes})
        expected = {value.name: shape for node, value in self.values.items() if isinstance(value, _Tensor)
                    and (shape := self.meta_shape(node)) is not None}
        forced = {value.name for node, value in self.values.items() if node in self.forced
                  and isinstance(value, _Tensor)}
        if forced and (found.failure is None or found.failure.node not in forced):
            where = found.failure.message if found.failure else "it runs"
            raise SymconvError(f"PyTorch fails at the example at {', '.join(sorted(forced))}, but symconv says"
                               f" {where}; please report this model")
        for node in graph.nodes:
            if node.name not in expected or (forced and node.name not in found.sizes):
                continue  # past the first join that fails at the example, only the channels were learnt
            if node.name not in found.sizes:
                failure = found.failure.message if found.failure else "no size"
                raise SymconvError(f"{node.title} {node.shown!r}: PyTorch runs the example, but symconv says"
                                   f" {failure}; please report this model")
            if found.sizes[node.name] != expected[node.name][2:2 + len(found.sizes[node.name])]:
                raise SymconvError(f"{node.title} {node.shown!r}: at the example symconv gives"
                                   f" {found.sizes[node.name]} but PyTorch {expected[node.name][2:]}; please report"
                                   " this model")

    # ------------------------------------------------------------ dispatch

    def read(self, node: Any) -> Any:
        if node.op == "placeholder":
            if node not in self.placeholders:
                return node.args[0] if node.args else None  # a parameter left at its default
            axes, _ = self.placeholders[node]
            return self.add(lambda name: self.builder.input(name, axes), len(axes), label=str(node.target))
        if node.op == "get_attr":
            shape = self.meta_shape(node)
            return _Constant(shape) if shape is not None else _Runtime(f"attribute {node.target}")
        args, kwargs = self.resolve(tuple(node.args)), self.resolve(dict(node.kwargs))
        reads_input = any(isinstance(value, (_Tensor, _Runtime)) for value in self._flat([args, kwargs]))
        if not reads_input:
            # Only parameters and constants: a weight, a computed mask. Its shape is all that matters.
            shape = self.meta_shape(node)
            return _Constant(shape) if shape is not None and self.is_tensor(node) else _Runtime(node.name)
        if not any(isinstance(value, _Tensor) for value in self._flat([args, kwargs])):
            if node.target is operator.getitem:
                return self._f_getitem(args, kwargs)  # x.shape[0] is the batch
            if self.is_tensor(node):
                raise _Refused("args", _shown(args), "it makes a tensor whose size is read at run time from another"
                                                 " tensor's shape, which symconv does not follow")
            return _Runtime(f"{node.name}, read at run time")
        if node.op == "call_module":
            return self.module(self.traced.get_submodule(node.target), args, kwargs)
        if node.op == "call_method":
            return self.method(str(node.target), args, kwargs)
        handler = self.functions.get(node.target)
        if handler is None:
            raise _Refused("op", f"{getattr(node.target, '__module__', None) or ''}.{self.title()}".lstrip("."),
                           "symconv does not know how this function changes sizes")
        return handler(args, kwargs)

    def tensor(self, argument: str, value: Any) -> _Tensor:
        if not isinstance(value, _Tensor):
            raise _Refused(argument, _shown(value), "expected a tensor that follows the input")
        return value

    def spatial(self, argument: str, value: Any) -> _Tensor:
        x = self.tensor(argument, value)
        if not x.axes:
            raise _Refused(argument, f"<tensor {x.name}>", "it is flat (after a flatten): this op needs spatial axes")
        return x

    # ------------------------------------------------------------ modules

    def module(self, layer: Any, args: tuple, kwargs: dict) -> Any:
        nn = self.torch.nn
        kind = _PRESERVING_MODULES.get(type(layer).__name__)
        if kind is not None and type(layer) is getattr(nn, type(layer).__name__, None):
            return self.preserving(kind, args[0] if args else kwargs.get("input"))
        x = args[0] if args else next(iter(kwargs.values()), None)
        if isinstance(layer, nn.modules.conv._ConvTransposeNd):
            output_size = args[1] if len(args) > 1 else kwargs.get("output_size")
            return self.conv_transpose(x, layer.kernel_size, layer.stride, layer.padding, layer.output_padding,
                                       layer.dilation, output_size)
        if isinstance(layer, nn.modules.conv._ConvNd):
            return self.conv(x, layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.padding_mode)
        if isinstance(layer, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
            if layer.return_indices:
                raise _Refused("return_indices", True, "symconv follows one output tensor")
            return self.pool(x, layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.ceil_mode)
        if isinstance(layer, (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
            return self.pool(x, layer.kernel_size, layer.stride, layer.padding, 1, layer.ceil_mode)
        if isinstance(layer, nn.modules.pooling._LPPoolNd):
            return self.pool(x, layer.kernel_size, layer.stride, 0, 1, layer.ceil_mode)
        if isinstance(layer, (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)):
            if getattr(layer, "return_indices", False):
                raise _Refused("return_indices", True, "symconv follows one output tensor")
            return self.adaptive(x, layer.output_size)
        if isinstance(layer, nn.Upsample):
            return self.interpolate(x, layer.size, layer.scale_factor)
        if isinstance(layer, nn.PixelShuffle):
            return self.pixel_shuffle(x, layer.upscale_factor)
        if type(layer).__module__ == "torch.nn.modules.padding":
            kind = type(layer).__name__
            mode = "reflect" if kind.startswith("Reflection") else "replicate" if kind.startswith("Replication") \
                else "circular" if kind.startswith("Circular") else "constant"
            return self.pad(x, layer.padding, mode)
        if isinstance(layer, nn.Flatten):
            return self.flatten(x, layer.start_dim, layer.end_dim)
        if isinstance(layer, nn.Linear):
            return self.linear(x, layer.in_features, layer.out_features)
        if isinstance(layer, nn.LayerNorm):
            return self.layer_norm(x, layer.normalized_shape)
        raise _Refused("op", f"{type(layer).__module__}.{type(layer).__qualname__}",
                       "symconv does not know how this module changes sizes")

    # ------------------------------------------------------------ the ops, shared by modules and functions

    def conv(self, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
             padding_mode: str = "zeros") -> _Tensor:
        x = self.spatial("input", x)
        n = x.axes
        k, s, d = (_per_axis(name, value, n) for name, value in (
            ("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)))
        if padding in ("same", "valid"):
            # PyTorch's 'same' pads d(k - 1) in all, the odd unit after: the larger side is the one after.
            largest = tuple(d_ * (k_ - 1) - d_ * (k_ - 1) // 2 for k_, d_ in zip(k, d)) if padding == "same" \
                else (0,) * n
            pads: Any = padding
        else:
            largest = _per_axis("padding", padding, n)
            pads = _pairs(largest)
        x = self.guard(x, _needs(padding_mode, largest))
        return self.add(lambda name: self.builder.conv(name, x.name, _one(k), _one(s), pads, _one(d)), n)

    def guard(self, x: _Tensor, needs: Sequence[int]) -> _Tensor:
        """``x``, where PyTorch also needs at least ``needs`` units per axis (a reflect padding): a crop by
        ``needs - 1`` and a pad back, which changes no size and no region, and refuses exactly below it."""
        if all(n <= 1 for n in needs):
            return x
        crop = tuple((1 - n, 0) for n in needs)
        cropped = self.add(lambda name: self.builder.pad(name, x.name, crop), x.axes, self.node.name + "_needs")
        back = tuple((n - 1, 0) for n in needs)
        return self.add(lambda name: self.builder.pad(name, cropped.name, back), x.axes, self.node.name + "_kept")

    def conv_transpose(self, x: Any, kernel_size: Any, stride: Any, padding: Any, output_padding: Any,
                       dilation: Any, output_size: Any = None) -> _Tensor:
        x = self.spatial("input", x)
        n = x.axes
        k, s, p, d = (_per_axis(name, value, n) for name, value in (("kernel_size", kernel_size), ("stride", stride),
                                                                     ("padding", padding), ("dilation", dilation)))
        a = _per_axis("output_padding", output_padding, n)
        if output_size is None:
            return self.add(lambda name: self.builder.conv_transpose(name, x.name, _one(k), _one(s), _pairs(p),
                                                                     _one(a), _one(d)), n)
        # PyTorch picks output_padding = output_size - its smallest output, in [0, stride): that is one input
        # size per axis. The graph says so: the layer with that output_padding, and a join with the fixed size.
        size = _constant("output_size", output_size)
        if not isinstance(size, (tuple, list)) or len(size) not in (n, n + 2) or \
                not all(isinstance(v, int) for v in size):
            raise _Refused("output_size", size, f"expected {n} sizes (or {n + 2}, batch and channels first)")
        out = tuple(size[-n:])
        a = tuple((o - (d_ * (k_ - 1) + 1 - 2 * p_)) % s_ for o, k_, s_, p_, d_ in zip(out, k, s, p, d))
        layer = self.add(lambda name: self.builder.conv_transpose(name, x.name, _one(k), _one(s), _pairs(p),
                                                                  _one(a), _one(d)), n)
        fixed = self.add(lambda name: self.builder.resize(name, layer.name, out), n, self.node.name + "_output_size")
        return self.add(lambda name: self.builder.cat(name, [layer.name, fixed.name]), n,
                        self.node.name + "_matches_output_size")

    def pool(self, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any) -> _Tensor:
        x = self.spatial("input", x)
        n = x.axes
        k = _per_axis("kernel_size", kernel_size, n)
        s = k if stride is None or stride == [] or stride == () else _per_axis("stride", stride, n)
        p, d = _per_axis("padding", padding, n), _per_axis("dilation", dilation, n)
        ceil = bool(_constant("ceil_mode", ceil_mode))
        return self.add(lambda name: self.builder.pool(name, x.name, _one(k), _one(s), _pairs(p), _one(d), ceil), n)

    def adaptive(self, x: Any, output_size: Any) -> _Tensor:
        x = self.spatial("input", x)
        size = _constant("output_size", output_size)
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * x.axes
        if len(sizes) != x.axes:
            raise _Refused("output_size", size, f"expected an integer or {x.axes} entries, one per spatial axis")
        if all(entry is None for entry in sizes):
            return self.add(lambda name: self.builder.identity(name, x.name), x.axes)
        return self.add(lambda name: self.builder.adaptive_pool(name, x.name, sizes), x.axes)

    def interpolate(self, x: Any, size: Any, scale_factor: Any) -> _Tensor:
        x = self.spatial("input", x)
        if size is not None:
            sizes = _per_axis("size", size, x.axes)
            return self.add(lambda name: self.builder.resize(name, x.name, _one(sizes)), x.axes)
        if scale_factor is None:
            raise _Refused("scale_factor", None, "give size or scale_factor")
        factors = _integer_factor("scale_factor", scale_factor, x.axes)
        return self.add(lambda name: self.builder.upsample(name, x.name, scale_factor=_one(factors)), x.axes)

    def pixel_shuffle(self, x: Any, upscale_factor: Any) -> _Tensor:
        x = self.spatial("input", x)
        factors = _integer_factor("upscale_factor", upscale_factor, x.axes)
        return self.add(lambda name: self.builder.upsample(name, x.name, scale_factor=_one(factors)), x.axes)

    def pad(self, x: Any, pad: Any, mode: Any = "constant") -> _Tensor:
        x = self.spatial("input", x)
        amounts = _constant("pad", pad)
        if not isinstance(amounts, (tuple, list)) or len(amounts) % 2 or \
                not all(isinstance(v, int) and not isinstance(v, bool) for v in amounts):
            raise _Refused("pad", amounts, "expected (before, after) pairs of integers, last axis first")
        if len(amounts) > 2 * (x.axes + 1):
            raise _Refused("pad", amounts, "it pads the batch axis, which symconv does not follow")
        if mode != "constant" and min(amounts) < 0:
            raise _Refused("pad", amounts, f"symconv crops with negative amounts only in mode 'constant', not {mode!r}")
        # F.pad's pairs start at the last axis; the channels' pair (if any) changes no spatial size.
        pairs = [tuple(amounts[2 * n:2 * n + 2]) for n in range(len(amounts) // 2)][:x.axes]
        per_axis = tuple(reversed(pairs + [(0, 0)] * (x.axes - len(pairs))))
        if mode == "constant":
            # PyTorch crops first: the negative amounts alone must leave a tensor (maybe empty), even where
            # the positive ones would make up for them.
            needs = [-min(b, 0) - min(a, 0) if max(b, a) > 0 else 1 for b, a in per_axis]
        else:
            needs = list(_needs(str(mode), [max(pair) for pair in per_axis]))
        x = self.guard(x, needs)
        return self.add(lambda name: self.builder.pad(name, x.name, _pairs(per_axis)), x.axes)

    def flatten(self, x: Any, start_dim: Any, end_dim: Any, size: Optional[int] = None) -> _Tensor:
        x = self.tensor("input", x)
        rank = 2 + x.axes
        start, end = _constant("start_dim", start_dim), _constant("end_dim", end_dim)
        start, end = start % rank if isinstance(start, int) else start, end % rank if isinstance(end, int) else end
        if (start, end) != (1, rank - 1):
            raise _Refused("start_dim", (start_dim, end_dim), "symconv follows a flatten of the channels and every"
                                                              " spatial axis (start_dim=1, end_dim=-1)")
        if not x.axes and size is None:
            return self.add(lambda name: self.builder.identity(name, x.name), 0)
        # The channel count is the same at every input size: a later Linear's in_features checks C·h·w.
        shape = self.meta_shape(self.node.args[0])
        channels = shape[1] if shape else None
        return self.add(lambda name: self.builder.flatten(name, x.name, channels=channels, size=size), 0)

    def linear(self, x: Any, in_features: int, out_features: int) -> _Tensor:
        x = self.tensor("input", x)
        if x.axes:
            raise _Refused("input", f"<tensor {x.name}>", f"it has spatial axes, and Linear reads the last one as its"
                                                          f" {in_features} features: flatten it first")
        return self.add(lambda name: self.builder.dense(name, x.name, "linear", in_features=in_features,
                                                        out_features=out_features), 0)

    def layer_norm(self, x: Any, normalized_shape: Any) -> _Tensor:
        x = self.tensor("input", x)
        if x.axes:
            raise _Refused("normalized_shape", _shown(normalized_shape), "on a tensor with spatial axes it fixes"
                                                                         " the last ones' sizes, which symconv does"
                                                                         " not follow")
        return self.preserving("ln", x)

    def preserving(self, kind: str, x: Any) -> _Tensor:
        x = self.tensor("input", x)
        return self.add(lambda name: self.builder.identity(name, x.name, kind), x.axes)

    def elementwise(self, kind: str, operands: Sequence[Any]) -> _Tensor:
        tensors = [value for value in operands if isinstance(value, _Tensor)]
        axes = max(value.axes for value in tensors)
        names = [value.name for value in tensors]
        for number, value in enumerate(operands):
            if isinstance(value, _Constant) and axes:
                # A constant tensor broadcasts from the right: its last dims meet the spatial axes.
                shape = value.shape[-axes:] if len(value.shape) >= axes else value.shape
                fixed = (1,) * (axes - len(shape)) + tuple(shape)
                if any(n != 1 for n in fixed):
                    made = self.add(partial(self.builder.input, shape=fixed), axes,
                                    f"{self.node.name}_constant{number}", label=f"{self.label()} operand {number}")
                    names.append(made.name)
        return self.add(lambda name: self.builder.elementwise(name, kind, names), axes)

    # ------------------------------------------------------------ functions

    def _preserving(self, kind: str) -> Callable[[tuple, dict], _Tensor]:
        return lambda args, kwargs: self.preserving(kind, args[0] if args else kwargs.get("input"))

    def _elementwise(self, kind: str) -> Callable[[tuple, dict], _Tensor]:
        return lambda args, kwargs: self.elementwise(kind, [*args, *kwargs.values()])

    def _f_conv(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
                  {"stride": 1, "padding": 0, "dilation": 1})
        weight = a["weight"]
        if not isinstance(weight, _Constant):
            raise _Refused("weight", _shown(weight), "symconv reads the kernel size from a constant weight")
        return self.conv(a["input"], weight.shape[2:], a["stride"], a["padding"], a["dilation"])

    def _f_conv_transpose(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "weight", "bias", "stride", "padding", "output_padding", "groups",
                                 "dilation"), {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1})
        weight = a["weight"]
        if not isinstance(weight, _Constant):
            raise _Refused("weight", _shown(weight), "symconv reads the kernel size from a constant weight")
        return self.conv_transpose(a["input"], weight.shape[2:], a["stride"], a["padding"], a["output_padding"],
                                   a["dilation"])

    def _f_pool(self, args: tuple, kwargs: dict) -> _Tensor:
        name = self.title()
        if name.startswith("lp_pool"):
            a = _bind(args, kwargs, ("input", "norm_type", "kernel_size", "stride", "ceil_mode"),
                      {"stride": None, "ceil_mode": False, "padding": 0, "dilation": 1})
        elif name.startswith("avg_pool"):
            a = _bind(args, kwargs, ("input", "kernel_size", "stride", "padding", "ceil_mode"),
                      {"stride": None, "padding": 0, "ceil_mode": False, "dilation": 1})
        else:
            a = _bind(args, kwargs, ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                     "return_indices"),
                      {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False})
            if a["return_indices"]:
                raise _Refused("return_indices", True, "symconv follows one output tensor")
        return self.pool(a["input"], a["kernel_size"], a["stride"], a["padding"], a["dilation"], a["ceil_mode"])

    def _f_adaptive(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "output_size", "return_indices"), {"return_indices": False})
        if a["return_indices"]:
            raise _Refused("return_indices", True, "symconv follows one output tensor")
        return self.adaptive(a["input"], a["output_size"])

    def _f_interpolate(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "size", "scale_factor"), {"size": None, "scale_factor": None})
        return self.interpolate(a["input"], a["size"], a["scale_factor"])

    def _f_pixel_shuffle(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "upscale_factor"), {})
        return self.pixel_shuffle(a["input"], a["upscale_factor"])

    def _f_pad(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "pad", "mode", "value"), {"mode": "constant"})
        return self.pad(a["input"], a["pad"], a["mode"])

    def _f_cat(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("tensors", "dim"), {"dim": 0})
        tensors = [self.tensor("tensors", value) for value in _constant_list(a["tensors"])]
        dim = _constant("dim", a["dim"])
        if not isinstance(dim, int) or not tensors:
            raise _Refused("dim", dim, "expected an integer dim and at least one tensor")
        axes = tensors[0].axes
        dim = dim % (2 + axes)
        axis = dim - 2 if dim >= 2 else None
        return self.add(lambda name: self.builder.cat(name, [t.name for t in tensors], axis), axes)

    def _f_flatten(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
        return self.flatten(a["input"], a["start_dim"], a["end_dim"])

    def _f_linear(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "weight", "bias"), {})
        weight = a["weight"]
        if not isinstance(weight, _Constant) or len(weight.shape) != 2:
            raise _Refused("weight", _shown(weight), "symconv reads in_features from a constant 2-D weight")
        return self.linear(a["input"], weight.shape[1], weight.shape[0])

    def _f_layer_norm(self, args: tuple, kwargs: dict) -> _Tensor:
        a = _bind(args, kwargs, ("input", "normalized_shape"), {})
        return self.layer_norm(a["input"], a["normalized_shape"])

    def _f_getattr(self, args: tuple, kwargs: dict) -> Any:
        if len(args) >= 2 and args[1] == "shape" and isinstance(args[0], _Tensor):
            return _Shape(f"the shape of {args[0].name}")
        return _Runtime(f"{self.node.name}, read at run time")

    def _f_getitem(self, args: tuple, kwargs: dict) -> Any:
        value, index = args[0], args[1]
        if isinstance(value, _Shape):
            return _Batch("the batch size") if index == 0 else _Runtime(f"{value.what}[{_shown(index)}]")
        if not isinstance(value, _Tensor):
            return _Runtime(f"{self.node.name}, read at run time")
        return self.getitem(value, index)

    def getitem(self, x: _Tensor, index: Any) -> _Tensor:
        rank = 2 + x.axes
        items = list(index) if isinstance(index, tuple) else [index]
        if any(not (isinstance(item, slice) or item is Ellipsis) for item in items) or items.count(Ellipsis) > 1:
            raise _Refused("index", _shown(index), "symconv follows slices with constant bounds (x[..., 1:-1]);"
                                                   " an integer, None or a tensor index changes the axes")
        if Ellipsis in items:
            at = items.index(Ellipsis)
            items[at:at + 1] = [slice(None)] * (rank - len(items) + 1)
        items += [slice(None)] * (rank - len(items))
        if len(items) != rank:
            raise _Refused("index", _shown(index), f"too many indices for {rank} axes")
        ranges = []
        for item in items[2:]:
            bounds = _constant("index", (item.start, item.stop, item.step))
            if not all(bound is None or isinstance(bound, int) for bound in bounds):
                raise _Refused("index", _shown(index), "slice bounds are integers or None")
            ranges.append(slice(*bounds))
        if not x.axes or all(r == slice(None) or r == slice(None, None, 1) for r in ranges):
            return self.add(lambda name: self.builder.identity(name, x.name), x.axes)
        return self.add(lambda name: self.builder.slice(name, x.name, *ranges), x.axes)

    # ------------------------------------------------------------ methods

    def method(self, name: str, args: tuple, kwargs: dict) -> Any:
        x = args[0]
        if name in ("size", "dim", "numel", "nelement"):
            if name == "size" and isinstance(x, _Tensor):
                dim = args[1] if len(args) > 1 else kwargs.get("dim")
                if dim is None:
                    return _Shape(f"the shape of {x.name}")
                if isinstance(dim, int) and dim % (2 + x.axes) == 0:
                    return _Batch("the batch size")
            return _Runtime(f"{self.node.name}, read at run time")
        if name in _PRESERVING_METHODS:
            return self.preserving(_PRESERVING_METHODS[name], x)
        if name in _ELEMENTWISE:
            return self.elementwise(_ELEMENTWISE[name], [*args, *kwargs.values()])
        if name == "flatten":
            a = _bind(args, kwargs, ("input", "start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
            return self.flatten(a["input"], a["start_dim"], a["end_dim"])
        if name in ("view", "reshape"):
            shape = tuple(args[1]) if len(args) == 2 and isinstance(args[1], (tuple, list)) else tuple(args[1:])
            shape = tuple(kwargs.get("shape", shape))
            first_is_batch = isinstance(shape[0], _Batch) or shape[0] == self.batch if shape else False
            if len(shape) == 2 and first_is_batch and shape[1] == -1:
                return self.flatten(x, 1, -1)
            if len(shape) == 2 and first_is_batch and isinstance(shape[1], int) and shape[1] > 0 and \
                    isinstance(x, _Tensor) and x.axes:
                return self.flatten(x, 1, -1, size=shape[1])  # the flat size must be that number
            raise _Refused("shape", _shown(shape), "symconv follows a view or reshape only as a flatten at the end,"
                                                   " (x.size(0), -1) or (x.size(0), n); view(-1, n) lets the batch"
                                                   " absorb any multiple of n: write x.flatten(1)")
        if name == "__getitem__":
            return self._f_getitem(args, kwargs)
        raise _Refused("op", f"Tensor.{name}", "symconv does not know how this method changes sizes")


def _constant_list(value: Any) -> list[Any]:
    if not isinstance(value, (tuple, list)):
        raise _Refused("tensors", _shown(value), "expected a list of tensors")
    return list(value)


__all__ = ["from_torch"]
