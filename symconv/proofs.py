"""Proofs for all integers, by the division algorithm, checked against the oracle.

A :class:`Theorem` is a statement in the guide's letters, with hypotheses and
definitions (``o := ⌊E/s⌋ + 1``, ``a := E mod s``). To prove it:

1. substitute the definitions and the hypotheses of the form ``symbol = value``;
2. eliminate every ``⌊E/m⌋`` and ``E mod m`` (innermost first) with the
   division algorithm: ``E = m q + r``, ``0 <= r <= m - 1``;
3. resolve each ``E = m q + r``: either ``E = m M + C`` with ``0 <= C <= m - 1``
   provable, so ``q = M`` and ``r = C`` (quotient and remainder are unique),
   or ``E`` has a free variable with coefficient ±1, which is solved for;
4. split ``max``/``min``/``|x|`` into cases;
5. decide what remains: an identity that expands to zero, or an inequality
   that is a sum of known-nonnegative terms.

A proof that does not close is ``unproved``, never ``proved``. Every theorem
is also enumerated on a box with the oracle supplying the ground truth; a
counterexample makes it ``disproved``, with the smallest one reported.

>>> proof = prove(theorem("round-trip"))
>>> proof.status, proof.counterexample
('proved', None)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Literal, Mapping, Optional, Sequence

import sympy
from sympy import And, Eq, Ge, Gt, Le, Lt, Max, Min, Mod, Ne, Tuple, floor

from . import oracle
from . import symbols as S
from .catalogue import relationship
from .derive import Step, general_output_size, transposed
from .errors import ParameterError, SymconvError
from .proof.enumeration import enumerate_cases
from .proof.theorem import Proof, Status, Theorem


o_of_i = sympy.Symbol("o(i)", integer=True)  #: the output size of a named input size


# --- the symbolic prover ------------------------------------------------------------

class _Unproved(Exception):
    pass


def _nonneg_facts(facts: Iterable[sympy.Basic]) -> list[sympy.Expr]:
    """Each fact as an expression known to be >= 0 (all quantities are integers)."""
    out: list[sympy.Expr] = []
    for fact in facts:
        if isinstance(fact, And):
            out += _nonneg_facts(fact.args)
        elif isinstance(fact, (Le, Lt, Ge, Gt)):
            low, high = (fact.lhs, fact.rhs) if isinstance(fact, (Le, Lt)) else (fact.rhs, fact.lhs)
            gap = sympy.expand(high - low)
            if isinstance(fact, (Lt, Gt)):
                if gap.is_integer is not True:
                    continue  # a < b gives b - a >= 1 only between integers; otherwise nothing usable
                gap -= 1
            out.append(gap)
        elif isinstance(fact, Eq):
            out += [sympy.expand(fact.lhs - fact.rhs), sympy.expand(fact.rhs - fact.lhs)]
    return out


@lru_cache(maxsize=4096)
def _plainly_nonneg(expr: sympy.Expr) -> bool:
    """A polynomial in nonnegative integer symbols with nonnegative coefficients."""
    if expr.is_number:
        return bool(expr >= 0)
    shift = {}
    for symbol in expr.free_symbols:
        if symbol.is_positive:
            shift[symbol] = symbol + 1  # x >= 1 is x' + 1 with x' >= 0
        elif not symbol.is_nonnegative:
            return False
    shifted = sympy.expand(expr.xreplace(shift)) if shift else expr
    return all(c >= 0 for c in shifted.as_coefficients_dict().values())


@lru_cache(maxsize=4096)
def _is_nonneg_given(expr: sympy.Expr, facts: tuple[sympy.Expr, ...]) -> bool:
    if _plainly_nonneg(expr):
        return True
    for size in (1, 2):
        for chosen in itertools.combinations(facts, size):
            if _plainly_nonneg(sympy.expand(expr - sum(chosen))):
                return True
    return False


def _is_nonneg(expr: sympy.Expr, facts: Sequence[sympy.Expr]) -> bool:
    """``expr >= 0``: itself, or less one or two known-nonnegative facts, is plainly nonnegative."""
    return _is_nonneg_given(sympy.expand(expr), tuple(facts))


def _split(expr: sympy.Expr, modulus: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """``expr = modulus * M + C`` with the multiples of the modulus in ``M``."""
    multiple, rest = sympy.Integer(0), sympy.Integer(0)
    for term in sympy.Add.make_args(sympy.expand(expr)):
        if modulus.is_Integer:
            coeff, monomial = term.as_coeff_Mul()
            whole, part = divmod(coeff, modulus) if coeff.is_Integer else (0, coeff)
            multiple += whole * monomial
            rest += part * monomial
        elif (term / modulus).is_polynomial() and sympy.fraction(sympy.together(term / modulus))[1] == 1:
            multiple += term / modulus
        else:
            rest += term
    return sympy.expand(multiple), sympy.expand(rest)


class _Prover:
    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.steps: list[Step] = []
        self.fresh = itertools.count(1)
        self.taken = set(taken)

    def quotient_and_remainder(self) -> tuple[sympy.Symbol, sympy.Symbol]:
        """Fresh q_n, r_n whose names no symbol of the theorem uses (a user may call one r_1)."""
        while True:
            n = next(self.fresh)
            names = (f"q_{n}", f"r_{n}")
            if not self.taken & set(names):
                self.taken |= set(names)
                return (sympy.Symbol(names[0], integer=True),
                        sympy.Symbol(names[1], integer=True, nonnegative=True))

    def note(self, statement: sympy.Basic, why: str) -> None:
        self.steps.append(Step(statement, why))

    # step 2: the division algorithm
    def eliminate(self, goal, facts, constraints):
        while True:
            atom = next((a for a in _atoms(goal, facts) if not _atoms_inside(a)), None)
            if atom is None:
                return goal, facts, constraints
            numerator, modulus = _division(atom)
            if not (modulus.is_integer and modulus.is_positive and numerator.is_integer):
                raise _Unproved(f"cannot apply the division algorithm to {atom}")
            whole, rest = _split(numerator, modulus)
            q, r = self.quotient_and_remainder()
            # floor(E/m) = M + q and E mod m = r where C = m q + r; ceil(E/m) = -floor(-E/m).
            value = {floor: whole + q, sympy.ceiling: -(whole + q), Mod: r}[type(atom)]
            replace = {atom: value}
            for other in _atoms(goal, facts):  # the same E and m elsewhere: the same q and r
                if other != atom and _same_division(other, rest, modulus):
                    replace[other] = _value_for(other, rest, modulus, q, r)
            goal = goal.xreplace(replace)
            facts = [f.xreplace(replace) for f in facts] + [Le(r, modulus - 1)]
            constraints = constraints + [(rest, modulus, q, r)]
            self.note(Tuple(Eq(rest, modulus * q + r), Le(0, r, evaluate=False), Le(r, modulus - 1)),
                      f"division algorithm for {_show(atom)}")
            self.note(goal, "floor and mod replaced by quotient and remainder")
            pinned = {f.lhs: f.rhs for f in facts if isinstance(f, Eq) and f.lhs in (q, r)}
            if pinned:  # a hypothesis such as (i + 2p - k) mod s = 0 fixes the remainder
                goal = goal.xreplace(pinned)
                facts = [f.xreplace(pinned) for f in facts]
                constraints = [(c, m, qq, rr) if rr != r else (c, m, qq, pinned.get(r, r)) for c, m, qq, rr in constraints]
                self.note(goal, f"by hypothesis {', '.join(f'{_show(k)} = {_show(v)}' for k, v in pinned.items())}")

    # step 3: resolve E = m q + r
    def resolve(self, goal, facts, constraints):
        pending = []
        for rest, modulus, q, r in constraints:
            known = _nonneg_facts(facts)
            solved = None
            for shift in (0, -1, 1):
                whole, part = _split(rest, modulus)
                whole, part = whole - shift, sympy.expand(part + shift * modulus)
                if _is_nonneg(part, known) and _is_nonneg(modulus - 1 - part, known):
                    solved = {q: whole, r: part}
                    self.note(Tuple(Eq(q, whole), Eq(r, part)),
                              f"{_show(rest)} = {_show(modulus)}·({_show(whole)}) + {_show(part)} with "
                              f"0 ≤ {_show(part)} ≤ {_show(modulus)} - 1: quotient and remainder are unique")
                    break
            if solved is None:
                variable = _free_variable(rest, constraints, q, r)
                if variable is not None:
                    value = sympy.solve(Eq(rest, modulus * q + r), variable)[0]
                    solved = {variable: value}
                    self.note(Eq(variable, value), f"solved the division for {variable}")
            if solved is None:
                pending.append((rest, modulus, q, r))
                continue
            goal = goal.xreplace(solved)
            facts = [f.xreplace(solved) for f in facts]
            constraints = [(sympy.expand(c.xreplace(solved)), m, qq, rr) for c, m, qq, rr in constraints]
            pending = [(sympy.expand(c.xreplace(solved)), m, qq, rr) for c, m, qq, rr in pending]
            self.note(goal, "substituted")
        return goal, facts, pending

    def decide(self, goal, facts, constraints, depth=0) -> None:
        while True:
            goal, facts, constraints = self.eliminate(goal, facts, constraints)
            goal, facts, constraints = self.resolve(goal, facts, constraints)
            if not any(not _atoms_inside(atom) for atom in _atoms(goal, facts)):
                break
        splits = set().union(*(item.atoms(Max, Min, sympy.Abs) for item in (goal, *facts)))
        if splits and depth < 6:
            split = min(splits, key=_order)
            for condition, value in _cases(split):
                condition = type(condition)(sympy.expand(condition.lhs - condition.rhs), 0)
                self.note(condition, f"case {_show(condition)}")
                self.decide(goal.xreplace({split: value}), [f.xreplace({split: value}) for f in facts] + [condition],
                            constraints, depth + 1)
            return
        if _atoms(goal, facts):
            raise _Unproved(f"the division algorithm does not apply to {_show(_atoms(goal, facts)[0])}")
        facts = facts + [Eq(c, m * q + r) for c, m, q, r in constraints]  # divisions left unresolved
        if not _holds(goal, _nonneg_facts(facts)):
            raise _Unproved(f"could not decide {_show(goal)}")
        self.note(goal, "holds: both sides expand to the same polynomial, or the gap is a sum of nonnegative terms")


def _atoms(goal, facts) -> list:
    found = set()
    for item in (goal, *facts):
        found |= item.atoms(floor, sympy.ceiling, Mod)
    return sorted(found, key=_order)


def _order(expr):
    """Smallest first, then sympy's canonical order: never the hash-seeded order of a set."""
    return sympy.count_ops(expr), sympy.default_sort_key(expr)


def _atoms_inside(atom) -> bool:
    return any(arg.has(floor, sympy.ceiling, Mod, Max, Min, sympy.Abs) for arg in atom.args)


def _division(atom) -> tuple[sympy.Expr, sympy.Expr]:
    """``(E, m)`` for ``E mod m``, ``⌊E/m⌋``, and ``⌈-E/m⌉`` (which is ``-⌊E/m⌋``)."""
    if isinstance(atom, Mod):
        return atom.args
    numerator, modulus = sympy.fraction(sympy.together(atom.args[0]))
    return (-numerator if isinstance(atom, sympy.ceiling) else numerator), modulus


def _same_division(atom, rest, modulus) -> bool:
    numerator, m = _division(atom)
    return m == modulus and sympy.expand(_split(numerator, m)[1] - rest) == 0


def _value_for(atom, rest, modulus, q, r):
    if isinstance(atom, Mod):
        return r
    whole = _split(_division(atom)[0], modulus)[0] + q
    return -whole if isinstance(atom, sympy.ceiling) else whole


def _free_variable(rest, constraints, q, r):
    """A variable of ``rest`` with coefficient ±1 that no other division mentions."""
    others = set().union(*(c.free_symbols for c, _, qq, _ in constraints if qq != q))
    order = [S.i, S.i_prime, S.o, S.p_l, S.p_r, S.p]
    candidates = sorted(rest.free_symbols - {q, r} - others,
                        key=lambda v: (order.index(v) if v in order else len(order), str(v)))
    for variable in candidates:
        if sympy.expand(rest).coeff(variable) in (1, -1) and not sympy.expand(rest).coeff(variable).free_symbols:
            if sympy.degree(rest, variable) == 1:
                return variable
    return None


def _cases(atom):
    if isinstance(atom, sympy.Abs):
        (x,) = atom.args
        return [(Ge(x, 0), x), (Lt(x, 0), -x)]
    first, *rest = atom.args
    other = atom.func(*rest) if len(rest) > 1 else rest[0]
    bigger = Ge(first, other) if isinstance(atom, Max) else Le(first, other)
    return [(bigger, first), (_negate(bigger), other)]


def _negate(relation):
    return {Ge: Lt, Le: Gt, Gt: Le, Lt: Ge}[type(relation)](relation.lhs, relation.rhs)


def _holds(goal, known) -> bool:
    if goal is sympy.true:
        return True
    if goal is sympy.false:
        return False
    if isinstance(goal, (And, Tuple)):
        return all(_holds(part, known) for part in goal.args)
    if isinstance(goal, Eq):
        difference = sympy.expand(goal.lhs - goal.rhs)
        return difference == 0 or (_is_nonneg(difference, known) and _is_nonneg(-difference, known))
    if isinstance(goal, Ne):
        difference = sympy.expand(goal.lhs - goal.rhs)
        return _is_nonneg(difference - 1, known) or _is_nonneg(-difference - 1, known)
    if isinstance(goal, (Le, Lt, Ge, Gt)):
        (gap,) = _nonneg_facts([goal])
        return _is_nonneg(gap, known)
    return False


def _show(expr) -> str:
    from .printing import text

    return text(expr)


def prove(theorem: Theorem, ranges: Optional[Mapping[sympy.Symbol, range]] = None) -> Proof:
    """Prove ``theorem`` for all integers, and check it against the oracle on ``ranges``."""
    for variable in theorem.variables:
        if variable.is_integer is not True:
            raise ParameterError("variables", str(variable), "every variable of a theorem must be an integer symbol")
    named = [theorem.statement, *theorem.hypotheses, *(value for _, value in theorem.definitions),
             *theorem.variables, *(symbol for symbol, _ in theorem.definitions)]
    prover = _Prover(str(symbol) for item in named for symbol in sympy.sympify(item).free_symbols)
    hypotheses = list(theorem.hypotheses)
    definitions = [Eq(symbol, value) for symbol, value in theorem.definitions]
    prover.note(Tuple(*hypotheses, theorem.statement) if hypotheses else theorem.statement,
                "to prove, under the hypotheses")
    if definitions:
        prover.note(Tuple(*definitions), "where")
    subs = {h.lhs: h.rhs for h in hypotheses if isinstance(h, Eq) and h.lhs.is_Symbol}
    goal, facts = theorem.statement, [h for h in hypotheses if not (isinstance(h, Eq) and h.lhs.is_Symbol)]
    for symbol, value in reversed(theorem.definitions):  # latest first: it may use the earlier ones
        goal, facts = goal.subs(symbol, value), [f.subs(symbol, value) for f in facts]
    goal, facts = goal.subs(subs), [f.subs(subs) for f in facts]
    prover.note(goal, "definitions and hypotheses substituted")
    try:
        prover.decide(goal, [f for f in facts if f is not sympy.true], [])
        symbolic = True
    except _Unproved as reason:
        prover.note(sympy.false, f"unproved: {reason}")
        symbolic = False
    cases, counterexample = enumerate_cases(theorem, ranges)
    status: Status = "disproved" if counterexample else ("proved" if symbolic else "unproved")
    return Proof(theorem, status, tuple(prover.steps), cases, counterexample)


# --- the theorems -------------------------------------------------------------------

def _conv_truth(env):
    i, k, s, d = env[S.i], env[S.k], env[S.s], env[S.d]
    before = env.get(S.p_l, env.get(S.p, 0))
    after = env.get(S.p_r, env.get(S.p, 0))
    return {S.o: oracle.count_positions(i, k, s, (before, after), d)}


def _transposed_truth(env):
    (o,) = _conv_truth(env).values()
    return {S.i_prime: o}


def _domain(before=S.p, after=S.p):
    return Ge(S.i + before + after, S.d * (S.k - 1) + 1)


def _relationship_theorem(number: int) -> Theorem:
    rel = relationship(number)
    general = general_output_size().subs({S.p_l: S.p, S.p_r: S.p})
    hypotheses = (*rel.conditions, _domain())
    variables = (S.i, S.k, S.s, S.p, S.d, *((S.n,) if rel.conditions and any(
        c.has(S.n) for c in rel.conditions) else ()))
    if rel.kind != "transposed":
        return Theorem(f"relationship-{number}", f"Relationship {number}: {rel.title}", rel.equation,
                       hypotheses, ((S.o, general),), variables, _conv_truth)
    eq = rel.equivalent
    derived_p = transposed().equivalent.p_prime.subs(S.p_l, S.p)
    statement = And(Eq(S.o_prime, S.i), Eq(eq.p_prime, derived_p))
    definitions = ((S.i_prime, general), (S.a, eq.a), (S.o_prime, rel.rhs))
    return Theorem(f"relationship-{number}",
                   f"Relationship {number}: the transpose recovers i, with the guide's p'",
                   statement, hypotheses, definitions, variables, _transposed_truth)


@lru_cache(maxsize=1)
def theorems() -> dict[str, Theorem]:
    """Every theorem symconv proves, by name."""
    i, k, s, d, p_l, p_r, a, o = S.i, S.k, S.s, S.d, S.p_l, S.p_r, S.a, S.o
    general = general_output_size()
    E = i + p_l + p_r - d * (k - 1) - 1
    tr = transposed()
    asym = (i, k, s, p_l, p_r, d)
    found = {t.name: t for t in (_relationship_theorem(n) for n in range(1, 16))}
    sized = s * (o - 1) + d * (k - 1) + 1 - p_l - p_r + a
    extra = [
        Theorem("output-size", "The counted output size is Relationship 15",
                Eq(o, relationship(15).rhs),
                (_domain(),), ((o, general.subs({p_l: S.p, p_r: S.p})),), (i, k, s, S.p, d), _conv_truth),
        Theorem("half-padding-dilated", "Odd k, p = d(k - 1)/2, s = 1: o = i, with any dilation",
                Eq(o, i), (Eq(k, 2 * S.n + 1), Eq(s, 1), Eq(S.p, d * S.n)),
                ((o, general.subs({p_l: S.p, p_r: S.p})),), (i, k, s, S.p, d, S.n), _conv_truth),
        Theorem("round-trip", "The transposed convolution with a recovers every i (dilation, asymmetric padding)",
                Eq(S.o_prime, i), (_domain(p_l, p_r),),
                ((S.i_prime, general), (a, tr.equivalent.a), (S.o_prime, tr.result.rhs)), asym, _transposed_truth),
        Theorem("a-range", "The extra zeros a are always in 0..s-1",
                And(Le(0, a, evaluate=False), Le(a, s - 1)), (_domain(p_l, p_r),), ((a, tr.equivalent.a),), asym),
        Theorem("ambiguity-same-output",
                "The s input sizes s(o - 1) + d(k - 1) + 1 - p_l - p_r + a, a = 0..s-1, all give o",
                Eq(o_of_i, o), (Le(0, a, evaluate=False), Le(a, s - 1), Ge(sized, 1)),
                ((o_of_i, general.subs(i, sized)),), (o, a, k, s, p_l, p_r, d),
                lambda env: {o_of_i: oracle.count_positions(
                    env[S.s] * (env[S.o] - 1) + env[S.d] * (env[S.k] - 1) + 1 - env[S.p_l] - env[S.p_r] + env[S.a],
                    env[S.k], env[S.s], (env[S.p_l], env[S.p_r]), env[S.d])}),
        Theorem("ambiguity-only-these", "Every input size that gives o is one of those s sizes",
                And(Eq(i, sized), Le(0, a, evaluate=False), Le(a, s - 1)), (_domain(p_l, p_r),),
                ((a, Mod(E, s)), (o, general)), asym, _conv_truth),
        Theorem("transposed-pytorch", "The derived o' is PyTorch's (i' - 1)s - p_l - p_r + d(k - 1) + output_padding + 1",
                Eq(S.o_prime, (S.i_prime - 1) * s - p_l - p_r + d * (k - 1) + a + 1), (),
                ((S.o_prime, tr.result.rhs),), (S.i_prime, k, s, p_l, p_r, d, a)),
    ]
    found.update({t.name: t for t in extra})
    return found


def theorem(name: str) -> Theorem:
    """The theorem called ``name``; ``symconv prove`` lists them."""
    known = theorems()
    if name not in known:
        raise ParameterError("name", name, f"no theorem has that name; known: {', '.join(known)}")
    return known[name]


def prove_all(names: Optional[Sequence[str]] = None) -> list[Proof]:
    return [prove(theorem(n)) for n in (names or list(theorems()))]
