"""Symbolic sizes of a stack, layer by layer, in their simplest exact form.

Each layer's size is its kind's formula applied to the size before it. Three
rewrites keep the result short, each an identity for integers:

- nested floors merge: for real x, integer b and positive integers a and c,
  ``⌊(⌊x/a⌋ + b)/c⌋ = ⌊(x + a b)/(a c)⌋``, since ``⌊⌊z⌋/c⌋ = ⌊z/c⌋`` for real z
  (here z = x/a + b); a ceiling first becomes a floor by
  :func:`symconv.core.rules.ceiling_as_floor`. So a stride-2 layer after a
  stride-2 layer is one floor of i/4, not two floors;
- a ceil-mode pool whose last window always starts inside the input keeps only
  its ceiling (:func:`symconv.core.rules.ceil_mode_is_ceiling`);
- a floor one short of a multiple is a ceiling: for integer G and t with
  c dividing t + 1, ``⌊(G + t)/c⌋ = ⌈G/c⌉ + (t + 1)/c - 1``, so
  ``⌊i/32 - 1/32⌋ + 1`` is written ``⌈i/32⌉``.

>>> from symconv.core.printing import text
>>> from symconv.layers.parse import parse_stack
>>> [text(step.statement) for step in simplification_steps(parse_stack("pool k=2; pool k=2"))]
['o_1 = ⌊i/2⌋', 'o_2 = ⌊⌊i/2⌋/2⌋', 'o_2 = ⌊i/4⌋']
>>> text(size_expressions(parse_stack("; ".join(["conv k=3 s=2 p=1"] * 5)))[-1])
'⌈i/32⌉'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

import sympy
from sympy import Eq, Expr, Symbol, ceiling, floor

from symconv.core import rules, symbols
from symconv.core.guards import evaluated
from symconv.core.rebuild import replace, xreplace
from symconv.core.steps import Step
from symconv.layers.layer import Layer, Size, Stack, apply, one_axis, scheme_padding

MERGED = "nested floors and ceilings merged into one floor: ⌊(⌊x⌋ + b)/c⌋ = ⌊(x + b)/c⌋ for integers b and c > 0"
AS_CEILING = "a floor one short of a multiple written as a ceiling: ⌊(x - 1)/c⌋ + 1 = ⌈x/c⌉ for integers x and c > 0"


def _split(argument: Expr) -> Optional[tuple[Expr, int, Expr]]:
    """``argument`` as ``G/c + beta`` with G integer-valued, c a positive integer, beta a number."""
    beta, rest = argument.as_coeff_Add()
    coeff, inner = rest.as_coeff_Mul()
    if coeff.is_Rational and coeff.p == 1 and inner.is_integer:
        return inner, int(coeff.q), beta
    return None


def _ceiling_as_floor(rounded: Expr) -> Expr:
    # For integer G: ⌈G/c + β⌉ = ⌈(G + ⌈cβ⌉)/c⌉, then ceil as floor.
    split = _split(rounded.args[0])
    if split is None:
        return rounded
    inner, c, beta = split
    return rules.ceiling_as_floor(inner + ceiling(c * beta), c)


def _flatten(rounded: Expr) -> Expr:
    """A floor or ceiling of a floor (or ceiling) of ``u``, as one floor of ``u``."""
    split = _split(rounded.args[0])
    if split is None:
        return rounded
    inner, c, beta = split
    if isinstance(inner, ceiling):
        inner = _ceiling_as_floor(inner)
    if not isinstance(inner, floor):
        return rounded
    # ⌊G/c + β⌋ = ⌊(G + ⌊cβ⌋)/c⌋ and ⌈G/c + β⌉ = ⌊(G + ⌈cβ⌉ + c - 1)/c⌋ for integer
    # G; then the identity with G = ⌊u⌋ drops the inner floor.
    if isinstance(rounded, ceiling):
        return rules.ceiling_as_floor(inner.args[0] + ceiling(c * beta), c)
    return evaluated(floor, ((inner.args[0] + floor(c * beta)) / c,))


def _as_ceiling(rounded: Expr) -> Expr:
    """``⌊(G + t)/c⌋`` as ``⌈G/c⌉ + (t + 1)/c - 1`` when c > 1 divides t + 1, G integer."""
    split = _split(rounded.args[0])
    if split is None:
        return rounded
    inner, c, beta = split
    shift = c * beta
    if c == 1 or not shift.is_integer or (shift + 1) % c != 0:
        return rounded
    return evaluated(ceiling, (inner / c,)) + (shift + 1) / c - 1


def _ceil_mode(output: Expr, layer: Layer, size: Expr, padding: tuple[Size, Size]) -> Expr:
    """A ceil-mode layer's size, with the last-window rule dropped where it never applies.

    The kind gives ``min(⌈reach/s⌉, ⌊(i + p_l - 1)/s⌋) + 1``; when the last
    window always starts inside the input or the left padding
    (:func:`~symconv.core.rules.ceil_mode_is_ceiling`) the min is its ceiling.
    """
    if rules.ceil_mode_is_ceiling(layer.kernel_size, layer.stride, layer.dilation, padding[1]):
        # Only this layer's min (the input may hold earlier ones), and only when it
        # still reads min(⌈…⌉, ⌊…⌋): sympy may evaluate a ceiling away or flatten
        # nested mins, and then the exact min is kept as it is. It may also pull an
        # integer out of the ceiling (⌈x - 1⌉ = ⌈x⌉ - 1), so look past that.
        ours = sympy.sympify(output).atoms(sympy.Min) - sympy.sympify(size).atoms(sympy.Min)
        chosen = {}
        for m in ours:
            ceilings = [arg for arg in m.args if isinstance(arg.as_coeff_Add()[1], ceiling)]
            floors = [arg for arg in m.args if isinstance(arg.as_coeff_Add()[1], floor)]
            if len(m.args) == 2 and len(ceilings) == 1 and len(floors) == 1:
                chosen[m] = ceilings[0]
        return xreplace(output, chosen)
    return output


def _forms(layer: Layer, size: Expr) -> tuple[Expr, Expr, Expr]:
    """A layer's size from ``size``: as its kind gives it, merged, and with ceilings preferred."""
    output: Expr = sympy.sympify(apply(layer, size))
    if layer.ceil_mode:
        output = _ceil_mode(output, layer, size, scheme_padding(layer, size))
    merged = replace(output, lambda e: isinstance(e, (floor, ceiling)), _flatten)
    if merged.has(sympy.Min):  # an unresolved ceil mode reads best as the kind wrote it
        return output, merged, merged
    return output, merged, replace(merged, lambda e: isinstance(e, floor), _as_ceiling)


@lru_cache(maxsize=64)
def _expressions(stack: Stack, i: Expr) -> tuple[Expr, ...]:
    result, size = [], i
    for layer in stack.layers:
        size = _forms(layer, size)[2]
        result.append(size)
    return tuple(result)


def size_expressions(stack: Stack, i: Expr = symbols.i) -> tuple[Expr, ...]:
    """Every layer's output size as an expression in ``i``, simplified (one axis).

    >>> from symconv.layers.parse import parse_stack
    >>> size_expressions(parse_stack("pool k=2; pool k=2; tconv k=2 s=2"))
    (floor(i/2), floor(i/4), 2*floor(i/4))
    """
    return _expressions(one_axis(stack), i)


def simplification_steps(stack: Stack, i: Expr = symbols.i) -> tuple[Step, ...]:
    """Each layer's size from the one before it, then with its floors merged and ceilings preferred (one axis)."""
    stack = one_axis(stack)
    steps, size = [], i
    for number, layer in enumerate(stack.layers, start=1):
        name = Symbol(f"o_{number}", integer=True)
        output, merged, preferred = _forms(layer, size)
        resolved = " (ceil mode, the last-window rule resolved)" if layer.ceil_mode else ""
        steps.append(Step(Eq(name, output), f"layer {number}: {layer}{resolved}"))
        if output != merged:
            steps.append(Step(Eq(name, merged), MERGED))
        if preferred != merged:
            steps.append(Step(Eq(name, preferred), AS_CEILING))
        size = preferred
    return tuple(steps)
