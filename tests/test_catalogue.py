"""The catalogue: every special case follows from the general formula, in sympy."""

import pytest
import sympy
from sympy import Eq, Mod, floor

import symconv
from symconv import ParameterError, relationship
from symconv.guide.catalogue import general
from symconv.core.symbols import a, d, i, k, n, p, s

NUMBERS = range(1, 16)


def _same(x, y):
    return sympy.simplify(x - y) == 0


@pytest.mark.parametrize("number", NUMBERS)
def test_special_case_follows_from_general(number):
    rel = relationship(number)
    top = general(rel.kind)
    if rel.kind == "transposed":
        # a is defined by the general relationship; substitute it on both sides.
        derived = rel.specialise(top.rhs.subs(a, top.equivalent.a))
        stated = rel.specialise(rel.rhs.subs(a, rel.equivalent.a))
    else:
        derived, stated = rel.specialise(top.rhs), rel.rhs
    assert _same(derived, stated), (derived, stated)


@pytest.mark.parametrize("number", range(8, 15))
def test_equivalent_convolution_follows_from_general(number):
    rel, top = relationship(number), general("transposed")
    for field in ("kernel_size", "stride", "p_prime", "stretched_input", "a"):
        assert _same(rel.specialise(getattr(top.equivalent, field)),
                     rel.specialise(getattr(rel.equivalent, field))), field


def test_pooling_is_convolution_without_padding():
    assert _same(relationship(7).rhs, relationship(6).rhs.subs(p, 0))


def test_relationship_6_is_15_without_dilation():
    assert _same(relationship(15).rhs.subs(d, 1), relationship(6).rhs)


def test_conditions_are_sympy_booleans():
    assert relationship(3).conditions == (Eq(k, 2 * n + 1), Eq(s, 1), Eq(p, n), Eq(d, 1))
    assert Eq(Mod(i + 2 * p - k, s), 0) in relationship(13).conditions
    for rel in symconv.RELATIONSHIPS.values():
        assert all(isinstance(c, sympy.logic.boolalg.Boolean) for c in rel.conditions)
        assert isinstance(rel.equation, Eq)


def test_relationships_are_usable_sympy():
    r14 = relationship(14)
    assert r14.equivalent.a == Mod(i + 2 * p - k, s)
    assert r14.rhs.subs({sympy.Symbol("i'", integer=True, positive=True): 3, a: 1, k: 3, p: 1, s: 2}) == 6
    assert relationship(6).rhs.has(floor)
    # stretched input i' + (s - 1)(i' - 1) from the guide
    assert _same(r14.equivalent.stretched_input.subs({s: 2}), 2 * symconv.i_prime - 1)


def test_catalogue_is_read_only_and_complete():
    assert sorted(symconv.RELATIONSHIPS) == list(NUMBERS)
    with pytest.raises(TypeError):
        symconv.RELATIONSHIPS[1] = None


@pytest.mark.parametrize("number", [0, 16, -1, "3", 2.0, True])
def test_bad_relationship_number(number):
    with pytest.raises(ParameterError, match=r"number=.* is invalid: a relationship number must be an integer from 1 to 15"):
        relationship(number)
