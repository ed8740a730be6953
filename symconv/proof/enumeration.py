"""Enumeration: every case of a box, checked with the oracle supplying the ground truth.

Every variable runs over its whole range and every hypothesis filters the box:
nothing is substituted, so no hypothesis can be dropped and no case outside them
can be reported. The box is evaluated with numpy, exactly
(:func:`symconv.core.numeric.evaluate_array`); the counterexample that is returned
was evaluated again, on the original statement, by sympy itself.

>>> from sympy import Eq, Mod, Le
>>> from symconv.core.symbols import k
>>> odd = Theorem("odd", "odd k is at most 3", Le(k, 3), (Eq(Mod(k, 2), 1),), variables=(k,))
>>> enumerate_cases(odd, {k: range(1, 9)})  # k = 1, 3, 5, 7: k = 5 is the smallest failure
(4, {'k': 5})
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional

import numpy as np
import sympy

from symconv.core import symbols as S
from symconv.core.errors import ParameterError, SymconvError
from symconv.core.numeric import NotVectorised, magnitude, column, compile_expr, evaluate_array
from symconv.proof.theorem import Theorem

#: The most points a box may have (the product of its ranges' lengths); a larger box is refused.
MAX_CASES = 2**20

# Small enough that every theorem enumerates in well under a second.
_RANGES = {
    S.i: range(1, 13), S.k: range(1, 5), S.s: range(1, 4), S.d: range(1, 3),
    S.p: range(0, 5), S.p_l: range(0, 4), S.p_r: range(0, 4), S.o: range(1, 9),
    S.a: range(0, 4), S.n: range(0, 3), S.i_prime: range(1, 9),
}


def _default_range(symbol: sympy.Symbol) -> range:
    if symbol.is_positive:
        return range(1, 9)
    if symbol.is_nonnegative:
        return range(0, 9)
    return range(-6, 7)


def _show_range(values: range) -> str:
    if len(values) == 0:
        return "nothing"
    step = f" step {values.step}" if values.step != 1 else ""
    return f"{values[0]}..{values[-1]}{step}"


def box(variables: tuple[sympy.Symbol, ...], ranges: Optional[Mapping[sympy.Symbol, range]] = None
        ) -> list[range]:
    """The range of each variable, refused when the box has more than ``MAX_CASES`` points.

    >>> from symconv.core.symbols import i, k
    >>> box((i, k), {i: range(1, 10**6), k: range(1, 10**6)})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: ranges='i in 1..999999, k in 1..999999' is invalid: the box has ... points; ...
    """
    if ranges is not None and not isinstance(ranges, Mapping):
        raise ParameterError("ranges", type(ranges).__name__, "expected a mapping from symbols to ranges")
    merged = {**_RANGES, **(ranges or {})}
    axes = [merged.get(v, _default_range(v)) for v in variables]
    for variable, axis in zip(variables, axes):
        if not isinstance(axis, range):
            raise ParameterError("ranges", f"{variable}: {axis!r}", "each variable's values must be a range")
    points = math.prod(len(axis) for axis in axes)
    if points > MAX_CASES:
        shown = ", ".join(f"{v} in {_show_range(axis)}" for v, axis in zip(variables, axes))
        raise ParameterError("ranges", shown,
                             f"the box has {points} points; enumeration evaluates at most {MAX_CASES}")
    return axes


class _Box:
    """The cases still in play, one array per symbol, in the box's order (first variable slowest)."""

    def __init__(self, theorem: Theorem, axes: list[range]) -> None:
        self.theorem = theorem
        grids = np.meshgrid(*(column(axis) for axis in axes), indexing="ij") if axes else []
        self.values: dict[sympy.Symbol, np.ndarray] = {
            v: grid.ravel() for v, grid in zip(theorem.variables, grids)}
        self.size = math.prod(len(axis) for axis in axes)

    def keep(self, mask: np.ndarray) -> None:
        self.values = {symbol: values[mask] for symbol, values in self.values.items()}
        self.size = int(np.count_nonzero(mask))

    def case(self, n: int) -> dict[sympy.Symbol, Any]:
        return {symbol: values[n].item() if hasattr(values[n], "item") else values[n]
                for symbol, values in self.values.items()}

    def evaluate(self, expr: Any) -> np.ndarray:
        """``expr`` at every case, exactly; one case at a time only where numpy cannot."""
        symbols = list(self.values)
        try:
            result, unsure = evaluate_array(expr, self.values) if self.size else (np.zeros(0, dtype=bool), None)
            if result.shape != (self.size,):
                result = np.broadcast_to(result, (self.size,)).copy()
            cases = [] if unsure is None else np.flatnonzero(unsure).tolist()
        except NotVectorised:
            result, cases = np.empty(self.size, dtype=object), range(self.size)
        if len(cases):
            one = compile_expr(expr, symbols)
            result = result.astype(object)
            for n in cases:
                point = self.case(n)
                try:
                    result[n] = one(*(point[symbol] for symbol in symbols))
                except ZeroDivisionError:
                    shown = ", ".join(f"{v}={point[v]}" for v in self.theorem.variables)
                    raise SymconvError(f"{self.theorem.name}: division by zero at {shown}; "
                                       "restrict it with a hypothesis") from None
            if all(isinstance(value, (bool, np.bool_)) for value in result):
                result = result.astype(bool)
            elif all(isinstance(value, int) for value in result):
                result = column(result)
        return result

    def truth(self, expr: Any) -> np.ndarray:
        result = self.evaluate(expr)
        if result.dtype != bool:
            raise SymconvError(f"{self.theorem.name}: {expr} is not a true-or-false statement")
        return result


def enumerate_cases(theorem: Theorem, ranges: Optional[Mapping[sympy.Symbol, range]] = None
                    ) -> tuple[int, Optional[dict[str, Any]]]:
    """Count the cases of the box that satisfy every hypothesis, and find the smallest counterexample.

    Returns ``(count, counterexample)``: ``count`` cases satisfy every hypothesis and each of them
    was evaluated. The counterexample (``None`` if there is none) maps the variables, then the
    defined symbols, to their values; it is the smallest by the sum of the variables' absolute
    values, then by the variables in order.

    Hypotheses on the variables alone are checked first, so a definition is only evaluated
    inside their domain; a division by zero there is an error in the theorem, reported with the
    case. The oracle (``theorem.truth``) is asked only about cases that satisfy every hypothesis;
    a truth that also has a ``batch`` method (symbol -> array of the cases' values, to symbol ->
    array of its values) is asked once for all of them. Either way, the counterexample is checked
    again with a plain call.
    """
    variables = tuple(theorem.variables)
    axes = box(variables, ranges)
    cases = _Box(theorem, axes)
    defined = [(symbol, value) for symbol, value in theorem.definitions if symbol not in variables]
    known = set(variables)
    early = [h for h in theorem.hypotheses if sympy.sympify(h).free_symbols <= known]
    late = [h for h in theorem.hypotheses if not sympy.sympify(h).free_symbols <= known]
    for hypothesis in early:
        cases.keep(cases.truth(hypothesis))
    for symbol, value in defined:
        cases.values[symbol] = cases.evaluate(value)
    for hypothesis in late:
        cases.keep(cases.truth(hypothesis))
    if theorem.truth is not None and cases.size:
        _ask_the_oracle(theorem, cases, defined)
    holds = cases.truth(theorem.statement)
    failures = np.flatnonzero(~holds)
    if len(failures) == 0:
        return cases.size, None
    return cases.size, _confirm(theorem, cases.case(_smallest(cases, failures, variables)))


def _smallest(cases: _Box, failures: np.ndarray, variables: tuple[sympy.Symbol, ...]) -> int:
    """The failure with the smallest sum of the variables' absolute values, then the smallest variables in order."""
    columns = [cases.values[v][failures] for v in variables]
    if not columns:
        return int(failures[0])
    if all(c.dtype != object for c in columns) and sum(magnitude(c) for c in columns) < 2**62:
        total = sum(np.abs(c) for c in columns)
        return int(failures[np.lexsort([*reversed(columns), total])[0]])

    def order(n: int) -> tuple:
        case = cases.case(n)
        return sum(abs(case[v]) for v in variables), [case[v] for v in variables]

    return min(failures.tolist(), key=order)


def _ask_the_oracle(theorem: Theorem, cases: _Box, defined: list) -> None:
    """Replace defined symbols by the oracle's values; definitions after them are evaluated again."""
    replaced: set[sympy.Symbol] = set()
    batch = getattr(theorem.truth, "batch", None)
    if batch is not None:
        answered = batch(dict(cases.values))
        for symbol, value in defined:
            if symbol in answered:
                cases.values[symbol] = np.asarray(answered[symbol])
                replaced.add(symbol)
            elif replaced & sympy.sympify(value).free_symbols:
                cases.values[symbol] = cases.evaluate(value)
                replaced.add(symbol)
        return
    truth = theorem.truth
    if truth is None:
        return
    symbols = list(cases.values)
    columns = [cases.values[symbol].tolist() for symbol in symbols]
    answers = [truth(dict(zip(symbols, point))) for point in zip(*columns)]
    for symbol, value in defined:
        given = [symbol in answer for answer in answers]
        if any(given):
            computed = cases.values[symbol].tolist()
            cases.values[symbol] = column(int(answer[symbol]) if has else computed[n]
                                          for n, (answer, has) in enumerate(zip(answers, given)))
            replaced.add(symbol)
        elif replaced & sympy.sympify(value).free_symbols:
            cases.values[symbol] = cases.evaluate(value)
            replaced.add(symbol)


def _confirm(theorem: Theorem, case: Mapping[sympy.Symbol, Any]) -> dict[str, Any]:
    """The counterexample, evaluated again by sympy on the original theorem: it must satisfy every
    hypothesis and break the statement, with the same values, or symconv has a bug."""
    variables = tuple(theorem.variables)
    env: dict[sympy.Symbol, sympy.Basic] = {v: sympy.Integer(case[v]) for v in variables}
    defined = [(symbol, value) for symbol, value in theorem.definitions if symbol not in variables]
    shown = ", ".join(f"{v}={case[v]}" for v in variables)

    def exact(expr: Any) -> sympy.Basic:
        value = sympy.sympify(expr).xreplace(env)
        if value.free_symbols or not (value.is_Rational or isinstance(value, sympy.logic.boolalg.BooleanAtom)):
            raise SymconvError(f"{theorem.name}: {expr} does not evaluate to a number at {shown}: "
                               "a bug in symconv, please report it")
        return value

    for symbol, value in defined:
        env[symbol] = exact(value)
    broken = [h for h in theorem.hypotheses if exact(h) is not sympy.true]
    if theorem.truth is not None:
        answer = theorem.truth({symbol: int(value) for symbol, value in env.items()})
        for symbol, value in defined:
            env[symbol] = sympy.Integer(answer[symbol]) if symbol in answer else exact(value)
    found = {str(symbol): int(value) if value.is_Integer else value for symbol, value in env.items()}
    expected = {str(symbol): value for symbol, value in case.items()}
    if broken or exact(theorem.statement) is not sympy.false or found != expected:
        why = (f"it breaks the hypothesis {broken[0]}" if broken else
               "sympy finds the statement true there" if found == expected else
               f"sympy evaluates it to {found}, enumeration to {expected}")
        raise SymconvError(f"{theorem.name}: enumeration and the exact re-evaluation disagree at {shown} ({why}): "
                           "a bug in symconv, please report it")
    return found
