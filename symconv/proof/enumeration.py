"""Enumeration: every case of a box, checked with the oracle supplying the ground truth."""

from __future__ import annotations

import itertools
from typing import Mapping, Optional

import sympy
from sympy import Eq

from .. import symbols as S
from ..errors import SymconvError
from ..numeric import compile_expr
from .theorem import Theorem

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


def enumerate_cases(theorem: Theorem, ranges: Optional[Mapping[sympy.Symbol, range]] = None):
    """Count the cases in the box and find the smallest counterexample.

    Hypotheses on the variables alone are checked first, so a definition is
    only evaluated inside its domain; a division by zero there is an error in
    the theorem, reported with the case.
    """
    ranges = {**_RANGES, **(ranges or {})}
    subs = {h.lhs: h.rhs for h in theorem.hypotheses if isinstance(h, Eq) and h.lhs.is_Symbol}
    free = [v for v in theorem.variables if v not in subs]
    base = list(theorem.variables) + [sym for sym, _ in theorem.definitions if sym not in theorem.variables]
    given = [compile_expr(subs.get(v, v), free) for v in theorem.variables]
    defined = [(base.index(sym), compile_expr(expr, base)) for sym, expr in theorem.definitions]
    rest = [h for h in theorem.hypotheses if not (isinstance(h, Eq) and h.lhs.is_Symbol)]
    early = [compile_expr(h, base) for h in rest if h.free_symbols <= set(theorem.variables)]
    late = [compile_expr(h, base) for h in rest if not h.free_symbols <= set(theorem.variables)]
    statement = compile_expr(theorem.statement, base)
    count, failures = 0, []
    for point in itertools.product(*(ranges.get(v, _default_range(v)) for v in free)):
        values = [value(*point) for value in given] + [0] * (len(base) - len(theorem.variables))
        try:
            if not all(check(*values) for check in early):
                continue
            for slot, value in defined:
                values[slot] = value(*values)
            if not all(check(*values) for check in late):
                continue
            if theorem.truth is not None:
                truth = theorem.truth(dict(zip(base, values)))
                for slot, value in defined:  # later definitions may use what the oracle replaced
                    values[slot] = truth[base[slot]] if base[slot] in truth else value(*values)
            holds = statement(*values)
        except ZeroDivisionError:
            case = ", ".join(f"{v}={x}" for v, x in zip(theorem.variables, values))
            raise SymconvError(f"{theorem.name}: division by zero at {case}; restrict it with a hypothesis") from None
        count += 1
        if not holds:
            failures.append(dict(zip(map(str, base), values)))
    key = [str(v) for v in theorem.variables]
    failures.sort(key=lambda case: (sum(abs(case[v]) for v in key), [case[v] for v in key]))
    return count, (failures[0] if failures else None)


