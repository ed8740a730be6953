"""The operations of a graph along one axis: sizes, conditions, oracles and regions, said once.

A :class:`Step` is one node's operation along one spatial axis. It says:

- ``size``: the output size from the inputs' sizes (ints), raising
  :class:`Refused` with the reason in the frameworks' words; ``expression``
  the same for sympy expressions, simplified as :mod:`symconv.layers.simplify`
  does, and ``formula`` the unsimplified step it is checked against;
- ``relaxed``: the size with a join's condition ignored (the largest input),
  nondecreasing in every input, so that "every layer has a window" holds from
  a smallest input size up;
- ``oracle``: the size by brute force, never by the formula;
- ``period``: the stride by which the step down-samples (1 when it does not);
- ``regions``: the input regions of its output units (:mod:`.regions`), or
  :class:`NotFixed` when they follow the input size;
- ``rule``: what a join's inputs must satisfy: ``"equal"`` sizes, or
  ``"broadcast"`` (equal, or 1); ``constant``: whether its size is fixed.

>>> step = PadStep(1, 2)
>>> step.size([5]), step.oracle([5]), step.period
(8, 8, 1)
>>> ConcatStep().size([88, 89])
Traceback (most recent call last):
...
symconv.graphs.steps.Refused: 88 vs 89
>>> from symconv.core.symbols import i
>>> SliceStep(1, -1, 2).expression([i])
ceiling(i/2) - 1
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction
from math import gcd
from typing import Any, Optional, Sequence, Union

import numpy as np
import sympy

from symconv.core.errors import ParameterError
from symconv.core.guards import evaluated
from symconv.layers.kinds import LayerAxis
from symconv.layers.layer import Layer, apply, resolved
from symconv.layers.regions import MAX_PERIOD, Regions, through_window
from symconv.layers.simplify import _forms

Size = Union[int, sympy.Expr]
Range = tuple[Optional[int], Optional[int], int]  #: a slice's start, stop and step along one axis


class Refused(Exception):
    """A size an op cannot take; ``reason`` is in the frameworks' words, ``axis_last`` puts "along H" after it."""

    def __init__(self, reason: str, axis_last: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.axis_last = axis_last


class NotFixed(Exception):
    """Input regions that follow the input size, so that no receptive field is fixed."""


def _symbolic(value: Any) -> bool:
    return isinstance(value, sympy.Basic)


def _min(*values: Any) -> Any:
    return evaluated(sympy.Min, values) if any(map(_symbolic, values)) else min(values)


def _max(*values: Any) -> Any:
    return evaluated(sympy.Max, values) if any(map(_symbolic, values)) else max(values)


def slice_length(size: Any, start: Optional[int], stop: Optional[int], step: int) -> Any:
    """Python's ``len(range(size)[start:stop:step])`` wherever it is at least 1 (ints or sympy).

    A start from the front and a stop from the end are not clamped: where they
    would be, the slice is empty (the result is at most 0) either way.

    >>> slice_length(10, 1, -1, 1), slice_length(10, -3, None, 1), slice_length(3, 0, 10, 2)
    (8, 3, 2)
    """
    last = size if stop is None else size + stop if stop < 0 else _min(stop, size)
    # From the end, the start is max(size + start, 0), and last - max(a, 0) = min(last - a, last).
    reach = last - (start or 0) if start is None or start >= 0 else _min(last - size - start, last)
    if _symbolic(reach):
        return evaluated(sympy.ceiling, (reach / step,))
    return -(-reach // step)


def union(a: Optional[Regions], b: Optional[Regions]) -> Optional[Regions]:
    """The regions of units that read both inputs: the hull of the two, unit by unit.

    >>> union(Regions((0,), (2,), 1), Regions((-1, 0), (1, 1), 2))
    Regions(first=(-1, 0), last=(2, 3), step=2)
    """
    if a is None or b is None:
        return a if b is None else b
    qa, qb = len(a.first), len(b.first)
    if Fraction(a.step, qa) != Fraction(b.step, qb):
        raise NotFixed(f"its inputs have different effective strides ({Fraction(a.step, qa)} and "
                       f"{Fraction(b.step, qb)}), so their regions drift apart")
    period = qa * qb // gcd(qa, qb)
    if period > MAX_PERIOD:
        raise NotFixed(f"its regions repeat with period {period}, more than {MAX_PERIOD} to tabulate")

    def pick(choose: Any, x: Optional[int], y: Optional[int]) -> Optional[int]:
        return y if x is None else x if y is None else choose(x, y)

    first = tuple(pick(min, a.at(a.first, u), b.at(b.first, u)) for u in range(period))
    last = tuple(pick(max, a.at(a.last, u), b.at(b.last, u)) for u in range(period))
    return Regions(first, last, a.step * period // qa)



@dataclass(frozen=True)
class Step:
    """An op along one axis (see the module docstring); frozen and hashable, so equal steps share work."""

    @property
    def rule(self) -> str:
        """What a join's inputs must satisfy: "equal", "broadcast", or "" for no condition."""
        return ""

    @property
    def constant(self) -> bool:
        """Whether the output size is fixed, whatever the input's."""
        return False

    def size(self, sizes: Sequence[int]) -> int:
        return sizes[0]

    def relaxed(self, sizes: Sequence[int]) -> int:
        return self.size(sizes)

    def expression(self, sizes: Sequence[Any]) -> Any:
        return sizes[0]

    def formula(self, sizes: Sequence[Any]) -> Any:
        return self.expression(sizes)

    def oracle(self, sizes: Sequence[int]) -> int:
        return len(range(sizes[0]))

    @property
    def period(self) -> int:
        return 1

    def regions(self, inputs: Sequence[Optional[Regions]]) -> Optional[Regions]:
        return inputs[0]


@dataclass(frozen=True)
class LayerStep(Step):
    """A registered layer kind along one axis: ``layer`` holds one axis."""

    layer: Layer

    @cached_property
    def _fixed(self) -> Optional[LayerAxis]:
        """The parameters when no padding scheme makes them follow the input size."""
        return resolved(self.layer, None) if self.layer.scheme is None else None

    def size(self, sizes: Sequence[int]) -> int:
        try:
            if self._fixed is not None:
                return int(self.layer.kind.output_size(self._fixed, sizes[0]))
            return int(apply(self.layer, sizes[0]))
        except ParameterError as error:
            raise Refused(error.rule if error.name == "input_size" else str(error)) from None

    def expression(self, sizes: Sequence[Any]) -> Any:
        return _forms(self.layer, sympy.sympify(sizes[0]))[2]

    def formula(self, sizes: Sequence[Any]) -> Any:
        return _forms(self.layer, sympy.sympify(sizes[0]))[0]

    def oracle(self, sizes: Sequence[int]) -> int:
        try:
            found = self.layer.kind.oracle(resolved(self.layer, sizes[0]), sizes[0])
        except ParameterError as error:  # a padding scheme that cannot serve this size
            raise Refused(str(error)) from None
        if found < 1:
            raise Refused(f"no output unit from {sizes[0]} input units (brute force)")
        return found

    @property
    def period(self) -> int:
        return int(self.layer.axis().stride) if self.layer.kind.down_samples else 1

    def regions(self, inputs: Sequence[Optional[Regions]]) -> Optional[Regions]:
        if inputs[0] is None:
            return None
        try:
            return self.layer.kind.receptive_step(inputs[0], resolved(self.layer, None))
        except ParameterError as error:
            raise NotFixed(error.rule if error.name == "scheme" else str(error)) from None


@dataclass(frozen=True)
class PadStep(Step):
    before: int
    after: int

    def size(self, sizes: Sequence[int]) -> int:
        found = self.expression(sizes)
        if found < 1:
            raise Refused(f"{sizes[0]} padded by {self.before}:{self.after} leaves {max(found, 0)} units")
        return int(found)

    def expression(self, sizes: Sequence[Any]) -> Any:
        return sizes[0] + self.before + self.after

    def oracle(self, sizes: Sequence[int]) -> int:
        found = len(range(-self.before, sizes[0] + self.after))
        if found < 1:
            raise Refused("nothing left (brute force)")
        return found

    def regions(self, inputs: Sequence[Optional[Regions]]) -> Optional[Regions]:
        return None if inputs[0] is None else through_window(inputs[0], 1, 1, self.before, 1)


def show_range(start: Optional[int], stop: Optional[int], step: int) -> str:
    """A slice along one axis as Python writes it.

    >>> show_range(1, -1, 1), show_range(None, None, 2)
    ('1:-1', '::2')
    """
    shown = f"{'' if start is None else start}:{'' if stop is None else stop}"
    return shown + (f":{step}" if step != 1 else "")


@dataclass(frozen=True)
class SliceStep(Step):
    start: Optional[int]
    stop: Optional[int]
    step: int

    def size(self, sizes: Sequence[int]) -> int:
        found = self.expression(sizes)
        if found < 1:
            raise Refused(f"[{show_range(self.start, self.stop, self.step)}] of {sizes[0]} units is empty")
        return int(found)

    def expression(self, sizes: Sequence[Any]) -> Any:
        return slice_length(sizes[0], self.start, self.stop, self.step)

    def oracle(self, sizes: Sequence[int]) -> int:
        found = len(range(sizes[0])[self.start:self.stop:self.step])
        if found < 1:
            raise Refused("empty (brute force)")
        return found

    @property
    def period(self) -> int:
        return self.step

    def regions(self, inputs: Sequence[Optional[Regions]]) -> Optional[Regions]:
        if inputs[0] is None:
            return None
        if self.start is not None and self.start < 0:
            raise NotFixed(f"the slice [{show_range(self.start, self.stop, self.step)}] starts from the end")
        return through_window(inputs[0], 1, self.step, -(self.start or 0), 1)


@dataclass(frozen=True)
class FixedStep(Step):
    """An output of ``units`` units whatever the input's size: resizing to a size, adaptive pooling."""

    units: int
    kind: str = "resize"

    @property
    def constant(self) -> bool:
        return True

    def size(self, sizes: Sequence[int]) -> int:
        return self.units

    def expression(self, sizes: Sequence[Any]) -> Any:
        return sympy.Integer(self.units)

    def oracle(self, sizes: Sequence[int]) -> int:
        return len(range(self.units))

    def regions(self, inputs: Sequence[Optional[Regions]]) -> Optional[Regions]:
        if inputs[0] is None:
            return None
        raise NotFixed(f"its output has {self.units} unit{'s' * (self.units != 1)} whatever the input size, so the"
                       " part of the input each unit reads follows that size")


@dataclass(frozen=True)
class ConcatStep(Step):
    """Concatenation: along the concatenated axis (``summed``) the sizes add; along every other, they are equal."""

    summed: bool = False

    @property
    def rule(self) -> str:
        return "" if self.summed else "equal"

    def size(self, sizes: Sequence[int]) -> int:
        if self.summed:
            return sum(sizes)
        if len(set(sizes)) > 1:
            raise Refused(" vs ".join(map(str, sizes)), axis_last=True)
        return sizes[0]

    def relaxed(self, sizes: Sequence[int]) -> int:
        return sum(sizes) if self.summed else max(sizes)

    def expression(self, sizes: Sequence[Any]) -> Any:
        # Where the graph runs, every input has the first one's size.
        return sympy.Add(*sizes) if self.summed else sizes[0]

    def oracle(self, sizes: Sequence[int]) -> int:
        if self.summed:
            return len([unit for size in sizes for unit in range(size)])
        if any(size != sizes[0] for size in sizes):
            raise Refused("sizes differ (brute force)", axis_last=True)
        return sizes[0]

    def regions(self, inputs: Sequence[Optional[Regions]]) -> Optional[Regions]:
        found = [regions for regions in inputs if regions is not None]
        if self.summed and (len(found) > 1 or (found and inputs[0] is None)):
            raise NotFixed("along the concatenated axis, a unit's input and place follow the sizes before it")
        result: Optional[Regions] = None
        for regions in found:
            result = union(result, regions)
        return result


@dataclass(frozen=True)
class BroadcastStep(Step):
    """An element-wise op: the sizes are equal, or 1 (which broadcasts)."""

    @property
    def rule(self) -> str:
        return "broadcast"

    def size(self, sizes: Sequence[int]) -> int:
        if len(set(sizes) - {1}) > 1:
            raise Refused(" vs ".join(map(str, sizes)), axis_last=True)
        return max(sizes)

    def relaxed(self, sizes: Sequence[int]) -> int:
        return max(sizes)

    def expression(self, sizes: Sequence[Any]) -> Any:
        # Where the graph runs, every input is 1 or the largest size.
        kept = list(dict.fromkeys(size for size in map(sympy.sympify, sizes) if size != 1))
        return sympy.Integer(1) if not kept else kept[0] if len(kept) == 1 else evaluated(sympy.Max, tuple(kept))

    def oracle(self, sizes: Sequence[int]) -> int:
        try:
            return int(np.broadcast_shapes(*[(size,) for size in sizes])[0])
        except ValueError:
            raise Refused("numpy does not broadcast them (brute force)", axis_last=True) from None

    def regions(self, inputs: Sequence[Optional[Regions]]) -> Optional[Regions]:
        result: Optional[Regions] = None
        for regions in inputs:
            result = union(result, regions)
        return result




__all__ = ["Step", "LayerStep", "PadStep", "SliceStep", "FixedStep", "ConcatStep", "BroadcastStep", "Refused",
           "NotFixed", "slice_length", "show_range", "union"]
