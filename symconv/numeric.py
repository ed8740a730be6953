"""Exact, fast evaluation of sympy expressions on integers.

Verification evaluates the same formula on thousands of integer cases.
``expr.subs`` costs a millisecond a case, and ``lambdify`` works in floats,
where ``floor((i - k)/s)`` can round the wrong way. ``compile_expr`` walks the
expression once and returns a closure that computes it with Python ints and
``Fraction``, so every value is exact.

>>> from symconv.symbols import i, k, s, p
>>> from sympy import floor, Mod
>>> f = compile_expr(floor((i + 2*p - k)/s) + 1, (i, k, s, p))
>>> f(5, 3, 2, 1)
3
>>> compile_expr(Mod(i - k, s), (i, k, s))(2, 3, 2)
1
>>> from symconv.shapes import pool_output_size
>>> compile_expr(pool_output_size(i, 2, 2, 1, ceil_mode=True), (i,))(4)
3
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from functools import reduce
from typing import Any, Callable, Sequence

import sympy

from .errors import SymconvError

Evaluator = Callable[[Sequence[Any]], Any]


def _integral(value: Any) -> Any:
    """A Fraction with denominator 1 becomes an int, so results compare as ints."""
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


def _floor_div(numer: Any, denom: Any) -> int:
    if isinstance(numer, int) and isinstance(denom, int):
        return numer // denom
    return math.floor(Fraction(numer) / denom)


def _build(expr: Any, index: dict) -> Evaluator:
    if isinstance(expr, (bool, sympy.logic.boolalg.BooleanAtom)):
        truth = bool(expr)
        return lambda env: truth
    if expr.is_Symbol:
        if expr not in index:
            raise SymconvError(f"cannot evaluate: symbol {expr} has no value")
        slot = index[expr]
        return lambda env: env[slot]
    if expr.is_Integer:
        value = int(expr)
        return lambda env: value
    if expr.is_Rational:
        value = Fraction(int(expr.p), int(expr.q))
        return lambda env: value
    if isinstance(expr, sympy.Piecewise):  # its arguments are (value, condition) pairs
        pairs = [(_build(e, index), _build(c, index)) for e, c in expr.args]
        return lambda env: next(value(env) for value, cond in pairs if cond(env))
    parts = [_build(arg, index) for arg in expr.args]
    # Two operands are by far the commonest case: no generator on the hot path.
    if expr.is_Add:
        if len(parts) == 2:
            first, second = parts
            return lambda env: _integral(first(env) + second(env))
        return lambda env: _integral(sum(part(env) for part in parts))
    if expr.is_Mul:
        if len(parts) == 2:
            first, second = parts
            return lambda env: _integral(first(env) * second(env))
        return lambda env: _integral(reduce(operator.mul, (part(env) for part in parts), 1))
    if expr.is_Pow:
        base, exponent = parts
        if not expr.exp.is_Integer:
            raise SymconvError(f"cannot evaluate {expr}: only integer powers are exact")
        return lambda env: _integral(Fraction(base(env)) ** exponent(env))
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        # floor(N/D) as integer division: no Fractions on the hot path.
        numer, denom = (_build(part, index) for part in expr.args[0].as_numer_denom())
        if isinstance(expr, sympy.floor):
            return lambda env: _floor_div(numer(env), denom(env))
        return lambda env: -_floor_div(-numer(env), denom(env))
    if isinstance(expr, sympy.Mod):
        left, right = parts
        return lambda env: _integral(left(env) % right(env))
    if isinstance(expr, sympy.Max):
        return lambda env: max(part(env) for part in parts)
    if isinstance(expr, sympy.Min):
        return lambda env: min(part(env) for part in parts)
    if isinstance(expr, sympy.Abs):
        (inner,) = parts
        return lambda env: abs(inner(env))
    relations = {
        sympy.Eq: operator.eq, sympy.Ne: operator.ne, sympy.Lt: operator.lt,
        sympy.Le: operator.le, sympy.Gt: operator.gt, sympy.Ge: operator.ge,
    }
    for kind, compare in relations.items():
        if isinstance(expr, kind):
            left, right = parts
            return lambda env: compare(left(env), right(env))
    if isinstance(expr, sympy.And):
        return lambda env: all(part(env) for part in parts)
    if isinstance(expr, sympy.Or):
        return lambda env: any(part(env) for part in parts)
    if isinstance(expr, sympy.Not):
        (inner,) = parts
        return lambda env: not inner(env)
    raise SymconvError(f"cannot evaluate {expr}: {type(expr).__name__} is not supported")


def compile_expr(expr: Any, symbols: Sequence[sympy.Symbol]) -> Callable[..., Any]:
    """A function of ``symbols`` (positionally) that evaluates ``expr`` exactly."""
    if isinstance(expr, bool):
        expr = sympy.true if expr else sympy.false
    elif isinstance(expr, int):
        expr = sympy.Integer(expr)
    evaluate = _build(expr, {symbol: slot for slot, symbol in enumerate(symbols)})
    return lambda *values: evaluate(values)
