"""Where a scheme applies: its ``where``, a window that fits, and the box of cases a check enumerates.

Every theorem about one scheme shares these hypotheses and this box. The box
is written here once, and its description (:func:`box_text`) is made from it.

>>> from symconv.schemes import scheme
>>> box_text(DEFAULT_BOUND, scheme("pool-ceil"))
'i <= 16, k <= 5, s <= 4, d <= 3, p <= 3'
>>> domain(scheme("half"), {}).hypotheses
(Eq(s, 1), Eq(Mod(k, 2), 1), i + 2*floor(d*(k - 1)/2) >= d*(k - 1) + 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import sympy
from sympy import Eq, Ge, Gt, Le, Mod, Symbol
from sympy.logic.boolalg import Boolean

from symconv.core import rules
from symconv.core import symbols as S
from symconv.core.rebuild import xreplace
from symconv.core.printing import text
from symconv.schemes.model import Scheme

# Small enough that a scheme checks in about a second; the bound sets i.
KERNELS, STRIDES, DILATIONS = range(1, 6), range(1, 5), range(1, 4)
PARAMETER_VALUES = range(0, 4)
DEFAULT_BOUND = 16  #: largest input size i that check_scheme enumerates
MAX_BOUND = 256  #: enumeration goes up to i <= bound for every small k, s, d: keep it finite
#: Each parameter multiplies the enumeration box by 4: with this many, a check at MAX_BOUND takes seconds.
MAX_PARAMETERS = 2


def box_text(bound: int, scheme: Scheme) -> str:
    """The box of cases a check with this bound enumerates, as the reports say it."""
    parameters = f", {', '.join(map(str, scheme.parameters))} <= {PARAMETER_VALUES[-1]}" if scheme.parameters else ""
    return f"i <= {bound}, k <= {KERNELS[-1]}, s <= {STRIDES[-1]}, d <= {DILATIONS[-1]}{parameters}"


def window_fits(ceil_mode: bool) -> Boolean:
    """At least one window, in ``p_l, p_r``. Ceil mode keeps a first window that sticks out past the end.

    >>> window_fits(ceil_mode=True)
    i + p_l + p_r + s > d*(k - 1) + 1
    """
    return rules.fits(S.i, S.k, S.s, S.d, S.p_l, S.p_r, ceil_mode=ceil_mode)


@dataclass(frozen=True)
class Domain:
    """Hypotheses and enumeration box shared by every theorem about one scheme.

    ``where`` is the scheme's own, as written: enumeration filters the box by it, and the
    prover gets it as plain hypotheses.
    """

    where: tuple[Boolean, ...]
    fits: Boolean  # at least one window
    variables: tuple[Symbol, ...]
    ranges: Mapping[Symbol, range]

    @property
    def hypotheses(self) -> tuple[Boolean, ...]:
        return (*self.where, self.fits)


def domain(scheme: Scheme, ranges: Mapping[Symbol, range]) -> Domain:
    """The scheme's domain, on the default box with ``ranges`` put in."""
    box = {S.i: range(1, DEFAULT_BOUND + 1), S.k: KERNELS, S.s: STRIDES, S.d: DILATIONS,
           **{p: PARAMETER_VALUES for p in scheme.parameters}, **ranges}
    where = tuple(condition for condition in scheme.where if condition is not sympy.true)
    fits = xreplace(window_fits(scheme.ceil_mode), {S.p_l: scheme.before, S.p_r: scheme.after})
    return Domain(where, fits, scheme.variables, box)


def contradiction(where: Sequence[Boolean]) -> str:
    """Conditions that no integers satisfy, told cheaply: remainders, fixed values and bounds of one symbol.

    >>> from symconv.core.symbols import k
    >>> contradiction([Eq(Mod(k, 2), 1), Eq(Mod(k, 4), 2)])
    'k mod 2 = 1 and k mod 4 = 2 cannot both hold'
    """
    residues: list[tuple[sympy.Expr, int, int, Boolean]] = []  # x mod m = r
    low: dict[sympy.Expr, tuple[int, int, Boolean]] = {}  # x >= bound, from the fact at this position
    high: dict[sympy.Expr, tuple[int, int, Boolean]] = {}
    facts = [part for condition in where for part in (condition.args if isinstance(condition, sympy.And)
                                                      else (condition,))]
    for position, fact in enumerate(facts):
        if not isinstance(fact, (Eq, Le, sympy.Lt, Ge, Gt)):
            continue
        left, right = fact.lhs, fact.rhs
        if isinstance(fact, Eq) and isinstance(right, Mod):
            left, right = right, left
        if isinstance(fact, Eq) and isinstance(left, Mod) and left.args[1].is_Integer and right.is_Integer:
            value, modulus = left.args[0], int(left.args[1])
            if modulus > 0 and not 0 <= int(right) < modulus:
                return f"{text(fact)} is never true: a remainder mod {modulus} is 0 to {modulus - 1}"
            residues.append((value, modulus, int(right), fact))
            continue
        # One symbol against an integer: x = c, x <= c, c < x, ...
        kind = type(fact)
        if right.is_Symbol and left.is_Integer:
            left, right = right, left
            kind = {Eq: Eq, Le: Ge, Ge: Le, sympy.Lt: Gt, Gt: sympy.Lt}[kind]
        if not (left.is_Symbol and right.is_Integer):
            continue
        value = int(right)
        bottom, top = {Eq: (value, value), Le: (None, value), sympy.Lt: (None, value - 1), Ge: (value, None),
                       Gt: (value + 1, None)}[kind]
        if bottom is not None and (left not in low or bottom > low[left][0]):
            low[left] = (bottom, position, fact)
        if top is not None and (left not in high or top < high[left][0]):
            high[left] = (top, position, fact)
        if kind is Eq:
            residues.append((left, 0, value, fact))  # x = c pairs with x mod m = r below
    for symbol in sorted(low.keys() & high.keys(), key=str):
        if low[symbol][0] > high[symbol][0]:
            first, second = sorted([low[symbol][1:], high[symbol][1:]], key=lambda item: item[0])
            return f"{text(first[1])} and {text(second[1])} cannot both hold"
    for n, (x, m, r, first) in enumerate(residues):
        for y, m2, r2, second in residues[n + 1:]:
            if x != y:
                continue
            if m == 0 and m2 == 0:
                agree = r == r2
            elif m == 0 or m2 == 0:
                agree = (r - r2) % (m or m2) == 0
            else:
                agree = (r - r2) % math.gcd(m, m2) == 0
            if not agree:
                return f"{text(first)} and {text(second)} cannot both hold"
    return ""
