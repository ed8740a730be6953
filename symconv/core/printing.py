r"""Print formulas the way the guide writes them, in LaTeX or in terminal text.

sympy orders the terms of a sum canonically, so the guide's
``(i + 2p - k)/s`` comes out as ``(i - k + 2 p)/s``. The printers here subclass
sympy's and only *reorder* what they are given: they never expand or simplify,
so ``(k - 1)(d - 1)`` stays a product.

The order of a sum's terms: symbolic terms before pure numbers; positive terms
before negative ones; then by the rank of the term's highest-ranked symbol
(:data:`SYMBOL_ORDER`, unknown names after it, alphabetically); terms with the
same leading symbol by their next symbols, so ``k`` comes before
``(k - 1)(d - 1)``.

>>> from sympy import floor, Eq
>>> from symconv.core.symbols import i, k, s, p, o
>>> print(latex(Eq(o, floor((i + 2*p - k)/s) + 1)))
o = \left\lfloor \frac{i + 2p - k}{s} \right\rfloor + 1
>>> print(text(Eq(o, floor((i + 2*p - k)/s) + 1)))
o = ⌊(i + 2p - k)/s⌋ + 1
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Union

from sympy import (
    Abs, Add, And, Basic, Expr, Max, Min, Mod, Mul, Not, Or, Pow, Rational, S,
    Symbol, ceiling, default_sort_key, floor, sympify,
)
from sympy.core.relational import Relational
from sympy.logic.boolalg import Boolean
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

Printable = Union[Expr, Boolean, int]

#: The guide's reading order of its letters: input-like sizes first, then the
#: stride, the extra zeros, paddings, kernels, dilations and indices. ``s'``
#: is not in the guide's list; it sits next to ``s`` like ``k'`` next to ``k``.
SYMBOL_ORDER = (
    "ĩ'", "i'", "i", "o", "o'", "s", "s'", "a", "p_l", "p_r", "p", "p'",
    "k", "k'", "d", "d'", "n", "j", "t", "q", "r",
)
_RANK = {name: rank for rank, name in enumerate(SYMBOL_ORDER)}


def _symbol_rank(symbol: Basic) -> tuple[int, str]:
    return _RANK.get(symbol.name, len(SYMBOL_ORDER)), symbol.name


def _symbol_ranks(expr: Basic) -> tuple[tuple[int, str], ...]:
    return tuple(sorted(_symbol_rank(x) for x in expr.free_symbols))


def _split(expr: Basic) -> tuple[Expr, list[Basic]]:
    """The numeric coefficient and the other factors, in the order given.

    Reads the factors rather than calling ``as_coeff_Mul`` so that an
    unevaluated ``Mul(x, -2)`` is still seen as negative.
    """
    if expr.is_Number:
        return expr, []
    if not expr.is_Mul:
        return S.One, [expr]
    coeff, factors = S.One, []
    for arg in expr.args:
        c, f = _split(arg)
        coeff *= c
        factors += f
    return coeff, factors


def _term_key(term: Basic) -> tuple:
    # default_sort_key only breaks ties (k vs k**2), keeping output deterministic.
    return (
        not term.free_symbols,
        _split(term)[0].is_negative,
        _symbol_ranks(term),
        default_sort_key(term),
    )


def _factor_key(factor: Basic) -> tuple:
    # Letters, then delimited functions, then parenthesised sums: s(i' - 1).
    base = factor.base if factor.is_Pow else factor
    group = 2 if base.is_Add else 0 if base.is_Atom else 1
    return group, _symbol_ranks(factor), default_sort_key(factor)


def _is_denominator(factor: Basic) -> bool:
    return factor.is_Pow and _split(factor.exp)[0].is_negative


def _is_bare(expr: Basic) -> bool:
    """True for a letter or a natural number, which never need parentheses."""
    return expr.is_Symbol or (expr.is_Integer and not expr.is_negative)


def _is_delimited(expr: Basic) -> bool:
    """True for the letters and numbers of ``_is_bare``, and functions with their own brackets."""
    return _is_bare(expr) or isinstance(expr, (floor, ceiling, Max, Min, Abs))


class _GuideOrder:
    """The printing logic the LaTeX and text printers share.

    A subclass supplies the notation: ``_paren``, ``_join``, ``_frac``,
    ``_power``, ``_mod``, ``_call`` and the operator strings below.
    """

    _relations: dict[str, str]
    _and: str
    _or: str
    _not: str

    if TYPE_CHECKING:  # supplied by the printer subclasses (and sympy's Printer)
        def _print(self, expr: Basic) -> str: ...
        def _paren(self, body: str) -> str: ...
        def _join(self, coeff: Expr, factors: list[Basic]) -> str: ...
        def _frac(self, top: Expr, numer: list[Basic], bottom: Expr, denom: list[Basic]) -> str: ...
        def _power(self, base: str, exp: Expr) -> str: ...
        def _mod(self, left: str, right: str) -> str: ...
        def _call(self, name: str, args: str) -> str: ...

    def _wrapped(self, expr: Basic, bare: bool) -> str:
        return self._print(expr) if bare else self._paren(self._print(expr))

    def _operand(self, expr: Basic) -> str:
        """A factor of a product; a Mod is always wrapped, since ``y - x mod s`` is a guess."""
        return self._wrapped(expr, not (expr.is_Add or isinstance(expr, Mod)))

    def _print_Add(self, expr: Add, order: str | None = None) -> str:
        out = ""
        for term in sorted(Add.make_args(expr), key=_term_key):
            coeff, factors = _split(term)
            body = self._product(abs(coeff), factors)
            if not out:
                out = "-" + body if coeff.is_negative else body
            else:
                out += (" - " if coeff.is_negative else " + ") + body
        return out

    def _print_Mul(self, expr: Mul) -> str:
        return self._product(*_split(expr))

    def _print_Rational(self, expr: Rational) -> str:
        return self._product(expr, [])

    def _product(self, coeff: Expr, factors: list[Basic]) -> str:
        if coeff.is_negative:
            return "-" + self._product(-coeff, factors)
        top, bottom = coeff.as_numer_denom()
        numer = sorted((f for f in factors if not _is_denominator(f)), key=_factor_key)
        denom = sorted(
            (Pow(f.base, -f.exp) for f in factors if _is_denominator(f)), key=_factor_key
        )
        if bottom == 1 and not denom:
            return self._join(top, numer)
        return self._frac(top, numer, bottom, denom)

    def _print_Pow(self, expr: Pow) -> str:
        if _is_denominator(expr):
            return self._product(S.One, [expr])
        return self._power(self._wrapped(expr.base, _is_delimited(expr.base)), expr.exp)

    def _print_Mod(self, expr: Mod) -> str:
        left, right = expr.args
        # A power binds tighter than mod everywhere, so k^2 mod s is unambiguous.
        left_bare = _is_delimited(left) or (left.is_Pow and not _is_denominator(left))
        return self._mod(self._wrapped(left, left_bare), self._wrapped(right, _is_bare(right)))

    def _print_Max(self, expr: Max) -> str:
        return self._call("max", self._arguments(expr))

    def _print_Min(self, expr: Min) -> str:
        return self._call("min", self._arguments(expr))

    def _arguments(self, expr: Basic) -> str:
        # In guide order too: max(i - k + 1, 0), not sympy's max(0, i - k + 1).
        return ", ".join(self._print(arg) for arg in sorted(expr.args, key=_term_key))

    def _print_Relational(self, expr: Relational) -> str:
        op = self._relations[expr.rel_op]
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _connective(self, expr: Boolean, op: str) -> str:
        # Mixing "and" and "or" without parentheses relies on a precedence
        # most readers do not know.
        return op.join(
            self._paren(self._print(arg)) if isinstance(arg, (And, Or)) else self._print(arg)
            for arg in expr.args
        )

    def _print_And(self, expr: And) -> str:
        return self._connective(expr, self._and)

    def _print_Or(self, expr: Or) -> str:
        return self._connective(expr, self._or)

    def _print_Not(self, expr: Not) -> str:
        (arg,) = expr.args
        body = self._print(arg)
        return self._not + (self._paren(body) if arg.args else body)


class GuideLatexPrinter(_GuideOrder, LatexPrinter):
    """sympy's LaTeX printer with the guide's term order and notation."""

    _relations = {"==": "=", "!=": r"\neq", "<": "<", "<=": r"\leq", ">": ">", ">=": r"\geq"}
    _and = r" \land "
    _or = r" \lor "
    _not = r"\neg "
    _names = {"ĩ'": r"\tilde{i}'"}

    def _paren(self, body: str) -> str:
        return rf"\left({body}\right)"

    def _print_Symbol(self, expr: Symbol, style: str = "plain") -> str:
        return self._names.get(expr.name) or super()._print_Symbol(expr, style=style)

    def _join(self, coeff: Expr, factors: list[Basic]) -> str:
        out = "" if coeff == 1 and factors else str(coeff)
        for n, factor in enumerate(factors):
            body = self._operand(factor)
            if not out:
                sep = ""
            elif body[0].isdigit():
                sep = r" \cdot "
            elif n == 0 and (factor.is_Symbol or factor.is_Pow and factor.base.is_Symbol):
                sep = ""  # a coefficient and a letter: 2p, as the guide writes it
            else:
                sep = " "
            out += sep + body
        return out

    def _frac(self, top: Expr, numer: list[Basic], bottom: Expr, denom: list[Basic]) -> str:
        return rf"\frac{{{self._frac_side(top, numer)}}}{{{self._frac_side(bottom, denom)}}}"

    def _frac_side(self, coeff: Expr, factors: list[Basic]) -> str:
        # The fraction bar already groups, so a lone sum needs no parentheses.
        if coeff == 1 and len(factors) == 1 and factors[0].is_Add:
            return self._print(factors[0])
        return self._join(coeff, factors)

    def _power(self, base: str, exp: Expr) -> str:
        # Braces group the exponent; a Mod is wrapped anyway, as everywhere in an operation.
        return f"{base}^{{{self._wrapped(exp, not isinstance(exp, Mod))}}}"

    def _mod(self, left: str, right: str) -> str:
        return rf"{left} \bmod {right}"

    def _call(self, name: str, args: str) -> str:
        return rf"\{name}\left({args}\right)"

    def _print_floor(self, expr: floor) -> str:
        return rf"\left\lfloor {self._print(expr.args[0])} \right\rfloor"

    def _print_ceiling(self, expr: ceiling) -> str:
        return rf"\left\lceil {self._print(expr.args[0])} \right\rceil"

    def _print_Abs(self, expr: Abs) -> str:
        return rf"\left|{self._print(expr.args[0])}\right|"


class GuideStrPrinter(_GuideOrder, StrPrinter):
    """sympy's string printer with the guide's term order and unicode notation."""

    _relations = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
    _and = " and "
    _or = " or "
    _not = "not "

    def _paren(self, body: str) -> str:
        return f"({body})"

    def _join(self, coeff: Expr, factors: list[Basic]) -> str:
        out = "" if coeff == 1 and factors else str(coeff)
        for n, factor in enumerate(factors):
            body = self._operand(factor)
            # Juxtapose like the guide (2p, d(k - 1)) unless letters or digits
            # would run together: s·k, not sk; 3·2^k, not 32^k.
            run_together = body[0].isdigit() or (
                n > 0 and (out[-1].isalnum() or out[-1] == "'") and body[0].isalnum()
            )
            out += ("·" if out and run_together else "") + body
        return out

    def _frac(self, top: Expr, numer: list[Basic], bottom: Expr, denom: list[Basic]) -> str:
        denominator = self._join(bottom, denom)
        if (bottom != 1) + len(denom) > 1:
            denominator = self._paren(denominator)  # i/(2s), not i/2s
        return f"{self._join(top, numer)}/{denominator}"

    def _power(self, base: str, exp: Expr) -> str:
        return f"{base}^{self._wrapped(exp, _is_bare(exp))}"

    def _mod(self, left: str, right: str) -> str:
        return f"{left} mod {right}"

    def _call(self, name: str, args: str) -> str:
        return f"{name}({args})"

    def _print_floor(self, expr: floor) -> str:
        return f"⌊{self._print(expr.args[0])}⌋"

    def _print_ceiling(self, expr: ceiling) -> str:
        return f"⌈{self._print(expr.args[0])}⌉"

    def _print_Abs(self, expr: Abs) -> str:
        return f"|{self._print(expr.args[0])}|"


def latex(expr: Printable) -> str:
    r"""The LaTeX of ``expr`` (an expression, relation, condition or int), in guide order.

    >>> from sympy import Mod
    >>> from symconv.core.symbols import i, k, s, p
    >>> print(latex(Mod(i + 2*p - k, s)))
    \left(i + 2p - k\right) \bmod s
    """
    expr = sympify(expr, strict=True)
    try:
        return _latex(expr)
    except TypeError:  # unhashable (a mutable matrix): printed, not remembered
        return GuideLatexPrinter().doprint(expr)


def text(expr: Printable) -> str:
    """Readable unicode text of ``expr`` for a terminal, in guide order.

    >>> from sympy import floor
    >>> from symconv.core.symbols import i, k, s, p
    >>> text(floor((i + 2*p - k)/s) + 1)
    '⌊(i + 2p - k)/s⌋ + 1'
    """
    expr = sympify(expr, strict=True)
    try:
        return _text(expr)
    except TypeError:
        return GuideStrPrinter().doprint(expr)


# The documents print the same expressions many times over (each relationship's part is rendered on its own and
# inside the whole document): each is printed once. Equal sympy trees print alike, whatever object holds them.
@functools.lru_cache(maxsize=4096)
def _latex(expr: Basic) -> str:
    return GuideLatexPrinter().doprint(expr)


@functools.lru_cache(maxsize=4096)
def _text(expr: Basic) -> str:
    return GuideStrPrinter().doprint(expr)


__all__ = ["latex", "text", "SYMBOL_ORDER", "GuideLatexPrinter", "GuideStrPrinter"]
