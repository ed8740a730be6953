"""Suggested fixes for a graph whose joins misalign: one layer's parameter changed, each change checked.

When the valid input sizes of a graph (:func:`~symconv.graphs.decide.valid_sizes`) are a
proper subset of the sizes on which every layer has a window, or empty, a join misaligns.
This module tries the single-parameter edits of a small search space, one node at a time, on the
nodes that some join reads (through any path):

- ``output_padding`` 0 .. max(stride, dilation) - 1 on a transposed convolution;
- ``ceil_mode`` toggled on a pool;
- ``padding`` one more or one less (on both sides, or on one side only), and ``padding='same'``
  on a stride-1 convolution or pool;
- an explicit pad's amount one more or one less, before or after.

A layer with one value per axis is edited on every axis at once and on each axis alone.
Every candidate is checked by rebuilding the graph with that one node's op replaced (same
names, labels and op types) and deciding its valid sizes again with ``valid_sizes``; nothing
is computed by hand (a candidate that fails at one of a few sizes the graph runs on now is
dropped before that, since its set cannot contain the old one). A fix is kept only when its
valid set contains the old one on every axis, and strictly on at least one. Fixes are ranked by
the density of their valid sizes (the fraction of residues mod the modulus, multiplied over the
axes), then by the smallest change (the largest amount any value moves), then one value for every
axis and side before values per side or per axis, then by the smallest minimum size.

The search has a budget: at most ``max_candidates`` edits and ``seconds`` of time;
:attr:`FixSearch.exhausted` says when it ran out, and which.

>>> from symconv.graphs.parse import parse_graph
>>> net = parse_graph("x = input [H]; a = conv k=3 p=1; b = pool k=3 s=2; u = upsample f=2; c = cat (a, u)")
>>> print(valid_sizes(net)["H"])
no input size
>>> found = suggest_fixes(net)
>>> [(fix.text, str(fix.valid["H"])) for fix in found.fixes[:2]]
[("ceil_mode=True on Pool 'b'", 'i ≡ 0 (mod 2), i ≥ 2'), ("padding=1 instead of 0 on Pool 'b'", 'i ≡ 0 (mod 2), i ≥ 2')]
>>> len(found.fixes), found.tried, found.exhausted
(4, 11, None)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Callable, Iterator, Mapping, Optional

from symconv.core.errors import ParameterError, SymconvError
from symconv.graphs.decide import _decide, valid_sizes
from symconv.graphs.graph import Graph, Node
from symconv.graphs.ops import JOINS, LayerOp, Op, Pad
from symconv.graphs.sizes import Stopped, analysis, run
from symconv.layers.alignment import InputSizes

MAX_CANDIDATES = 400  #: edits tried at most, by default
SECONDS = 5.0  #: time spent at most, by default
_SPAN = 100_000  # sizes compared one by one at most when one set's periodic part starts far above the other's


@dataclass(frozen=True)
class Fix:
    """One checked edit: ``parameter`` of node ``node`` (named ``shown`` in messages, an op ``title``)
    from ``old`` to ``new``, in PyTorch's terms; ``valid`` the graph's new valid input sizes per axis,
    from :func:`~symconv.graphs.decide.valid_sizes` on the changed graph; ``graph`` that graph."""

    node: str
    shown: str
    title: str
    parameter: str
    old: Any
    new: Any
    valid: Mapping[str, InputSizes]
    change: int
    graph: Graph

    @property
    def text(self) -> str:
        """The fix in the frameworks' words: ``output_padding=1 on ConvTranspose 'up3'``."""
        default = {"output_padding": 0, "ceil_mode": False}.get(self.parameter)
        instead = "" if self.old == default else f" instead of {_show(self.old)}"
        return f"{self.parameter}={_show(self.new)}{instead} on {self.title} {self.shown!r}"

    @property
    def density(self) -> Fraction:
        """The fraction of large input sizes it runs on: the product over axes of residues / modulus."""
        return math.prod((Fraction(len(sizes.residues), sizes.modulus) for sizes in self.valid.values()),
                         start=Fraction(1))


@dataclass(frozen=True)
class FixSearch:
    """The checked fixes, best first; ``tried`` edits were analysed; ``exhausted`` is None, or which budget
    ran out (``"candidates"`` or ``"time"``) before every edit of the search space was tried."""

    fixes: tuple[Fix, ...]
    tried: int
    candidates: int
    exhausted: Optional[str]


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def misaligned(valid: Mapping[str, Any]) -> bool:
    """Whether some axis runs on fewer sizes than those on which every layer has a window (or none at all).

    >>> from symconv.graphs.parse import parse_graph
    >>> misaligned(valid_sizes(parse_graph("x = input [H]; a = pool k=2; u = upsample f=2; c = cat (x, u)")))
    True
    """
    for decision in valid.values():
        if decision.minimum is None:
            return True
        if decision.answer != InputSizes(1, (0,), decision.minimum):
            return True
    return False


def contains(big: InputSizes, small: InputSizes) -> bool:
    """Whether every size of ``small`` is in ``big`` (exactly: past both minimums and ``big``'s isolated sizes
    both sets repeat with the lcm of their moduli). A comparison beyond the budget counts as not contained.

    >>> evens, fours = InputSizes(2, (0,), 2), InputSizes(4, (0,), 4)
    >>> contains(evens, fours), contains(fours, evens)
    (True, False)
    """
    if any(n not in big for n in small.isolated):
        return False
    if not small.residues:
        return True
    settled = max(small.minimum, big.minimum, max(big.isolated, default=0) + 1)
    end = settled + math.lcm(small.modulus, big.modulus)
    if end - small.minimum > _SPAN:
        return False
    return all(n in big for n in range(small.minimum, end) if n in small)


def _pair(value: Any, axes: Optional[int], padding: Any) -> Any:
    """A padding in PyTorch's terms: P when both sides agree, else ``(before, after)``; per axis a tuple."""
    def one(pair: tuple[int, int]) -> Any:
        return pair[0] if pair[0] == pair[1] else pair
    if axes is None and not (isinstance(padding, tuple) and padding and isinstance(padding[0], tuple)):
        return one(value)
    return tuple(one(pair) for pair in value)


def _layer_edits(op: LayerOp) -> Iterator[tuple[str, Any, Any, int, Op]]:
    """``(parameter, old, new, change, op)`` for the edits of a layer's search space."""
    layer = op.layer
    kind = layer.kind
    axes = layer.axes
    count = axes or 1
    per_axis = [layer.axis(n) for n in range(count)]
    fields = kind.fields

    def make(**changes: Any) -> Optional[LayerOp]:
        try:
            return LayerOp(replace(layer, **changes))
        except (ParameterError, SymconvError):
            return None

    if "output_padding" in fields:
        olds = [one.output_padding for one in per_axis]
        most = max(max(one.stride, one.dilation) for one in per_axis)
        for value in range(most):
            targets = [tuple([value] * count)]
            if count > 1:
                targets += [tuple(value if m == n else olds[m] for m in range(count)) for n in range(count)]
            for target in dict.fromkeys(targets):
                if list(target) == olds:
                    continue
                new = make(output_padding=target[0] if len(set(target)) == 1 and axes is None else target)
                if new is not None:
                    yield ("output_padding", _collapse(olds), _collapse(list(target)),
                           max(abs(a - b) for a, b in zip(target, olds)), new)
    if "ceil_mode" in fields:
        new = make(ceil_mode=not layer.ceil_mode)
        if new is not None:
            yield "ceil_mode", layer.ceil_mode, not layer.ceil_mode, 1, new
    if "padding" in fields and layer.scheme is None:
        paddings = [one.padding for one in per_axis]
        shown_old = _pair(paddings[0] if axes is None else paddings, axes, layer.padding)
        for delta in (1, -1):
            for sides in ((delta, delta), (delta, 0), (0, delta)):
                changed = [(before + sides[0], after + sides[1]) for before, after in paddings]
                choices = [changed]
                if count > 1:
                    choices += [[changed[m] if m == n else paddings[m] for m in range(count)] for n in range(count)]
                for choice in choices:
                    if choice == paddings or any(side < 0 for pair in choice for side in pair):
                        continue
                    padding_value: Any = choice[0] if axes is None else tuple(choice)
                    new = make(padding=padding_value)
                    if new is not None:
                        yield "padding", shown_old, _pair(padding_value, axes, layer.padding), 1, new
        if "scheme" in fields and all(one.stride == 1 for one in per_axis):
            new = make(scheme="torch-same", padding=0)
            if new is not None:
                yield "padding", shown_old, "same", 1, new


def _collapse(values: list[Any]) -> Any:
    return values[0] if len(set(values)) == 1 else tuple(values)


def _pad_edits(op: Pad) -> Iterator[tuple[str, Any, Any, int, Op]]:
    pairs = op.padding
    shown_old = pairs[0] if len(pairs) == 1 else pairs
    for axis in range(len(pairs)):
        for side in (0, 1):
            for delta in (1, -1):
                changed = list(map(list, pairs))
                changed[axis][side] += delta
                value = tuple(map(tuple, changed))
                try:
                    new = Pad(value)
                except ParameterError:
                    continue
                yield "pads", shown_old, value[0] if len(value) == 1 else value, 1, new


def _edits(node: Node) -> Iterator[tuple[str, Any, Any, int, Op]]:
    if isinstance(node.op, LayerOp):
        yield from _layer_edits(node.op)
    elif isinstance(node.op, Pad):
        yield from _pad_edits(node.op)


def _samples(sizes: InputSizes, count: int = 6) -> list[int]:
    """A few input sizes of an axis that the graph runs on now: a changed graph whose set contains the old
    one runs on each of them (a quick necessary test before the decision)."""
    found = list(sizes.isolated[:count])
    n = sizes.smallest_at_least(1)
    while n is not None and len(found) < 2 * count:
        found.append(n)
        n = sizes.smallest_at_least(n + 1)
    return found


def _answers(graph: Graph, samples: Mapping[str, list[int]]) -> Optional[dict[str, InputSizes]]:
    """:func:`~symconv.graphs.decide.valid_sizes`'s answers for ``graph`` (the same decision, without naming
    its conditions after the axes), or None when it fails at one of the ``samples``."""
    found = analysis(graph)
    if found.never is not None:
        return None if any(samples.values()) else {axis: InputSizes(1, (), 1) for axis in graph.axes}
    answers = {}
    for axis, program in found.programs.items():
        for n in samples[axis]:
            try:
                run(program.steps, n)
            except Stopped:
                return None
        answers[axis] = _decide(program.steps).answer
    return answers


def _changed(graph: Graph, node: Node, op: Op) -> Optional[Graph]:
    nodes = tuple(Node(n.name, op, n.inputs, n.label, n.op_type) if n.name == node.name else n for n in graph.nodes)
    try:
        return Graph(nodes, graph.outputs)
    except ParameterError:
        return None


def suggest_fixes(graph: Graph, max_candidates: int = MAX_CANDIDATES, seconds: float = SECONDS,
                  progress: Optional[Callable[[str, str, int, int], None]] = None) -> FixSearch:
    """The single-parameter edits that make ``graph`` run on strictly more input sizes, checked and ranked
    (see the module docstring). A graph whose joins all line up gets none. ``progress(task, item, done, total)``,
    if given, is called before each candidate is checked and once at the end.

    >>> from symconv.graphs.parse import parse_graph
    >>> net = parse_graph("x = input [L]; a = pool k=2; u = tconv k=3 s=2 p=1; c = cat (x, u)")
    >>> [fix.text for fix in suggest_fixes(net).fixes][:3]
    ["ceil_mode=True on Pool 'a'", "padding=1 instead of 0 on Pool 'a'", "output_padding=1 on ConvTranspose 'u'"]
    >>> suggest_fixes(net, max_candidates=2).exhausted
    'candidates'
    """
    if not isinstance(graph, Graph):
        raise ParameterError("graph", type(graph).__name__, "expected a Graph")
    for name, value, low in (("max_candidates", max_candidates, 0), ("seconds", seconds, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= 10**6:
            raise ParameterError(name, value, f"{name} is a number from {low} to 1000000")
    old = {axis: decision.answer for axis, decision in valid_sizes(graph).items()}
    if not misaligned(valid_sizes(graph)):
        return FixSearch((), 0, 0, None)
    samples = {axis: _samples(sizes) for axis, sizes in old.items()}
    deadline = time.monotonic() + seconds
    found: list[Fix] = []
    tried, candidates, exhausted = 0, 0, None
    # Only a node that some join reads, through any path, moves a join's sizes.
    upstream: set[str] = set()
    for node in reversed(graph.nodes):
        if isinstance(node.op, JOINS) or node.name in upstream:
            upstream.update(node.inputs)
    planned = 0 if progress is None else \
        min(max_candidates, sum(1 for node in graph.nodes if node.name in upstream for _ in _edits(node)))
    for node in graph.nodes:
        if node.name not in upstream:
            continue
        for parameter, before, after, change, op in _edits(node):
            candidates += 1
            if exhausted is not None:
                continue
            if tried >= max_candidates:
                exhausted = "candidates"
                continue
            if time.monotonic() > deadline:
                exhausted = "time"
                continue
            if progress is not None:
                progress("fixes", f"{parameter} on {node.title} {node.shown!r}", tried, planned)
            tried += 1
            changed = _changed(graph, node, op)
            if changed is None:
                continue
            try:
                new = _answers(changed, samples)
            except SymconvError:  # a changed graph beyond the decisions' budget
                continue
            if new is None:
                continue
            if all(contains(new[axis], old[axis]) for axis in old) and \
                    any(not contains(old[axis], new[axis]) for axis in old):
                found.append(Fix(node.name, node.shown, node.title, parameter, before, after, new, change, changed))
    if progress is not None:
        progress("fixes", "", tried, tried)
    # One value for every axis and side (what nn.Conv2d's padding=1 says) before per-side or per-axis values.
    found.sort(key=lambda fix: (-fix.density, fix.change, isinstance(fix.new, tuple),
                                sum(sizes.minimum for sizes in fix.valid.values())))
    return FixSearch(tuple(found), tried, candidates, exhausted)


__all__ = ["Fix", "FixSearch", "suggest_fixes", "misaligned", "contains", "MAX_CANDIDATES", "SECONDS"]
