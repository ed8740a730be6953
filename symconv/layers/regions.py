"""Input regions of output units, pushed through one layer at a time.

A layer's output unit reads an arithmetic progression of its input units, so
the first and last input index each unit depends on repeat with a period: a
table of one period plus a step is exact for every unit. Two ways of reading
cover every built-in kind:

- a window (:func:`through_window`): output ``u`` reads inputs
  ``s u - p_l + d t`` for ``t = 0 .. k - 1`` (convolution, pooling);
- a scatter (:func:`through_scatter`): input ``x`` reaches outputs
  ``s x + d t - p_l`` (transposed convolution; nearest upsampling by ``f`` is
  the scatter with ``k = s = f``).

>>> start = Regions((0,), (0,), 1)
>>> through_window(start, 3, 2, 1, 1)
Regions(first=(-1,), last=(1,), step=2)
>>> through_scatter(start, 2, 2, 0, 1)
Regions(first=(0, 0), last=(0, 0), step=1)

These tables describe every unit of an unbounded layer: where a unit looks, padding
positions counted as positions (Araujo et al.'s convention). What a unit of a tensor of
a given size *depends on* is a finite table (:func:`finite`, :func:`tabulate`): the same
steps, on one copy of the tensor followed by units that read nothing, so that padding
reads nothing. A unit that reads only padding has no region:

>>> spans = tabulate(through_scatter(finite([(x, x) for x in range(3)], 4), 2, 2, 1, 1), 4)
>>> spans, tabulate(through_window(finite(spans, 4), 1, 1, 1, 1), 6)
(((0, 0), (1, 1), (1, 1), (2, 2)), (None, (0, 0), (1, 1), (1, 1), (2, 2), None))
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from typing import Optional, Sequence

from symconv.core.errors import ParameterError, SymconvError

#: The longest period tabulated: residue classes of a decision, and the
#: repeating pattern of receptive fields behind up-sampling layers.
MAX_PERIOD = 4096

End = Optional[int]
Span = Optional[tuple[int, int]]
#: The step between the copies of a finite table: a read that strays into the next copy gives an end
#: this far off, and is caught (:func:`tabulate`).
_APART = 10**15


@dataclass(frozen=True)
class Regions:
    """The ends of every unit's input region: ``f(u + q) = f(u) + step`` with q = len(first).

    None marks a unit that sees no input at all.
    """

    first: tuple[End, ...]
    last: tuple[End, ...]
    step: int

    def at(self, table: tuple[End, ...], unit: int) -> End:
        end = table[unit % len(table)]
        return None if end is None else end + unit // len(table) * self.step

    def hull(self, start: int, delta: int, count: int) -> tuple[End, End]:
        """The region of units ``start, start + delta, ...`` (``count`` of them, delta > 0)."""
        # Within one residue class mod q the ends grow by step > 0, so the
        # lowest first end is in the first unit of some class and the highest
        # last end in the final one: q/gcd(q, delta) units from each end suffice.
        period = len(self.first)
        span = min(count, period // gcd(period, delta))
        firsts = [self.at(self.first, start + delta * n) for n in range(span)]
        lasts = [self.at(self.last, start + delta * (count - 1 - n)) for n in range(span)]
        seen = [end for end in firsts if end is not None]
        return (min(seen), max(end for end in lasts if end is not None)) if seen else (None, None)


def _regions(ends: list[tuple[End, End]], step: int) -> Regions:
    return Regions(tuple(e[0] for e in ends), tuple(e[1] for e in ends), step)


def through_window(regions: Regions, kernel_size: int, stride: int, before: int, dilation: int) -> Regions:
    """Output u reads inputs ``s u - p_l + d t``, t = 0 .. k - 1.

    With period 1 this is the recurrence r += d(k - 1) j, P += p_l j, j *= s
    (Araujo et al., Distill 2019).
    """
    period = len(regions.first) // gcd(len(regions.first), stride)
    ends = [regions.hull(stride * u - before, dilation, kernel_size) for u in range(period)]
    return _regions(ends, regions.step * stride * period // len(regions.first))


def through_scatter(regions: Regions, kernel_size: int, stride: int, before: int, dilation: int) -> Regions:
    """Input x reaches output y through tap t when ``s x + d t - p_l = y``.

    Shifting y by s shifts x by 1, so the period grows s-fold; a period longer
    than :data:`MAX_PERIOD` is refused (``stride`` names the parameter).
    """
    if len(regions.first) * stride > MAX_PERIOD:
        raise ParameterError("stride", stride, f"receptive fields would repeat with period "
                             f"{len(regions.first) * stride}, more than {MAX_PERIOD} to tabulate")
    every = stride // gcd(stride, dilation)  # taps that land on a whole x recur every s/gcd(s, d)
    ends: list[tuple[End, End]] = []
    for y in range(stride * len(regions.first)):
        first_tap = next((t for t in range(min(kernel_size, every)) if (y + before - dilation * t) % stride == 0), None)
        if first_tap is None:
            ends.append((None, None))
            continue
        count = (kernel_size - 1 - first_tap) // every + 1
        # x falls by d/gcd(s, d) as t rises by s/gcd(s, d): the last tap reaches the lowest x.
        lowest = (y + before - dilation * (first_tap + (count - 1) * every)) // stride
        ends.append(regions.hull(lowest, dilation // gcd(stride, dilation), count))
    return _regions(ends, regions.step)


def finite(spans: Sequence[Span], gap: int) -> Regions:
    """The regions of a tensor of ``len(spans)`` units (each span the first and last input unit it depends
    on, or None), followed by ``gap`` units that read nothing: padding. ``gap`` must exceed how far any
    unit of the next layer reads beyond either end.
    """
    if gap < 1:
        raise ParameterError("gap", gap, "the gap after a finite table is at least 1")
    first = tuple(None if span is None else span[0] for span in spans) + (None,) * gap
    last = tuple(None if span is None else span[1] for span in spans) + (None,) * gap
    return Regions(first, last, _APART)


def tabulate(regions: Regions, units: int, inputs: Optional[int] = None) -> tuple[Span, ...]:
    """The spans of units ``0 .. units - 1`` of a table that :func:`finite` started; with ``inputs``, a check
    that every end is an input unit (a read that strayed past a gap would not be)."""
    spans: list[Span] = []
    for unit in range(units):
        a, b = regions.at(regions.first, unit), regions.at(regions.last, unit)
        if a is None or b is None:
            spans.append(None)
            continue
        if abs(a) >= _APART // 2 or abs(b) >= _APART // 2 or (inputs is not None and not 0 <= a <= b < inputs):
            raise SymconvError(f"internal error: unit {unit} reads past the gap of its finite table ({a}, {b})")
        spans.append((a, b))
    return tuple(spans)
