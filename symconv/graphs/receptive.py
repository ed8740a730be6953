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
size (a fixed output size, a slice from the end, a padding scheme like
``tf-same``), through a flatten, or through an element-wise op whose input
has another size than its output (it may broadcast); for them the answer says why.

>>> from symconv.graphs.parse import parse_graph
>>> block = parse_graph("x = input [H]; a = conv k=3 p=1; b = conv k=3 p=1; s = conv k=1 (x); c = add (b, s)")
>>> [(f.output, f.input, f.axis, f.field.size, f.field.padding) for f in receptive_fields(block)]
[('c', 'x', 'H', 5, 2)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from symconv.graphs.graph import Graph
from symconv.graphs.ops import Elementwise, Flatten, Input
from symconv.graphs.sizes import tensor_sizes
from symconv.graphs.steps import NotFixed
from symconv.layers.receptive import ReceptiveField, _field
from symconv.layers.regions import Regions

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


def regions(graph: Graph, source: str, axis: int) -> dict[str, Found]:
    """Every node's input regions along axis ``axis`` of the input node ``source``: :class:`Regions`, None where
    it does not read ``source``, or why none are fixed.

    >>> from symconv.graphs.parse import parse_graph
    >>> regions(parse_graph("x = input [L]; y = input [L]; a = conv k=3 p=1 (x); b = add (a, y)"), "x", 0)["b"]
    Regions(first=(-1,), last=(1,), step=1)
    """
    found: dict[str, Found] = {}
    sizes = tensor_sizes(graph)
    for node in graph.nodes:
        if isinstance(node.op, Input):
            found[node.name] = Regions((0,), (0,), 1) if node.name == source else None
            continue
        inputs = [found[name] for name in node.inputs]
        reasons = [value for value in inputs if isinstance(value, str)]
        if reasons:
            found[node.name] = reasons[0]
        elif not graph.tensors[node.name].axes:
            flat = isinstance(node.op, Flatten) and any(value is not None for value in inputs)
            found[node.name] = f"{node.title} {node.shown!r} mixes every position" if flat else inputs[0]
        elif isinstance(node.op, Elementwise) and any(
                value is not None and sizes[name][axis] != sizes[node.name][axis]
                for name, value in zip(node.inputs, inputs)):
            # An input whose size is not the output's may be 1 and broadcast: every unit then reads its unit 0.
            found[node.name] = (f"{node.title} {node.shown!r}: an input of another size may broadcast, and every"
                                " unit then reads the same part of the input through it")
        else:
            try:
                found[node.name] = node.op.along(axis).regions(inputs)  # type: ignore[arg-type]
            except NotFixed as reason:
                found[node.name] = f"{node.title} {node.shown!r}: {reason}"
    return found


def receptive_fields(graph: Graph) -> tuple[GraphField, ...]:
    """The receptive field of every output with respect to every input it reads, along each of the input's axes.

    >>> from symconv.graphs.parse import parse_graph
    >>> net = parse_graph("x = input [H, W]; a = conv k=3 s=2 p=1 (x); g = gpool; f = flatten; l = linear")
    >>> [(found.axis, found.reason) for found in receptive_fields(net)]  # doctest: +NORMALIZE_WHITESPACE
    [('H', "GlobalPool 'g': its output has 1 unit whatever the input size, so the part of the input each unit
      reads follows that size"), ('W', "GlobalPool 'g': its output has 1 unit whatever the input size, so the part
      of the input each unit reads follows that size")]
    """
    result = []
    for node in graph.inputs:
        for axis, name in enumerate(graph.tensors[node.name].names):
            found = regions(graph, node.name, axis)
            for output in graph.outputs:
                value = found[output]
                if isinstance(value, str):
                    result.append(GraphField(output, node.name, name, None, value))
                elif value is not None:
                    result.append(GraphField(output, node.name, name, _field(value)))
    return tuple(result)


__all__ = ["GraphField", "receptive_fields", "regions"]
