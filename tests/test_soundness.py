"""Soundness of ``symconv.proof.prove`` on generated statements, judged by an independent evaluator.

The statements and their evaluator are in ``statements.py``; nothing here asks
sympy or symconv whether a statement holds. The facts checked, on a fixed
corpus and on fresh Hypothesis items:

- no false (or malformed) statement is ever ``proved``;
- every counterexample satisfies the hypotheses and falsifies the statement;
- ``checked`` is True exactly when the status is ``proved``;
- the status ``conflict`` never occurs.

``python benchmarks/soundness.py`` runs the same judge on a larger corpus and
reports how many true statements are proved.
"""

import functools
import itertools

import pytest
import sympy
from hypothesis import HealthCheck, Phase, given, settings
from sympy import Eq, Max, Ne, Piecewise, floor

from symconv.proof import Theorem, prove
from symconv.core.symbols import d, i, k, s

import statements
from statements import FAMILIES, REGULAR, Malformed, RandomChoices, attempt, corpus, counterexample_fault

SEED, SIZE = 2024, 150
CORPUS = corpus(SIZE, SEED)  # trees only; each item builds its sympy theorem on first use


# --- the generator checks itself -----------------------------------------------------------

def _sympy_verdict(item, point):
    """What sympy says at ``point``: checks that the theorem means what the tree means, never a label."""
    theorem = item.theorem
    values = {var.sympy(): sympy.Integer(point[var.name]) for var in item.variables}
    definitions = dict(theorem.definitions)
    parts = [*theorem.hypotheses, theorem.statement]
    for _ in range(len(definitions) + 1):  # in any listed order: an out-of-order item is read as intended
        parts = [sympy.sympify(part).xreplace(definitions) for part in parts]
    parts = [part.xreplace(values) for part in parts]
    assert all(isinstance(part, sympy.logic.boolalg.BooleanAtom) for part in parts), parts
    *hypotheses, statement = parts
    return bool(statement) if all(map(bool, hypotheses)) else None


def _confirm_label(item, box_limit=800, probes=150):
    """The label, re-derived: the planted point, then every point of a small box and random far points."""
    if item.malformed:
        with pytest.raises(Malformed):
            item.evaluate(item.point)
    elif not item.truth:
        assert item.evaluate(item.witness) is False, f"witness {item.witness} does not falsify {item.variant}"
    elif not item.vacuous:
        assert item.evaluate(item.anchor) is True, f"anchor {item.anchor} does not satisfy {item.variant}"
    points = itertools.chain(statements.box_points(item, limit=box_limit),
                             statements.probe_points(item, RandomChoices(f"probe/{item.name}"), probes))
    for point in points:
        verdict = item.evaluate(point, dependency_order=item.malformed)
        if item.vacuous:
            assert verdict is None, f"{point} satisfies the contradictory hypotheses of {item.variant}"
        elif item.truth:
            assert verdict is not False, f"{point} falsifies the true {item.family} item {item.variant}"
    if item.malformed:  # read in dependency order, it means what its label says
        assert item.evaluate(item.point, dependency_order=True) is item.truth


@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.name)
def test_the_evaluator_confirms_the_label(item):
    _confirm_label(item)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements.items())
def test_fresh_labels_are_confirmed(item):
    _confirm_label(item, box_limit=200, probes=40)


@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.name)
def test_the_theorem_reads_like_the_tree(item):
    probes = statements.probe_points(item, RandomChoices(f"sympy/{item.name}"), 20)
    points = [item.point] if item.point else []
    points += [point for point in probes if item.evaluate(point, dependency_order=True) is not None][:2]
    for point in points:
        assert _sympy_verdict(item, point) == item.evaluate(point, dependency_order=True), point


def test_the_corpus_is_reproducible_and_a_third_adversarial():
    again = corpus(SIZE, SEED)
    assert [(a.name, a.variant, a.point) for a in again] == [(a.name, a.variant, a.point) for a in CORPUS]
    assert sum(item.adversarial for item in CORPUS) >= SIZE // 3
    assert {item.family for item in CORPUS} == set(FAMILIES)
    labels = {(item.family, item.truth) for item in corpus(600, SEED)}
    assert all((family, truth) in labels for family in REGULAR for truth in (True, False))


# --- the prover on the fixed corpus ------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _outcomes():
    """One proof per item, two worker processes, 30 s at most for each."""
    return statements.run_corpus(SIZE, SEED, workers=2, budget=30.0)


def _faults(code):
    return [message for outcome in _outcomes() for found, message in outcome.problems if found == code]


def _report(faults):
    return f"{len(faults)} faults, the first: " + "\n".join(faults[:8])


def test_no_false_statement_is_proved():
    faults = _faults("false-proved")
    assert not faults, _report(faults)


def test_no_malformed_theorem_is_proved():
    # definitions out of dependency order: refused (SymconvError) or at least not proved
    faults = _faults("malformed-proved")
    assert not faults, _report(faults)


def test_every_counterexample_is_genuine():
    faults = _faults("bad-counterexample")
    assert not faults, _report(faults)


def test_checked_exactly_when_proved():
    faults = _faults("checked-mismatch")
    assert not faults, _report(faults)


def test_no_conflict():
    conflicts = [outcome.name for outcome in _outcomes() if outcome.status == "conflict"]
    assert not conflicts, conflicts


# --- the same facts on fresh items -------------------------------------------------------------

@settings(max_examples=10, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(statements.items())
def test_fresh_items_are_judged_soundly(item):
    # no shrinking: every step would cost a proof, and the message names the item in full
    outcome = attempt(item)
    codes = {code for code, _ in outcome.problems}
    context = f"{item!r}: {outcome.status}, {outcome.problems}"
    assert not codes & {"false-proved", "malformed-proved"}, context
    assert "bad-counterexample" not in codes, context
    assert "checked-mismatch" not in codes, context
    assert outcome.status != "conflict", context


# --- regressions: false statements the first prover called proved ------------------------------

BIG = 10**6
VERBATIM = [
    pytest.param(Eq(floor(i / BIG), 0), (i + Max(k - 2 * BIG, s - 2 * BIG) <= 999999,),
                 {"i": 2000000, "k": 1, "s": 1, "d": 1}, id="max-in-hypothesis"),
    pytest.param(Max(BIG - i, BIG - k) >= 0,
                 tuple(Ne(Max(a, b), 7) for a, b in itertools.combinations((i, k, s, d), 2)),
                 {"i": 2000000, "k": 2000000, "s": 1, "d": 1}, id="six-max-ne-7"),
    pytest.param(Piecewise((-1, i > BIG), (1, True)) >= 0, (), {"i": BIG + 1, "k": 1, "s": 1, "d": 1}, id="piecewise"),
    pytest.param(1 / (2 * BIG - 2 * i + 1) >= 0, (), {"i": BIG + 1, "k": 1, "s": 1, "d": 1}, id="reciprocal"),
]
# z3 finds each counterexample far outside the box, except where it cannot express the claim (a reciprocal)
EXPECTED = {"max-in-hypothesis": "disproved", "six-max-ne-7": "disproved", "piecewise": "disproved",
            "reciprocal": "unproved"}


@pytest.mark.parametrize("statement, hypotheses, witness", VERBATIM)
def test_known_false_statement_is_not_proved(statement, hypotheses, witness, request):
    theorem = Theorem("regression", "a false statement", statement, hypotheses, (), (i, k, s, d))
    proof = prove(theorem)
    assert proof.status == EXPECTED[request.node.callspec.id]
    # the corpus carries the same case, so the evaluator can judge the answer
    item = next(item for item in statements.verbatim() if item.theorem.statement == statement)
    assert item.theorem.hypotheses == hypotheses and item.evaluate(witness) is False
    if proof.counterexample is not None:
        assert counterexample_fault(item, proof.counterexample) == ""


# --- sympy 1.14's wrong remainders (sympy/sympy#28744, #29757) -------------------------------------------------------
# Mod(2*Mod(x, y), 3) is evaluated as Mod(2*Mod(x, y)**2, 3): once made that way, a false claim read as true.

def test_a_false_claim_that_sympy_would_make_true_is_not_proved():
    from symconv.schemes import check_scheme, declare

    claims = ["(2 * (k % s)) % 3 == (2 * (k % s) * (k % s)) % 3",  # false: k = 2, s = 3 gives 1 against 2
              "(2 * (k % s)) % 3 == ((2 * (k % s)) - 3 * ((2 * (k % s)) // 3))"]  # true
    false, true = check_scheme(declare("knotted", "0", "0", claims=claims), bound=8).claims
    assert false.status == "false" and false.counterexample is not None
    assert true.status == "holds-enumerated" and "sympy 1.14 evaluates wrongly" in true.proof.reason


def test_the_kernel_reasons_about_no_remainder_sympy_evaluates_wrongly():
    from symconv.core.guards import evaluated
    from symconv.proof import certificate as C
    from symconv.proof.checker import CheckError, check
    from symconv.proof.prover import search

    x, y = sympy.Symbol("x", integer=True), sympy.Symbol("y", integer=True)
    knot = evaluated(sympy.Mod, (2 * sympy.Mod(x, 3), 3))  # kept as written: the number sympy would get wrong
    assert knot.args[0] == 2 * sympy.Mod(x, 3)
    claim = Theorem("knot", "a remainder of a remainder", sympy.Le(knot, 2), (), (), (x,))
    proof = prove(claim)
    assert proof.status == "unproved" and "sympy 1.14 evaluates wrongly" in proof.reason
    with pytest.raises(CheckError, match="sympy 1.14 evaluates wrongly"):
        check(claim, search(Theorem("plain", "", sympy.Ge(sympy.Mod(x, 3), 0), (), (), (x,))))
    # A certificate that makes one on the way (y = x mod 3 put into (2y) mod 5) is refused where it appears.
    made = Theorem("made", "", sympy.Le(sympy.Mod(2 * y, 5), 4), (Eq(y, sympy.Mod(x, 3)),), (), (x, y))
    forged = C.Certificate((C.Fact("eq", y - sympy.Mod(x, 3)),), C.Relation("ge", 4 - sympy.Mod(2 * y, 5)),
                           C.Substitute(y, 0, C.Linear()))
    with pytest.raises(CheckError, match="sympy 1.14 evaluates wrongly appeared"):
        check(made, forged)


def test_a_false_claim_that_sympy_calls_an_integer_is_not_proved():
    # sympy 1.14 calls k(2k + 4)/6 an integer (it counts only the twos of 6): floor(...) and mod 6 came out wrong
    from symconv.schemes import check_scheme, declare

    claims = ["(k * (2 * k + 4)) // 6 * 6 == k * (2 * k + 4)", "(k * (2 * k + 4)) % 6 == 0",  # false at k = 2
              "(k * (2 * k + 4)) // 6 <= k * k"]  # true
    first, second, third = check_scheme(declare("misjudged", "0", "0", claims=claims), bound=8).claims
    assert first.status == second.status == "false" and first.counterexample["k"] == second.counterexample["k"] == 2
    assert third.status == "holds-enumerated"


def test_the_kernel_reasons_about_no_product_sympy_misjudges():
    from symconv.core.guards import evaluated
    from symconv.proof import certificate as C
    from symconv.proof.checker import CheckError, check
    from symconv.proof.prover import search

    x, y = sympy.Symbol("x", integer=True, positive=True), sympy.Symbol("y", integer=True, positive=True)
    part = evaluated(floor, (x * (2 * x + 4) / 6,))
    assert isinstance(part, floor)  # sympy would have made it x(2x + 4)/6
    claim = Theorem("misjudged", "", sympy.Le(part, x * x), (), (), (x,))
    assert prove(claim).status == "unproved"
    with pytest.raises(CheckError, match="sympy 1.14 evaluates wrongly"):
        check(claim, search(Theorem("plain", "", sympy.Le(floor(x / 6), x), (), (), (x,))))
    # y = 6 put into floor(x(2x + 4)/y) makes one: the search expands first (floor(x²/3 + 2x/3), a true claim it
    # proves), but a certificate that keeps the product is refused where it appears
    made = Theorem("made", "", sympy.Le(floor(x * (2 * x + 4) / y), x * x), (Eq(y, 6),), (), (x, y))
    assert prove(made).status == "proved"
    forged = C.Certificate((C.Fact("eq", y - 6),), C.Relation("ge", x * x - floor(x * (2 * x + 4) / y)),
                           C.Substitute(y, 0, C.Linear()))
    with pytest.raises(CheckError, match="sympy 1.14 evaluates wrongly appeared"):
        check(made, forged)
