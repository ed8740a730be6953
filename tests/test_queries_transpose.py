"""``transpose`` puts numbers into the derived equivalent convolution: the same values as substituting them."""

import pytest
import sympy

from symconv.core import symbols as S
from symconv.guide.derive import transposed
from symconv.guide.queries import transpose
from symconv.guide.shapes import conv_output_size

GRID = [(k, s, (before, after), d, i) for k in (1, 3, 4) for s in (1, 2, 3) for before, after in ((0, 0), (1, 2), (4, 4))
        for d in (1, 2) for i in (5, 9, 12) if i + before + after >= d * (k - 1) + 1]


@pytest.mark.parametrize("k, s, padding, d, i", GRID)
def test_numbers_put_into_the_derived_convolution(k, s, padding, d, i):
    found = transpose(k, s, padding, d, input_size=i)
    general = transposed().equivalent
    values = {S.k: k, S.s: s, S.d: d, S.p_l: padding[0], S.p_r: padding[1], S.i: i}
    a = sympy.Mod(general.a.args[0].subs(values), s)
    values.update({S.a: a, S.i_prime: conv_output_size(i, k, s, padding, d)})
    for name in ("kernel_size", "stride", "dilation", "zeros_between", "stretched_input", "output_size"):
        assert getattr(found, name) == sympy.sympify(getattr(general, name)).subs(values), name
    assert found.padding == tuple(side.subs(values) for side in general.padding)
    assert found.output_size == i  # the transpose gives the input size back, with a = output_padding
    assert all(type(value) is int for value in (found.kernel_size, found.a, found.output_size, *found.padding))


def test_symbolic_parameters_are_substituted_as_subs_substitutes_them():
    n = sympy.Symbol("n", integer=True, positive=True)
    for k, s, i in ((S.k, 2, None), (3, S.s, n), (S.s, S.k, 7)):  # the last names parameters by other letters
        found = transpose(k, stride=s, padding=1, input_size=i)
        values = {S.k: k, S.s: s, S.d: 1, S.p_l: 1, S.p_r: 1}
        if i is not None:
            values[S.i] = i
        general = transposed().equivalent
        for name in ("kernel_size", "stride", "zeros_between"):
            assert getattr(found, name) == sympy.sympify(getattr(general, name)).subs(values), name
        assert found.padding == tuple(side.subs(values) for side in general.padding)
