"""Every tensor's sizes in a graph: as expressions in the input axes, as numbers, and by brute force.

Every op acts on each spatial axis apart, so the size of a tensor along one
axis follows one input axis (``H``), or none (a fixed size). The tensor axes
that follow ``H`` form ``H``'s :class:`Program`: the graph along ``H``, a
chain of steps with joins, in the order the nodes are defined. Its sizes are
expressions in ``H`` (computed in the canonical ``i`` and then renamed), its
decisions (:mod:`symconv.graphs.decide`) are about ``H`` alone, and two
axes with equal programs share all of that work.

>>> from symconv.graphs.parse import parse_graph
>>> net = parse_graph("x = input [H, W]; a = conv k=3 s=2 p=1 (x); b = pool k=2,1 (a); c = cat (a, b)")
>>> tensor_sizes(net)["b"]
(floor(H/4 + 1/4), ceiling(W/2))
>>> run_graph(net, (8, 8)).failure.message
"Concat 'c': 4 vs 2 along H"
>>> run_graph(net, (8, 8)).sizes["b"], oracle_run(net, (8, 8)).sizes["b"]
((2, 4), (2, 4))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping, Optional, Union

import sympy
from sympy import Expr, Symbol

from symconv.core import symbols
from symconv.core.errors import ParameterError
from symconv.core.rebuild import xreplace
from symconv.core.validation import positive
from symconv.graphs.flat import FlatCheck, flat_checks
from symconv.graphs.graph import Graph, Node
from symconv.graphs.ops import Flatten, Input
from symconv.graphs.steps import Refused, Step


@dataclass(frozen=True)
class Constant:
    """A fixed size that a step of a program reads (from an input axis of fixed size, or a fixed-size op)."""

    value: int


Ref = Union[int, Constant]  #: an earlier step of the program, or a fixed size
Steps = tuple[tuple[Optional[Step], tuple[Ref, ...]], ...]  #: a program's steps; None is the input axis itself


@dataclass(frozen=True)
class Program:
    """The graph along one input axis: each tensor axis whose size follows it, as a step on earlier ones.

    ``steps`` alone decide every answer (equal programs share them);
    ``places`` says which node and axis each step is, ``titles`` the op's
    word and ``shown`` the node's name in messages.
    """

    axis: str
    steps: Steps
    places: tuple[tuple[str, int], ...] = field(compare=False)
    titles: tuple[str, ...] = field(compare=False)
    shown: tuple[str, ...] = field(compare=False)

    @property
    def symbol(self) -> Symbol:
        return axis_symbol(self.axis)

    def message(self, index: int, refused: Refused) -> str:
        """A step's refusal in the frameworks' words: ``Concat 'c': 88 vs 89 along H``."""
        return _message(self.titles[index], self.shown[index], self.axis, refused)


def axis_symbol(name: str) -> Symbol:
    """The symbol of an input axis: a positive integer.

    >>> axis_symbol("H").is_positive, axis_symbol("i") == symbols.i
    (True, True)
    """
    return Symbol(name, integer=True, positive=True)


def _message(title: str, node: str, axis: str, refused: Refused) -> str:
    if refused.axis_last:
        return f"{title} {node!r}: {refused.reason} along {axis}"
    return f"{title} {node!r} along {axis}: {refused.reason}"


@dataclass(frozen=True)
class Failure:
    """The first node that fails, the axis, and why, as ``message`` says it."""

    node: str
    op: str
    axis: str
    message: str


@dataclass(frozen=True)
class Analysis:
    """A graph split into its programs, one per input axis, and the fixed sizes between them.

    ``where`` gives each node's axis as ``(axis, index)`` in a program, a
    :class:`Constant`, or None where a fixed size already fails (``never``
    says where: then the graph runs on no input size at all).
    """

    programs: Mapping[str, Program]
    where: Mapping[tuple[str, int], Union[tuple[str, int], Constant, None]]
    never: Optional[Failure]


@lru_cache(maxsize=32)
def analysis(graph: Graph) -> Analysis:
    """The programs of ``graph`` (cached).

    >>> from symconv.graphs.parse import parse_graph
    >>> found = analysis(parse_graph("x = input [H, 3]; a = conv k=3 (x)"))
    >>> found.programs["H"].places, found.where[("a", 1)]
    ((('x', 0), ('a', 0)), Constant(value=1))
    """
    steps: dict[str, list] = {axis: [] for axis in graph.axes}
    places: dict[str, list] = {axis: [] for axis in graph.axes}
    titles: dict[str, list] = {axis: [] for axis in graph.axes}
    shown: dict[str, list] = {axis: [] for axis in graph.axes}
    where: dict[tuple[str, int], Union[tuple[str, int], Constant, None]] = {}
    never: Optional[Failure] = None
    for node in graph.nodes:
        tensor = graph.tensors[node.name]
        for axis in range(tensor.axes):
            place = (node.name, axis)
            follows = tensor.follows[axis]
            if isinstance(node.op, Input):
                where[place] = Constant(int(node.op.shape[axis])) if follows is None else (follows, len(steps[follows]))
                if follows is not None:
                    steps[follows].append((None, ()))
                    places[follows].append(place)
                    titles[follows].append("Input")
                    shown[follows].append(node.shown)
                continue
            step = node.op.along(axis)
            sources = [where[(name, axis)] for name in node.inputs]
            if None in sources:
                where[place] = None  # it reads a fixed size that already fails
                continue
            if follows is None:
                try:
                    values = [source.value if isinstance(source, Constant) else 1 for source in sources]
                    where[place] = Constant(step.size(values))
                except Refused as refused:
                    where[place] = None
                    if never is None:
                        never = Failure(node.name, node.title, tensor.names[axis],
                                        _message(node.title, node.shown, tensor.names[axis], refused))
                continue
            refs = tuple(source if isinstance(source, Constant) else source[1]  # type: ignore[index]
                         for source in sources)
            where[place] = (follows, len(steps[follows]))
            steps[follows].append((step, refs))
            places[follows].append(place)
            titles[follows].append(node.title)
            shown[follows].append(node.shown)
    programs = {axis: Program(axis, tuple(steps[axis]), tuple(places[axis]), tuple(titles[axis]), tuple(shown[axis]))
                for axis in graph.axes}
    for check in flat_checks(graph):  # a flat size that no input size changes
        flattened = check.flat.tensor
        places_of = [where[(flattened, axis)] for axis in range(graph.tensors[flattened].axes)] if flattened else []
        if never is None and all(isinstance(place, Constant) for place in places_of):
            fixed = {flattened: [place.value for place in places_of]} if flattened else {}  # type: ignore[union-attr]
            never = _flat_failure(graph.node(check.node), check, fixed)
    return Analysis(programs, where, never)


def _flat_failure(node: Node, check: FlatCheck, sizes: Mapping[str, Any]) -> Optional[Failure]:
    """The failure of a flat size check at these spatial ``sizes``, or None when it holds."""
    value = check.flat.value(sizes)
    if value == check.needs:
        return None
    product = check.flat.shown(sizes)
    what = f"{value}" if product == str(value) else f"{value} = {product}"
    if isinstance(node.op, Flatten):
        message = f"{node.title} {node.shown!r}: {what} elements, but its shape holds {check.needs}"
    else:
        message = f"{node.title} {node.shown!r}: its flat input has {what} features, but it takes {check.needs}"
    return Failure(node.name, node.title, "", message)


# ---------------------------------------------------------------- one program


class Stopped(Exception):
    """A program's step that refuses its inputs' sizes."""

    def __init__(self, index: int, refused: Refused) -> None:
        super().__init__(refused.reason)
        self.index = index
        self.refused = refused


def run(steps: Steps, size: int, mode: str = "size") -> list[int]:
    """Every step's size for input size ``size``: ``mode`` is "size" (the formulas), "relaxed" (joins'
    conditions ignored) or "oracle" (brute force). Raises :class:`Stopped` at the first step that refuses.

    >>> from symconv.graphs.parse import parse_graph
    >>> program = analysis(parse_graph("x = input [L]; a = pool k=2; u = upsample f=2; c = cat (x, u)")).programs["L"]
    >>> run(program.steps, 7, "relaxed")
    [7, 3, 6, 7]
    """
    values: list[int] = []
    for index, (step, refs) in enumerate(steps):
        if step is None:
            values.append(size)
            continue
        inputs = [ref.value if isinstance(ref, Constant) else values[ref] for ref in refs]
        try:
            values.append(getattr(step, mode)(inputs))
        except Refused as refused:
            raise Stopped(index, refused) from None
    return values


@lru_cache(maxsize=256)
def expressions(steps: Steps) -> tuple[tuple[Optional[Expr], Optional[Expr]], ...]:
    """Every step's size in ``i``: ``(simplified, formula)``, where the formula is the op's unsimplified
    step from the simplified sizes before it (None where a fixed size already refuses).

    >>> from symconv.graphs.parse import parse_graph
    >>> expressions(analysis(parse_graph("x = input [L]; a = pool k=2; b = pool k=2")).programs["L"].steps)[2]
    (floor(i/4), floor(floor(i/2)/2))
    """
    found: list[tuple[Optional[Expr], Optional[Expr]]] = []
    for step, refs in steps:
        if step is None:
            found.append((symbols.i, symbols.i))
            continue
        inputs = [sympy.Integer(ref.value) if isinstance(ref, Constant) else found[ref][0] for ref in refs]
        if any(size is None for size in inputs):
            found.append((None, None))
            continue
        try:
            found.append((sympy.sympify(step.expression(inputs)), sympy.sympify(step.formula(inputs))))
        except (ParameterError, Refused):  # a fixed size that the step refuses: the tensor never exists
            found.append((None, None))
    return tuple(found)


# ---------------------------------------------------------------- the whole graph


def tensor_sizes(graph: Graph) -> dict[str, tuple[Optional[Expr], ...]]:
    """Every tensor's spatial sizes, as expressions in the input axes' symbols (simplified).

    A join's size is its first input's, which every input has where the graph
    runs. None marks a size that a fixed-size part of the graph never lets exist.

    >>> from symconv.graphs.parse import parse_graph
    >>> tensor_sizes(parse_graph("x = input [L]; a = pool k=2; b = pool k=2; g = gpool; f = flatten"))
    {'x': (L,), 'a': (floor(L/2),), 'b': (floor(L/4),), 'g': (1,), 'f': ()}
    """
    found = analysis(graph)
    exprs = {axis: expressions(program.steps) for axis, program in found.programs.items()}
    result: dict[str, tuple[Optional[Expr], ...]] = {}
    for node in graph.nodes:
        sizes: list[Optional[Expr]] = []
        for axis in range(graph.tensors[node.name].axes):
            place = found.where[(node.name, axis)]
            if isinstance(place, Constant):
                sizes.append(sympy.Integer(place.value))
            elif place is None or exprs[place[0]][place[1]][0] is None:
                sizes.append(None)
            else:
                program, index = place
                sizes.append(xreplace(exprs[program][index][0], {symbols.i: axis_symbol(program)}))
        result[node.name] = tuple(sizes)
    return result


def input_values(graph: Graph, input_size: Any) -> dict[str, int]:
    """``input_size`` as one positive int per input axis: an int (every axis), one per axis in the order of
    ``graph.axes``, or a mapping from axis names.

    >>> from symconv.graphs.parse import parse_graph
    >>> input_values(parse_graph("x = input [H, W]"), {"W": 3, "H": 2}), input_values(parse_graph("x = input [H]"), 5)
    ({'H': 2, 'W': 3}, {'H': 5})
    """
    axes = graph.axes
    if isinstance(input_size, Mapping):
        unknown = [name for name in input_size if name not in axes]
        missing = [name for name in axes if name not in input_size]
        if unknown or missing:
            raise ParameterError("input_size", dict(input_size),
                                 f"give one size for each input axis: {', '.join(axes)}")
        return {name: int(positive(f"input_size {name}", input_size[name])) for name in axes}
    if isinstance(input_size, (tuple, list)):
        if len(input_size) != len(axes):
            raise ParameterError("input_size", tuple(input_size), f"give one size for every input axis, or one for each"
                                 f" of {', '.join(axes)} ({len(axes)})")
        return {name: int(positive(f"input_size {name}", size)) for name, size in zip(axes, input_size)}
    size = int(positive("input_size", input_size))
    return {name: size for name in axes}


@dataclass(frozen=True)
class GraphRun:
    """A graph at one input size: ``sizes`` of every tensor up to the first node that fails, and its ``failure``."""

    input_size: Mapping[str, int]
    sizes: Mapping[str, tuple[int, ...]]
    failure: Optional[Failure]

    @property
    def ok(self) -> bool:
        """Whether every node runs."""
        return self.failure is None


def _run_graph(graph: Graph, input_size: Any, mode: str) -> GraphRun:
    given = input_values(graph, input_size)
    sizes: dict[str, tuple[int, ...]] = {}
    checks = {check.node: check for check in flat_checks(graph)}
    for node in graph.nodes:
        tensor = graph.tensors[node.name]
        if isinstance(node.op, Input):
            sizes[node.name] = tuple(given[axis] if isinstance(axis, str) else axis for axis in node.op.shape)
            continue
        values = []
        for axis in range(tensor.axes):
            step = node.op.along(axis)
            try:
                values.append(getattr(step, mode)([sizes[name][axis] for name in node.inputs]))
            except Refused as refused:
                message = _message(node.title, node.shown, tensor.names[axis], refused)
                return GraphRun(given, sizes, Failure(node.name, node.title, tensor.names[axis], message))
        sizes[node.name] = tuple(values)
        failure = _flat_failure(node, checks[node.name], sizes) if node.name in checks else None
        if failure is not None:
            return GraphRun(given, sizes, failure)
    return GraphRun(given, sizes, None)


def run_graph(graph: Graph, input_size: Any) -> GraphRun:
    """Every tensor's sizes at ``input_size`` by the formulas, or the first node that fails and why.

    >>> from symconv.graphs.parse import parse_graph
    >>> net = parse_graph("x = input [H, W]; a = conv k=3 (x); b = add (a, x)")
    >>> run_graph(net, {"H": 5, "W": 1}).failure.message
    "Conv 'a' along W: no kernel position fits: i + p_l + p_r = 1 < d(k - 1) + 1 = 3"
    >>> run_graph(net, 5).failure.message
    "Add 'b': 3 vs 5 along H"
    """
    return _run_graph(graph, input_size, "size")


def oracle_run(graph: Graph, input_size: Any) -> GraphRun:
    """:func:`run_graph` by brute force: each op's oracle counts its output units, and never calls a formula.

    Its failures say less (the oracle only counts); where a node fails is the same.

    >>> from symconv.graphs.parse import parse_graph
    >>> net = parse_graph("x = input [L]; a = pool k=2; u = upsample f=2; c = cat (x, u)")
    >>> oracle_run(net, 8).sizes["c"], oracle_run(net, 9).failure.message
    ((8,), "Concat 'c': sizes differ (brute force) along L")
    """
    return _run_graph(graph, input_size, "oracle")


__all__ = ["Program", "Constant", "Analysis", "Failure", "GraphRun", "analysis", "run", "expressions",
           "tensor_sizes", "input_values", "run_graph", "oracle_run", "axis_symbol", "Stopped"]
