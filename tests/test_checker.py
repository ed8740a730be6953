"""The checker's matching of starting facts: an exact match first, then a match after expansion; nothing else."""

import dataclasses

import pytest
import sympy

from symconv.core import symbols as S
from symconv.guide.theorems import theorem
from symconv.proof import certificate as C
from symconv.proof.checker import CheckError, _same, check
from symconv.proof.prover import search


@pytest.fixture(scope="module")
def proved():
    thm = theorem("round-trip")
    return thm, search(thm)


def test_a_starting_fact_written_another_way_is_still_recognised(proved):
    thm, certificate = proved
    # The same fact, not expanded: the exact comparison misses it, and the one after expansion finds it.
    changed = [C.Fact(f.kind, sympy.Mul(2, f.expr / 2, evaluate=False), f.source) for f in certificate.facts]
    assert any(f.expr != g.expr for f, g in zip(changed, certificate.facts))
    assert check(thm, dataclasses.replace(certificate, facts=tuple(changed))) == check(thm, certificate)


@pytest.mark.parametrize("forged", [C.Fact("ge", S.i - 5, "made up"), C.Fact("eq", S.i - 1, "made up"),
                                    C.Fact("ne", S.k, "made up"), C.Fact("eq", S.i, "a sign assumption as an equation")])
def test_a_starting_fact_that_is_no_hypothesis_is_rejected(proved, forged):
    thm, certificate = proved
    with pytest.raises(CheckError, match="neither a sign assumption nor a hypothesis"):
        check(thm, dataclasses.replace(certificate, facts=(*certificate.facts, forged)))


@pytest.mark.parametrize("a, b, same", [
    (S.i + S.k, S.k + S.i, True),
    ((S.i + 1) ** 2, S.i ** 2 + 2 * S.i + 1, True),
    (sympy.floor(S.i / 2) + 1, sympy.floor(S.i / 2) + 1, True),
    (sympy.floor(S.i / 2), sympy.floor((S.i + 1) / 2), False),
    (S.i, S.i + 1, False),
])
def test_same_is_equality_of_the_expansions(a, b, same):
    assert _same(a, b) is same and (sympy.expand(a - b) == 0) is same
