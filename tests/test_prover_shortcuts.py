"""The search's shortcuts and z3's first attempt change how fast an answer comes, never the answer.

- ``_unit`` (the cheap test that a fact is ``±symbol + rest``) agrees with the derivative it screens for;
- the search's kept answers (``_expand``, ``_slope``, ``_split``, ``_shift``, ``_order``, ``_free``, ``_atoms``,
  and the nodes :mod:`symconv.core.rebuild` keeps) give every catalogue theorem the certificate the plain
  functions give;
- z3's first attempt (the definitions solved away) says what the default solver says, on the catalogue and
  on claims with counterexamples, whose models are still confirmed by exact evaluation.
"""

import itertools
import random

import pytest
import sympy
import z3
from sympy import Eq, Ge, Max, Mod, floor

from symconv.core.symbols import d, i, k, p, s
from symconv.guide.theorems import theorems
from symconv.proof import Theorem, prover, smt

import statements  # tests/statements.py: the generated corpus

q, r = sympy.symbols("q_1 r_2", integer=True)
x = sympy.Symbol("x", integer=True)

FACTS = [i - q, q - i + 3, -r + i * s - 2, i + i * s - r, r ** 2 - r, i - 2 * p - s * q - r + 1, k / s - q, i + 1 / i,
         x - i * x, 3 * q - r, -q, sympy.Integer(5), floor(i / s) - r, Max(r, 0) - r, Mod(i, s) + q, 2 * i - 2 * i + r,
         d * (k - 1) + 1 - i, i - d * (k - 1) - 1 - s * q - r]


@pytest.mark.parametrize("fact", FACTS, ids=str)
def test_unit_is_the_derivative_being_plus_or_minus_one(fact):
    expanded = sympy.expand(fact)
    for symbol in expanded.free_symbols | {q, r, i}:
        slope = expanded.diff(symbol)
        expected = int(slope) if slope in (1, -1) else 0
        assert prover._unit(expanded, symbol) == expected, (fact, symbol)


def _plain(monkeypatch):
    monkeypatch.setattr(prover, "_expand", sympy.expand)
    monkeypatch.setattr(prover, "_slope", lambda expr, symbol: expr.diff(symbol))
    monkeypatch.setattr(prover, "_unit", lambda expr, symbol: 1)  # screens nothing out
    for name in ("_split", "_shift", "_order", "_free", "_atoms"):
        monkeypatch.setattr(prover, name, getattr(prover, name).__wrapped__)
    monkeypatch.setattr(prover, "xreplace", lambda expr, mapping: expr.xreplace(mapping))  # sympy's, every time


def test_the_kept_answers_give_the_same_certificates(monkeypatch):
    found = {name: prover.search(claim) for name, claim in theorems().items()}
    _plain(monkeypatch)
    assert {name: prover.search(claim) for name, claim in theorems().items()} == found


def _default_only(theorem):
    """The verdict of z3's default solver alone, on the same assertions."""
    ctx = z3.Context()
    assertions, _ = smt._negation(theorem, None, ctx)
    solver = z3.Solver(ctx=ctx)
    solver.add(*assertions)
    solver.set("timeout", 10000)
    return str(solver.check())


@pytest.mark.parametrize("name", list(theorems()))
def test_the_first_attempt_says_what_the_default_solver_says(name):
    claim = theorems()[name]
    result = smt.refute(claim)
    assert result.verdict == "unsat" == _default_only(claim)


FALSE = [
    Theorem("floor-halves", "floor(i/2) * 2 is i", Eq(2 * floor(i / 2), i), variables=(i,)),
    Theorem("mod-small", "i mod s is below 2", Ge(1, Mod(i, s)), variables=(i, s)),
    Theorem("out", "o is at most i", Ge(i, floor((i + 2 * p - k) / s) + 1), (Ge(i + 2 * p, k),), (), (i, k, s, p)),
]


@pytest.mark.parametrize("claim", FALSE, ids=lambda claim: claim.name)
def test_a_counterexample_from_the_first_attempt_is_confirmed_and_the_smallest(claim, monkeypatch):
    result = smt.refute(claim)
    assert result.verdict == "sat" == _default_only(claim)
    found = result.counterexample
    values = {v: found[str(v)] for v in claim.variables}
    assert not bool(claim.statement.xreplace({v: sympy.Integer(n) for v, n in values.items()}))
    # the smallest by the sum of absolute values, as the default solver's bisection finds it alone
    monkeypatch.setattr(smt, "QUICK_MS", 1)
    monkeypatch.setattr(smt, "_presolved", lambda ctx: z3.Solver(ctx=ctx))
    alone = smt.refute(claim).counterexample
    assert sum(map(abs, values.values())) == sum(abs(alone[str(v)]) for v in claim.variables)


def test_a_counterexample_does_not_depend_on_what_was_refuted_before():
    """Each call has a context of its own: in a shared one z3 chose among equally small counterexamples by the
    history of the context, so the same claim could show another one depending on which worker refuted it."""
    claims = [item.theorem for item in statements.corpus(160, seed=5) if not item.truth and not item.malformed][:40]
    alone = [smt.refute(claim).counterexample for claim in claims]
    order = list(range(len(claims)))
    random.Random(0).shuffle(order)
    after = {n: smt.refute(claims[n]).counterexample for n in order}
    assert [after[n] for n in range(len(claims))] == alone


def test_refute_does_not_mix_claims():
    claims = [theorems()["a-range"], FALSE[0], theorems()["relationship-6"], FALSE[1]]
    verdicts = [smt.refute(claim).verdict for claim in itertools.chain(claims, claims)]
    assert verdicts == ["unsat", "sat", "unsat", "sat"] * 2
