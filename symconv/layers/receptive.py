"""Receptive fields of a stack, exact, along one axis.

Every layer's kind pushes the table of input regions through itself (its
``receptive_step``, :mod:`symconv.layers.regions`); the receptive field is
read off the table after each layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Optional, Union

from symconv.core.errors import ParameterError
from symconv.layers.layer import Stack, one_axis, resolved
from symconv.layers.regions import Regions

Exact = Union[int, Fraction]


@dataclass(frozen=True)
class ReceptiveField:
    """What the output units of a stack see of its input, in input indices.

    ``size`` is r, the most input units any output unit spans; ``stride`` is
    the effective stride j; ``padding`` the effective padding P, so output
    unit 0's region starts at input -P; ``offset`` the centre of unit 0's
    region. Without up-sampling layers every unit u spans
    ``u*j - P .. u*j - P + r - 1`` with centre ``offset + u*j``. Up-sampling
    layers make the regions repeat with a period: ``regions`` holds the
    ``(first, last)`` input of units 0, 1, ..., one period (None where a unit
    sees no input), and :meth:`region` gives any unit's.
    """

    size: int
    stride: Exact
    padding: Optional[int]
    offset: Optional[Exact]
    regions: tuple[Optional[tuple[int, int]], ...] = field(repr=False)

    def region(self, unit: int) -> Optional[tuple[int, int]]:
        """The first and last input index that output ``unit`` depends on (padding included).

        >>> from symconv.layers.parse import parse_stack
        >>> receptive_field(parse_stack("conv k=3 p=1; conv k=3 s=2")).region(2)
        (3, 7)
        """
        period = len(self.regions)
        span = self.regions[unit % period]
        if span is None:
            return None
        shift = int(unit // period * period * self.stride)
        return span[0] + shift, span[1] + shift


def _exact(value: Fraction) -> Exact:
    return value.numerator if value.denominator == 1 else value


def _field(regions: Regions) -> ReceptiveField:
    spans = tuple(None if a is None or b is None else (a, b) for a, b in zip(regions.first, regions.last))
    size = max((b - a + 1 for a, b in filter(None, spans)), default=0)
    stride = _exact(Fraction(regions.step, len(spans)))
    if spans[0] is None:
        return ReceptiveField(size, stride, None, None, spans)
    first, last = spans[0]
    return ReceptiveField(size, stride, -first, _exact(Fraction(first + last, 2)), spans)


def receptive_fields(stack: Stack) -> list[ReceptiveField]:
    """The receptive field of the stack up to each layer, exactly.

    Convolutions and pooling follow the recurrences of Araujo et al. (Distill,
    2019): r += d(k - 1) j, P += p_l j, j *= s. A transposed layer is composed
    through its connectivity instead, since its outputs see different numbers
    of inputs unless s divides k; with d = 1 and s | k it is
    r += (k/s - 1) j, j /= s.

    >>> from symconv.layers.parse import parse_stack
    >>> fields = receptive_fields(parse_stack("conv k=3 p=1; pool k=2; tconv k=4 s=2 p=1"))
    >>> [(f.size, f.stride, f.padding) for f in fields]
    [(3, 1, 1), (4, 2, 1), (6, 1, 3)]
    """
    stack = one_axis(stack)
    regions, result = Regions((0,), (0,), 1), []
    for number, layer in enumerate(stack.layers, 1):
        one = resolved(layer, None)  # a scheme that follows the input size has no fixed field: refused here
        try:
            regions = layer.kind.receptive_step(regions, one)
        except ParameterError as error:
            raise ParameterError(f"layer {number} ({layer}) {layer.kind.key(error.name)}", error.value,
                                 error.rule) from None
        result.append(_field(regions))
    return result


def receptive_field(stack: Stack) -> ReceptiveField:
    """The receptive field of the whole stack.

    >>> from symconv.layers.parse import parse_stack
    >>> receptive_field(parse_stack("conv k=3 p=1; conv k=3 p=1; pool k=2"))
    ReceptiveField(size=6, stride=2, padding=2, offset=Fraction(1, 2))
    """
    return receptive_fields(stack)[-1]
