"""The proof kernel: the prover's certificates, the independent checker, and the statuses they give.

The checker is attacked directly: certificates that are tampered with, forged for
false claims, or built from rules used outside their side conditions must all be
rejected. The issue's cases of false statements once labelled ``proved`` are
pinned here, each as a regression test.
"""

import dataclasses
import time

import pytest
import sympy
from sympy import Abs, Eq, Ge, Gt, Lt, Max, Min, Mod, Ne, Piecewise, ceiling, floor

from symconv.core import symbols as S
from symconv.core.errors import ParameterError
from symconv.proof import Theorem, prove
from symconv.proof import certificate as C
from symconv.proof.checker import CheckError, check
from symconv.proof.prover import Budget, Unproved, search
from symconv.guide.theorems import theorem, theorems

i, k, s, d, p = S.i, S.k, S.s, S.d, S.p
X, F = sympy.Symbol("X", integer=True), sympy.Symbol("F", integer=True)
A, o = sympy.Symbol("A", integer=True), sympy.Symbol("o", integer=True)
MILLION = 10**6


def claim(statement, hypotheses=(), variables=(i, k, s, d), definitions=()):
    return Theorem("claim", "claim", statement, tuple(hypotheses), tuple(definitions), tuple(variables))


# --- every catalogue theorem: a certificate the checker accepts -----------------------------

@pytest.mark.parametrize("name", list(theorems()))
def test_every_catalogue_theorem_has_a_checked_certificate(name):
    certificate = search(theorem(name))
    steps = check(theorem(name), certificate)
    assert steps and C.size(certificate.proof) >= 1


# --- the false statements that were once "proved" -----------------------------------

FALSE_ONCE_PROVED = {
    "max in a hypothesis": claim(Eq(floor(i / MILLION), 0), [i + Max(k - 2 * MILLION, s - 2 * MILLION) <= 999999]),
    "six max splits": claim(Max(MILLION - i, MILLION - k) >= 0,
                            [Ne(Max(a, b), 7) for a, b in [(i, k), (i, s), (i, d), (k, s), (k, d), (s, d)]]),
    "piecewise": claim(Ge(Piecewise((-1, i > MILLION), (1, True)), 0), variables=(i,)),
    "reciprocal": claim(Ge(1 / (2 * MILLION - 2 * i + 1), 0), variables=(i,)),
}


@pytest.mark.parametrize("name", list(FALSE_ONCE_PROVED))
def test_a_false_statement_is_never_proved(name):
    proof = prove(FALSE_ONCE_PROVED[name])
    assert proof.status != "proved" and not proof.checked


@pytest.mark.parametrize("name, witness", [
    ("max in a hypothesis", {"i": MILLION}),
    ("six max splits", {"i": MILLION + 1, "k": MILLION + 1}),
])
def test_the_solver_finds_counterexamples_far_beyond_the_box(name, witness):
    proof = prove(FALSE_ONCE_PROVED[name])
    assert proof.status == "disproved" and proof.smt.verdict == "sat"
    assert all(proof.counterexample[key] >= value for key, value in witness.items())


def test_what_the_kernel_does_not_understand_is_unproved_with_a_reason():
    for name in ("piecewise", "reciprocal"):
        with pytest.raises(Unproved, match="does not understand"):
            search(FALSE_ONCE_PROVED[name])


def test_definitions_out_of_order_are_refused():
    out_of_order = claim(Ge(A, 5), variables=(i,), definitions=[(A, o + 5), (o, i - 100)])
    with pytest.raises(ParameterError, match="o is neither a variable nor defined before it"):
        prove(out_of_order)
    in_order = claim(Ge(A, 5), variables=(i,), definitions=[(o, i - 100), (A, o + 5)])
    assert prove(in_order).status == "disproved"


def test_cyclic_and_unknown_symbols_are_refused():
    with pytest.raises(ParameterError, match="neither a variable nor defined"):
        prove(claim(Ge(A, 0), variables=(i,), definitions=[(A, o), (o, A)]))
    with pytest.raises(ParameterError, match="the symbol X is neither"):
        prove(claim(Ge(X, 0), variables=(i,)))


def test_a_strict_inequality_with_a_rational_gap_does_not_crash():
    proof = prove(claim(Lt(i / 2 - k / 3, 0), variables=(i, k)))
    assert proof.status == "disproved" and proof.counterexample == {"i": 1, "k": 1}
    assert prove(claim(Gt(i / 2 + k / 3, 0), variables=(i, k))).status == "proved"


def test_contradictory_hypotheses_are_reported_as_vacuous():
    proof = prove(claim(i <= 5, [Eq(Mod(k, 2), 1), Eq(Mod(k, 2), 0)], variables=(i, k)))
    assert proof.status == "proved" and proof.vacuous and proof.cases == 0
    assert not prove(theorem("round-trip")).vacuous


@pytest.mark.parametrize("hypotheses, statement", [
    ([Eq(k, 3), Eq(Mod(k, 2), 1)], Eq(k, 3)),  # a repeated constraint is kept, not overwritten
    ([Eq(k, s + 1), Eq(s, 2)], Eq(k, 3)),  # substitutions chain
    ([Eq(i, X)], X >= 1),  # i == q: q inherits i's sign
])
def test_hypotheses_are_all_kept(hypotheses, statement):
    variables = (i, k, s) + ((X,) if statement.has(X) else ())
    assert prove(claim(statement, hypotheses, variables)).status == "proved"


# --- completeness: the kinds of statement the issue listed ---------------------------------

@pytest.mark.parametrize("statement, hypotheses", [
    (floor(X / 3) <= X, [X >= 0]),
    (floor(X / s) <= floor((X + k) / s), []),  # monotone
    (Eq(floor(floor(X / s) / k), floor(X / (s * k))), []),  # nested floors
    (Eq(ceiling(X / s), floor((X + s - 1) / s)), []),  # ceil -> floor
    (sympy.And(Abs(X) >= X, Abs(X) >= -X), []),
    (Eq(Mod(X, s), 0), [Eq(X, s * F)]),
    (floor((i + 2 * p - k) / s) + 1 >= 1, [i + 2 * p >= k]),
    (s * floor(X / s) <= X, []),  # multiplied by a positive symbol
    (s * (floor(X / s) + 1) > X, []),
    (Eq(floor(X / 2) + floor((X + 1) / 2), X), []),  # residue split
    (Min(i, k) <= Max(i, k), []),
    (Eq(s * floor(X / s) + Mod(X, s), X), []),
])
def test_the_listed_kinds_of_true_statement_are_proved(statement, hypotheses):
    variables = tuple(sorted(sympy.sympify(statement).free_symbols | set().union(
        *(h.free_symbols for h in hypotheses)), key=str))
    proof = prove(claim(statement, hypotheses, variables))
    assert proof.status == "proved" and proof.checked, proof.reason


def test_squares_mod_4_stay_unproved():
    proof = prove(claim(Ne(Mod(i ** 2, 4), 2), variables=(i,)))
    assert proof.status == "unproved" and "could not close" in proof.reason


# --- budgets ------------------------------------------------------------------------------------

def test_a_search_past_its_budget_says_so_within_seconds():
    many = [Ne(Max(a + n, b), 7 + n) for n in range(4) for a, b in [(i, k), (i, s), (k, s)]]
    started = time.monotonic()
    with pytest.raises(Unproved) as failure:
        search(claim(Max(MILLION - i, MILLION - k) >= 0, many), Budget(seconds=1.0))
    assert time.monotonic() - started < 10
    assert failure.value.budget or "could not close" in failure.value.reason


def test_a_huge_theorem_is_refused_by_size():
    big = sum(floor((i + n) / (n + 2)) for n in range(600))
    with pytest.raises(Unproved, match="budget: the theorem has"):
        search(claim(big <= MILLION, variables=(i,)))


# --- the checker under attack -------------------------------------------------------------------

def _certificate(name="round-trip"):
    return theorem(name), search(theorem(name))


def _swap(node, kind, change):
    """A copy of the certificate tree with the first node of ``kind`` changed by ``change``."""
    if isinstance(node, kind):
        return change(node), True
    done = False
    fields = {}
    for name, value in vars(node).items():
        if not done and isinstance(value, C._NODES):
            value, done = _swap(value, kind, change)
        elif not done and isinstance(value, tuple) and any(isinstance(v, C._NODES) for v in value):
            items = []
            for item in value:
                if not done and isinstance(item, C._NODES):
                    item, done = _swap(item, kind, change)
                items.append(item)
            value = tuple(items)
        fields[name] = value
    return type(node)(**fields), done


def _tampered(name, kind, change):
    thm, certificate = _certificate(name)
    proof, done = _swap(certificate.proof, kind, change)
    assert done, f"no {kind.__name__} in {name}"
    return thm, dataclasses.replace(certificate, proof=proof)


@pytest.mark.parametrize("name, kind, change, message", [
    ("round-trip", C.Linear, lambda n: C.Linear(tuple((-c, ix) for c, ix in n.products) or ((-1, (0,)),),
                                                n.multiples), "nonnegative rational|not a constant|too small"),
    ("a-range", C.Linear, lambda n: C.Linear(n.products + ((sympy.Integer(5), (0,)),), n.multiples),
     "too small|not a constant"),
    ("round-trip", C.Divide, lambda n: dataclasses.replace(n, quotient=S.i), "new integer symbols"),
    ("round-trip", C.Divide, lambda n: dataclasses.replace(n, quotient=sympy.Symbol("q_9", integer=True,
                                                                                     positive=True)),
     "new integer symbols"),
    ("round-trip", C.Divide, lambda n: dataclasses.replace(n, numerator=n.numerator + 1),
     "not a division|what is left"),
    ("round-trip", C.Divide, lambda n: dataclasses.replace(n, denominator=n.denominator - 1),
     "not a division|not a constant|too small"),
    ("round-trip", C.Substitute, lambda n: dataclasses.replace(n, symbol=S.k), "coefficient ±1|not isolated"),
    ("relationship-13", C.Substitute, lambda n: dataclasses.replace(n, fact=0), "not an equation"),
])
def test_the_checker_rejects_a_tampered_certificate(name, kind, change, message):
    thm, certificate = _tampered(name, kind, change)
    with pytest.raises(CheckError, match=message):
        check(thm, certificate)


def test_the_checker_rejects_an_unjustified_starting_fact():
    thm, certificate = _certificate()
    forged = dataclasses.replace(certificate, facts=certificate.facts + (C.Fact("ge", S.i - 5, "made up"),))
    with pytest.raises(CheckError, match="neither a sign assumption nor a hypothesis"):
        check(thm, forged)


def test_the_checker_rejects_a_proof_of_another_statement():
    thm, certificate = _certificate()
    false_claim = dataclasses.replace(thm, statement=Eq(S.o_prime, thm.statement.rhs + 1))
    with pytest.raises(CheckError, match="goal is not the theorem's statement"):
        check(false_claim, certificate)


def test_a_false_theorem_with_a_plausible_certificate_is_rejected():
    # floor(X/2) <= X - 1 is false at X = 0: a Linear proof that ignores the rounding must fail.
    false = claim(floor(X / 2) <= X - 1, variables=(X,))
    true_certificate = search(claim(floor(X / 2) <= X, [X >= 0], variables=(X,)))
    with pytest.raises(CheckError):
        check(false, dataclasses.replace(true_certificate, goal=C.Relation("ge", X - 1 - floor(X / 2))))
    forged = C.Certificate((), C.Relation("ge", X - 1 - floor(X / 2)),
                           C.Divide(X, sympy.Integer(2), sympy.Symbol("q", integer=True),
                                    sympy.Symbol("r", integer=True), ((floor(X / 2), sympy.Integer(0)),),
                                    C.Linear(), C.Linear(((sympy.Integer(1), (2,)),))))
    with pytest.raises(CheckError):
        check(false, forged)


def test_rules_outside_their_side_conditions_are_rejected():
    q = sympy.Symbol("q", integer=True)
    # x != 0 gives |x| >= 1 only for integers: X/2 != 0 must not be split that way
    thm = claim(Ge(X, 2), [Ne(X, 0)], variables=(X,))
    forged = C.Certificate((C.Fact("ne", X),), C.Relation("ge", X - 2), C.SplitNe(0, C.Linear(), C.Linear()))
    with pytest.raises(CheckError):
        check(thm, forged)
    # a Range over a symbol without proved bounds
    forged = C.Certificate((), C.Relation("ge", X), C.Range(X, 0, 1, C.Linear(), C.Linear(), (C.Linear(), C.Linear())))
    with pytest.raises(CheckError):
        check(claim(Ge(X, 0), variables=(X,)), forged)
    # a division by a divisor not shown positive
    forged = C.Certificate((), C.Relation("ge", floor(X / (X - 5))), C.Divide(
        X, X - 5, q, sympy.Symbol("r", integer=True), ((floor(X / (X - 5)), sympy.Integer(0)),),
        C.Linear(), C.Linear()))
    with pytest.raises(CheckError):
        check(claim(Ge(floor(X / (X - 5)), 0), variables=(X,)), forged)


def test_a_certificate_of_another_rules_version_is_not_trusted():
    thm, certificate = _certificate()
    with pytest.raises(CheckError, match="rules version"):
        check(thm, dataclasses.replace(certificate, version="0"))
