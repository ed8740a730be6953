"""The model of a relationship of the guide: frozen data holding sympy values.

A relationship states an equation that holds under conditions. Conditions of
the form ``Eq(symbol, value)`` (``s = 1``, ``k = 2n + 1``) are substitutions;
any other condition (``(i + 2p - k) mod s = 0``) is a predicate. Specialising
an expression under the conditions substitutes the former and replaces each
predicate's left side by its right side, which is how the special cases follow
from the general formulas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Mapping, Optional

import sympy
from sympy import Eq, Expr

from symconv.core import display
from symconv.core import symbols as S

#: The layer kinds of the guide, named as symconv.layers.kinds names them.
Kind = Literal["conv", "pool", "transposed"]


@dataclass(frozen=True)
class Equivalent:
    """The direct convolution equivalent to a transposed one (the guide's k', s', p', ĩ', a).

    It runs on the stretched input (``zeros_between = s - 1`` zeros between
    the units of an input of size ``i'``), pads ``padding[0]`` before and
    ``padding[1] + a`` after (a negative padding crops), uses the kernel
    flipped, and has stride ``s' = 1``. Its output has size ``output_size``.
    """

    kernel_size: Expr
    stride: Expr
    dilation: Expr
    zeros_between: Expr
    padding: tuple[Expr, Expr]
    a: Expr
    input_size: Expr
    stretched_input: Expr
    output_size: Expr

    @property
    def p_prime(self) -> Expr:
        """The guide's ``p'``: the padding before."""
        return self.padding[0]


@dataclass(frozen=True)
class Relationship:
    """One of the guide's Relationships 1–15."""

    number: int
    title: str
    section: str
    kind: Kind
    conditions: tuple[sympy.Basic, ...]
    equation: Eq
    equivalent: Optional[Equivalent] = None
    example: Mapping[str, int] = field(default_factory=dict)
    figure: str = ""

    @property
    def lhs(self) -> Expr:
        return self.equation.lhs

    @property
    def rhs(self) -> Expr:
        return self.equation.rhs

    @cached_property
    def domain(self) -> sympy.Basic:
        """Where a kernel position fits at all: ``i + 2p >= d(k - 1) + 1``."""
        # Specialising evaluates the inequality under the conditions; evaluating the general one first
        # would only ask the assumptions the same question twice.
        return self.specialise(sympy.Ge(S.i + 2 * S.p, S.d * (S.k - 1) + 1, evaluate=False))

    @property
    def substitutions(self) -> dict[sympy.Symbol, Expr]:
        return {c.lhs: c.rhs for c in self.conditions if isinstance(c, Eq) and c.lhs.is_Symbol}

    @property
    def predicates(self) -> tuple[sympy.Basic, ...]:
        return tuple(c for c in self.conditions if not (isinstance(c, Eq) and c.lhs.is_Symbol))

    def specialise(self, expr: Any) -> Any:
        """``expr`` under this relationship's conditions.

        >>> from symconv import relationship
        >>> relationship(1).specialise(relationship(15).rhs)
        i - k + 1
        """
        # Every substitution replaces a symbol, so xreplace (one pass, simultaneous) does what subs would, without
        # subs's second pass through placeholders, whose floors and remainders sympy would evaluate again.
        substitutions = self.substitutions
        result = sympy.sympify(expr).xreplace(substitutions)
        for predicate in self.predicates:
            if isinstance(predicate, Eq):
                target = predicate.lhs.xreplace(substitutions)
                result = result.xreplace({target: predicate.rhs})
        return result

    def _repr_latex_(self) -> Optional[str]:
        return display.latex(self)

    def _repr_markdown_(self) -> Optional[str]:
        return display.markdown(self)
