"""Coq's spelling of symconv's integers: identifiers, polynomials and the division atoms.

Every quantity is a ``Z``. ``⌊N/D⌋`` is ``N / D`` (``Z.div``, floor division),
``⌈N/D⌉`` is ``-((-N) / D)``, ``N mod D`` is ``N mod D`` (``Z.modulo``, which
takes the divisor's sign, like sympy), and ``max``, ``min``, ``|x|`` are
``Z.max``, ``Z.min``, ``Z.abs``. For a divisor other than 0 these are exactly
sympy's functions; the exporter makes sure no divisor can be 0.

Two printings share this module. :meth:`Printer.raw` keeps the theorem's own
shape (``d * (k - 1) + 1``) so that the exported statement reads like the
theorem. :meth:`Printer.poly` expands first, so that equal polynomials print
equal: an atom always prints the same way wherever it occurs, which is what lets
``remember`` in the proof find every occurrence of it.

>>> from sympy import floor, ceiling, Mod
>>> from symconv.core.symbols import i, k, s
>>> printer = Printer(Names([i, k, s]))
>>> printer.poly(floor((i - k) / s) + ceiling(i / s) - Mod(i, s))
'(- ((-i) / s)) + ((i - k) / s) - (i mod s)'
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable, Optional

import sympy
from sympy import Abs, Add, And, Max, Min, Mod, Mul, Not, Or, Pow, Tuple, ceiling, floor
from sympy.core.relational import Relational

from symconv.core.printing import _split, _term_key
from symconv.proof.checker import _cleared

ATOMS = (floor, ceiling, Mod, Max, Min, Abs)

#: Words a variable may not be called in Coq: its keywords, and the names the exporter uses itself.
RESERVED = frozenset("""
    as at by cofix else end exists exists2 fix for forall fun if in let match mod return then using where with
    Prop Set SProp Type Z I True False Lemma Theorem Proof Qed Definition Ltac lia nia ring eq_refl
    Admitted admit Axiom Axioms Parameter Abort
    """.split())
#: Words that would weaken a proof; user text in a comment never spells one (``A-dmitted``).
FORBIDDEN = re.compile(r"\b(Admitted|admit|Axiom|Axioms|Parameter|Abort)\b")
#: The exporter's own names (facts, atoms, equations): a variable never takes one.
GENERATED = re.compile(r"^(F|T|H|P|U|L|C|E|X|B|G|R|Def|t)\d*$")


class Untranslatable(Exception):
    """A term or a step the Coq printer cannot express; the caller decides what that means."""


class Names:
    """Sympy symbols to Coq identifiers: stable, unique, and never a keyword or one of the exporter's own names."""

    def __init__(self, symbols: Iterable[sympy.Symbol] = ()) -> None:
        self._ids: dict[sympy.Basic, str] = {}
        self._taken: set[str] = set()
        for symbol in symbols:
            self.add(symbol)

    def add(self, symbol: sympy.Basic) -> str:
        """The identifier of a user's symbol (or a certificate's ``q``, ``r``), made on first use."""
        if symbol not in self._ids:
            base = identifier(str(symbol))
            name, n = base, 1
            while name in self._taken:
                n += 1
                name = f"{base}_{n}"
            self._bind(symbol, name)
        return self._ids[symbol]

    def fresh(self, prefix: str, symbol: Optional[sympy.Basic] = None) -> str:
        """A name of the exporter's own (``t1``, ``L3``): :data:`GENERATED` keeps users' names out of these."""
        n = 1
        while f"{prefix}{n}" in self._taken:
            n += 1
        self._taken.add(f"{prefix}{n}")
        if symbol is not None:
            self._bind(symbol, f"{prefix}{n}")
        return f"{prefix}{n}"

    def _bind(self, symbol: sympy.Basic, name: str) -> None:
        self._ids[symbol] = name
        self._taken.add(name)

    def __getitem__(self, symbol: sympy.Basic) -> str:
        if symbol not in self._ids:
            raise Untranslatable(f"the symbol {symbol} has no Coq name")
        return self._ids[symbol]

    def __contains__(self, symbol: sympy.Basic) -> bool:
        return symbol in self._ids


def identifier(name: str) -> str:
    """A Coq identifier for a user's name: ASCII letters, digits, ``_`` and ``'``.

    >>> identifier("o(i)"), identifier("i'"), identifier("forall"), identifier("F3")
    ('o_i', "i'", 'v_forall', 'v_F3')
    """
    cleaned = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_']", "_", name)).strip("_") or "v"
    if (not re.match(r"[A-Za-z]", cleaned) or cleaned in RESERVED or GENERATED.match(cleaned)
            or cleaned.startswith("symconv_")):
        cleaned = "v_" + cleaned
    return cleaned


def comment(text: str) -> str:
    """User text made inert inside a Coq comment: no ``(*``, ``*)`` or string quote, one line."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(text)).replace('"', "''")
    text = FORBIDDEN.sub(lambda word: word.group(0)[0] + "-" + word.group(0)[1:], text)
    while "(*" in text or "*)" in text:
        text = text.replace("(*", "( *").replace("*)", "* )")
    return text


@functools.lru_cache(maxsize=4096)
def fraction(arg: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """``N, D`` with ``arg = N/D``, both expanded, and ``D`` of a fixed sign (``s - 1``, not ``1 - s``).

    Remembered: an export asks it of the same atoms again and again (equal trees give equal answers).
    """
    top, bottom = sympy.fraction(sympy.together(arg))
    top, bottom = sympy.expand(top), sympy.expand(bottom)
    if bottom.could_extract_minus_sign():  # one sign of ±D, the same one whatever form D came in
        top, bottom = sympy.expand(-top), sympy.expand(-bottom)
    return top, bottom


def atoms_of(expr: sympy.Basic) -> list[sympy.Basic]:
    """The atoms in ``expr``, innermost first, each once (in the order they are met)."""
    found: list[sympy.Basic] = []

    def walk(node: sympy.Basic) -> None:
        for arg in node.args:
            walk(arg)
        if isinstance(node, ATOMS) and node not in found:
            found.append(node)

    walk(sympy.sympify(expr))
    return found


Sub = Callable[[sympy.Basic], str]  # how an atom inside a term prints: in full, or by its name


class Printer:
    def __init__(self, names: Names) -> None:
        self.names = names

    # --- canonical: expanded, so equal values print equal --------------------------------

    def poly(self, expr: sympy.Basic, sub: Optional[Sub] = None) -> str:
        """An integer polynomial (atoms allowed), expanded and in a fixed order."""
        sub = sub or self.full
        terms = sorted(Add.make_args(sympy.expand(expr)), key=_term_key)
        out = ""
        for term in terms:
            coeff, factors = _split(term)
            if not coeff.is_Integer:
                raise Untranslatable(f"the coefficient {coeff} is not an integer")
            body = " * ".join(([str(abs(coeff))] if abs(coeff) != 1 or not factors else [])
                              + [self._factor(base, sub) for factor in factors for base in self._powers(factor)])
            out += ("-" if coeff < 0 else "") + body if not out else (" - " if coeff < 0 else " + ") + body
        return out or "0"

    def _powers(self, factor: sympy.Basic) -> list[sympy.Basic]:
        if isinstance(factor, Pow):
            if not (factor.exp.is_Integer and factor.exp > 0):
                raise Untranslatable(f"{factor} is not a polynomial term")
            return [factor.base] * int(factor.exp)
        return [factor]

    def _factor(self, factor: sympy.Basic, sub: Sub) -> str:
        if isinstance(factor, sympy.Symbol):
            return self.names[factor]
        if isinstance(factor, ATOMS):
            return sub(factor)
        if factor.is_Integer:
            return str(factor)
        raise Untranslatable(f"{factor} is not an integer polynomial term")

    def atom(self, atom: sympy.Basic, sub: Optional[Sub] = None) -> str:
        """One atom, parenthesised; the atoms inside it print by ``sub`` (in full by default)."""
        sub = sub or self.full
        if isinstance(atom, (floor, ceiling)):
            top, bottom = fraction(atom.args[0])
            if isinstance(atom, ceiling):
                return f"(- ({self._operand(-top, sub)} / {self._operand(bottom, sub)}))"
            return f"({self._operand(top, sub)} / {self._operand(bottom, sub)})"
        if isinstance(atom, Mod):
            return f"({self._operand(atom.args[0], sub)} mod {self._operand(atom.args[1], sub)})"
        if isinstance(atom, (Max, Min)):
            # Numbers first, then by text: Z.max 0 (i - k), whatever order sympy keeps.
            args = sorted((self._operand(arg, sub) for arg in atom.args), key=lambda t: (not t.isdigit(), t))
            name = "Z.max" if isinstance(atom, Max) else "Z.min"
            out = args[-1]
            for arg in reversed(args[:-1]):
                out = f"({name} {arg} {out})"
            return out
        if isinstance(atom, Abs):
            return f"(Z.abs {self._operand(atom.args[0], sub)})"
        raise Untranslatable(f"{atom} is not floor, ceiling, mod, max, min or |x|")

    def full(self, atom: sympy.Basic) -> str:
        return self.atom(atom, self.full)

    def _operand(self, expr: sympy.Basic, sub: Sub) -> str:
        text = self.poly(expr, sub)
        bare = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_']*|\d+|\(.*\)", text) and _balanced(text)
        return text if bare else f"({text})"

    # --- raw: the theorem's own shape --------------------------------------------------

    def raw(self, expr: sympy.Basic, sub: Optional[Sub] = None) -> str:
        """A statement, a hypothesis or a definition as the theorem writes it; atoms print canonically."""
        sub = sub or self.full
        if expr is sympy.true:
            return "True"
        if expr is sympy.false:
            return "False"
        if isinstance(expr, (And, Tuple)):
            return " /\\ ".join(self._clause(arg, sub) for arg in expr.args) if expr.args else "True"
        if isinstance(expr, Or):
            return " \\/ ".join(self._clause(arg, sub) for arg in expr.args)
        if isinstance(expr, Not):
            return f"~ {self._clause(expr.args[0], sub)}"
        if isinstance(expr, Relational):
            op = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[expr.rel_op]
            if _fractional(expr.lhs - expr.rhs):
                # As the checker does: both sides times the denominator (a positive number times positive
                # variables), which keeps the relation; any other denominator cannot be said in Z.
                gap = _cleared(expr.lhs - expr.rhs)
                if _fractional(gap):
                    raise Untranslatable(f"{expr} has a fraction that cannot be cleared")
                return f"{self.poly(gap, sub)} {op} 0"
            return f"{self._sum(expr.lhs, sub)} {op} {self._sum(expr.rhs, sub)}"
        if isinstance(expr, sympy.Expr):
            return self._sum(expr, sub)
        raise Untranslatable(f"{type(expr).__name__} has no Coq form")

    def _clause(self, expr: sympy.Basic, sub: Sub) -> str:
        text = self.raw(expr, sub)
        return f"({text})" if isinstance(expr, (And, Or, Tuple, Not, Relational)) else text

    def _sum(self, expr: sympy.Basic, sub: Sub) -> str:
        out = ""
        for term in sorted(Add.make_args(expr), key=_term_key):
            coeff, factors = _split(term)
            if not coeff.is_Integer:
                raise Untranslatable(f"the coefficient {coeff} is not an integer")
            parts = [str(abs(coeff))] if abs(coeff) != 1 or not factors else []
            for factor in factors:
                for base in self._powers(factor):
                    parts.append(self._raw_factor(base, sub))
            body = " * ".join(parts)
            out += ("-" if coeff < 0 else "") + body if not out else (" - " if coeff < 0 else " + ") + body
        return out or "0"

    def _raw_factor(self, factor: sympy.Basic, sub: Sub) -> str:
        if isinstance(factor, Add):
            return f"({self._sum(factor, sub)})"
        if isinstance(factor, Mul):
            return f"({self._sum(factor, sub)})"
        return self._factor(factor, sub)


def _fractional(expr: sympy.Basic) -> bool:
    """A fraction outside the atoms: a non-integer number or a division by a term."""
    def walk(node: sympy.Basic) -> bool:
        if isinstance(node, ATOMS):
            return False
        if (node.is_Rational and not node.is_Integer) or (isinstance(node, Pow) and node.exp.is_negative):
            return True
        return any(walk(arg) for arg in node.args)

    return walk(sympy.expand(expr))


def _balanced(text: str) -> bool:
    """``(a) + (b)`` starts and ends with parentheses but is not one parenthesised unit."""
    if not text.startswith("("):
        return True
    depth = 0
    for n, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and n < len(text) - 1:
            return False
    return True
