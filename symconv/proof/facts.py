"""The prover's starting state: a theorem unfolded into facts and a goal.

Definitions are substituted, latest first; each hypothesis becomes facts
``e >= 0``, ``e = 0`` or ``e != 0`` (a denominator that is a positive number
times positive symbols is multiplied out; ``a < b`` between integers becomes
``b - a - 1 >= 0``); the statement becomes the goal. The checker computes the
same from the theorem with code of its own, and compares.
"""

from __future__ import annotations

from typing import Optional

import sympy
from sympy import Abs, Max, Min, Mod, ceiling, floor

from symconv.core.guards import suspect
from symconv.core.rebuild import xreplace
from symconv.proof import certificate as C
from symconv.proof.theorem import Theorem


class Unsupported(Exception):
    """The theorem is outside the kernel's language or its size budget; ``reason`` says which part."""

    def __init__(self, reason: str, budget: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.budget = budget


def unfold(theorem: Theorem, max_ops: int) -> tuple[sympy.Basic, list[sympy.Basic]]:
    size = sum(sympy.count_ops(sympy.sympify(item)) for item in (
        theorem.statement, *theorem.hypotheses, *(value for _, value in theorem.definitions)))
    if size > max_ops:
        raise Unsupported(f"budget: the theorem has {size} operations, more than {max_ops}", budget=True)
    statement, hypotheses = sympy.sympify(theorem.statement), [sympy.sympify(h) for h in theorem.hypotheses]
    for symbol, value in reversed(theorem.definitions):
        statement = xreplace(statement, {symbol: value})
        hypotheses = [xreplace(h, {symbol: value}) for h in hypotheses]
    knot = suspect(statement)
    if knot is not None:
        raise Unsupported(f"the kernel does not reason about {knot}, which sympy 1.14 evaluates wrongly "
                          "(symconv.core.guards)")
    return statement, hypotheses


def as_facts(relation: sympy.Basic) -> list[tuple[str, sympy.Expr]]:
    if relation is sympy.true:
        return []
    if relation is sympy.false:
        return [("ge", sympy.Integer(-1))]
    if isinstance(relation, (sympy.And, sympy.Tuple)):
        return [fact for part in relation.args for fact in as_facts(part)]
    if isinstance(relation, (sympy.Eq, sympy.Ne)):
        gap = relation.lhs - relation.rhs
        return [("eq" if isinstance(relation, sympy.Eq) else "ne", numerator_of(gap) or gap)]
    if isinstance(relation, (sympy.Le, sympy.Lt)):
        gap = relation.rhs - relation.lhs
    elif isinstance(relation, (sympy.Ge, sympy.Gt)):
        gap = relation.lhs - relation.rhs
    else:
        return []
    top = numerator_of(gap)
    if isinstance(relation, (sympy.Le, sympy.Ge)) or top is None:
        return [("ge", top if top is not None else gap)]
    if all(term.is_integer for term in sympy.Add.make_args(top)):
        return [("ge", top - 1)]  # an integer above 0 is at least 1
    return [("ge", top)]


def numerator_of(gap: sympy.Expr) -> Optional[sympy.Expr]:
    """``N`` for ``gap = N / D`` when ``D`` is provably positive: a positive number times positive symbols."""
    if all(term.as_numer_denom()[1] == 1 for term in sympy.Add.make_args(gap)):
        return sympy.expand(gap)  # no denominator at all: the common case, without together()'s cost
    numerator, denominator = sympy.fraction(sympy.together(gap))
    coefficient, factors = sympy.expand(denominator).as_coeff_mul()
    if not (coefficient.is_Rational and coefficient > 0):
        return None
    for factor in factors:
        base = factor.base if isinstance(factor, sympy.Pow) and factor.exp.is_Integer else factor
        if not (isinstance(base, sympy.Symbol) and base.is_positive):
            return None
    return sympy.expand(numerator)


def as_goal(statement: sympy.Basic) -> C.Goal:
    if statement is sympy.true:
        return C.Conjunction(())
    if isinstance(statement, (sympy.And, sympy.Tuple)):
        return C.Conjunction(tuple(as_goal(part) for part in statement.args))
    if not isinstance(statement, (sympy.Eq, sympy.Ne, sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt)) \
            and statement is not sympy.false:
        raise Unsupported(f"the kernel cannot prove a statement of the form {type(statement).__name__}")
    if isinstance(statement, (sympy.Lt, sympy.Gt)):
        gap = statement.rhs - statement.lhs if isinstance(statement, sympy.Lt) else statement.lhs - statement.rhs
        top = numerator_of(gap)
        if top is None or not all(term.is_integer for term in sympy.Add.make_args(top)):
            raise Unsupported(f"{gap} > 0 is not an inequality between integers, so it cannot be tightened")
    ((kind, expr),) = as_facts(statement)
    outside = foreign(expr)
    if outside is not None:
        raise Unsupported(f"the kernel does not understand {outside}")
    return C.Relation(kind, expr)  # type: ignore[arg-type]


def foreign(expr: sympy.Basic) -> Optional[sympy.Basic]:
    """The first part of ``expr`` outside the kernel's language: integer polynomials, divisions, max/min/|x|."""
    if expr.is_Symbol:
        return None if expr.is_integer else expr
    if expr.is_Rational:
        return None
    if isinstance(expr, sympy.Pow):
        if not (expr.exp.is_Integer and expr.exp >= 0):
            return expr
    elif isinstance(expr, (floor, ceiling)):
        numerator, denominator = sympy.fraction(sympy.together(expr.args[0]))
        return next((f for f in (foreign(numerator), foreign(denominator)) if f is not None), None)
    elif not isinstance(expr, (sympy.Add, sympy.Mul, Mod, Max, Min, Abs)):
        return expr
    return next((f for f in map(foreign, expr.args) if f is not None), None)
