"""Receptive fields in a graph: of each output, with respect to each input, along each axis, through branches.

The input regions of a tensor's units are pushed through the graph node by
node, along one axis of one input, as for stacks (:mod:`symconv.layers.regions`).
Across branches a unit's region is the **hull**: the smallest interval of
input indices (padding included) that holds every input unit the unit
depends on, through any path. Its size is at least the largest field of any
single path, and equal to it when the paths' regions nest, as they do when
every kernel is centred (ResNet's blocks, U-Net's skips). A join's inputs must
then advance alike: two branches with different effective strides have no
fixed field. Neither have paths through an op whose windows follow the input
size (a fixed output size, a slice from the end), through a flatten, or through
an element-wise op whose input has another size than its output (it may
broadcast); for them the answer says why. A padding scheme that follows the
input size (``tf-same``, ONNX ``SAME_UPPER``) moves the regions by an expression
in the input size: the field's size and stride stay fixed and its effective
padding is that expression (as for stacks, :mod:`symconv.layers.receptive`);
where two branches' paddings differ by more than a constant, none is fixed.

Where a unit looks (padding positions included) is not what it depends on at the
edges; :func:`input_regions` gives that at one input size, and None for the units
that read only padding.

>>> from symconv.graphs.parse import parse_graph
>>> block = parse_graph("x = input [H]; a = conv k=3 p=1; b = conv k=3 p=1; s = conv k=1 (x); c = add (b, s)")
>>> [(f.output, f.input, f.axis, f.field.size, f.field.padding) for f in receptive_fields(block)]
[('c', 'x', 'H', 5, 2)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

import sympy

from symconv.core.errors import ParameterError, SymconvError
from symconv.graphs.graph import Graph
from symconv.graphs.ops import Concat, Elementwise, Fixed, Flatten, Input, LayerOp, Pad, Slice
from symconv.graphs.sizes import run_graph, tensor_sizes
from symconv.graphs.steps import NotFixed
from symconv.layers.layer import resolved
from symconv.layers.receptive import ReceptiveField, _field, follows_input, through_layer, window_shift
from symconv.layers.regions import Regions, Span

Found = Union[Regions, None, str]  # regions, no dependence on the input, or why none are fixed


@dataclass(frozen=True)
class GraphField:
    """The receptive field of ``output`` with respect to ``input`` along the input's axis ``axis``.

    ``field`` is None when no field is fixed; ``reason`` then says why.
    """

    output: str
    input: str
    axis: str
    field: Optional[ReceptiveField]
    reason: Optional[str] = None


def _moved(regions: Regions, by: int) -> Regions:
    return Regions(tuple(None if e is None else e + by for e in regions.first),
                   tuple(None if e is None else e + by for e in regions.last), regions.step)


def shifted_regions(graph: Graph, source: str, axis: int) -> tuple[dict[str, Found], dict[str, Any]]:
    """:func:`regions` and, per node, how far padding schemes that follow the input size move its regions
    (0, or an expression in the input axes)."""
    found: dict[str, Found] = {}
    shifts: dict[str, Any] = {}
    sizes = tensor_sizes(graph)
    for node in graph.nodes:
        shifts[node.name] = sympy.Integer(0)
        if isinstance(node.op, Input):
            found[node.name] = Regions((0,), (0,), 1) if node.name == source else None
            continue
        inputs = [found[name] for name in node.inputs]
        reasons = [value for value in inputs if isinstance(value, str)]
        if reasons:
            found[node.name] = reasons[0]
            continue
        if not graph.tensors[node.name].axes:
            flat = isinstance(node.op, Flatten) and any(value is not None for value in inputs)
            found[node.name] = f"{node.title} {node.shown!r} mixes every position" if flat else inputs[0]
            continue
        if isinstance(node.op, Elementwise) and any(
                value is not None and sizes[name][axis] != sizes[node.name][axis]
                for name, value in zip(node.inputs, inputs)):
            # An input whose size is not the output's may be 1 and broadcast: every unit then reads its unit 0.
            found[node.name] = (f"{node.title} {node.shown!r}: an input of another size may broadcast, and every"
                                " unit then reads the same part of the input through it")
            continue
        # Bring the inputs to one shift: the first's; the others differ from it by a constant, or no field is fixed.
        tables: list[Optional[Regions]] = [value for value in inputs if not isinstance(value, str)]
        base = next((shifts[name] for name, value in zip(node.inputs, tables) if value is not None),
                    sympy.Integer(0))
        aligned: list[Optional[Regions]] = []
        try:
            for name, value in zip(node.inputs, tables):
                gap = sympy.simplify(shifts[name] - base)
                if value is not None and not gap.is_Integer:
                    raise NotFixed("its inputs' paddings follow the input size differently, so their regions"
                                   " drift apart")
                aligned.append(_moved(value, int(gap)) if value is not None and gap else value)
            shifts[node.name] = base
            step = node.op.along(axis)
            if isinstance(node.op, LayerOp) and aligned[0] is not None:
                try:
                    found[node.name] = step.regions(aligned)
                except NotFixed:
                    layer = node.op.layer.along(axis)
                    try:
                        resolved(layer, None)
                        raise
                    except ParameterError as error:
                        if not follows_input(error):
                            raise
                    try:
                        one, moved = window_shift(layer, aligned[0], sizes[node.inputs[0]][axis])
                    except ParameterError as error:
                        raise NotFixed(error.rule) from None
                    found[node.name] = layer.kind.receptive_step(aligned[0], one)
                    shifts[node.name] = base + moved
            else:
                found[node.name] = step.regions(aligned)
        except NotFixed as reason:
            found[node.name] = f"{node.title} {node.shown!r}: {reason}"
    return found, shifts


def regions(graph: Graph, source: str, axis: int) -> dict[str, Found]:
    """Every node's input regions along axis ``axis`` of the input node ``source``: :class:`Regions`, None where
    it does not read ``source``, or why none are fixed. Behind a padding scheme that follows the input size,
    the regions are those without its padding (:func:`shifted_regions` gives how far it moves them).

    >>> from symconv.graphs.parse import parse_graph
    >>> regions(parse_graph("x = input [L]; y = input [L]; a = conv k=3 p=1 (x); b = add (a, y)"), "x", 0)["b"]
    Regions(first=(-1,), last=(1,), step=1)
    """
    return shifted_regions(graph, source, axis)[0]


def receptive_fields(graph: Graph) -> tuple[GraphField, ...]:
    """The receptive field of every output with respect to every input it reads, along each of the input's axes.

    Where an output has none (a classifier's, behind global pooling or a
    flatten), the field of the last tensor before it that has one is given too:
    the features the head reads.

    >>> from symconv.graphs.parse import parse_graph
    >>> net = parse_graph("x = input [H, W]; a = conv k=3 s=2 p=1 (x); g = gpool; f = flatten; l = linear")
    >>> for found in receptive_fields(net):
    ...     print(found.output, found.axis, (found.reason or str(found.field.size))[:40])
    l H GlobalPool 'g': its output has 1 unit wh
    a H 3
    l W GlobalPool 'g': its output has 1 unit wh
    a W 3
    """
    result = []
    for node in graph.inputs:
        for axis, name in enumerate(graph.tensors[node.name].names):
            found, shifts = shifted_regions(graph, node.name, axis)
            for output in (*graph.outputs, *_features(graph, found)):
                value = found[output]
                if isinstance(value, str):
                    result.append(GraphField(output, node.name, name, None, value))
                elif value is not None:
                    result.append(GraphField(output, node.name, name, _field(value, shifts[output])))
    return tuple(result)


def _features(graph: Graph, found: Any) -> list[str]:
    """For each output with no fixed field, the last tensor before it, along its single-input chain, that has one."""
    features: list[str] = []
    for output in graph.outputs:
        name = output
        while isinstance(found.get(name), str) and len(graph.node(name).inputs) == 1:
            name = graph.node(name).inputs[0]
        if name != output and isinstance(found.get(name), Regions) and not isinstance(graph.node(name).op, Input) \
                and name not in (*graph.outputs, *features):
            features.append(name)
    return features


Spans = tuple[Span, ...]


def _hulls(tables: list[Spans]) -> Spans:
    """Unit by unit, the hull of the spans of several tables of one length."""
    return tuple(_hull(spans) for spans in zip(*tables))


def _through(node: Any, axis: int, inputs: list[Optional[Spans]], sizes: list[int], size: int) -> Optional[Spans]:
    """The spans of ``node``'s units along ``axis``, of ``size`` units, from its inputs' (None: reads nothing of
    the source). Raises NotFixed where the op's reading is not known (a resize)."""
    if all(spans is None for spans in inputs):
        return None
    op = node.op
    if isinstance(op, LayerOp):
        return through_layer(op.layer.along(axis), inputs[0], 0)  # type: ignore[arg-type]
    first = inputs[0]
    if isinstance(op, Pad):
        before = op.along(axis).before  # type: ignore[attr-defined]
        return tuple(first[j - before] if 0 <= j - before < sizes[0] else None  # type: ignore[index]
                     for j in range(size))
    if isinstance(op, Slice):
        step = op.along(axis)
        return tuple(first[j] for j in range(sizes[0])[step.start:step.stop:step.step])  # type: ignore
    if isinstance(op, Fixed):
        if op.kind == "resize":
            raise NotFixed("which units a resize reads depends on its mode, which symconv does not model")
        # Adaptive pooling (global pooling is the one-unit case): unit j reads floor(j n/o) .. ceil((j+1) n/o) - 1.
        n = sizes[0]
        return tuple(_hull(first[j * n // size:-(-(j + 1) * n // size)]) for j in range(size))  # type: ignore
    if isinstance(op, Concat) and op.axis == axis:
        return tuple(span for spans, units in zip(inputs, sizes) for span in (spans or (None,) * units))
    # A join unit by unit (an input of size 1 broadcasts its unit 0), or an op that passes sizes through.
    tables = [tuple(spans * size if units == 1 else spans) for spans, units in zip(inputs, sizes)
              if spans is not None]
    return _hulls(tables)


def _hull(spans: Spans) -> Span:
    """The hull of some spans (None: no input)."""
    seen = [span for span in spans if span is not None]
    return (min(a for a, _ in seen), max(b for _, b in seen)) if seen else None


@dataclass(frozen=True)
class GraphRegions:
    """What each unit of ``output`` depends on along ``axis`` of ``input`` at one input size: ``regions`` per unit
    (first and last input unit, never padding; None for a unit that reads only padding), or ``reason`` why
    they are not given."""

    output: str
    input: str
    axis: str
    regions: Optional[Spans]
    reason: Optional[str] = None

    @property
    def unread(self) -> tuple[int, ...]:
        """The units that depend on no unit of the input."""
        return () if self.regions is None else tuple(n for n, span in enumerate(self.regions) if span is None)


def input_regions(graph: Graph, input_size: Any) -> tuple[GraphRegions, ...]:
    """At ``input_size`` (as :func:`~symconv.graphs.sizes.run_graph` takes it, where the graph runs), the first and
    last unit of each input that each unit of each output depends on, per axis; None for a unit that reads only
    padding.

    >>> from symconv.graphs.parse import parse_graph
    >>> (found,) = input_regions(parse_graph("x = input [L]; u = tconv k=2 s=2 p=1; c = conv k=1 p=1"), 10)
    >>> found.unread, found.regions[1]
    ((0, 19), (0, 0))
    """
    run = run_graph(graph, input_size)
    if not run.ok:
        message = run.failure.message if run.failure is not None else ""
        raise ParameterError("input_size", dict(run.input_size), f"the graph fails there: {message}")
    result = []
    for source in graph.inputs:
        for axis, name in enumerate(graph.tensors[source.name].names):
            found: dict[str, Union[Optional[Spans], str]] = {}
            for node in graph.nodes:
                tensor = graph.tensors[node.name]
                if isinstance(node.op, Input):
                    found[node.name] = (tuple((x, x) for x in range(run.sizes[node.name][axis]))
                                        if node is source else None)
                    continue
                inputs = [found[n] for n in node.inputs]
                reasons = [value for value in inputs if isinstance(value, str)]
                if reasons:
                    found[node.name] = reasons[0]
                elif not tensor.axes:
                    flat = isinstance(node.op, Flatten) and any(value is not None for value in inputs)
                    found[node.name] = f"{node.title} {node.shown!r} mixes every position" if flat else None
                else:
                    try:
                        found[node.name] = _through(node, axis, inputs,  # type: ignore[arg-type]
                                                    [run.sizes[n][axis] for n in node.inputs],
                                                    run.sizes[node.name][axis])
                    except NotFixed as reason:
                        found[node.name] = f"{node.title} {node.shown!r}: {reason}"
                    except SymconvError as error:  # a table beyond the regions' budget
                        found[node.name] = f"{node.title} {node.shown!r}: {error}"
            for output in graph.outputs:
                value = found[output]
                if isinstance(value, str):
                    result.append(GraphRegions(output, source.name, name, None, value))
                elif value is not None:
                    result.append(GraphRegions(output, source.name, name, value))
    return tuple(result)


__all__ = ["GraphField", "GraphRegions", "receptive_fields", "regions", "shifted_regions", "input_regions"]
