"""Where sympy 1.14 evaluates wrongly, and how symconv builds around it.

Two faults of sympy 1.14.0 (fixed upstream, in no release yet) give a wrong number without a word:

- **a remainder with a remainder inside a product**: taking a factor out, ``Mod`` squares the inner remainder, so
  ``Mod(2*Mod(x, y), 3)`` becomes ``Mod(2*Mod(x, y)**2, 3)`` (sympy/sympy#28744, #29757);
- **a product sympy calls an integer**: with a rational coefficient whose denominator is even but not a power of
  two, times a factor sympy knows to be even, sympy 1.14 counts only the twos (sympy/sympy#28442): ``k(2k + 4)/6``
  "is an integer", so ``floor(k(2k + 4)/6)`` evaluates to ``k(2k + 4)/6`` (16/6 at k = 2) and
  ``(k(2k + 4)) mod 6`` to 0 (4 at k = 2).

:func:`evaluated` builds a node as sympy evaluates it, unless it holds one of these (:func:`suspect`): then as
written, which is exact. The parser and every substitution (:mod:`symconv.core.rebuild`) build that way, and the
proof kernel reasons about no expression that holds one (it says ``unproved``; the checker refuses).

>>> from symconv.core.symbols import k
>>> import sympy
>>> evaluated(sympy.floor, (k * (2 * k + 4) / 6,)), sympy.floor(k * (2 * k + 4) / 6)
(floor(k*(2*k + 4)/6), k*(2*k + 4)/6)
"""

from __future__ import annotations

from typing import Any, Optional

import sympy

#: The classes whose evaluation asks sympy's assumptions about their arguments (Add and Mul only gather terms).
_ASSUMING = (sympy.floor, sympy.ceiling, sympy.Mod, sympy.Max, sympy.Min, sympy.Abs, sympy.Eq, sympy.Ne,
             sympy.Lt, sympy.Le, sympy.Gt, sympy.Ge)


def evaluated(func: Any, args: tuple) -> Any:
    """``func(*args)`` as sympy evaluates it, or unevaluated where sympy 1.14 would get it wrong."""
    if func in _ASSUMING and (any(_misjudged_inside(arg) for arg in args)
                              or (func is sympy.Mod and _squares(*args))):
        return func(*args, evaluate=False)
    return func(*args)


def suspect(expr: Any) -> Optional[sympy.Basic]:
    """The first part of ``expr`` that sympy 1.14 may evaluate wrongly, or None.

    Wider than what :func:`evaluated` keeps as written: a product with a remainder anywhere inside a remainder's
    arguments counts, since a later step (a case of a max, a substitution) can bring it to the surface. The proof
    kernel reasons about no expression with one.
    """
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.Mul):
        return None
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Mul) and _misjudged(node):
            return node
        if isinstance(node, sympy.Mod):
            dividend, divisor = node.args
            if _remainder_in_a_product(dividend) or _remainder_in_a_product(divisor):
                return node
            if divisor.is_Integer and divisor != 0 and suspect(dividend / divisor) is not None:
                return node  # Mod asks whether dividend/divisor is an integer
    return None


def _misjudged_inside(expr: Any) -> bool:
    return isinstance(expr, sympy.Basic) and expr.has(sympy.Mul) and any(
        isinstance(node, sympy.Mul) and _misjudged(node) for node in sympy.preorder_traversal(expr))


def _squares(dividend: Any, divisor: Any) -> bool:
    """Whether sympy's ``Mod`` would meet, in the dividend it works on, a product with a remainder factor: the
    dividend itself, a term of it, the dividend of a remainder it unnests, or the quotient it tests."""
    dividend, divisor = (sympy.Integer(v) if isinstance(v, int) else v for v in (dividend, divisor))
    if not (isinstance(dividend, sympy.Basic) and isinstance(divisor, sympy.Basic)):
        return False  # sympy's Mod refuses it itself
    met = [dividend, *(dividend.args if isinstance(dividend, (sympy.Add, sympy.Mod)) else ())]
    if any(_remainder_factor(part) for part in met) or _remainder_factor(divisor):
        return True
    return bool(divisor.is_Integer and divisor != 0 and _misjudged_inside(dividend / divisor))


def _remainder_factor(expr: sympy.Basic) -> bool:
    return isinstance(expr, sympy.Mul) and any(
        isinstance(f, sympy.Mod) or (isinstance(f, sympy.Pow) and isinstance(f.base, sympy.Mod)) for f in expr.args)


def _misjudged(product: sympy.Mul) -> bool:
    """A coefficient with an even denominator that is not a power of two, and a factor sympy knows is even."""
    coefficient = product.as_coeff_Mul()[0]
    if not coefficient.is_Rational or coefficient.is_Integer:
        return False
    q = int(coefficient.q)
    return q % 2 == 0 and q & (q - 1) != 0 and any(factor.is_even for factor in product.args
                                                    if factor is not coefficient)


def _remainder_in_a_product(expr: Any) -> bool:
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.Mod):
        return False
    return any(isinstance(node, sympy.Mul) and node.has(sympy.Mod) for node in sympy.preorder_traversal(expr))
