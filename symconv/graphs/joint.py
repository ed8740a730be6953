"""Input sizes that couple the axes: a flat size that must be one number (:mod:`.flat`).

A ``Linear`` with ``in_features`` after a flatten of ``C`` channels runs only
where ``C × h × w`` is that number, ``h`` and ``w`` the sizes of the flattened
tensor. That is a condition on the product, not on each axis: ``h·w = 49``
holds at 7×7, and at 1×49 and 49×1. Its exact answer is a union of boxes, one
per ordered factorisation of the target into the varying axes' sizes; along
each axis, the sizes that give that factor form a range (every size is
nondecreasing in the input), cut to the axis's own valid set.

>>> from symconv.graphs.parse import parse_graph
>>> net = parse_graph("x = input [H, W]; a = pool k=32; f = flatten c=512; g = linear in=25088")
>>> found = joint_sizes(net)
>>> print(found)
512⌊H/32⌋⌊W/32⌋ = 25088 (Linear 'g') holds exactly for:
  224 ≤ H ≤ 255, 224 ≤ W ≤ 255;
  or 32 ≤ H ≤ 63, 1568 ≤ W ≤ 1599;
  or 1568 ≤ H ≤ 1599, 32 ≤ W ≤ 63
>>> {"H": 230, "W": 255} in found, {"H": 256, "W": 224} in found
(True, False)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional

import sympy
from sympy import Expr

from symconv.core import symbols
from symconv.core.errors import ParameterError
from symconv.core.printing import text
from symconv.core.rebuild import xreplace
from symconv.graphs.decide import AxisDecision, valid_sizes
from symconv.graphs.flat import FlatCheck, flat_checks
from symconv.graphs.graph import Graph
from symconv.graphs.sizes import Constant, Stopped, analysis, axis_symbol, expressions, run
from symconv.layers.alignment import InputSizes

MAX_BOXES = 4096  #: boxes of a coupled answer
MAX_TARGET = 10**12  #: largest product a check factorises
_LIMIT = 2**64  # no budgeted graph's sizes grow slower than this allows


@dataclass(frozen=True)
class Span:
    """The sizes of one axis in ``sizes`` from ``low`` to ``high`` (None: no upper bound)."""

    sizes: InputSizes
    low: int
    high: Optional[int] = None

    def __contains__(self, size: int) -> bool:
        return size in self.sizes and size >= self.low and (self.high is None or size <= self.high)

    @property
    def first(self) -> Optional[int]:
        """The smallest member, or None when there is none."""
        found = self.sizes.smallest_at_least(self.low)
        return None if found is None or (self.high is not None and found > self.high) else found

    def members(self, most: int = 16) -> Optional[list[int]]:
        """Every member, when it has at most ``most`` and a bound (else None)."""
        if self.high is None or self.high - self.low > 4096:
            return None
        found = [n for n in range(self.low, self.high + 1) if n in self.sizes]
        return found if len(found) <= most else None

    def meet(self, other: "Span") -> "Span":
        """The sizes in both (of the same axis, so with the same ``sizes``)."""
        highs = [high for high in (self.high, other.high) if high is not None]
        return Span(self.sizes, max(self.low, other.low), min(highs) if highs else None)

    def text(self, axis: str) -> str:
        first = self.first
        if first is None:
            return f"no {axis}"
        members = self.members()
        if members is not None and members != list(range(first, members[-1] + 1)):
            return f"{axis} ∈ {{{', '.join(map(str, members))}}}"
        last = members[-1] if members else self.high
        bounds = f"{first} ≤ {axis}" + ("" if last is None else f" ≤ {last}")
        if members is not None or self.sizes.modulus == 1:
            return f"{axis} = {first}" if first == last else bounds
        classes = ", ".join(map(str, self.sizes.residues))
        return f"{axis} ≡ {classes} (mod {self.sizes.modulus}), {bounds}"


@dataclass(frozen=True)
class JointSizes:
    """The input sizes that the flat size checks allow, on top of each axis's own set.

    ``conditions`` are the checks as equations in the input axes (``nodes``
    names each check's node); ``boxes`` the exact answer: a size runs when it
    lies in some box (each a :class:`Span` per axis, in the order of ``axes``).
    """

    axes: tuple[str, ...]
    conditions: tuple[Any, ...]
    nodes: tuple[str, ...]
    shown: tuple[str, ...]
    boxes: tuple[tuple[Span, ...], ...]

    def __contains__(self, sizes: Mapping[str, int]) -> bool:
        return any(all(sizes[axis] in span for axis, span in zip(self.axes, box)) for box in self.boxes)

    @property
    def runs(self) -> bool:
        """Whether some size satisfies every check."""
        return bool(self.boxes)

    def __str__(self) -> str:
        head = "; ".join(f"{text(condition)} ({name})" for condition, name in zip(self.conditions, self.shown))
        if not self.boxes:
            return f"{head} holds for no input size"
        boxes = [", ".join(span.text(axis) for axis, span in zip(self.axes, box)) for box in self.boxes]
        return f"{head} holds exactly for:\n  " + ";\n  or ".join(boxes)


def _divisors(n: int) -> list[int]:
    small, large = [], []
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            small.append(d)
            if d != n // d:
                large.append(n // d)
    return small + large[::-1]


def _factorisations(n: int, parts: int) -> list[tuple[int, ...]]:
    """Every ordered way to write ``n`` as a product of ``parts`` positive integers (within the budget)."""
    if parts == 1:
        return [(n,)]
    found: list[tuple[int, ...]] = []
    for d in _divisors(n):
        for rest in _factorisations(n // d, parts - 1):
            found.append((d, *rest))
            if len(found) > MAX_BOXES:
                raise ParameterError("in_features", n, f"more than {MAX_BOXES} ways to split the flat size over"
                                     f" {parts} axes, too many to list")
    return found


def _preimage(steps: Any, index: int, target: int, decision: AxisDecision) -> Optional[Span]:
    """The sizes of the axis whose step ``index`` has size ``target``, within the axis's valid set."""
    if decision.minimum is None:
        return None
    minimum: int = decision.minimum

    def value(n: int) -> int:
        try:
            return run(steps[:index + 1], n, "relaxed")[index]
        except Stopped:
            return 0

    def first_reaching(goal: int) -> Optional[int]:  # the least n >= minimum with value(n) >= goal
        low = minimum
        if value(low) >= goal:
            return low
        high = 2 * low
        while value(high) < goal:
            if high > _LIMIT:
                return None
            low, high = high, 2 * high
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if value(middle) < goal else (low, middle)
        return high

    low = first_reaching(target)
    if low is None or value(low) != target:
        return None
    above = first_reaching(target + 1)
    span = Span(decision.answer, low, None if above is None else above - 1)
    return span if span.first is not None else None


def _condition(check: FlatCheck, graph: Graph) -> Expr:
    sizes = _tensor_sizes(graph, check.flat.tensor) if check.flat.tensor else []
    factor = check.flat.channels * math.prod(int(size) for size in sizes if size.is_Integer)
    varying = [size for size in sizes if not size.is_Integer]
    product = sympy.Mul(*([factor] if factor != 1 else []), *varying, evaluate=False)
    return sympy.Eq(product, check.needs, evaluate=False)


def _tensor_sizes(graph: Graph, name: str) -> list[Expr]:
    found = analysis(graph)
    sizes = []
    for axis in range(graph.tensors[name].axes):
        place = found.where[(name, axis)]
        if isinstance(place, Constant):
            sizes.append(sympy.Integer(place.value))
        else:
            program, index = place  # type: ignore[misc]
            expr = expressions(found.programs[program].steps)[index][0]
            sizes.append(xreplace(expr, {symbols.i: axis_symbol(program)}))
    return sizes


def joint_sizes(graph: Graph, valid: Optional[Mapping[str, AxisDecision]] = None) -> Optional[JointSizes]:
    """The exact input sizes that the graph's flat size checks allow, or None when it has no check whose
    size follows the input. ``valid`` is :func:`~symconv.graphs.decide.valid_sizes` (computed if not given)."""
    found = analysis(graph)
    checks = [check for check in flat_checks(graph) if check.flat.tensor is not None and any(
        not isinstance(found.where[(check.flat.tensor, axis)], Constant)
        for axis in range(graph.tensors[check.flat.tensor].axes))]
    checks = list({(check.needs, check.flat): check for check in reversed(checks)}.values())[::-1]  # first of equals
    if not checks or found.never is not None:
        return None
    valid = valid_sizes(graph) if valid is None else valid
    axes = graph.axes
    boxes: list[tuple[Span, ...]] = [tuple(Span(valid[axis].answer, 1) for axis in axes)]
    for check in checks:
        tensor = str(check.flat.tensor)
        places = [found.where[(tensor, axis)] for axis in range(graph.tensors[tensor].axes)]
        fixed = math.prod(place.value for place in places if isinstance(place, Constant))
        varying = [place for place in places if not isinstance(place, Constant)]
        whole = check.flat.channels * fixed
        mine: list[tuple[Span, ...]] = []
        if None not in varying and check.needs % whole == 0 and check.needs // whole <= MAX_TARGET:
            for factors in _factorisations(check.needs // whole, len(varying)):
                box = [Span(valid[axis].answer, 1) for axis in axes]
                for (program, index), factor in zip(varying, factors):  # type: ignore[misc]
                    span = _preimage(found.programs[program].steps, index, factor, valid[program])
                    if span is None:
                        break
                    position = axes.index(program)
                    box[position] = box[position].meet(span)
                else:
                    if all(span.first is not None for span in box):
                        mine.append(tuple(box))
        boxes = [tuple(a.meet(b) for a, b in zip(old, new)) for old in boxes for new in mine]
        boxes = [box for box in boxes if all(span.first is not None for span in box)]
        if len(boxes) > MAX_BOXES:
            raise ParameterError("graph", f"{len(checks)} flat size checks", f"more than {MAX_BOXES} boxes of input"
                                 " sizes, too many to list")
    # The most nearly square box first: the sizes a user most likely means.
    boxes.sort(key=lambda box: (max(span.first for span in box) / min(span.first for span in box),  # type: ignore
                                [span.first for span in box]))
    return JointSizes(axes, tuple(_condition(check, graph) for check in checks), tuple(c.node for c in checks),
                      tuple(f"{graph.node(c.node).title} {graph.node(c.node).shown!r}" for c in checks),
                      tuple(boxes))


__all__ = ["Span", "JointSizes", "joint_sizes", "MAX_BOXES"]
