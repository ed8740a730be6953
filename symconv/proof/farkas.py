"""Farkas multipliers by exact linear programming: the search behind the kernel's ``Linear`` rule.

Given facts (``e >= 0`` and ``e = 0``) and a target polynomial ``g``, find
rationals ``c >= 0`` over the facts, their pairwise products and their
products with each variable, and polynomial multipliers of the equations, such
that ``g - Σ c·Π facts - Σ u·e`` is a constant in range (``>= 0``, or
``> -1`` for an integer ``g``). Monomials are treated as unknowns, so this is
a linear feasibility problem; z3's simplex solves it on rationals. Nothing here
is trusted: the checker re-expands the combination.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any, Optional, Sequence

import sympy
from sympy.polys.domains import QQ
from sympy.polys.rings import ring

from symconv.core import symbols as S
from symconv.proof import certificate as C

_DIVISIONS_AND_CHOICES = (sympy.floor, sympy.ceiling, sympy.Mod, sympy.Max, sympy.Min, sympy.Abs)


def polynomial(expr: sympy.Expr) -> bool:
    return not expr.has(*_DIVISIONS_AND_CHOICES) and expr.is_polynomial(*expr.free_symbols)


def integer_polynomial(expr: sympy.Expr) -> bool:
    if not polynomial(expr) or not all(s.is_integer for s in expr.free_symbols):
        return False
    if not expr.free_symbols:
        return bool(expr.is_Integer)
    return all(c.is_Integer for c in sympy.Poly(expr, *sorted(expr.free_symbols, key=str)).coeffs())


def combination(facts: Sequence[tuple[str, sympy.Expr]], target: sympy.Expr) -> Optional[C.Linear]:
    """Farkas multipliers by exact linear programming: ``target - Σλ·Π facts - Σ u·eq`` constant and in range."""
    usable = [(n, sympy.expand(e)) for n, (k, e) in enumerate(facts) if k == "ge" and polynomial(e)]
    equal = [(n, sympy.expand(e)) for n, (k, e) in enumerate(facts) if k == "eq" and polynomial(e)]
    symbols = sorted(set().union(target.free_symbols, *(e.free_symbols for _, e in usable + equal)), key=str)
    if not symbols:
        symbols = [S.i]
    R, *gens = ring(symbols, QQ)
    goal = R.from_expr(target)
    polys = [(n, R.from_expr(e)) for n, e in usable]
    eqs = [(n, R.from_expr(e)) for n, e in equal]
    degree = max([goal.degree(g) for g in gens] + [0])
    columns: list[tuple[str, Any, Any]] = []  # (kind, key, polynomial)
    for n, poly in polys:
        columns.append(("product", (n,), poly))
    linear = [(n, poly) for n, poly in polys if _total_degree(poly) <= 1]
    for (n, a), (m, b) in itertools.combinations_with_replacement(linear, 2):
        columns.append(("product", (n, m), a * b))
    if _total_degree(goal) >= 3 or degree >= 3:
        singles = [(n, poly) for n, poly in linear if len(poly.terms()) <= 2]
        for trio in itertools.combinations_with_replacement(singles, 3):
            columns.append(("product", tuple(n for n, _ in trio), trio[0][1] * trio[1][1] * trio[2][1]))
    for n, poly in eqs:
        columns.append(("multiple", (n, None), poly))
        for symbol, gen in zip(symbols, gens):
            columns.append(("multiple", (n, symbol), poly * gen))
    integral = integer_polynomial(target)
    solution = _solve(goal, columns, integral)
    if solution is None:
        return None
    products: list[tuple[sympy.Rational, Any]] = []
    multiples: dict[int, sympy.Expr] = {}
    for (kind, key, _), value in zip(columns, solution):
        if value == 0:
            continue
        if kind == "product":
            products.append((sympy.Rational(value.numerator, value.denominator), key))
        else:
            n, symbol = key
            multiples[n] = multiples.get(n, 0) + sympy.Rational(value.numerator, value.denominator) * (
                1 if symbol is None else symbol)
    return C.Linear(tuple(products), tuple((sympy.expand(u), n) for n, u in sorted(multiples.items())))


#: z3's resource limit for one linear program: a deterministic count (about 5 s of work here; the
#: catalogue's programs use at most about 10⁴). Past it the program counts as infeasible.
RLIMIT = 25_000_000
#: Milliseconds, a safety net only: the resource limit decides.
SAFETY_MS = 60_000


def _total_degree(poly) -> int:
    return max((sum(monomial) for monomial in poly.monoms()), default=0)


def _solve(goal, columns, integral: bool) -> Optional[list[Fraction]]:
    """Solve the feasibility problem with z3's exact simplex (rationals in, rationals out)."""
    import z3

    # A new context each time: in a shared one, z3's answer would depend on the programs solved before it.
    solver = z3.Solver(ctx=z3.Context())
    solver.set("rlimit", RLIMIT)  # a count, so the answer does not depend on how busy the machine is
    solver.set("timeout", SAFETY_MS)
    solver.from_string(_program(goal, columns, integral))
    if solver.check() != z3.sat:
        return None
    model = solver.model()
    values = {d.name(): model[d].as_string() for d in model.decls()}  # "3/2", "-1" or "0": one call each
    return [Fraction(values.get(f"x{n}", 0)) for n in range(len(columns))]


def _program(goal, columns, integral: bool) -> str:
    """The program in SMT-LIB: a variable per column, and per monomial, its coefficients summing to the goal's."""
    names = [f"x{n}" for n in range(len(columns))]
    wanted = goal.to_dict()
    terms: dict[tuple, list[str]] = {monomial: [] for monomial in wanted}
    for name, (_, _, poly) in zip(names, columns):  # each column's terms, in the columns' order
        for monomial, coefficient in poly.to_dict().items():
            if coefficient != 0:
                terms.setdefault(monomial, []).append(f"(* {_smt(coefficient)} {name})")
    monomials = sorted(terms)
    constant = tuple(0 for _ in (monomials[0] if monomials else ()))
    lines = [f"(declare-fun {name} () Real)" for name in names]
    lines += [f"(assert (>= {name} 0))" for name, (kind, _, _) in zip(names, columns) if kind == "product"]
    for monomial in monomials:
        total = "(+ 0 " + " ".join(terms[monomial]) + ")" if terms[monomial] else "0"
        value = _smt(wanted.get(monomial, 0))
        if monomial == constant:
            # target - combination = c₀, with c₀ >= 0, or c₀ > -1 for an integer target
            lines.append(f"(assert ({'>' if integral else '>='} (- {value} {total}) {'(- 1)' if integral else '0'}))")
        else:
            lines.append(f"(assert (= {total} {value}))")
    return "\n".join(lines)


def _smt(value) -> str:
    """A rational (normalised, as sympy's and Python's are) in SMT-LIB."""
    top, bottom = (value, 1) if isinstance(value, int) else (int(value.numerator), int(value.denominator))
    text = str(abs(top)) if bottom == 1 else f"(/ {abs(top)} {bottom})"
    return f"(- {text})" if top < 0 else text
