"""Exact, fast evaluation of sympy expressions on integers.

Verification evaluates the same formula on thousands of integer cases.
``expr.subs`` costs a millisecond a case, and ``lambdify`` works in floats,
where ``floor((i - k)/s)`` can round the wrong way. ``compile_expr`` walks the
expression once and returns a closure that computes it with Python ints and
``Fraction``, so every value is exact.

>>> from symconv.core.symbols import i, k, s, p
>>> from sympy import floor, Mod
>>> f = compile_expr(floor((i + 2*p - k)/s) + 1, (i, k, s, p))
>>> f(5, 3, 2, 1)
3
>>> compile_expr(Mod(i - k, s), (i, k, s))(2, 3, 2)
1
>>> from symconv.guide.shapes import pool_output_size
>>> compile_expr(pool_output_size(i, 2, 2, 1, ceil_mode=True), (i,))(4)
3

Enumeration evaluates one formula on a whole box of cases. ``evaluate_array``
does it with numpy, still exactly: in int64 while every intermediate value is
provably far from overflow, in Python ints (object arrays) beyond that.

>>> import numpy as np
>>> box = {i: np.array([5, 10**18]), k: np.array([3, 1]), s: np.array([2, 3])}
>>> values, unsure = evaluate_array(floor((i - k)/s), box)
>>> values.tolist(), unsure is None
([1, 333333333333333333], True)
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from functools import reduce
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import numpy as np
import sympy

from symconv.core.errors import SymconvError

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
        fraction = Fraction(int(expr.p), int(expr.q))
        return lambda env: fraction
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


# --- whole boxes at once -----------------------------------------------------------------

#: Magnitudes below this stay in int64: a sum or a product of two of them cannot wrap.
_INT64_SAFE = 2**62


class NotVectorised(Exception):
    """An expression that only the one-case-at-a-time evaluator (``compile_expr``) handles exactly."""


def magnitude(values: np.ndarray) -> int:
    """The largest absolute value in ``values`` (0 when empty), rounded up."""
    if values.size == 0:
        return 0
    if values.dtype == object:
        return max(math.ceil(abs(v)) for v in values.flat)
    return max(-int(values.min()), int(values.max()))  # no array of absolute values (nor -(-2**63) in int64)


def _exact(values: np.ndarray) -> np.ndarray:
    """As Python ints, which never wrap."""
    return values if values.dtype == object else values.astype(object)


def _fits(*magnitudes: int) -> bool:
    return all(m < _INT64_SAFE for m in magnitudes)


def column(values: Iterable[Any]) -> np.ndarray:
    """Integers as an int64 array when they are small enough, else as Python ints."""
    array = np.array(list(values), dtype=object)
    return array.astype(np.int64) if _fits(magnitude(array)) else array


class _Evaluation:
    """One expression on one box; ``unsure`` marks the cases where a division by zero was met."""

    _RELATIONS = {sympy.Eq: np.equal, sympy.Ne: np.not_equal, sympy.Lt: np.less,
                  sympy.Le: np.less_equal, sympy.Gt: np.greater, sympy.Ge: np.greater_equal}

    def __init__(self, values: Mapping[sympy.Symbol, np.ndarray], size: int) -> None:
        self.values = values
        self.size = size
        self.unsure: Optional[np.ndarray] = None
        self.seen: dict = {}

    def __call__(self, expr: Any) -> np.ndarray:
        if expr not in self.seen:
            self.seen[expr] = self.build(expr)
        return self.seen[expr]

    def integer(self, value: int) -> np.ndarray:
        return np.full(self.size, value, dtype=np.int64 if _fits(abs(value)) else object)

    def build(self, expr: Any) -> np.ndarray:
        if isinstance(expr, sympy.logic.boolalg.BooleanAtom):
            return np.full(self.size, bool(expr))
        if expr.is_Symbol:
            if expr not in self.values:
                raise SymconvError(f"cannot evaluate: symbol {expr} has no value")
            return self.values[expr]
        if expr.is_Integer:
            return self.integer(int(expr))
        if expr.is_Rational:  # Python's Fractions in an object array: still exact
            return np.full(self.size, Fraction(int(expr.p), int(expr.q)), dtype=object)
        if expr.is_Add:
            return reduce(self.add, (self(arg) for arg in expr.args))
        if expr.is_Mul:
            return reduce(self.multiply, (self(arg) for arg in expr.args))
        if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
            base = self(expr.base)
            return reduce(self.multiply, [base] * int(expr.exp))
        if isinstance(expr, (sympy.floor, sympy.ceiling)):
            numer, denom = (self(part) for part in expr.args[0].as_numer_denom())
            if isinstance(expr, sympy.floor):
                return self.divide(numer, denom, np.floor_divide)
            return -self.divide(-numer, denom, np.floor_divide)
        if isinstance(expr, sympy.Mod):
            return self.divide(self(expr.args[0]), self(expr.args[1]), np.mod)
        if isinstance(expr, (sympy.Max, sympy.Min)):
            parts = self.common([self(arg) for arg in expr.args])
            return reduce(np.maximum if isinstance(expr, sympy.Max) else np.minimum, parts)
        if isinstance(expr, sympy.Abs):
            return np.abs(self(expr.args[0]))
        for kind, compare in self._RELATIONS.items():
            if isinstance(expr, kind):
                left, right = self.common([self(expr.lhs), self(expr.rhs)])
                return np.asarray(compare(left, right), dtype=bool)
        if isinstance(expr, (sympy.And, sympy.Or)):
            combine = np.logical_and if isinstance(expr, sympy.And) else np.logical_or
            return reduce(combine, (self(arg).astype(bool) for arg in expr.args))
        if isinstance(expr, sympy.Not):
            return np.logical_not(self(expr.args[0]).astype(bool))
        # Rationals, Piecewise (whose untaken branches must not be evaluated) and the rest.
        raise NotVectorised(type(expr).__name__)

    @staticmethod
    def common(parts: list[np.ndarray]) -> list[np.ndarray]:
        if any(part.dtype == object for part in parts):
            return [_exact(part) for part in parts]
        return parts

    @staticmethod
    def add(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        if left.dtype != object and right.dtype != object and _fits(magnitude(left) + magnitude(right)):
            return left + right
        return _exact(left) + _exact(right)

    @staticmethod
    def multiply(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        if left.dtype != object and right.dtype != object and _fits(magnitude(left) * magnitude(right)):
            return left * right
        return _exact(left) * _exact(right)

    def divide(self, numer: np.ndarray, denom: np.ndarray, operation: Callable) -> np.ndarray:
        zero = denom == 0
        if zero.any():
            # Some of these cases may never reach this division (a hypothesis, an And): only they are
            # evaluated again one at a time; here they get a harmless divisor.
            self.unsure = zero if self.unsure is None else self.unsure | zero
            denom = np.where(zero, 1, denom)
        numer, denom = self.common([numer, denom])
        # numpy's integer floor_divide and mod round as Python's // and % do, for every sign.
        return operation(numer, denom)


def evaluate_array(expr: Any, values: Mapping[sympy.Symbol, np.ndarray]) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """``expr`` at every case at once, exactly; the cases are the entries of the arrays in ``values``.

    Returns the values and a mask of the cases where a division by zero was met (``None`` if
    there are none): their values are meaningless, and only ``compile_expr`` can say whether the
    division is really reached there. Raises :class:`NotVectorised` for an expression that only
    ``compile_expr`` evaluates exactly (a rational outside floor and ceil, a Piecewise).
    """
    if isinstance(expr, bool):
        expr = sympy.true if expr else sympy.false
    elif isinstance(expr, int):
        expr = sympy.Integer(expr)
    sizes = {len(array) for array in values.values()}
    if len(sizes) > 1:
        raise SymconvError(f"cannot evaluate {expr}: the value arrays differ in length")
    evaluation = _Evaluation(values, sizes.pop() if sizes else 1)
    result = np.asarray(evaluation(expr))
    return result, evaluation.unsure
