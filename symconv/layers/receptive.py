"""Receptive fields of a stack, exact, along one axis.

Every layer's kind pushes the table of input regions through itself (its
``receptive_step``, :mod:`symconv.layers.regions`); the receptive field is
read off the table after each layer.

A padding scheme that follows the input size (``tf-same``, ``onnx-same-lower``,
``torch-same`` on a size that needs it) moves every region by its padding before,
which is an expression in the input size: the field's size and effective stride stay
fixed, and its effective padding is that expression. (After up-sampling the padding
also picks which units share a region, and no field is fixed.)

>>> from symconv.layers.parse import parse_stack
>>> field = receptive_field(parse_stack("conv k=3 s=2 scheme=tf-same; conv k=3 s=2 scheme=tf-same"))
>>> field.size, field.stride, field.padding
(7, 4, floor(Max(0, -i + 2*ceiling(i/2) + 1)/2) + 2*floor(Max(0, -ceiling(i/2) + 2*ceiling(ceiling(i/2)/2) + 1)/2))
>>> [field.padding.subs(i, n) for n in (8, 9, 10)]
[0, 3, 2]

Where a unit looks is not what it depends on at the edges: padding reads nothing.
:func:`input_regions` gives, at one input size, the first and last input unit each output
unit depends on, and None for a unit that reads only padding:

>>> found = input_regions(parse_stack("tconv k=2 s=2 p=1; conv k=1 p=1"), 10)
>>> found.unread, found.regions[:3]
((0, 19), (None, (0, 0), (1, 1)))
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Optional, Union

import sympy

from symconv.core.errors import ParameterError
from symconv.core.symbols import i
from symconv.core.validation import positive
from symconv.layers.layer import Layer, Stack, apply, one_axis, resolved, scheme_padding
from symconv.layers.regions import Regions, Span, finite, tabulate

Exact = Union[int, Fraction]
Shift = Any  #: an int, or an expression in the input size where a padding scheme follows it


@dataclass(frozen=True)
class ReceptiveField:
    """What the output units of a stack see of its input, in input indices.

    ``size`` is r, the most input units any output unit spans; ``stride`` is
    the effective stride j; ``padding`` the effective padding P, so output
    unit 0's region starts at input -P; ``offset`` the centre of unit 0's
    region. A region is where a unit looks, padding positions included (see
    :func:`input_regions` for what it depends on at a given input size).
    Behind a padding scheme that follows the input size, P and the offset are
    expressions in ``i`` (``shift`` holds how far that padding moves every region).
    Without up-sampling layers every unit u spans
    ``u*j - P .. u*j - P + r - 1`` with centre ``offset + u*j``. Up-sampling
    layers make the regions repeat with a period: ``regions`` holds the
    ``(first, last)`` input of units 0, 1, ..., one period (None where a unit
    sees no input), and :meth:`region` gives any unit's.
    """

    size: int
    stride: Exact
    padding: Optional[Shift]
    offset: Optional[Shift]
    regions: tuple[Optional[tuple[int, int]], ...] = field(repr=False)
    shift: Shift = field(default=0, repr=False)

    def region(self, unit: int) -> Optional[tuple[Any, Any]]:
        """The first and last input index that output ``unit`` depends on (padding included).

        >>> from symconv.layers.parse import parse_stack
        >>> receptive_field(parse_stack("conv k=3 p=1; conv k=3 s=2")).region(2)
        (3, 7)
        """
        period = len(self.regions)
        span = self.regions[unit % period]
        if span is None:
            return None
        moved = int(unit // period * period * self.stride) + self.shift
        return span[0] + moved, span[1] + moved


def _exact(value: Fraction) -> Exact:
    return value.numerator if value.denominator == 1 else value


def _field(regions: Regions, shift: Shift = 0) -> ReceptiveField:
    spans = tuple(None if a is None or b is None else (a, b) for a, b in zip(regions.first, regions.last))
    size = max((b - a + 1 for a, b in filter(None, spans)), default=0)
    stride = _exact(Fraction(regions.step, len(spans)))
    if spans[0] is None:
        return ReceptiveField(size, stride, None, None, spans, shift)
    first, last = spans[0]
    offset = _exact(Fraction(first + last, 2))
    if shift == 0:
        return ReceptiveField(size, stride, -first, offset, spans)
    return ReceptiveField(size, stride, -first - shift, sympy.Rational(offset) + shift, spans, shift)


def follows_input(error: ParameterError) -> bool:
    """Whether ``error`` is a padding scheme's refusal to resolve without an input size."""
    return error.name == "scheme" and "depends on the input size" in error.rule


def window_shift(layer: Layer, regions: Regions, size: Any) -> tuple[Any, Any]:
    """For a layer whose padding scheme follows the input size: its parameters with no padding, and how far its
    padding before moves every region (an expression in the layer's input ``size``, an expression)."""
    if len(regions.first) != 1:
        raise ParameterError("scheme", layer.scheme, "its padding follows the input size, and after up-sampling"
                             " that padding also picks which units share a region: no field is fixed")
    before = scheme_padding(layer, size)[0]
    return replace(layer.axis(), padding=(0, 0)), -before * regions.step


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
    from symconv.layers.simplify import size_expressions

    stack = one_axis(stack)
    regions, result, shift = Regions((0,), (0,), 1), [], sympy.Integer(0)
    sizes = None
    for number, layer in enumerate(stack.layers, 1):
        try:
            try:
                one = resolved(layer, None)
            except ParameterError as error:
                if not follows_input(error):
                    raise
                sizes = sizes or (i,) + size_expressions(stack)
                one, moved = window_shift(layer, regions, sizes[number - 1])
                shift += moved
            regions = layer.kind.receptive_step(regions, one)
        except ParameterError as error:
            raise ParameterError(f"layer {number} ({layer}) {layer.kind.key(error.name)}", error.value,
                                 error.rule) from None
        result.append(_field(regions, shift))
    return result


def receptive_field(stack: Stack) -> ReceptiveField:
    """The receptive field of the whole stack.

    >>> from symconv.layers.parse import parse_stack
    >>> receptive_field(parse_stack("conv k=3 p=1; conv k=3 p=1; pool k=2"))
    ReceptiveField(size=6, stride=2, padding=2, offset=Fraction(1, 2))
    """
    return receptive_fields(stack)[-1]


@dataclass(frozen=True)
class InputRegions:
    """What each output unit of a stack depends on at one input size: ``regions`` holds, per output unit, the
    first and last input unit (never padding), or None for a unit that reads only padding (``unread``)."""

    input_size: int
    regions: tuple[Span, ...]

    @property
    def unread(self) -> tuple[int, ...]:
        """The output units that depend on no input unit at all."""
        return tuple(unit for unit, span in enumerate(self.regions) if span is None)


def gap(one: Any) -> int:
    """Units after a finite table, more than any unit of a layer with these parameters reads past an end."""
    return int(one.dilation * one.kernel_size + abs(one.padding[0]) + abs(one.padding[1]) + one.stride + 2)


def through_layer(layer: Layer, spans: tuple[Span, ...], axis: int = 0) -> tuple[Span, ...]:
    """The spans of ``layer``'s output units (along ``axis``) from those of its input units, exactly: the layer's
    kind reads a finite table, in which padding reads nothing (:func:`symconv.layers.regions.finite`)."""
    size = len(spans)
    one = resolved(layer, size, axis)
    units = int(apply(layer, size, axis))
    inputs = max((span[1] for span in spans if span is not None), default=-1) + 1
    return tabulate(layer.kind.receptive_step(finite(spans, gap(one)), one), units, inputs)


def input_regions(stack: Stack, input_size: int) -> InputRegions:
    """The first and last input unit that each output unit depends on at ``input_size`` (padding excluded), or
    None for a unit that reads only padding (see the module docstring).

    >>> from symconv.layers.parse import parse_stack
    >>> found = input_regions(parse_stack("conv k=3 p=1; conv k=3 p=1"), 5)
    >>> found.regions, found.unread
    (((0, 2), (0, 3), (0, 4), (1, 4), (2, 4)), ())
    """
    stack = one_axis(stack)
    size = int(positive("input_size", input_size))
    spans: tuple[Span, ...] = tuple((x, x) for x in range(size))
    for number, layer in enumerate(stack.layers, 1):
        try:
            spans = through_layer(layer, spans)
        except ParameterError as error:
            raise ParameterError(f"layer {number} ({layer}) {layer.kind.key(error.name)}", error.value,
                                 error.rule) from None
    return InputRegions(size, spans)
