"""Graphs of layers: a DAG of named nodes, each an op on the tensors of earlier nodes.

A :class:`Graph` is a tuple of :class:`Node` in the order they are defined
(so every node reads only earlier ones) and its outputs. Inputs are nodes too,
with one name per spatial axis: ``H`` and ``W`` (``D, H, W`` in 3-D, ``L`` in
1-D), whose sizes are those symbols. Two inputs that name an axis alike share
its size; a fixed axis is a positive integer.

Build one from Python, by name, with PyTorch's parameter names:

>>> g = Graph.builder()
>>> x = g.input("x", ("H", "W"))
>>> a = g.conv("a", x, kernel_size=3, padding=1)
>>> b = g.pool("b", a, kernel_size=2)
>>> u = g.conv_transpose("u", b, kernel_size=2, stride=2)
>>> c = g.cat("c", [a, u])
>>> unet = g.build()
>>> print(unet)
x = input [H, W]; a = conv k=3 p=1 (x); b = pool k=2 (a); u = tconv k=2 s=2 (b); c = cat (a, u)
>>> unet.outputs, unet.axes
(('c',), ('H', 'W'))

or from its text form (:func:`symconv.graphs.parse.parse_graph`). Every
check names the node, the parameter and the rule:

>>> g.conv("d", "q", kernel_size=3)
Traceback (most recent call last):
...
symconv.core.errors.ParameterError: node 'd' input='q' is invalid: a node reads nodes defined before it (a, b, c, u, x)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from symconv.core.errors import ParameterError
from symconv.graphs.ops import (
    JOINS, Concat, Dense, Elementwise, Fixed, Flatten, Identity, Input, LayerOp, Op, Pad, Slice,
)
from symconv.layers.layer import Layer, Stack, as_stack

MAX_NODES = 2000  #: nodes of a graph
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
RESERVED_NAMES = frozenset({"input", "output"})
#: The default names of the spatial axes, by their number.
AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


@dataclass(frozen=True)
class Node:
    """A named node: its op and the names of the nodes it reads, in order.

    An imported node keeps what its file calls it: ``label`` (an ONNX node's
    name, a PyTorch module's path) and ``op_type`` (``MaxPool``,
    ``ConvTranspose``); messages use them (:attr:`shown`, :attr:`title`).
    They never change an answer.
    """

    name: str
    op: Op
    inputs: tuple[str, ...] = ()
    label: Optional[str] = field(default=None, compare=False)
    op_type: Optional[str] = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name) or self.name in RESERVED_NAMES:
            raise ParameterError("name", self.name, "a node's name is an ASCII identifier (at most 64 characters),"
                                 " other than input and output")
        if not isinstance(self.op, Op):
            raise ParameterError(f"node {self.name!r} op", type(self.op).__name__, "expected an Op")
        inputs = (self.inputs,) if isinstance(self.inputs, str) else tuple(self.inputs)
        object.__setattr__(self, "inputs", inputs)
        least, most = self.op.arity
        if len(inputs) < least or (most is not None and len(inputs) > most):
            wanted = "no input" if most == 0 else "one input" if most == 1 else f"at least {least} input"
            raise ParameterError(f"node {self.name!r} inputs", inputs, f"{self.op.text().split()[0]} takes {wanted}")

        for attribute in ("label", "op_type"):
            value = getattr(self, attribute)
            if value is not None and (not isinstance(value, str) or not value.isprintable() or len(value) > 256):
                raise ParameterError(f"node {self.name!r} {attribute}", value,
                                     "a printable string of at most 256 characters")

    @property
    def shown(self) -> str:
        """The node's name in messages: its ``label`` if it has one."""
        return self.label or self.name

    @property
    def title(self) -> str:
        """The op's word in messages: its ``op_type`` if it has one (``Concat``, ``MaxPool``)."""
        return self.op_type or self.op.title

    def __str__(self) -> str:
        return f"{self.name} = {self.op.text()}" + (f" ({', '.join(self.inputs)})" if self.inputs else "")


@dataclass(frozen=True)
class Tensor:
    """What the graph knows of a node's output before any size: its axes.

    ``follows`` gives per spatial axis the input axis (a symbol's name) whose
    size it follows, or None where its size is fixed; ``names`` the axis names
    that messages use.
    """

    axes: int
    follows: tuple[Optional[str], ...]
    names: tuple[str, ...]


def _infer(node: Node, known: Mapping[str, Tensor], number: int) -> Tensor:
    """The tensor ``node`` gives, reading the ``known`` ones; every rule is checked here."""
    where = f"node {node.name!r}"
    if not isinstance(node, Node):
        raise ParameterError(f"node {number}", type(node).__name__, "expected a Node")
    if node.name in known:
        raise ParameterError(f"{where} name", node.name, "node names must be unique")
    for name in node.inputs:
        if name not in known:
            raise ParameterError(f"{where} input", name,
                                 f"a node reads nodes defined before it ({', '.join(sorted(known)) or 'none'})")
    op = node.op
    if isinstance(op, Input):
        return Tensor(len(op.shape), tuple(axis if isinstance(axis, str) else None for axis in op.shape),
                      tuple(axis if isinstance(axis, str) else f"axis {n}" for n, axis in enumerate(op.shape)))
    tensors = [known[name] for name in node.inputs]
    first = tensors[0]
    for name, tensor in zip(node.inputs, tensors):
        if tensor.axes != first.axes:
            raise ParameterError(f"{where} input", name, f"it has {tensor.axes} spatial axes, but {node.inputs[0]!r}"
                                 f" has {first.axes}: a join's inputs have the same axes")
    if isinstance(op, Dense) and first.axes:
        raise ParameterError(f"{where} input", node.inputs[0], f"{op.kind} reads a flat tensor, but this one has the"
                             f" spatial axes {', '.join(first.names)}: flatten it first")
    if op.spatial and not first.axes:
        raise ParameterError(f"{where} input", node.inputs[0], f"{op.text()} works along spatial axes, but this"
                             " tensor is flat (after a flatten)")
    if op.axes is not None and op.axes != first.axes:
        raise ParameterError(where, op.text(), f"it gives values for {op.axes} axes, but its input"
                             f" {node.inputs[0]!r} has {first.axes} ({', '.join(first.names)})")
    if isinstance(op, Concat) and op.axis is not None and op.axis >= first.axes:
        raise ParameterError(f"{where} axis", op.axis, f"the inputs' spatial axes are 0 to {first.axes - 1}"
                             f" ({', '.join(first.names)})")
    axes = op.output_axes(first.axes)
    follows: list[Optional[str]] = []
    names: list[str] = []
    for axis in range(axes):
        step = op.along(axis)
        found = {tensor.follows[axis] for tensor in tensors} - {None}
        if len(found) > 1:
            raise ParameterError(f"{where} inputs", node.inputs, f"along axis {axis} they follow the input axes "
                                 f"{' and '.join(sorted(map(str, found)))}: a join's inputs must follow the same one")
        follows.append(None if step.constant or not found else found.pop())
        names.append(follows[-1] or first.names[axis])
    return Tensor(axes, tuple(follows), tuple(names))


@dataclass(frozen=True)
class Graph:
    """A DAG of layers: ``nodes`` in the order they are defined, and the ``outputs`` (by name).

    Outputs default to the nodes that no other node reads.

    >>> Graph((Node("x", Input(("L",))), Node("a", Identity("relu"), ("x",)))).outputs
    ('a',)
    """

    nodes: tuple[Node, ...]
    outputs: tuple[str, ...] = ()
    tensors: Mapping[str, Tensor] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.nodes, (str, bytes)) or not isinstance(self.nodes, Iterable):
            raise ParameterError("nodes", type(self.nodes).__name__, "nodes must be a sequence of Node")
        nodes = tuple(self.nodes)
        if not nodes:
            raise ParameterError("nodes", (), "a graph needs at least one node")
        if len(nodes) > MAX_NODES:
            raise ParameterError("nodes", len(nodes), f"a graph has at most {MAX_NODES} nodes")
        tensors: dict[str, Tensor] = {}
        for number, node in enumerate(nodes, 1):
            tensors[node.name] = _infer(node, tensors, number)
        outputs = (self.outputs,) if isinstance(self.outputs, str) else tuple(self.outputs)
        if not outputs:
            read = {name for node in nodes for name in node.inputs}
            outputs = tuple(node.name for node in nodes if node.name not in read)
        for name in outputs:
            if name not in tensors or outputs.count(name) > 1:
                raise ParameterError("outputs", name, "outputs are nodes of the graph, each named once")
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "outputs", outputs)
        object.__setattr__(self, "tensors", tensors)

    @staticmethod
    def builder() -> "GraphBuilder":
        """A :class:`GraphBuilder`, to add nodes one call at a time."""
        return GraphBuilder()

    @property
    def inputs(self) -> tuple[Node, ...]:
        """The input nodes, in order."""
        return tuple(node for node in self.nodes if isinstance(node.op, Input))

    @property
    def axes(self) -> tuple[str, ...]:
        """The names of the input axes (the symbols of every size), in order of appearance."""
        return tuple(dict.fromkeys(axis for node in self.inputs for axis in node.op.shape  # type: ignore[attr-defined]
                                   if isinstance(axis, str)))

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise ParameterError("node", name, f"the graph's nodes are {', '.join(n.name for n in self.nodes)}")

    def __str__(self) -> str:
        read = {name for node in self.nodes for name in node.inputs}
        default = tuple(node.name for node in self.nodes if node.name not in read)
        statements = [str(node) for node in self.nodes]
        if self.outputs != default:
            statements.append(f"output ({', '.join(self.outputs)})")
        return "; ".join(statements)


Padding = Union[int, str, Sequence[Any]]


class GraphBuilder:
    """Builds a :class:`Graph` one node at a time; each method checks its node and returns its name.

    Parameters take PyTorch's names, each one value for every spatial axis or
    one per axis. ``padding`` is P, one ``(before, after)`` pair per axis (or
    ``((before, after),)`` for every axis), ``"valid"``, ``"same"``
    (PyTorch's ``padding='same'``), or a padding scheme's name
    (``"tf-same"`` for ONNX ``SAME_UPPER``, ``"onnx-same-lower"``; see
    :mod:`symconv.schemes`).
    """

    def __init__(self) -> None:
        self._nodes: list[Node] = []
        self._tensors: dict[str, Tensor] = {}
        self._outputs: tuple[str, ...] = ()

    def node(self, name: str, op: Op, inputs: Sequence[str] = (), label: Optional[str] = None,
             op_type: Optional[str] = None) -> str:
        """Add a node with ``op`` reading ``inputs``; every other method comes here. An importer gives the
        ``label`` and ``op_type`` its file uses, for messages."""
        node = Node(name, op, tuple(inputs), label, op_type)
        if len(self._nodes) >= MAX_NODES:
            raise ParameterError("nodes", len(self._nodes) + 1, f"a graph has at most {MAX_NODES} nodes")
        self._tensors[name] = _infer(node, self._tensors, len(self._nodes) + 1)
        self._nodes.append(node)
        return name

    def _op(self, name: str, make: Any, *args: Any, **kwargs: Any) -> Op:
        """``make(*args, **kwargs)``, with an error naming the node."""
        try:
            return make(*args, **kwargs)
        except ParameterError as error:
            raise ParameterError(f"node {name!r} {error.name}", error.value, error.rule) from None

    def input(self, name: str, shape: Sequence[Union[str, int]] = ("H", "W")) -> str:
        """A graph input: one name (or a fixed size) per spatial axis."""
        return self.node(name, self._op(name, Input, tuple(shape) if isinstance(shape, list) else shape))

    def _axes(self, name: str, x: str) -> int:
        tensor = self._tensors.get(x)
        return 0 if tensor is None else tensor.axes

    def layer(self, name: str, op: str, x: str, kernel_size: Any, stride: Any = None, padding: Padding = 0,
              dilation: Any = 1, output_padding: Any = 0, ceil_mode: bool = False) -> str:
        """A node of any registered layer kind (``"conv"``, ``"pool"``, ``"transposed"``, ``"upsample"``, ...)."""
        scheme = None
        if isinstance(padding, str):
            scheme = {"same": "torch-same", "valid": None}.get(padding, padding)
            padding = 0
        elif isinstance(padding, (tuple, list)) and len(padding) == 2 and all(isinstance(v, int) for v in padding) \
                and self._axes(name, x) > 1:
            raise ParameterError(f"node {name!r} padding", tuple(padding),
                                 "a pair of integers is ambiguous on several axes (PyTorch reads one value per axis,"
                                 f" symconv before and after): write (({padding[0]}, {padding[0]}), ({padding[1]},"
                                 f" {padding[1]})) for one per axis, or (({padding[0]}, {padding[1]}),) for every axis")
        pads: Any = padding
        return self.node(name, self._op(name, lambda: LayerOp(Layer(
            op, kernel_size, stride, pads, dilation, output_padding, ceil_mode, scheme=scheme))), (x,))

    def conv(self, name: str, x: str, kernel_size: Any, stride: Any = 1, padding: Padding = 0,
             dilation: Any = 1) -> str:
        """A convolution (``nn.Conv*d``, ONNX ``Conv``)."""
        return self.layer(name, "conv", x, kernel_size, stride, padding, dilation)

    def pool(self, name: str, x: str, kernel_size: Any, stride: Any = None, padding: Padding = 0,
             dilation: Any = 1, ceil_mode: bool = False) -> str:
        """Max or average pooling (``nn.MaxPool*d``, ``nn.AvgPool*d``); the stride defaults to the kernel size."""
        return self.layer(name, "pool", x, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode)

    def conv_transpose(self, name: str, x: str, kernel_size: Any, stride: Any = 1, padding: Padding = 0,
                       output_padding: Any = 0, dilation: Any = 1) -> str:
        """A transposed convolution (``nn.ConvTranspose*d``, ONNX ``ConvTranspose``)."""
        return self.layer(name, "transposed", x, kernel_size, stride, padding, dilation, output_padding)

    def upsample(self, name: str, x: str, scale_factor: Any = None, size: Any = None) -> str:
        """Nearest upsampling by an integer ``scale_factor``, or to a fixed ``size`` (give one of them)."""
        if (scale_factor is None) == (size is None):
            raise ParameterError(f"node {name!r} scale_factor", scale_factor, "give scale_factor or size, not both")
        if size is not None:
            return self.resize(name, x, size)
        return self.layer(name, "upsample", x, scale_factor)

    def pad(self, name: str, x: str, padding: Any) -> str:
        """Explicit padding (``F.pad``, ONNX ``Pad``): P, ``(before, after)``, or one pair per axis; negative crops."""
        return self.node(name, self._op(name, Pad, padding), (x,))

    def slice(self, name: str, x: str, *ranges: Any) -> str:
        """A slice with constant bounds: Python ``slice`` objects or ``(start, stop, step)``, for every axis or
        one per axis: ``g.slice("s", "x", slice(1, -1))`` is ``x[..., 1:-1, 1:-1]`` in 2-D."""
        return self.node(name, self._op(name, Slice.of, *ranges), (x,))

    def resize(self, name: str, x: str, size: Any) -> str:
        """Resizing to a fixed ``size`` (``F.interpolate(size=...)``, ONNX ``Resize`` with sizes)."""
        return self.node(name, self._op(name, Fixed, "resize", size), (x,))

    def adaptive_pool(self, name: str, x: str, output_size: Any) -> str:
        """Adaptive pooling to ``output_size`` (``nn.AdaptiveAvgPool*d``)."""
        return self.node(name, self._op(name, Fixed, "apool", output_size), (x,))

    def global_pool(self, name: str, x: str) -> str:
        """Global pooling (ONNX ``GlobalAveragePool``): size 1 on every axis."""
        return self.node(name, Fixed("gpool"), (x,))

    def identity(self, name: str, x: str, kind: str = "identity") -> str:
        """A shape-preserving op: ``kind`` is ``relu``, ``bn``, ``dropout``, ... (graph_ops.SHAPE_PRESERVING)."""
        return self.node(name, self._op(name, Identity, kind), (x,))

    def flatten(self, name: str, x: str, channels: Optional[int] = None, size: Optional[int] = None) -> str:
        """Flatten the channels and spatial axes: the output is flat. With its ``channels`` known, a later
        ``dense`` checks its ``in_features`` against the flat size; ``size`` is a flat size the op itself
        requires (a reshape to a fixed shape)."""
        return self.node(name, self._op(name, Flatten, channels, size), (x,))

    def dense(self, name: str, x: str, kind: str = "linear", in_features: Optional[int] = None,
              out_features: Optional[int] = None) -> str:
        """A fully connected op on a flat tensor: ``linear``, ``gemm`` or ``matmul``, reading ``in_features``
        (checked against the flat size where it is known) and giving ``out_features``."""
        return self.node(name, self._op(name, Dense, kind, in_features, out_features), (x,))

    def cat(self, name: str, inputs: Sequence[str], axis: Optional[int] = None) -> str:
        """Concatenation along the channels, or along spatial ``axis`` (0 is the first spatial axis)."""
        return self.node(name, self._op(name, Concat, axis), inputs)

    def elementwise(self, name: str, kind: str, inputs: Sequence[str]) -> str:
        """An element-wise op (``add``, ``sub``, ``mul``, ``div``, ...) whose inputs broadcast."""
        return self.node(name, self._op(name, Elementwise, kind), inputs)

    def add(self, name: str, inputs: Sequence[str]) -> str:
        """Element-wise addition (a residual connection)."""
        return self.elementwise(name, "add", inputs)

    def mul(self, name: str, inputs: Sequence[str]) -> str:
        """Element-wise multiplication (a gate, an attention map)."""
        return self.elementwise(name, "mul", inputs)

    def output(self, *names: str) -> None:
        """Name the outputs (default: the nodes no other node reads)."""
        self._outputs = names

    def build(self) -> Graph:
        """The graph of the nodes added so far."""
        return Graph(tuple(self._nodes), self._outputs)


def graph_of(stack: Stack) -> Graph:
    """A stack of layers as a graph: its layers in a chain, and each alignment pair as a concatenation.

    A stack without per-axis values holds on any number of axes; its graph has
    one, ``i``, as ``symconv net`` reports it.

    >>> from symconv.layers.parse import parse_stack
    >>> print(graph_of(parse_stack("pool k=2 @a; tconv k=2 s=2 @b | a=b")))
    x = input [i]; a = pool k=2 (x); b = tconv k=2 s=2 (a); cat_a_b = cat (a, b); output (b, cat_a_b)
    """
    stack = as_stack(stack)
    g = GraphBuilder()
    names = {layer.tap for layer in stack.layers}

    def fresh(name: str) -> str:
        while name in names:
            name += "_"
        names.add(name)
        return name

    previous = g.input(fresh("x"), ("i",) if stack.axes is None else AXIS_NAMES.get(
        stack.axes, tuple(f"A{n}" for n in range(stack.axes))))
    for number, layer in enumerate(stack.layers, 1):
        name = layer.tap or fresh(f"layer{number}")
        previous = g.node(name, g._op(name, LayerOp, Layer(layer.op, layer.kernel_size, layer.stride, layer.padding,
                                                           layer.dilation, layer.output_padding, layer.ceil_mode,
                                                           scheme=layer.scheme)), (previous,))
    joins = [g.cat(fresh(f"cat_{a}_{b}"), [a, b]) for a, b in stack.pairs]
    if joins:
        g.output(previous, *joins)
    return g.build()


__all__ = ["Graph", "Node", "Tensor", "GraphBuilder", "graph_of", "MAX_NODES", "AXIS_NAMES", "JOINS"]
