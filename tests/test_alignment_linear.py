"""Alignment decisions read each size at i = M m + r as a line in m: the same lines sympy's substitution gives.

``alignment._linear`` computes slope and intercept exactly (floors of a m + b with integer a, sums, products
with numbers, minima of parallel lines); anything else goes to sympy. These tests hold every residue case to the
one computed by sympy's own substitution and evaluation, and the decisions to enumeration.
"""

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Eq, Poly, ceiling, floor

from symconv.core.errors import ParameterError
from symconv.core.symbols import i
from symconv.layers import Layer, Stack, parse_stack, sizes
from symconv.layers import alignment
from symconv.layers import layer as layer_module
from symconv.layers.alignment import (
    _case, _linear, aligned_inputs, exact_inputs, inputs_for_output, m, same_size_inputs, valid_input_sizes,
)
from symconv.layers.simplify import _expressions

UNET = ("conv k=3 p=1 @e1; pool k=2; conv k=3 p=1 @e2; pool k=2; conv k=3 p=1 @e3; pool k=2; conv k=3 p=1 @e4; "
        "pool k=2; conv k=3 p=1; tconv k=2 s=2 @d4; conv k=3 p=1; tconv k=2 s=2 @d3; conv k=3 p=1; "
        "tconv k=2 s=2 @d2; conv k=3 p=1; tconv k=2 s=2 @d1 | e4=d4, e3=d3, e2=d2, e1=d1")
STACKS = [
    UNET,
    "pool k=2 @a; pool k=2; tconv k=2 s=2 @b | a=b",
    "conv k=7 s=2 p=3; pool k=3 s=2 p=1 ceil @a; conv k=3 s=2 p=1; upsample f=2 @b | a=b",
    "pool k=3 s=2 ceil @a; conv k=3 s=2 p=1; upsample f=4 @b | a=b",
    "pool k=3 s=2 p=1 ceil @a; pool k=2 s=2 ceil; tconv k=3 s=2 p=1 op=1 @b | a=b",
    "conv k=4 s=2 scheme=tf-same @a; conv k=3 s=2 scheme=tf-same; tconv k=4 s=4 @b | a=b",
    "conv k=5 s=3 d=2 p=2 @a; tconv k=3 s=3 @b | a=b",
]
DECISIONS = [valid_input_sizes, same_size_inputs, exact_inputs, lambda stack: inputs_for_output(stack, 7)]


def _by_sympy(side, modulus, residue):
    """A size at i = M m + r as sympy substitutes and evaluates it, with its slope and intercept."""
    expr = sympy.sympify(side).subs(i, modulus * m + residue)
    assert expr.free_symbols <= {m} and Poly(expr, m).degree() <= 1
    return expr, expr.coeff(m, 1), expr.coeff(m, 0)


def _check_cases(decision, pairs):
    for case in decision.cases:
        expected = [Eq(_by_sympy(a, decision.modulus, case.residue)[0], _by_sympy(b, decision.modulus, case.residue)[0],
                       evaluate=False) for a, b in pairs]
        assert [sympy.srepr(c) for c in case.conditions] == [sympy.srepr(c) for c in expected], case.residue


@pytest.mark.parametrize("text", STACKS)
def test_every_residue_case_is_the_one_sympy_substitution_gives(text):
    stack = parse_stack(text)
    decision = aligned_inputs(stack)
    exprs = _expressions(stack, i)
    index = [(stack.tap_index(a), stack.tap_index(b)) for a, b in stack.pairs]
    _check_cases(decision, [(exprs[a], exprs[b]) for a, b in index])
    for residue in range(decision.modulus):
        for expr in exprs:
            form = _linear(expr, i, decision.modulus, residue)
            _, slope, intercept = _by_sympy(expr, decision.modulus, residue)
            assert form is None or (form[0], form[1]) == (slope, intercept), (expr, residue)


@pytest.mark.parametrize("text", STACKS)
def test_decisions_are_the_same_when_sympy_substitutes_every_side(text, monkeypatch):
    stack = parse_stack(text)
    decide = [aligned_inputs, *DECISIONS]
    fast = [decision(stack) for decision in decide]
    monkeypatch.setattr(alignment, "_linear", lambda *args: None)
    layer_module._REMEMBERED.clear()
    assert [decision(stack) for decision in decide] == fast


@pytest.mark.parametrize("expr", [
    floor(i / 3) * floor(i / 5),   # a product of two terms in m
    floor(i / 32),                 # with M = 16: ⌊m/2 + r/32⌋ is not linear in m
    sympy.Min(i, 20 - i),          # minima of lines that are not parallel
    sympy.Mod(i, 3),               # a form it does not read
])
def test_what_is_not_read_as_a_line_is_left_to_sympy(expr):
    assert _linear(expr, i, 16, 3) is None


def test_parallel_minima_and_ceilings_are_read_exactly():
    expr = sympy.Min(ceiling(i / 4) + 1, floor(i / 4) + 2) - 3
    for residue in range(8):
        assert _linear(expr, i, 8, residue) == tuple(_by_sympy(expr, 8, residue)[1:])


def test_a_nonlinear_condition_is_an_internal_error():
    with pytest.raises(Exception, match="not linear in m"):
        _case(1, 4, [(floor(i / 8), 0)], i)


@st.composite
def _layers(draw):
    op = draw(st.sampled_from(["conv", "pool", "tconv", "upsample"]))
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    if op == "pool":
        padding = (draw(st.integers(0, k // 2)), draw(st.integers(0, k // 2)))
        return Layer("pool", k, s, padding, d, ceil_mode=draw(st.booleans()))
    if op == "upsample":
        return Layer("upsample", draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    if op == "tconv":
        return Layer("tconv", k, s, padding, d, draw(st.integers(0, max(s, d) - 1)))
    return Layer("conv", k, s, padding, d)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_layers(), min_size=2, max_size=5), st.data())
def test_aligned_cases_match_sympy_and_enumeration(layers, data):
    a = data.draw(st.integers(0, len(layers) - 2))
    b = data.draw(st.integers(a + 1, len(layers) - 1))
    layers = [Layer(**{**layer.__dict__, "tap": tap}) if n in (a, b) else layer
              for n, layer, tap in ((n, layer, "a" if n == a else "b") for n, layer in enumerate(layers))]
    stack = Stack(layers, (("a", "b"),))
    try:
        decision = aligned_inputs(stack)
    except ParameterError:  # the product of the strides is beyond the period budget
        return
    exprs = _expressions(stack, i)
    _check_cases(decision, [(exprs[a], exprs[b])])
    for n in range(1, 60):  # the decision's own check runs a window too; this one is independent of it
        try:
            found = sizes(stack, n)
        except ParameterError:
            found = None
        assert (n in decision.answer) == (found is not None and found[a] == found[b]), n
