"""Checks on the parameters users pass in: one place, one message shape.

Numbers are checked exactly. Sympy values are checked three-valuedly, as
sympy's own assumptions are: a value that provably breaks the rule raises, one
that provably keeps it passes, and an undecided one passes on to the formula.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any, Union

from symconv.core.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import sympy

Int = Union[int, "sympy.Expr"]  #: an int, or a sympy expression for symbolic use


def _is_sympy(value: Any) -> bool:
    return type(value).__module__.startswith("sympy")


def integer(name: str, value: Any, minimum: int, what: str) -> Int:
    """``value`` as an int (or a sympy expression) that is at least ``minimum``.

    >>> integer("stride", 2, 1, "a positive integer")
    2
    >>> integer("stride", 0, 1, "a positive integer")
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: stride=0 is invalid: stride must be a positive integer
    """
    if type(value) is int and value >= minimum:  # the common case, first: sizes run every layer for many inputs
        return value
    rule = f"{name} must be {what}"
    if _is_sympy(value):
        from sympy import Ge, S

        if value.is_integer is False:
            raise ParameterError(name, value, rule)
        if value.is_Integer:
            value = int(value)
        elif Ge(value, minimum) is S.false:
            raise ParameterError(name, value, rule)
        else:
            return value
    if isinstance(value, bool):
        raise ParameterError(name, value, rule)
    try:
        number = operator.index(value)
    except TypeError:
        raise ParameterError(name, value, rule) from None
    if number < minimum:
        raise ParameterError(name, number, rule)
    return number


def positive(name: str, value: Any) -> Int:
    return integer(name, value, 1, "a positive integer")


def nonnegative(name: str, value: Any) -> Int:
    return integer(name, value, 0, "a nonnegative integer")


def padding_pair(name: str, value: Any) -> tuple[Int, Int]:
    """An int padding, or a ``(before, after)`` pair, as a pair.

    >>> padding_pair("padding", 1), padding_pair("padding", (0, 2))
    ((1, 1), (0, 2))
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ParameterError(
                name, tuple(value), f"{name} must be an int or a (before, after) pair"
            )
        return nonnegative(f"{name}[0]", value[0]), nonnegative(f"{name}[1]", value[1])
    amount = nonnegative(name, value)
    return amount, amount


def known(value: Any) -> bool:
    """True when ``value`` is a plain int, so exact checks can run on it."""
    return isinstance(value, int)
