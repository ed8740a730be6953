"""The guide's Relationships 1–15, stated as the guide states them.

This is data, not machinery: each entry records the guide's equation, its
conditions and, for 8–14, the equivalent direct convolution of the transposed
one. The general formulas are Relationship 15 (convolution) and 14 (transposed
convolution); the tests and ``symconv prove`` show that every other entry is
what the general one becomes under its conditions.

The guide writes ``s' = s`` in Relationships 8–11, where ``s = 1``: the
equivalent convolution has unit stride in every transposed case, so it is
recorded as 1 here.

>>> from symconv.core.printing import text
>>> text(relationship(6).equation)
'o = ⌊(i + 2p - k)/s⌋ + 1'
>>> text(relationship(14).equivalent.a)
'(i + 2p - k) mod s'
"""

from __future__ import annotations

from functools import lru_cache, partial
from types import MappingProxyType
from typing import Mapping

import sympy

from symconv.core.errors import ParameterError
from symconv.guide.model import Equivalent, Kind, Relationship
from symconv.core.symbols import a, d, i, i_prime, k, n, o, o_prime, p, s

_CONV: Kind = "conv"

# The table is written out already in sympy's canonical form, so it is built without asking sympy to evaluate
# Eq, floor and Mod: evaluating them queries the assumptions of every side, which is most of what `symconv list`
# would spend here. tests/test_derive_solving.py rebuilds every expression with evaluation and finds it unchanged.
Eq = partial(sympy.Eq, evaluate=False)
Mod = partial(sympy.Mod, evaluate=False)
floor = partial(sympy.floor, evaluate=False)


def _transposed(number, title, section, conditions, rhs, p_prime, a_value=0, **extra) -> Relationship:
    equivalent = Equivalent(
        kernel_size=k, stride=1, dilation=1, zeros_between=s - 1, padding=(p_prime, p_prime), a=a_value,
        input_size=i_prime, stretched_input=i_prime + (s - 1) * (i_prime - 1), output_size=rhs)
    return Relationship(number, title, section, "transposed", conditions, Eq(o_prime, rhs), equivalent, **extra)


@lru_cache(maxsize=1)
def _catalogue() -> dict[int, Relationship]:
    unit = (Eq(s, 1), Eq(d, 1))
    entries = [
        Relationship(1, "No zero padding, unit strides", "2.1", _CONV,
                     (Eq(s, 1), Eq(p, 0), Eq(d, 1)), Eq(o, (i - k) + 1),
                     example=dict(i=4, k=3, s=1, p=0), figure="2.1"),
        Relationship(2, "Zero padding, unit strides", "2.2", _CONV,
                     unit, Eq(o, (i - k) + 2 * p + 1),
                     example=dict(i=5, k=4, s=1, p=2), figure="2.2"),
        Relationship(3, "Half (same) padding", "2.2.1", _CONV,
                     (Eq(k, 2 * n + 1), Eq(s, 1), Eq(p, n), Eq(d, 1)), Eq(o, i),
                     example=dict(i=5, k=3, s=1, p=1), figure="2.3"),
        Relationship(4, "Full padding", "2.2.2", _CONV,
                     (Eq(p, k - 1), Eq(s, 1), Eq(d, 1)), Eq(o, i + (k - 1)),
                     example=dict(i=5, k=3, s=1, p=2), figure="2.4"),
        Relationship(5, "No zero padding, non-unit strides", "2.3", _CONV,
                     (Eq(p, 0), Eq(d, 1)), Eq(o, floor((i - k) / s) + 1),
                     example=dict(i=5, k=3, s=2, p=0), figure="2.5"),
        Relationship(6, "Zero padding, non-unit strides", "2.4", _CONV,
                     (Eq(d, 1),), Eq(o, floor((i + 2 * p - k) / s) + 1),
                     example=dict(i=5, k=3, s=2, p=1), figure="2.6"),
        Relationship(7, "Pooling", "3", "pool",
                     (Eq(p, 0), Eq(d, 1)), Eq(o, floor((i - k) / s) + 1),
                     example=dict(i=5, k=3, s=1, p=0), figure="1.6"),
        _transposed(8, "No zero padding, unit strides, transposed", "4.3",
                    (Eq(s, 1), Eq(p, 0), Eq(d, 1)), i_prime + (k - 1), k - 1,
                    example=dict(i=4, k=3, s=1, p=0), figure="4.1"),
        _transposed(9, "Zero padding, unit strides, transposed", "4.4",
                    unit, i_prime + (k - 1) - 2 * p, k - p - 1,
                    example=dict(i=5, k=4, s=1, p=2), figure="4.2"),
        _transposed(10, "Half (same) padding, transposed", "4.4.1",
                    (Eq(k, 2 * n + 1), Eq(s, 1), Eq(p, n), Eq(d, 1)), i_prime, p,
                    example=dict(i=5, k=3, s=1, p=1), figure="4.3"),
        _transposed(11, "Full padding, transposed", "4.4.2",
                    (Eq(p, k - 1), Eq(s, 1), Eq(d, 1)), i_prime - (k - 1), 0,
                    example=dict(i=5, k=3, s=1, p=2), figure="4.4"),
        _transposed(12, "No zero padding, non-unit strides, transposed", "4.5",
                    (Eq(p, 0), Eq(Mod(i - k, s), 0), Eq(d, 1)), s * (i_prime - 1) + k, k - 1,
                    example=dict(i=5, k=3, s=2, p=0), figure="4.5"),
        _transposed(13, "Zero padding, non-unit strides, transposed", "4.6",
                    (Eq(Mod(i + 2 * p - k, s), 0), Eq(d, 1)), s * (i_prime - 1) + k - 2 * p, k - p - 1,
                    example=dict(i=5, k=3, s=2, p=1), figure="4.6"),
        _transposed(14, "Zero padding, non-unit strides, transposed (any input size)", "4.6",
                    (Eq(d, 1),), s * (i_prime - 1) + a + k - 2 * p, k - p - 1, Mod(i + 2 * p - k, s),
                    example=dict(i=6, k=3, s=2, p=1), figure="4.7"),
        Relationship(15, "Dilated convolution", "5.1", _CONV,
                     (), Eq(o, floor((i + 2 * p - k - (k - 1) * (d - 1)) / s) + 1),
                     example=dict(i=7, k=3, s=1, p=0, d=2), figure="5.1"),
    ]
    return {entry.number: entry for entry in entries}


def relationship(number: int) -> Relationship:
    """Relationship ``number`` (1–15) of the guide.

    >>> relationship(3).conditions
    (Eq(k, 2*n + 1), Eq(s, 1), Eq(p, n), Eq(d, 1))
    """
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 15:
        raise ParameterError("number", number, "a relationship number must be an integer from 1 to 15")
    return _catalogue()[number]


def relationships() -> Mapping[int, Relationship]:
    """All fifteen, by number (read-only)."""
    return MappingProxyType(_catalogue())


def general(kind: str) -> Relationship:
    """The relationship every other of its kind specialises: 15, or 14 for transposed."""
    return relationship(14 if kind == "transposed" else 15)
