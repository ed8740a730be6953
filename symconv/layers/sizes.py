"""A stack's sizes: every layer's, numerically, and the output's, as a number or an expression.

An input size is one value (the same on every axis) or a tuple with one value
per axis. A stack with per-axis layers has that many axes; a stack without
runs along any number of axes.

>>> from symconv.layers.parse import parse_stack
>>> sizes(parse_stack("conv k=3,1 s=2,1 p=1:1,0:0; upsample f=2,1"), (224, 160))
[(112, 160), (224, 160)]
>>> output_size(parse_stack("conv k=3,1 s=2,1 p=1:1,0:0"))
(ceiling(i/2), i)
"""

from __future__ import annotations

from typing import Any, Sequence, Union

from sympy import Expr

from symconv.core import symbols
from symconv.core.errors import ParameterError
from symconv.core.validation import positive
from symconv.layers.layer import Size, Stack, apply, as_stack
from symconv.layers.simplify import _expressions


def as_input(value: object) -> Any:
    """An input size: a positive int, a sympy expression, or a non-empty tuple of those."""
    if isinstance(value, (tuple, list)):
        if not value:
            raise ParameterError("input_size", (), "give at least one axis")
        return tuple(as_input(axis) for axis in value)
    if isinstance(value, Expr) and not value.is_Integer:
        return value
    return positive("input_size", value)


def per_axis(stack: Stack, input_size: Any) -> Any:
    """``input_size`` with one entry per axis of a stack with per-axis layers; unchanged otherwise."""
    if stack.axes is None:
        return input_size
    if not isinstance(input_size, tuple):
        return (input_size,) * stack.axes
    if len(input_size) != stack.axes:
        raise ParameterError("input_size", input_size, f"the stack has {stack.axes} axes: give one size for every axis,"
                             f" or {stack.axes} sizes")
    return input_size


def _run(stack: Stack, size: Size, axis: int, label: bool) -> list:
    result = []
    for number, layer in enumerate(stack.layers, 1):
        try:
            size = apply(layer, size, axis)
        except ParameterError as error:
            where = f"layer {number} ({layer}) " + (f"axis {axis} " if label else "")
            raise ParameterError(where + error.name, error.value, error.rule) from None
        result.append(size)
    return result


def sizes(stack: Stack, input_size: Union[int, Sequence[int]]) -> list:
    """Every layer's output size, or a ParameterError naming the first layer that fails.

    A tuple of sizes runs the stack along each axis: one tuple a layer.

    >>> from symconv.layers.parse import parse_stack
    >>> net = parse_stack("conv k=7 s=2 p=3; pool k=3 s=2 p=1")
    >>> sizes(net, 224), sizes(net, (224, 160))
    ([112, 56], [(112, 80), (56, 40)])
    >>> sizes(parse_stack("conv k=3; pool k=2"), 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: layer 2 (pool k=2) input_size=1 is invalid: no kernel position fits: ...
    """
    stack = as_stack(stack)
    input_size = per_axis(stack, as_input(input_size))
    if isinstance(input_size, tuple):
        label = stack.axes is not None
        return list(zip(*(_run(stack, size, n, label) for n, size in enumerate(input_size))))
    return _run(stack, input_size, 0, False)


def output_size(stack: Stack, i: Union[Size, Sequence[Size]] = symbols.i) -> Union[Size, tuple[Size, ...]]:
    """The stack's output size: an expression for a symbol, an int for an int, a tuple per axis.

    >>> from sympy import symbols as syms
    >>> from symconv.layers.parse import parse_stack
    >>> h, w = syms("h w", integer=True, positive=True)
    >>> output_size(parse_stack("conv k=3 s=2 p=1; conv k=3 s=2 p=1"))
    ceiling(i/4)
    >>> output_size(parse_stack("pool k=2; pool k=2"), (h, 70))
    (floor(h/4), 17)
    """
    stack = as_stack(stack)
    i = per_axis(stack, as_input(i))
    if isinstance(i, tuple):
        if all(isinstance(axis, int) for axis in i):
            return sizes(stack, i)[-1]
        return tuple(output_size(stack if stack.axes is None else stack.along(n), axis) for n, axis in enumerate(i))
    if isinstance(i, Expr):
        return _expressions(stack, i)[-1]
    return sizes(stack, i)[-1]
