"""The prover: searches for a certificate that the checker will accept.

It may be clever, because nothing it says is believed: the checker
(:mod:`.checker`) re-checks every step. The search, on a state of facts and a
goal:

1. substitutes every equation that pins a symbol (``s = 1``, a remainder fixed
   by a hypothesis, a quotient found unique);
2. removes the innermost ``⌊N/D⌋``, ``⌈N/D⌉`` or ``N mod D`` by the division
   algorithm (``N = D q + r``, ``0 <= r <= D - 1``), sharing ``q`` and ``r``
   between atoms whose numerators differ by a multiple of ``D``; then, if
   ``N = D M + C`` with ``0 <= C <= D - 1`` provable, fixes ``q = M``,
   ``r = C``; otherwise solves the division for a variable with coefficient ±1;
3. splits the innermost ``max``, ``min`` and ``|x|`` of the goal into cases;
4. closes the goal with a nonnegative combination of the facts and their
   pairwise products, found by linear programming (exact rationals, solved by
   z3's simplex); failing that, shows the facts contradictory, or refines the
   case: a ``max`` in a hypothesis, a hypothesis ``e != 0``, the sign of a
   quotient, the value of a small remainder.

Anything it cannot handle (a ``Piecewise``, a reciprocal, a function it does
not know) makes it give up with the reason, never guess. Every search runs on a
:class:`Budget`; past it the claim is unproved, and the reason says so.
"""

from __future__ import annotations

import functools
import itertools
import time
from dataclasses import dataclass
from typing import Optional, cast

import sympy
from sympy import Abs, Max, Min, Mod, ceiling, floor

from symconv.core import symbols as S
from symconv.core.guards import suspect
from symconv.core.rebuild import xreplace
from symconv.proof import certificate as C
from symconv.proof.facts import Unsupported, as_facts, as_goal, foreign, unfold
from symconv.proof.farkas import combination
from symconv.proof.farkas import integer_polynomial as _integer_polynomial
from symconv.proof.farkas import polynomial as _polynomial
from symconv.proof.theorem import Theorem

_DIVISIONS = (floor, ceiling, Mod)
#: An open division ``N - D q - r = 0``: its numerator, divisor, quotient and remainder.
_Division = tuple[sympy.Expr, sympy.Expr, sympy.Symbol, sympy.Symbol]
_CHOICES = (Max, Min, Abs)
_MAX_DEPTH = 3  #: nested refinements (case splits at the leaves) before a branch gives up
_MAX_RANGE = 8  #: a remainder modulo at most this many is split into its values
_SOLVE_ORDER = (S.i, S.i_prime, S.o, S.p_l, S.p_r, S.p)


class Unproved(Exception):
    """The search did not find a certificate; ``budget`` says whether a budget ran out."""

    def __init__(self, reason: str, budget: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.budget = budget


@dataclass
class Budget:
    """How much one search may spend: linear programs and expression size, then seconds.

    The limits that decide are counts (``programs``, ``max_ops``), so a search gives the same answer on a
    busy machine as on an idle one; ``seconds`` is only a safety net against a search that never ends.
    1500 programs take about 10 s here; the catalogue's theorems need at most a dozen.
    """

    seconds: float = 60.0
    programs: int = 1500
    max_ops: int = 2000  #: operations in the statement with its hypotheses and definitions
    started: float = 0.0
    spent: int = 0
    until: float = float("inf")  #: a deadline set from outside, once the claim is known to be false

    def start(self) -> "Budget":
        self.started, self.spent = time.monotonic(), 0
        return self

    def shorten(self, seconds: float) -> None:
        """Stop at most ``seconds`` from now (safe to call from another thread)."""
        self.until = min(self.until, time.monotonic() + seconds)

    def charge(self) -> None:
        self.spent += 1
        now = time.monotonic()
        if self.spent > self.programs:
            raise Unproved(f"budget: more than {self.programs} linear programs", budget=True)
        if now - self.started > self.seconds or now > self.until:
            raise Unproved(f"budget: more than {min(self.seconds, now - self.started):.3g} s", budget=True)


class _Fail(Exception):
    pass


def search(theorem: Theorem, budget: Optional[Budget] = None) -> C.Certificate:
    """A certificate for ``theorem``, or :class:`Unproved` with the reason."""
    theorem.validate()
    budget = (budget or Budget()).start()
    try:
        statement, hypotheses = unfold(theorem, budget.max_ops)
        goal = as_goal(statement)
    except Unsupported as outside:
        raise Unproved(outside.reason, budget=outside.budget) from None
    facts: list[tuple[str, sympy.Expr, str]] = []
    for variable in theorem.variables:
        if variable.is_positive:
            facts += [("ge", variable - 1, f"{variable} ≥ 1"), ("ge", variable, f"{variable} ≥ 0")]
        elif variable.is_nonnegative:
            facts.append(("ge", variable, f"{variable} ≥ 0"))
    for number, hypothesis in enumerate(hypotheses, 1):
        if suspect(hypothesis) is not None:
            continue  # sympy 1.14 evaluates a part of it wrongly (symconv.core.guards); left out is only weaker
        for kind, expr in as_facts(hypothesis):
            if foreign(expr) is None:  # a fact the kernel cannot read is left out, which is only weaker
                facts.append((kind, expr, f"hypothesis {number}"))
    searcher = _Searcher(budget, {str(s) for item in (statement, *hypotheses) for s in item.free_symbols}
                         | {str(v) for v in theorem.variables})
    try:
        proof = searcher.prove([(kind, expr) for kind, expr, _ in facts], goal, 0)
    except _Fail as failure:
        raise Unproved(str(failure)) from None
    except RecursionError:
        raise Unproved("budget: the expressions nest too deeply", budget=True) from None
    return C.Certificate(tuple(C.Fact(cast(C.Kind, kind), expr, source) for kind, expr, source in facts), goal, proof)


def refutes_hypotheses(theorem: Theorem, budget: Optional[Budget] = None) -> C.Certificate:
    """A certificate that the hypotheses contradict each other (the statement replaced by ``false``)."""
    import dataclasses

    return search(dataclasses.replace(theorem, statement=sympy.false), budget)


# --- the search -----------------------------------------------------------------------------

# The search asks the same questions of the same facts at every node: the answers (pure functions of
# immutable expressions) are kept, as sympy's own cache does, but without its per-call overhead.
@functools.lru_cache(maxsize=8192)
def _expand(expr: sympy.Expr) -> sympy.Expr:
    return sympy.expand(expr)


@functools.lru_cache(maxsize=8192)
def _free(expr: sympy.Basic) -> frozenset:
    """``expr.free_symbols``, which sympy walks the tree for at every call."""
    return frozenset(expr.free_symbols)


@functools.lru_cache(maxsize=8192)
def _atoms(expr: sympy.Basic, kinds: tuple) -> frozenset:
    """``expr.atoms(*kinds)``, likewise walked at every call."""
    return frozenset(expr.atoms(*kinds))


@functools.lru_cache(maxsize=8192)
def _slope(expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
    """The derivative in ``symbol``: of a linear term, its coefficient."""
    return expr.diff(symbol)


@functools.lru_cache(maxsize=8192)
def _unit(expr: sympy.Expr, symbol: sympy.Symbol) -> int:
    """±1 when the expanded ``expr`` is ``±symbol`` plus terms without it, else 0: a cheap test that the
    derivative in ``symbol`` cannot be ±1 otherwise (a term with ``symbol`` in it other than ``±symbol``
    leaves a derivative that depends on it or on another symbol)."""
    terms = [term for term in sympy.Add.make_args(expr) if symbol in term.free_symbols]
    if len(terms) != 1:
        return 0
    return 1 if terms[0] == symbol else -1 if terms[0] == -symbol else 0


@functools.lru_cache(maxsize=4096)
def _order(expr: sympy.Basic):
    """Smallest first, then sympy's canonical order: never the hash-seeded order of a set."""
    return sympy.count_ops(expr), sympy.default_sort_key(expr)


def _goal_atoms(goal: C.Goal, kinds) -> set:
    if isinstance(goal, C.Relation):
        return set(_atoms(goal.expr, tuple(kinds)))
    return set().union(*(_goal_atoms(part, kinds) for part in goal.parts))


@functools.lru_cache(maxsize=8192)
def _suspect(expr: sympy.Basic) -> Optional[sympy.Basic]:
    return suspect(expr)


def _goal_suspect(goal: C.Goal) -> Optional[sympy.Basic]:
    if isinstance(goal, C.Relation):
        return _suspect(goal.expr)
    return next((t for t in map(_goal_suspect, goal.parts) if t is not None), None)


def _replace_goal(goal: C.Goal, mapping: dict) -> C.Goal:
    if isinstance(goal, C.Relation):
        return C.Relation(goal.kind, xreplace(goal.expr, mapping))
    return C.Conjunction(tuple(_replace_goal(part, mapping) for part in goal.parts))


def _innermost(atoms) -> list:
    return sorted((a for a in atoms if not any(arg.has(*_DIVISIONS, *_CHOICES) for arg in a.args)), key=_order)


class _Searcher:
    def __init__(self, budget: Budget, taken: set[str]) -> None:
        self.budget = budget
        self.taken = set(taken)
        self.count = itertools.count(1)
        self.partner: dict[sympy.Symbol, sympy.Symbol] = {}  # q <-> r of each division
        self.remainders: dict[sympy.Symbol, sympy.Expr] = {}  # r -> its modulus when introduced
        self.attempted: set[sympy.Expr] = set()  # divisions tried for a unique quotient on this path
        self.memo: dict = {}  # (facts, target) -> the linear program's answer
        self.settled: set[sympy.Expr] = set()  # q - M and r - C, as Unique found them

    def branch(self, facts: list, goal: C.Goal, depth: int) -> C.Node:
        """Prove one case of a split: its new fact may make an earlier attempt succeed, so forget them."""
        saved, self.attempted = self.attempted, set()
        try:
            return self.prove(facts, goal, depth)
        finally:
            self.attempted = saved

    def fresh(self, letter: str) -> sympy.Symbol:
        while True:
            name = f"{letter}_{next(self.count)}"
            if name not in self.taken:
                self.taken.add(name)
                return sympy.Symbol(name, integer=True)

    # 1-3: simplify the state, then close it
    def prove(self, facts: list, goal: C.Goal, depth: int) -> C.Node:
        self.budget.charge()
        knot = next((t for t in (*(_suspect(e) for _, e in facts), _goal_suspect(goal)) if t is not None), None)
        if knot is not None:  # a substitution made one (s = 6 put into floor(k(2k + 4)/s)): not reasoned about
            raise _Fail(f"{knot} appeared, which sympy 1.14 evaluates wrongly (symconv.core.guards)")
        atoms = _goal_atoms(goal, _DIVISIONS + _CHOICES).union(*(_atoms(e, _DIVISIONS + _CHOICES) for _, e in facts))
        found = self.substitution(facts, atoms, solve=False)
        if found is not None:
            return self.substitute(*found, facts, goal, depth)
        for index, (kind, expr) in enumerate(facts):
            division = self.division(kind, expr)
            if division is not None and _expand(expr) not in self.attempted:
                self.attempted.add(_expand(expr))
                node = self.unique(*division, index, facts, goal, depth)
                if node is not None:
                    return node
        related = self.relate(facts, goal, depth)
        if related is not None:
            return related
        for atom in _innermost(a for a in atoms if isinstance(a, _DIVISIONS)):
            node = self.divide(atom, facts, goal, depth)
            if node is not None:
                return node
        found = self.substitution(facts, atoms, solve=True)
        if found is not None:
            return self.substitute(*found, facts, goal, depth)
        choices = _innermost(_goal_atoms(goal, _CHOICES))
        if choices:
            return self.pick(choices[0], facts, goal, depth)
        return self.finish(facts, goal, depth)

    def division(self, kind: str, expr: sympy.Expr) -> Optional[_Division]:
        """``(N, D, q, r)`` when the fact is an open division ``N - D q - r = 0``."""
        if kind != "eq":
            return None
        for r in sorted(_free(expr) & set(self.partner), key=str):
            q = self.partner[r]
            if r not in self.remainders or q not in _free(expr):
                continue
            expr = _expand(expr)
            if _unit(expr, r) != -1:
                continue
            denominator = -_slope(expr, q)
            numerator = _expand(expr + denominator * q + r)
            if _slope(expr, r) == -1 and not numerator.has(q, r) and not denominator.has(q, r):
                return numerator, denominator, q, r
        return None

    def substitution(self, facts: list, atoms, solve: bool) -> Optional[tuple[sympy.Symbol, int, sympy.Expr]]:
        """An equation that pins a symbol: ``(symbol, fact index, value)``.

        Without ``solve``: a symbol equal to a constant, a quotient or remainder
        found unique, or a variable pinned by a hypothesis. With it: an open
        division solved for a variable of its numerator that no remaining atom
        mentions (the variable then becomes ``D q + r - …``).
        """
        busy = set().union(*(_free(a) for a in atoms))
        best = None
        for index, (kind, expr) in enumerate(facts):
            if kind != "eq" or expr.has(*_DIVISIONS, *_CHOICES):
                continue
            division = self.division(kind, expr)
            expr = _expand(expr)
            for symbol in sorted(_free(expr), key=str):
                if not _unit(expr, symbol):
                    continue
                slope = _slope(expr, symbol)
                if slope not in (1, -1):
                    continue
                value = _expand(symbol - expr / slope)
                if symbol in value.free_symbols:
                    continue
                if value.is_number:
                    rank = 0
                elif division is not None:
                    # a remainder keeps its bounds only while it stays a symbol: never solve for one
                    if not solve or symbol in division[2:] or symbol in busy or symbol in self.remainders:
                        continue
                    rank = 3
                elif symbol in self.partner:
                    if expr not in self.settled and -expr not in self.settled:
                        continue  # only what Unique settled; a quotient or remainder is otherwise kept
                    rank = 1
                elif solve:
                    continue
                else:
                    rank = 2
                key = (rank, _SOLVE_ORDER.index(symbol) if symbol in _SOLVE_ORDER else len(_SOLVE_ORDER),
                       str(symbol), index)
                if best is None or key < best[0]:
                    best = (key, symbol, index, value)
        return None if best is None else best[1:]

    def substitute(self, symbol, index: int, value, facts: list, goal: C.Goal, depth: int) -> C.Node:
        mapping = {symbol: value}
        then = self.prove([(k, xreplace(e, mapping)) for k, e in facts], _replace_goal(goal, mapping), depth)
        return C.Substitute(symbol, index, then)

    def divide(self, atom, facts: list, goal: C.Goal, depth: int) -> Optional[C.Node]:
        numerator, denominator = _division(atom)
        if not (_integer_polynomial(numerator) and _integer_polynomial(denominator)):
            return None
        positive = self.linear(facts, denominator - 1)
        if positive is None:
            return None
        shares = [(atom, sympy.Integer(0))]
        everything = _goal_atoms(goal, _DIVISIONS).union(*(_atoms(e, _DIVISIONS) for _, e in facts))
        for other in sorted(everything - {atom}, key=_order):
            shift = _shift(other, numerator, denominator)
            if shift is not None:
                shares.append((other, shift))
        q, r = self.fresh("q"), self.fresh("r")
        self.partner[q], self.partner[r] = r, q
        self.remainders[r] = denominator
        mapping = {a: (r if isinstance(a, Mod) else -(q + m) if isinstance(a, ceiling) else q + m) for a, m in shares}
        known = [(k, xreplace(e, mapping)) for k, e in facts]
        known += [("eq", numerator - denominator * q - r), ("ge", r), ("ge", denominator - 1 - r)]
        then = self.prove(known, _replace_goal(goal, mapping), depth)
        return C.Divide(numerator, denominator, q, r, tuple(shares), positive, then)

    def unique(self, numerator, denominator, q, r, index, facts, goal, depth) -> Optional[C.Node]:
        """``q = M``, ``r = C`` when the numerator is ``D M + C`` with ``0 <= C <= D - 1`` provable.

        The numerator may first be rewritten with another equation (a hypothesis
        ``E = D F`` turns ``E mod D`` into ``D F mod D``): the two are combined.
        """
        bounds = [n for n, (k, e) in enumerate(facts) if k == "ge" and _expand(e - r) == 0][:1]
        bounds += [n for n, (k, e) in enumerate(facts)
                   if k == "ge" and _expand(e - (denominator - 1 - r)) == 0][:1]
        if len(bounds) != 2:
            return None
        rewrites: list[tuple[sympy.Expr, Optional[int], sympy.Expr]] = [(numerator, None, sympy.Integer(0))]
        for fact, (kind, expr) in enumerate(facts):
            if kind != "eq" or fact == index or expr.has(q, r, *_DIVISIONS, *_CHOICES) \
                    or self.division(kind, expr) is not None:
                continue
            expr = _expand(expr)
            scales = [sympy.Integer(1), sympy.Integer(-1)]
            for symbol in sorted(expr.free_symbols & numerator.free_symbols, key=str):
                scale = numerator.coeff(symbol) / expr.coeff(symbol)  # cancels that symbol
                if scale.is_number and scale != 0:
                    scales.append(scale)
            rewrites += [(_expand(numerator - scale * expr), fact, scale) for scale in scales]
        seen = set()
        for rewritten, other, scale in rewrites:
            if rewritten in seen:
                continue
            seen.add(rewritten)
            whole, part = _split(rewritten, denominator)
            if not part.free_symbols <= set(self.remainders) | denominator.free_symbols:
                continue  # 0 <= C <= D - 1 needs C built from remainders (and the divisor's own symbols)
            for shift in (0, -1, 1):
                M, rest = _expand(whole - shift), _expand(part + shift * denominator)
                if not (_integer_polynomial(M) and _integer_polynomial(rest)):
                    continue
                low = self.linear(facts, rest)
                high = self.linear(facts, denominator - 1 - rest) if low is not None else None
                if low is None or high is None:
                    continue
                self.settled |= {_expand(q - M), _expand(r - rest)}
                if other is None:
                    then = self.prove(facts + [("eq", q - M), ("eq", r - rest)], goal, depth)
                    return C.Unique(q, r, denominator, M, rest, (index, bounds[0], bounds[1]), low, high, then)
                combined = facts + [("eq", _expand(facts[index][1] - scale * facts[other][1]))]
                then = self.prove(combined + [("eq", q - M), ("eq", r - rest)], goal, depth)
                unique = C.Unique(q, r, denominator, M, rest, (len(facts), bounds[0], bounds[1]), low, high, then)
                return C.Combine(((sympy.Integer(1), index), (-scale, other)), unique)
        return None

    def relate(self, facts: list, goal: C.Goal, depth: int) -> Optional[C.Node]:
        """Two divisions by the same ``D`` whose numerators differ by ``P``: ``N₂ = D q₁ + r₁ + P``.

        The difference of the two equations is a division of ``D q₁ + r₁ + P``
        with quotient ``q₂``, which ``Unique`` can settle once ``r₁`` is known.
        """
        open_ = [(n, division) for n, (k, e) in enumerate(facts) if (division := self.division(k, e)) is not None]
        present = {_expand(e) for k, e in facts if k == "eq"}
        for (first, (N1, D1, q1, r1)), (second, (N2, D2, q2, r2)) in itertools.permutations(open_, 2):
            if q1 == q2 or _expand(D1 - D2) != 0 or str(q1) > str(q2):
                continue
            difference = _expand(N2 - N1)
            if difference.has(q1, r1, q2, r2) or not _integer_polynomial(difference):
                continue
            combined = _expand(facts[second][1] - facts[first][1])
            if combined in present or -combined in present:
                continue
            then = self.prove(facts + [("eq", combined)], goal, depth)
            return C.Combine(((sympy.Integer(1), second), (sympy.Integer(-1), first)), then)
        return None

    def pick(self, atom, facts: list, goal: C.Goal, depth: int) -> C.Node:
        branches = []
        for conditions, value in _cases(atom):
            mapping = {atom: value}
            known = [(k, xreplace(e, mapping)) for k, e in facts] + [("ge", c) for c in conditions]
            branches.append(self.branch(known, _replace_goal(goal, mapping), depth))
        return C.Pick(atom, tuple(branches))

    # 4: close the goal, or refine the case and try again
    def finish(self, facts: list, goal: C.Goal, depth: int) -> C.Node:
        if isinstance(goal, C.Conjunction):
            return C.Each(tuple(self.finish(facts, part, depth) for part in goal.parts))
        closed = self.close(facts, goal)
        if closed is not None:
            return closed
        absurd = self.linear(facts, sympy.Integer(-1))
        if absurd is not None:
            return C.Absurd(absurd)
        if depth >= _MAX_DEPTH:
            raise _Fail(f"could not close {_show_goal(goal)}")
        if goal.kind == "eq":  # each side on its own: they may need different cases
            return C.Both(self.finish(facts, C.Relation("ge", goal.expr), depth),
                          self.finish(facts, C.Relation("ge", -goal.expr), depth))
        failure: Optional[_Fail] = None
        for refine in (self.refine_goal, self.refine_choice, self.refine_ne, self.refine_quotient,
                       self.refine_remainder):
            try:
                node = refine(facts, goal, depth + 1)
            except _Fail as reason:
                failure = failure or reason
                continue
            if node is not None:
                return node
        raise failure or _Fail(f"could not close {_show_goal(goal)}")

    def close(self, facts: list, goal: C.Relation) -> Optional[C.Node]:
        if goal.kind == "ge":
            return self.linear(facts, goal.expr)
        if goal.kind == "eq":
            lower = self.linear(facts, goal.expr)
            upper = self.linear(facts, -goal.expr) if lower is not None else None
            return C.Both(lower, upper) if lower is not None and upper is not None else None
        for above, target in ((True, goal.expr - 1), (False, -goal.expr - 1)):
            proof = self.linear(facts, target)
            if proof is not None:
                return C.Apart(above, proof)
        return None

    def refine_goal(self, facts, goal, depth) -> Optional[C.Node]:
        """By contradiction: if ``g <= -1``, products of that with the facts may be absurd."""
        if goal.kind != "ge":
            return None
        g = _expand(goal.expr)
        if not _integer_polynomial(g) or g.is_number or any(
                k == "ge" and _expand(e + g + 1) == 0 for k, e in facts):
            return None
        negative = self.branch(facts + [("ge", -g - 1)], goal, depth)
        return C.Split(g, C.Linear(((sympy.Integer(1), (len(facts),)),)), negative)

    def refine_choice(self, facts, goal, depth) -> Optional[C.Node]:
        """A ``max``/``min``/``|x|`` in a fact: those in inequalities and equations before those in ``≠``."""
        usable = set().union(*(_atoms(e, _CHOICES) for k, e in facts if k != "ne"))
        rest = set().union(*(_atoms(e, _CHOICES) for k, e in facts if k == "ne")) - usable
        failure: Optional[_Fail] = None
        for atom in (_innermost(usable) + _innermost(rest))[:3]:
            try:
                return self.pick(atom, facts, goal, depth)
            except _Fail as reason:
                failure = failure or reason
        if failure is not None:
            raise failure
        return None

    def refine_ne(self, facts, goal, depth) -> Optional[C.Node]:
        for index, (kind, expr) in enumerate(facts):
            if kind == "ne" and _integer_polynomial(_expand(expr)):
                above = self.branch(facts + [("ge", expr - 1)], goal, depth)
                below = self.branch(facts + [("ge", -expr - 1)], goal, depth)
                return C.SplitNe(index, above, below)
        return None

    def refine_quotient(self, facts, goal, depth) -> Optional[C.Node]:
        present = set().union(*(_free(e) for _, e in facts))
        quotients = {q for q in self.partner if q not in self.remainders}
        for q in sorted(quotients & present, key=str):
            try:
                nonnegative = self.branch(facts + [("ge", q)], goal, depth)
                negative = self.branch(facts + [("ge", -q - 1)], goal, depth)
            except _Fail:
                continue
            return C.Split(q, nonnegative, negative)
        return None

    def refine_remainder(self, facts, goal, depth) -> Optional[C.Node]:
        present = set().union(*(_free(e) for _, e in facts))
        for r in sorted(set(self.remainders) & present, key=str):
            modulus = self.remainders[r]
            if not (modulus.is_Integer and 2 <= modulus <= _MAX_RANGE):
                continue
            above, below = self.linear(facts, r), self.linear(facts, modulus - 1 - r)
            if above is None or below is None:
                continue
            branches = []
            try:
                for value in range(int(modulus)):
                    mapping = {r: sympy.Integer(value)}
                    branches.append(self.branch([(k, xreplace(e, mapping)) for k, e in facts],
                                                _replace_goal(goal, mapping), depth))
            except _Fail:
                continue
            return C.Range(r, 0, int(modulus) - 1, above, below, tuple(branches))
        return None

    def linear(self, facts: list, target: sympy.Expr) -> Optional[C.Linear]:
        """A nonnegative combination of the facts and their products that leaves ``target`` a constant in range."""
        target = _expand(target)
        if not _polynomial(target):
            return None
        integral = _integer_polynomial(target)
        if target.is_number:
            if target >= 0 or (target > -1 and integral):
                return C.Linear()
        for index, (kind, expr) in enumerate(facts):  # the commonest case: one fact, give or take a constant
            if kind == "ge":
                rest = _expand(target - expr)
                if rest.is_number and (rest >= 0 or (rest > -1 and integral)):
                    return C.Linear(((sympy.Integer(1), (index,)),))
        key = (tuple(facts), target)
        if key not in self.memo:
            self.budget.charge()
            self.memo[key] = combination(facts, target)
        return self.memo[key]


def _show_goal(goal: C.Relation) -> str:
    return f"{goal.expr} {'≥' if goal.kind == 'ge' else '=' if goal.kind == 'eq' else '≠'} 0"


@functools.lru_cache(maxsize=4096)
def _division(atom) -> tuple[sympy.Expr, sympy.Expr]:
    """``(N, D)``: the atom is ``⌊N/D⌋``, ``N mod D``, or ``⌈-N/D⌉ = -⌊N/D⌋``."""
    if isinstance(atom, Mod):
        top, bottom = atom.args
    else:
        top, bottom = sympy.fraction(sympy.together(atom.args[0]))
        if isinstance(atom, ceiling):
            top = -top
    return _expand(top), _expand(bottom)


@functools.lru_cache(maxsize=4096)
def _shift(atom, numerator, denominator) -> Optional[sympy.Expr]:
    """``M`` when ``atom`` is the division of ``numerator + denominator·M`` (negated, for a ceiling)."""
    top, bottom = _division(atom)
    if _expand(bottom - denominator) != 0:
        return None
    difference = _expand(top - numerator)
    if not _integer_polynomial(difference):
        return None
    if difference == 0:
        return sympy.Integer(0)
    gens = sorted(difference.free_symbols | denominator.free_symbols, key=str) or [S.i]
    quotient, remainder = sympy.div(difference, denominator, *gens)
    if remainder != 0 or not _integer_polynomial(_expand(quotient)):
        return None
    return _expand(quotient)


@functools.lru_cache(maxsize=4096)
def _split(numerator: sympy.Expr, denominator: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """``numerator = denominator·M + C`` with the multiples of the denominator in ``M``."""
    whole, part = sympy.Integer(0), sympy.Integer(0)
    for term in sympy.Add.make_args(numerator):
        if denominator.is_Integer:
            coefficient, monomial = term.as_coeff_Mul()
            if coefficient.is_Integer:
                q, rem = divmod(int(coefficient), int(denominator))
                whole += q * monomial
                part += rem * monomial
            else:
                part += term
        else:
            ratio = sympy.cancel(term / denominator)
            if _integer_polynomial(_expand(ratio)):
                whole += ratio
            else:
                part += term
    return _expand(whole), _expand(part)


def _cases(atom) -> list[tuple[list[sympy.Expr], sympy.Expr]]:
    if isinstance(atom, Abs):
        (x,) = atom.args
        return [([x], x), ([-x], -x)]
    sign = 1 if isinstance(atom, Max) else -1
    return [([sign * (chosen - other) for n, other in enumerate(atom.args) if n != m], chosen)
            for m, chosen in enumerate(atom.args)]
