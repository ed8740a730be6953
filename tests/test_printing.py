"""The printers write formulas in the guide's order, and never rewrite them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st
from sympy import (
    Abs, And, Eq, Expr, Max, Min, Mod, Mul, Ne, Not, Or, Rational, S, Symbol,
    SympifyError, ceiling, floor,
)

from symconv.core.printing import latex, text
from symconv.core.symbols import (
    a, d, i, i_prime, i_tilde, k, o, o_prime, p, p_l, p_prime, p_r, s,
)

# (expression, LaTeX, text)
CASES = [
    # The guide's relationships.
    (floor((i + 2*p - k)/s) + 1,
     r"\left\lfloor \frac{i + 2p - k}{s} \right\rfloor + 1", "⌊(i + 2p - k)/s⌋ + 1"),
    (i - k + 1, "i - k + 1", "i - k + 1"),
    (i + k - 1, "i + k - 1", "i + k - 1"),
    (s*(i_prime - 1) + a + k - 2*p,
     r"s \left(i' - 1\right) + a + k - 2p", "s(i' - 1) + a + k - 2p"),
    (floor((i + 2*p - k - (k - 1)*(d - 1))/s) + 1,
     r"\left\lfloor \frac{i + 2p - k - \left(k - 1\right) \left(d - 1\right)}{s} \right\rfloor + 1",
     "⌊(i + 2p - k - (k - 1)(d - 1))/s⌋ + 1"),
    (Eq(o_prime, s*(i_prime - 1) + a + k - 2*p),
     r"o' = s \left(i' - 1\right) + a + k - 2p", "o' = s(i' - 1) + a + k - 2p"),
    (i_prime + (s - 1)*(i_prime - 1),
     r"i' + \left(i' - 1\right) \left(s - 1\right)", "i' + (i' - 1)(s - 1)"),
    # Products: a coefficient is glued to a letter, sums are parenthesised.
    (d*(k - 1), r"d \left(k - 1\right)", "d(k - 1)"),
    (2*p, "2p", "2p"),
    (-2*p, "-2p", "-2p"),
    (i - 2*p, "i - 2p", "i - 2p"),
    (s*k, "s k", "s·k"),
    (i_prime*k, "i' k", "i'·k"),
    (3*2**k, r"3 \cdot 2^{k}", "3·2^k"),
    (s*floor(i/s), r"s \left\lfloor \frac{i}{s} \right\rfloor", "s⌊i/s⌋"),
    (k**2, "k^{2}", "k^2"),
    ((k - 1)**2, r"\left(k - 1\right)^{2}", "(k - 1)^2"),
    # Mod: parenthesised as an operand, and -Mod(x, s) differs from Mod(-x, s).
    (Mod(i + 2*p - k, s), r"\left(i + 2p - k\right) \bmod s", "(i + 2p - k) mod s"),
    (Mod(i, s), r"i \bmod s", "i mod s"),
    (-Mod(i, s), r"-\left(i \bmod s\right)", "-(i mod s)"),
    (Mod(-i, s), r"\left(-i\right) \bmod s", "(-i) mod s"),
    (2*Mod(i, s), r"2 \left(i \bmod s\right)", "2(i mod s)"),
    (Mod(i, s) + 1, r"\left(i \bmod s\right) + 1", "(i mod s) + 1"),
    (i - Mod(i, s), r"i - \left(i \bmod s\right)", "i - (i mod s)"),
    (Mod(i, 2*s), r"i \bmod \left(2s\right)", "i mod (2s)"),
    (Mod(Mod(i, s), k), r"\left(i \bmod s\right) \bmod k", "(i mod s) mod k"),
    (Mod(k**2, s), r"k^{2} \bmod s", "k^2 mod s"),
    (Mod(i, s)**2, r"\left(i \bmod s\right)^{2}", "(i mod s)^2"),
    (Max(a, Mod(i, s)), r"\max\left(i \bmod s, a\right)", "max(i mod s, a)"),  # an argument: bare
    (floor(Mod(i, s)/2), r"\left\lfloor \frac{\left(i \bmod s\right)}{2} \right\rfloor",
     "⌊(i mod s)/2⌋"),
    (Eq(Mod(i, s), 0), r"i \bmod s = 0", "i mod s = 0"),
    # Floors, ceilings and friends.
    (ceiling(i/s), r"\left\lceil \frac{i}{s} \right\rceil", "⌈i/s⌉"),
    (floor(k/2), r"\left\lfloor \frac{k}{2} \right\rfloor", "⌊k/2⌋"),
    (floor(floor(i/2)/2),
     r"\left\lfloor \frac{\left\lfloor \frac{i}{2} \right\rfloor}{2} \right\rfloor",
     "⌊⌊i/2⌋/2⌋"),
    (Max(a, k), r"\max\left(a, k\right)", "max(a, k)"),
    (Min(a, k), r"\min\left(a, k\right)", "min(a, k)"),
    (Max(0, i - k + 1), r"\max\left(i - k + 1, 0\right)", "max(i - k + 1, 0)"),
    (Abs(i - k), r"\left|i - k\right|", "|i - k|"),
    # Fractions.
    ((i - k)/s, r"\frac{i - k}{s}", "(i - k)/s"),
    (Mul(k - 1, Rational(1, 2), evaluate=False), r"\frac{k - 1}{2}", "(k - 1)/2"),
    ((k - 1)/2, r"\frac{k}{2} - \frac{1}{2}", "k/2 - 1/2"),  # sympy distributes the 1/2
    (Rational(3, 2)*k, r"\frac{3k}{2}", "3k/2"),
    (-k/2, r"-\frac{k}{2}", "-k/2"),
    (1/s, r"\frac{1}{s}", "1/s"),
    (i/(2*s), r"\frac{i}{2s}", "i/(2s)"),
    (i/(s*d), r"\frac{i}{s d}", "i/(s·d)"),
    (i/(s - 1), r"\frac{i}{s - 1}", "i/(s - 1)"),
    # Signs and numbers.
    (-k + i, "i - k", "i - k"),
    (-k - 1, "-k - 1", "-k - 1"),
    ((1 - k)*(d - 1), r"\left(-k + 1\right) \left(d - 1\right)", "(-k + 1)(d - 1)"),
    (Mul(k, -2, evaluate=False) + i, "i - 2k", "i - 2k"),
    (S(0), "0", "0"),
    (0, "0", "0"),
    (7, "7", "7"),
    (S(-3), "-3", "-3"),
    (Rational(-1, 2), r"-\frac{1}{2}", "-1/2"),
    # Symbol names.
    (i_tilde, r"\tilde{i}'", "ĩ'"),
    (2*i_tilde, r"2\tilde{i}'", "2ĩ'"),
    (i_tilde + p_l + p_r, r"\tilde{i}' + p_{l} + p_{r}", "ĩ' + p_l + p_r"),
    (p_prime*k, "p' k", "p'·k"),
    (Symbol("x_1") + Symbol("w"), "w + x_{1}", "w + x_1"),
    (Symbol("w") + i, "i + w", "i + w"),  # unknown letters after the guide's
    # Relations and conditions.
    (Eq(o, i), "o = i", "o = i"),
    (Ne(o, i), r"o \neq i", "o ≠ i"),
    (i <= k, r"i \leq k", "i ≤ k"),
    (i < k, "i < k", "i < k"),
    (i >= k, r"i \geq k", "i ≥ k"),
    (And(Eq(o, i), Eq(s, 1)), r"o = i \land s = 1", "o = i and s = 1"),
    (Or(Eq(o, i), And(Eq(s, 1), i < k)),
     r"o = i \lor \left(s = 1 \land i < k\right)", "o = i or (s = 1 and i < k)"),
    (Not(And(Eq(o, i), Eq(s, 1))), r"\neg \left(o = i \land s = 1\right)", "not (o = i and s = 1)"),
]


@pytest.mark.parametrize("expr, tex, txt", CASES, ids=[c[2] for c in CASES])
def test_latex(expr, tex, txt):
    assert latex(expr) == tex


@pytest.mark.parametrize("expr, tex, txt", CASES, ids=[c[2] for c in CASES])
def test_text(expr, tex, txt):
    assert text(expr) == txt


def test_rejects_strings():
    # A string would go through sympy's parser, which evaluates Python.
    with pytest.raises(SympifyError):
        latex("i + 1")


def test_products_stay_products(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a printer expanded its input")

    monkeypatch.setattr(Expr, "expand", refuse)
    assert text((k - 1)*(d - 1)) == "(k - 1)(d - 1)"
    assert latex((k - 1)*(d - 1)) == r"\left(k - 1\right) \left(d - 1\right)"
    assert text(i - (k - 1)*(d - 1)) == "i - (k - 1)(d - 1)"


_LETTERS = [i, k, s, p, d, a, i_prime, p_prime, p_l]

_exprs = st.recursive(
    st.sampled_from(_LETTERS) | st.integers(-3, 3).map(S),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda xy: xy[0] + xy[1]),
        st.tuples(inner, inner).map(lambda xy: xy[0] - xy[1]),
        st.tuples(inner, inner).map(lambda xy: xy[0] * xy[1]),
        inner.map(lambda x: -x),
        inner.map(lambda x: floor(x / s)),
        inner.map(lambda x: Mod(x, s)),
    ),
    max_leaves=8,
)


def _balanced(tex: str) -> bool:
    depth = 0
    for side in re.findall(r"\\(left|right)(?![a-zA-Z])", tex):
        depth += 1 if side == "left" else -1
        if depth < 0:
            return False
    return depth == 0


@settings(max_examples=200, deadline=None)
@given(_exprs)
def test_signs_and_brackets(expr):
    txt, tex = text(expr), latex(expr)
    for out in (txt, tex):
        assert "+ -" not in out and "- -" not in out
    assert "*" not in txt  # products are juxtaposed, never sympy's x*y
    assert _balanced(tex)
    assert txt.count("(") == txt.count(")")
