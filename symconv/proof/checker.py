"""The independent checker: re-checks every step of a certificate before ``proved`` is given.

It shares no code with the prover beyond sympy's arithmetic (substitution through
:mod:`symconv.core.rebuild` is sympy's own, each node built once, except the nodes
:mod:`symconv.core.guards` keeps as written, which it refuses anyway): it unfolds the
definitions, recomputes the starting facts and the goal from the theorem, and
replays each rule of :mod:`.certificate` on its own copy of the state,
verifying the rule's side conditions. It trusts nothing the certificate says
about a state; it only follows its choices. The rules and why each is sound are
in :mod:`.certificate` and ``docs/proofs.md``.

>>> from symconv.guide.theorems import theorem
>>> from symconv.proof.prover import search
>>> thm = theorem("a-range")
>>> steps = check(thm, search(thm))
>>> steps[-1].justification
'holds: a nonnegative combination of the facts'
"""

from __future__ import annotations

import functools
import time
from typing import NoReturn, Optional, cast

import sympy
from sympy import Abs, Eq, Le, Max, Min, Mod, Tuple, ceiling, floor

from symconv.core.steps import Step
from symconv.core.rebuild import xreplace
from symconv.proof import certificate as C
from symconv.proof.theorem import Theorem

MAX_NODES = 20_000  #: a certificate larger than this is refused unread
MAX_SECONDS = 60.0  #: a check that takes longer is abandoned, and the proof is not accepted
MAX_RANGE = 64  #: most branches of one Range rule
_ATOMS = (floor, ceiling, Mod, Max, Min, Abs, sympy.Piecewise)


class CheckError(Exception):
    """The certificate does not prove the theorem; the message says which step failed and why."""


def check(theorem: Theorem, certificate: C.Certificate, seconds: float = MAX_SECONDS) -> tuple[Step, ...]:
    """Re-check ``certificate`` against ``theorem``; return the verified steps, or raise :class:`CheckError`."""
    if certificate.version != C.RULES_VERSION:
        raise CheckError(f"certificate rules version {certificate.version}, checker {C.RULES_VERSION}")
    if C.size(certificate.proof) > MAX_NODES:
        raise CheckError(f"certificate has more than {MAX_NODES} steps")
    statement, hypotheses = _unfold(theorem)
    if _knotted(statement):
        raise CheckError("the statement has a part sympy 1.14 evaluates wrongly (symconv.core.guards): not checked")
    allowed = [fact for variable in theorem.variables for fact in _signs(variable)]
    allowed += [fact for hypothesis in hypotheses if not _knotted(hypothesis) for fact in _facts_of(hypothesis)]
    for fact in certificate.facts:
        # The same expression first: comparing with every other one expands big differences for nothing.
        if not (any(fact.kind == kind and fact.expr == expr for kind, expr in allowed)
                or any(fact.kind == kind and _same(fact.expr, expr) for kind, expr in allowed)):
            raise CheckError(f"starting fact {fact.kind} {fact.expr} is neither a sign assumption nor a hypothesis")
    if not _same_goal(certificate.goal, _goal_of(statement)):
        raise CheckError("the certificate's goal is not the theorem's statement")
    replay = _Replay(time.monotonic() + seconds)
    try:
        replay.node(certificate.proof, [(f.kind, f.expr) for f in certificate.facts], certificate.goal)
    except (IndexError, TypeError, AttributeError, ValueError, RecursionError) as error:
        raise CheckError(f"malformed certificate: {type(error).__name__}: {error}") from None
    if not replay.steps:  # every closing step was a constant: the statement is an identity
        replay.steps.append(Step(statement, "holds: both sides expand to the same polynomial"))
    return tuple(replay.steps)


# --- the starting state, recomputed from the theorem ----------------------------------------

def _unfold(theorem: Theorem) -> tuple[sympy.Basic, list[sympy.Basic]]:
    statement, hypotheses = sympy.sympify(theorem.statement), [sympy.sympify(h) for h in theorem.hypotheses]
    for symbol, value in reversed(theorem.definitions):  # a later definition may use an earlier one
        statement = xreplace(statement, {symbol: value})
        hypotheses = [xreplace(h, {symbol: value}) for h in hypotheses]
    leftover = set().union(statement.free_symbols, *(h.free_symbols for h in hypotheses)) - set(theorem.variables)
    if leftover:
        raise CheckError(f"symbols {sorted(map(str, leftover))} are neither variables nor defined")
    return statement, hypotheses


@functools.lru_cache(maxsize=8192)
def _knotted(formula: sympy.Basic) -> bool:
    """Whether ``formula`` holds a part sympy 1.14 evaluates wrongly (see :mod:`symconv.core.guards`; this is the
    checker's own test of the same two faults): a remainder with a remainder inside a product in its arguments, a
    remainder by an integer of a dividend that would make such a product, or the product itself, a coefficient
    with an even denominator other than a power of two times a factor sympy knows is even (k(2k + 4)/6)."""
    formula = sympy.sympify(formula)
    for node in sympy.preorder_traversal(formula):
        if isinstance(node, sympy.Mul):
            number = node.as_coeff_Mul()[0]
            if number.is_Rational and number.q % 2 == 0 and number.q != 2 ** (int(number.q).bit_length() - 1) \
                    and any(f.is_even for f in node.args if f is not number):
                return True
        elif isinstance(node, Mod):
            dividend, divisor = node.args
            if any(isinstance(inner, sympy.Mul) and inner.has(Mod)
                   for arg in node.args for inner in sympy.preorder_traversal(arg)):
                return True
            if divisor.is_Integer and divisor != 0 and _knotted(dividend / divisor):
                return True
    return False


def _goal_knotted(goal: C.Goal) -> bool:
    if isinstance(goal, C.Relation):
        return _knotted(goal.expr)
    return any(_goal_knotted(part) for part in goal.parts)


def _signs(variable: sympy.Symbol) -> list[tuple[str, sympy.Expr]]:
    if variable.is_positive:
        return [("ge", variable - 1), ("ge", variable)]
    if variable.is_nonnegative:
        return [("ge", variable)]
    return []


def _facts_of(hypothesis: sympy.Basic) -> list[tuple[str, sympy.Expr]]:
    """What a hypothesis says, as facts. A form not listed says nothing here, which is only weaker."""
    if hypothesis is sympy.true:
        return []
    if hypothesis is sympy.false:
        return [("ge", sympy.Integer(-1))]
    if isinstance(hypothesis, (sympy.And, Tuple)):
        return [fact for part in hypothesis.args for fact in _facts_of(part)]
    if isinstance(hypothesis, (Eq, sympy.Ne)):
        gap = _cleared(hypothesis.lhs - hypothesis.rhs)
        return [("eq" if isinstance(hypothesis, Eq) else "ne", gap)]
    if isinstance(hypothesis, (sympy.Ge, sympy.Le, sympy.Gt, sympy.Lt)):
        big, small = ((hypothesis.lhs, hypothesis.rhs) if isinstance(hypothesis, (sympy.Ge, sympy.Gt))
                      else (hypothesis.rhs, hypothesis.lhs))
        gap = _cleared(big - small)
        strict = isinstance(hypothesis, (sympy.Gt, sympy.Lt))
        if strict and all(term.is_integer for term in sympy.Add.make_args(sympy.expand(gap))):
            return [("ge", gap - 1)]  # between integers, a > b is a - b - 1 >= 0
        return [("ge", gap)]
    return []


def _cleared(gap: sympy.Expr) -> sympy.Expr:
    """``gap`` times its denominator when that is a positive number times positive symbols (same sign); else ``gap``."""
    if all(term.as_numer_denom()[1] == 1 for term in sympy.Add.make_args(gap)):
        return sympy.expand(gap)  # no denominator to clear
    top, bottom = sympy.fraction(sympy.together(gap))
    number, factors = sympy.expand(bottom).as_coeff_mul()
    positive = number.is_Rational and number > 0 and all(
        (f.base if isinstance(f, sympy.Pow) and f.exp.is_Integer else f).is_Symbol
        and (f.base if isinstance(f, sympy.Pow) else f).is_positive for f in factors)
    return sympy.expand(top) if positive else gap


def _goal_of(statement: sympy.Basic) -> Optional[C.Goal]:
    if statement is sympy.true:
        return C.Conjunction(())
    if statement is sympy.false:
        return C.Relation("ge", sympy.Integer(-1))
    if isinstance(statement, (sympy.And, Tuple)):
        parts = [_goal_of(part) for part in statement.args]
        return None if any(part is None for part in parts) else C.Conjunction(tuple(parts))  # type: ignore[arg-type]
    if not isinstance(statement, (Eq, sympy.Ne, sympy.Ge, sympy.Le, sympy.Gt, sympy.Lt)):
        return None
    if isinstance(statement, (sympy.Gt, sympy.Lt)):
        gap = _cleared(statement.lhs - statement.rhs)
        if not all(term.is_integer for term in sympy.Add.make_args(sympy.expand(gap))):
            return None  # between non-integers, e >= 0 would not give e > 0
    ((kind, expr),) = _facts_of(statement)
    return C.Relation(cast(C.Kind, kind), expr)


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    return a == b or sympy.expand(a - b) == 0


def _same_goal(a: Optional[C.Goal], b: Optional[C.Goal]) -> bool:
    if isinstance(a, C.Relation) and isinstance(b, C.Relation):
        return a.kind == b.kind and _same(a.expr, b.expr)
    if isinstance(a, C.Conjunction) and isinstance(b, C.Conjunction):
        return len(a.parts) == len(b.parts) and all(_same_goal(x, y) for x, y in zip(a.parts, b.parts))
    return False


# --- side conditions ---------------------------------------------------------------------------

def _polynomial(expr: sympy.Expr) -> bool:
    expr = sympy.sympify(expr)
    return not expr.has(*_ATOMS) and expr.is_polynomial(*expr.free_symbols)


def _integer_polynomial(expr: sympy.Expr) -> bool:
    """A polynomial with integer coefficients in integer symbols: an integer wherever it is evaluated."""
    expr = sympy.expand(expr)
    if not _polynomial(expr) or not all(symbol.is_integer for symbol in expr.free_symbols):
        return False
    if not expr.free_symbols:
        return expr.is_Integer
    return all(c.is_Integer for c in sympy.Poly(expr, *sorted(expr.free_symbols, key=str)).coeffs())


def _fresh(symbol: sympy.Symbol, facts, goal) -> bool:
    if not (isinstance(symbol, sympy.Symbol) and symbol.is_integer
            and symbol.is_nonnegative is None and symbol.is_positive is None):
        return False  # an assumption on a fresh symbol would be an unproved fact
    used = set().union(*(sympy.sympify(e).free_symbols for _, e in facts), _goal_symbols(goal))
    return symbol not in used


def _goal_symbols(goal: C.Goal) -> set:
    if isinstance(goal, C.Relation):
        return set(goal.expr.free_symbols)
    return set().union(*(_goal_symbols(part) for part in goal.parts)) if goal.parts else set()


def _map_goal(goal: C.Goal, mapping: dict) -> C.Goal:
    if isinstance(goal, C.Relation):
        return C.Relation(goal.kind, xreplace(sympy.sympify(goal.expr), mapping))
    return C.Conjunction(tuple(_map_goal(part, mapping) for part in goal.parts))


def pick_cases(atom) -> Optional[list[tuple[list[sympy.Expr], sympy.Expr]]]:
    """The cases of ``Pick``: the facts ``c >= 0`` each adds, and the atom's value there (None: not a choice)."""
    if isinstance(atom, Abs):
        (x,) = atom.args
        return [([x], x), ([-x], -x)]
    if isinstance(atom, (Max, Min)):
        sign = 1 if isinstance(atom, Max) else -1
        return [([sign * (chosen - other) for n, other in enumerate(atom.args) if n != m], chosen)
                for m, chosen in enumerate(atom.args)]
    return None


def _show(expr) -> str:
    from symconv.core.printing import text

    return text(expr)


# --- replaying the rules ---------------------------------------------------------------------

class _Replay:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.steps: list[Step] = []
        self.quiet = 0  # inside a side condition: checked as carefully, but not narrated

    def say(self, statement, justification: str) -> None:
        if not self.quiet:
            self.steps.append(Step(statement, justification))

    def side(self, node: C.Node, facts: list, goal: C.Goal) -> None:
        self.quiet += 1
        try:
            self.node(node, facts, goal)
        finally:
            self.quiet -= 1

    def fail(self, node, reason: str) -> NoReturn:
        raise CheckError(f"{type(node).__name__}: {reason}")

    def node(self, node: C.Node, facts: list, goal: C.Goal) -> None:
        if time.monotonic() > self.deadline:
            raise CheckError("the check ran out of time")
        if any(_knotted(e) for _, e in facts) or _goal_knotted(goal):
            self.fail(node, "a part sympy 1.14 evaluates wrongly appeared (symconv.core.guards)")
        getattr(self, "_" + type(node).__name__.lower())(node, facts, goal)

    def _linear(self, node: C.Linear, facts, goal) -> None:
        if not (isinstance(goal, C.Relation) and goal.kind == "ge" and _polynomial(goal.expr)):
            self.fail(node, "closes only a polynomial goal g >= 0")
        rest = sympy.expand(goal.expr)
        for coefficient, indices in node.products:
            coefficient = sympy.sympify(coefficient)
            if not (coefficient.is_Rational and coefficient >= 0 and 1 <= len(indices) <= 3):
                self.fail(node, f"a product needs a nonnegative rational coefficient and 1-3 facts: {coefficient}")
            product = sympy.Integer(1)
            for index in indices:
                kind, expr = facts[index]
                if kind != "ge" or not _polynomial(expr):
                    self.fail(node, f"fact {index} is not a polynomial fact >= 0")
                product *= expr
            rest -= sympy.expand(coefficient * product)
        for multiplier, index in node.multiples:
            kind, expr = facts[index]
            if kind != "eq" or not _polynomial(expr) or not _polynomial(multiplier):
                self.fail(node, f"fact {index} is not a polynomial fact = 0, or the multiplier is not a polynomial")
            rest -= sympy.expand(multiplier * expr)
        rest = sympy.expand(rest)
        if rest.free_symbols or not rest.is_Rational:
            self.fail(node, f"what is left, {rest}, is not a constant")
        if not (rest >= 0 or (rest > -1 and _integer_polynomial(goal.expr))):
            self.fail(node, f"what is left, {rest}, is too small")
        if sympy.expand(goal.expr).free_symbols:
            self.say(sympy.Ge(goal.expr, 0, evaluate=False), "holds: a nonnegative combination of the facts")
        elif self.steps and not self.steps[-1].justification.startswith(("holds", "this case")):
            self.say(sympy.true, "holds: both sides are now the same")  # consecutive trivial closings fold into one

    def _both(self, node: C.Both, facts, goal) -> None:
        if not (isinstance(goal, C.Relation) and goal.kind == "eq"):
            self.fail(node, "closes only an equation")
        self.node(node.lower, facts, C.Relation("ge", goal.expr))
        self.node(node.upper, facts, C.Relation("ge", -goal.expr))

    def _apart(self, node: C.Apart, facts, goal) -> None:
        if not (isinstance(goal, C.Relation) and goal.kind == "ne"):
            self.fail(node, "closes only a goal g != 0")
        self.node(node.proof, facts, C.Relation("ge", goal.expr - 1 if node.above else -goal.expr - 1))

    def _each(self, node: C.Each, facts, goal) -> None:
        if not (isinstance(goal, C.Conjunction) and len(goal.parts) == len(node.parts)):
            self.fail(node, "needs a conjunction with as many parts")
        for part, proof in zip(goal.parts, node.parts):
            self.node(proof, facts, part)

    def _absurd(self, node: C.Absurd, facts, goal) -> None:
        self.node(node.proof, facts, C.Relation("ge", sympy.Integer(-1)))
        self.say(sympy.false, "this case cannot happen: its facts contradict each other")

    def _substitute(self, node: C.Substitute, facts, goal) -> None:
        kind, expr = facts[node.fact]
        x = node.symbol
        expr = sympy.expand(expr)
        slope = expr.diff(x) if isinstance(x, sympy.Symbol) else None
        if kind != "eq" or slope not in (1, -1):
            self.fail(node, f"fact {node.fact} is not an equation with {x} at coefficient ±1")
        value = sympy.expand(x - expr / slope)
        if x in value.free_symbols:
            self.fail(node, f"{x} is not isolated")
        mapping = {x: value}
        self.say(Eq(x, value, evaluate=False), f"substituted, from {_show(Eq(expr, 0, evaluate=False))}")
        self.node(node.then, [(k, xreplace(sympy.sympify(e), mapping)) for k, e in facts], _map_goal(goal, mapping))

    def _divide(self, node: C.Divide, facts, goal) -> None:
        N, D, q, r = node.numerator, node.denominator, node.quotient, node.remainder
        if not (_integer_polynomial(N) and _integer_polynomial(D)):
            self.fail(node, "numerator and denominator must be integer polynomials")
        if q == r or not (_fresh(q, facts, goal) and _fresh(r, facts, goal)):
            self.fail(node, f"{q} and {r} must be new integer symbols without assumptions")
        if any(sympy.sympify(e).has(q, r) for e in (N, D, *(part for pair in node.atoms for part in pair))):
            self.fail(node, f"the division cannot mention its own {q} or {r}")
        self.side(node.positive, facts, C.Relation("ge", D - 1))
        mapping = {}
        for atom, M in node.atoms:
            if not _integer_polynomial(M):
                self.fail(node, f"the shift {M} is not an integer polynomial")
            shifted = N + D * M
            if isinstance(atom, floor) and sympy.cancel(atom.args[0] * D - shifted) == 0:
                mapping[atom] = q + M
            elif isinstance(atom, ceiling) and sympy.cancel(atom.args[0] * D + shifted) == 0:
                mapping[atom] = -(q + M)
            elif isinstance(atom, Mod) and _same(atom.args[1], D) and _same(atom.args[0], shifted):
                mapping[atom] = r
            else:
                self.fail(node, f"{atom} is not a division of {N} + ({D})·({M}) by {D}")
        self.say(Tuple(Eq(N, D * q + r, evaluate=False), Le(0, r, evaluate=False), Le(r, D - 1, evaluate=False)),
                 f"division algorithm: {_show(N)} divided by {_show(D)} ≥ 1")
        known = [(k, xreplace(sympy.sympify(e), mapping)) for k, e in facts]
        known += [("eq", N - D * q - r), ("ge", r), ("ge", D - 1 - r)]
        self.node(node.then, known, _map_goal(goal, mapping))

    def _unique(self, node: C.Unique, facts, goal) -> None:
        q, r, D, M, part = node.quotient, node.remainder, node.denominator, node.whole, node.part
        if not all(_integer_polynomial(e) for e in (D, M, part)):
            self.fail(node, "the divisor, whole part and remainder must be integer polynomials")
        shapes = [("eq", D * M + part - D * q - r), ("ge", r), ("ge", D - 1 - r)]
        for index, (kind, expr) in zip(node.facts, shapes):
            if facts[index][0] != kind or not _same(facts[index][1], expr):
                self.fail(node, f"fact {index} is not {kind} {expr}")
        self.side(node.low, facts, C.Relation("ge", part))
        self.side(node.high, facts, C.Relation("ge", D - 1 - part))
        self.say(Tuple(Eq(q, M, evaluate=False), Eq(r, part, evaluate=False)),
                 f"quotient and remainder are unique, as 0 ≤ {_show(part)} ≤ {_show(D - 1)}")
        self.node(node.then, facts + [("eq", q - M), ("eq", r - part)], goal)

    def _combine(self, node: C.Combine, facts, goal) -> None:
        total = sympy.Integer(0)
        for multiplier, index in node.terms:
            kind, expr = facts[index]
            if kind != "eq" or not _polynomial(multiplier):
                self.fail(node, f"fact {index} is not an equation, or {multiplier} is not a polynomial")
            total += multiplier * expr
        total = sympy.expand(total)
        self.node(node.then, facts + [("eq", total)], goal)

    def _split(self, node: C.Split, facts, goal) -> None:
        if not _integer_polynomial(node.expr):
            self.fail(node, f"{node.expr} is not an integer polynomial")
        self.say(sympy.Ge(node.expr, 0, evaluate=False), "case")
        self.node(node.nonnegative, facts + [("ge", node.expr)], goal)
        self.say(sympy.Lt(node.expr, 0, evaluate=False), "case")
        self.node(node.negative, facts + [("ge", -node.expr - 1)], goal)

    def _splitne(self, node: C.SplitNe, facts, goal) -> None:
        kind, expr = facts[node.fact]
        if kind != "ne" or not _integer_polynomial(expr):
            self.fail(node, f"fact {node.fact} is not a fact e != 0 about an integer polynomial")
        self.say(sympy.Gt(expr, 0, evaluate=False), "case")
        self.node(node.above, facts + [("ge", expr - 1)], goal)
        self.say(sympy.Lt(expr, 0, evaluate=False), "case")
        self.node(node.below, facts + [("ge", -expr - 1)], goal)

    def _pick(self, node: C.Pick, facts, goal) -> None:
        atom = node.atom
        cases = pick_cases(atom)
        if cases is None:
            self.fail(node, f"{atom} is not max, min or |x|")
        if len(node.branches) != len(cases):
            self.fail(node, "one branch per case")
        for (conditions, value), branch in zip(cases, node.branches):
            self.say(Eq(atom, value, evaluate=False),
                     "case " + ", ".join(_show(sympy.Ge(c, 0, evaluate=False)) for c in conditions))
            known = [(k, xreplace(sympy.sympify(e), {atom: value})) for k, e in facts] + [("ge", c) for c in conditions]
            self.node(branch, known, _map_goal(goal, {atom: value}))

    def _range(self, node: C.Range, facts, goal) -> None:
        x = node.symbol
        if not (isinstance(x, sympy.Symbol) and x.is_integer
                and isinstance(node.low, int) and isinstance(node.high, int)
                and 0 <= node.high - node.low < MAX_RANGE and len(node.branches) == node.high - node.low + 1):
            self.fail(node, "needs a symbol, integer bounds at most 64 apart, and one branch per value")
        self.side(node.above, facts, C.Relation("ge", x - node.low))
        self.side(node.below, facts, C.Relation("ge", node.high - x))
        for value, branch in zip(range(node.low, node.high + 1), node.branches):
            self.say(Eq(x, value, evaluate=False), f"case: {_show(x)} is one of {node.low}, …, {node.high}")
            mapping = {x: sympy.Integer(value)}
            self.node(branch, [(k, xreplace(sympy.sympify(e), mapping)) for k, e in facts], _map_goal(goal, mapping))
