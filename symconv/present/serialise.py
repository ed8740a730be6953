"""JSON for every command: expressions that read back, sets of sizes as structures, numbers as numbers.

One encoder, :func:`dumps`, walks dicts, lists, tuples and dataclasses and encodes each leaf:

- ``None``, a bool, an int (sympy's ``Integer`` too), a float or a string as itself;
- an exact fraction (``Fraction``, sympy's ``Rational``) as ``{"numerator": n, "denominator": d}``;
  sympy's ``true`` and ``false`` as booleans;
- a sympy ``Tuple`` (a system of equations) as a list;
- any other sympy expression, relation or condition as an *expression object*
  ``{"expr": E, "text": T, "latex": L}``. ``E`` is sympy's ``str()`` form with symconv's symbols
  written as identifiers (``i'`` as ``i_prime``) and every relation as a call (``Ge(i, k)``): both
  ``sympy.parse_expr(E, local_dict=names())`` and :func:`symconv.core.parsing.parse_expression`
  (``parse_claim`` for a condition) read it back to an equal expression. ``T`` and ``L`` are the
  guide's notation in text and LaTeX. An expression with symbols of its own (a scheme's parameter,
  the unsigned ``o`` and ``a`` of a scheme's claims, a prover's fresh variable) lists them in
  ``"symbols"``, which :func:`names` takes. A small power is written as the product it is (``i*i``);
- a set of input sizes (``symconv.layers.InputSizes``) as
  ``{"modulus", "residues", "min", "also", "except", "text"}``;
- a :class:`PerAxis` list as a list whose item n takes its values at the n-th input size.

Anything else is a bug in symconv and raises ``TypeError``: nothing is written as its ``str()``.

>>> import json, sympy
>>> from symconv.core.symbols import i, k
>>> data = json.loads(dumps({"o": sympy.floor((i - k) / 2) + 1, "stride": sympy.Rational(1, 16)}))
>>> data["o"]["expr"], data["o"]["text"], data["stride"]
('floor(i/2 - k/2) + 1', '⌊i/2 - k/2⌋ + 1', {'numerator': 1, 'denominator': 16})
>>> sympy.parse_expr(data["o"]["expr"], local_dict=names()) == sympy.floor((i - k) / 2) + 1
True

With an input size, every expression also carries its ``"value"`` there:

>>> json.loads(dumps({"o": sympy.floor(i / 2) + 1}, input_size=160))["o"]["value"]
81
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import math
import numbers
import re
import sys
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Optional, Union

from symconv.core.errors import ParameterError, ParseError, SchemeError, SymconvError

InputSize = Union[int, Sequence[int], None]

#: the domain of a symbol in an expression object's ``"symbols"``, and its sympy assumptions
DOMAINS: dict[str, dict[str, bool]] = {
    "positive": {"integer": True, "positive": True},
    "nonnegative": {"integer": True, "nonnegative": True},
    "integer": {"integer": True},
    "any": {},
}

#: the largest exponent written out as a product (i*i for i**2); symconv's parser reads 200 nodes at most
MAX_POWER = 16

# The functions of the grammar both parsers read; a symbol must not shadow one.
_GRAMMAR_NAMES = frozenset({"floor", "ceiling", "ceil", "Mod", "mod", "Max", "max", "Min", "min", "Abs", "abs",
                            "Eq", "Ne", "True", "False", "None"})
_RELATIONS = {"==": "Eq", "!=": "Ne", "<": "Lt", "<=": "Le", ">": "Gt", ">=": "Ge"}
# How a symbol name that is not a Python identifier is written: i' as i_prime, o(i) as o_of_i.
_SPELLINGS = (("'", "_prime"), ("ĩ", "i_tilde"), ("(", "_of_"), (")", ""))


def _sympy() -> Any:
    """sympy if it is loaded. Without it no leaf can be a sympy object, and ``shape`` stays sympy-free."""
    return sys.modules.get("sympy")


def _core_symbols() -> dict[str, Any]:
    """symconv's symbols by identifier. A later symbol that prints like an earlier one (a scheme's claimed
    ``o``, with no sign) is not one of them: it is written as a symbol of its own, listed in ``"symbols"``."""
    from sympy import Symbol

    from symconv.core import symbols

    table: dict[str, Any] = {}
    for name in symbols.__all__:
        value = getattr(symbols, name)
        if isinstance(value, Symbol) and all(value.name != known.name for known in table.values()):
            table[name] = value
    return table


def names(symbols: Optional[Mapping[str, Mapping[str, str]]] = None) -> dict[str, Any]:
    """The ``local_dict`` that reads an expression object's ``"expr"`` back: ``{name: symbol}``.

    symconv's symbols (``i``, ``k``, ``s``, ``p``, ``d``, ``o``, ``a``, ``n``, ``p_l``, ``p_r``,
    ``i_prime``, ``o_prime``, ``k_prime``, ``s_prime``, ``d_prime``, ``p_prime``, ``i_tilde``,
    ``j``, ``t``), plus the ``"symbols"`` of one expression object, if it has any.

    >>> names()["i_prime"]
    i'
    >>> names({"q": {"name": "q", "domain": "nonnegative"}})["q"].is_nonnegative
    True
    """
    from sympy import Symbol

    table = _core_symbols()
    for identifier, entry in (symbols or {}).items():
        table[identifier] = Symbol(entry["name"], **DOMAINS[entry["domain"]])
    return table


def _identifier(name: str) -> str:
    if name.isidentifier():
        return name
    for old, new in _SPELLINGS:
        name = name.replace(old, new)
    return name


class _Writer:
    """sympy's str() form, with every symbol checked and written as an identifier both parsers read.

    Within one expression object an identifier names one symbol: a symbol that is not symconv's (a scheme's
    parameter, its claimed ``o`` with no sign) is listed in ``extra`` with its domain, and may take the name of
    one of symconv's only where that one is absent.
    """

    def __init__(self) -> None:
        from sympy.printing.precedence import PRECEDENCE
        from sympy.printing.str import StrPrinter

        self.core = {symbol: identifier for identifier, symbol in _core_symbols().items()}
        self.used: dict[str, Any] = {}  # identifier -> the symbol it writes
        self.extra: dict[str, dict[str, str]] = {}
        writer = self

        class Printer(StrPrinter):
            def _print_Symbol(self, expr: Any) -> str:
                return writer.symbol(expr)

            def _print_Relational(self, expr: Any) -> str:
                # Python's operators would let sympy reflect (0 <= x is x >= 0) or rewrite
                # (floor(x) <= 0 is x < 1) what parse_expr reads: its constructors do not.
                return f"{_RELATIONS[expr.rel_op]}({self._print(expr.lhs)}, {self._print(expr.rhs)})"

            def _print_Pow(self, expr: Any, rational: bool = False) -> str:
                # symconv's parser has no '**': a square (a user's claim i*i % 4 != 2) is written as it was typed.
                n = expr.exp
                if n.is_Integer and n > 1:
                    return "(" + "*".join([self.parenthesize(expr.base, PRECEDENCE["Mul"], strict=False)] * n) + ")"
                if n.is_Integer and n < -1:
                    return "1/" + self._print(type(expr)(expr.base, -n))
                return str(super()._print_Pow(expr, rational))

        self.printer = Printer()

    def symbol(self, symbol: Any) -> str:
        identifier = self.core.get(symbol)
        entry = None
        if identifier is None:
            identifier = _identifier(symbol.name)
            domain = next((domain for domain, assumptions in DOMAINS.items()
                           if symbol == type(symbol)(symbol.name, **assumptions)), None)
            if (domain is None or not identifier.isidentifier() or keyword.iskeyword(identifier)
                    or identifier in _GRAMMAR_NAMES):
                raise TypeError(f"cannot write the symbol {symbol.name!r} ({symbol.assumptions0}) so that it reads "
                                "back (a bug in symconv)")
            entry = {"name": symbol.name, "domain": domain}
        if self.used.setdefault(identifier, symbol) != symbol:
            other = self.used[identifier]
            raise TypeError(f"the symbols {symbol.name} ({symbol.assumptions0}) and {other.name} "
                            f"({other.assumptions0}) would both be written {identifier}: two different symbols in "
                            "one expression (a bug in symconv)")
        if entry is not None:
            self.extra[identifier] = entry
        return identifier

    def __call__(self, expr: Any) -> str:
        _check_vocabulary(expr, rounding=False)
        return self.printer.doprint(expr)


def _check_vocabulary(expr: Any, rounding: bool) -> None:
    """Refuse what symconv's parser cannot read back: powers other than small integer ones (written as
    products), and '/' outside floor and ceiling."""
    import sympy
    from sympy.core.relational import Relational

    if isinstance(expr, (sympy.Symbol, sympy.Integer, sympy.logic.boolalg.BooleanAtom)):
        return
    if isinstance(expr, sympy.Pow) and not (expr.exp.is_Integer and abs(expr.exp) <= MAX_POWER):
        raise TypeError(f"{expr} is a power, which symconv's parser does not read (a bug in symconv)")
    if isinstance(expr, sympy.Rational) or (isinstance(expr, sympy.Pow) and expr.exp.is_negative):
        if not rounding:
            raise TypeError(f"{expr} has a '/' outside floor and ceiling, which symconv's parser does not read "
                            "(a bug in symconv)")
        if isinstance(expr, sympy.Pow):
            _check_vocabulary(expr.base, rounding)
            return
    elif not isinstance(expr, (sympy.Add, sympy.Mul, sympy.Pow, sympy.floor, sympy.ceiling, sympy.Mod, sympy.Max,
                               sympy.Min, sympy.Abs, Relational, sympy.And, sympy.Or, sympy.Not)):
        raise TypeError(f"{type(expr).__name__} ({expr}) is not in the grammar that JSON expressions use "
                        "(a bug in symconv)")
    inside = rounding or isinstance(expr, (sympy.floor, sympy.ceiling))
    for arg in expr.args:
        _check_vocabulary(arg, inside)


def _at(input_size: InputSize) -> Union[None, dict, list[dict]]:
    """The substitution i = size, or one per axis."""
    if input_size is None:
        return None
    import sympy

    from symconv.core.symbols import i

    if isinstance(input_size, int):
        return {i: sympy.Integer(input_size)}
    return [{i: sympy.Integer(size)} for size in input_size]


def _number(value: Any) -> Any:
    """An int, a fraction object or a bool for a number or truth value; None for anything symbolic."""
    sympy = _sympy()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else {"numerator": value.numerator,
                                                           "denominator": value.denominator}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{value} is not a finite number (a bug in symconv)")
        return value
    if sympy is not None and isinstance(value, sympy.Basic):
        if value.is_Integer:
            return int(value)
        if value.is_Rational:
            return {"numerator": int(value.p), "denominator": int(value.q)}
        if value in (sympy.true, sympy.false):
            return bool(value)
    return None


class PerAxis(tuple):
    """A list with one item per axis. With one input size per axis, item n's expressions take their
    ``"value"`` at size n (elsewhere an expression takes one value per axis).

    >>> from symconv.core.symbols import i
    >>> encode({"axes": PerAxis([{"o": i}, {"o": 2 * i}])}, input_size=(224, 160))["axes"][1]["o"]["value"]
    320
    """

    __slots__ = ()


class _Encoder:
    def __init__(self, input_size: InputSize) -> None:
        self.at = _at(input_size)

    def encode(self, value: Any) -> Any:
        known = _number(value)
        if known is not None or value is None:
            return known
        if isinstance(value, Mapping):
            return {self.key(key): self.encode(item) for key, item in value.items()}
        if isinstance(value, PerAxis) and isinstance(self.at, list):
            if len(value) != len(self.at):
                raise TypeError(f"{len(value)} axes but {len(self.at)} input sizes (a bug in symconv)")
            return [self.along(at, item) for at, item in zip(self.at, value)]
        sympy = _sympy()
        if isinstance(value, (list, tuple)) or (sympy is not None and isinstance(value, sympy.Tuple)):
            return [self.encode(item) for item in value]
        if type(value).__name__ == "InputSizes" and dataclasses.is_dataclass(value):
            return sizes(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: self.encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if sympy is not None and isinstance(value, (sympy.Expr, sympy.logic.boolalg.Boolean)):
            return self.expression(value)
        raise TypeError(f"cannot write {type(value).__name__} {value!r} as JSON (a bug in symconv)")

    def along(self, at: dict, item: Any) -> Any:
        """``item`` encoded at one axis's input size."""
        outer, self.at = self.at, at
        try:
            return self.encode(item)
        finally:
            self.at = outer

    def key(self, key: Any) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, int) and not isinstance(key, bool):
            return str(key)
        sympy = _sympy()
        if sympy is not None and isinstance(key, sympy.Symbol):
            return _Writer()(key)
        raise TypeError(f"cannot write {type(key).__name__} {key!r} as a JSON key (a bug in symconv)")

    def expression(self, expr: Any, with_value: bool = True) -> dict[str, Any]:
        from symconv.core.printing import latex, text

        writer = _Writer()  # each object lists only its own symbols
        data: dict[str, Any] = {"expr": writer(expr), "text": text(expr), "latex": latex(expr)}
        if writer.extra:
            data["symbols"] = dict(sorted(writer.extra.items()))
        if with_value and self.at is not None:
            values = [self.value(expr, at) for at in (self.at if isinstance(self.at, list) else [self.at])]
            data["value"] = values if isinstance(self.at, list) else values[0]
        return data

    def value(self, expr: Any, at: dict) -> Any:
        from symconv.core.rebuild import xreplace  # sympy is loaded already: expr is one of its expressions

        result = xreplace(expr, at)
        known = _number(result)
        return known if known is not None else self.expression(result, with_value=False)


def expression(expr: Any, input_size: InputSize = None) -> dict[str, Any]:
    """One expression object: ``{"expr", "text", "latex"}``, and ``"value"`` at ``input_size``.

    >>> from sympy import Mod
    >>> from symconv.core.symbols import i
    >>> expression(Mod(i + 1, 2))
    {'expr': 'Mod(i + 1, 2)', 'text': '(i + 1) mod 2', 'latex': '\\\\left(i + 1\\\\right) \\\\bmod 2'}
    """
    return _Encoder(input_size).expression(expr)


def sizes(value: Any) -> dict[str, Any]:
    """A set of input sizes: ``i >= min`` with ``i mod modulus`` in ``residues``, plus ``also``, minus ``except``.

    >>> from symconv.layers import InputSizes
    >>> sizes(InputSizes(16, (0,), 16))
    {'modulus': 16, 'residues': [0], 'min': 16, 'also': [], 'except': [], 'text': 'i ≡ 0 (mod 16), i ≥ 16'}
    """
    return {"modulus": int(value.modulus), "residues": [int(r) for r in value.residues], "min": int(value.minimum),
            "also": [int(x) for x in value.isolated], "except": [int(x) for x in getattr(value, "excluded", ())],
            "text": str(value)}


def encode(data: Any, input_size: InputSize = None) -> Any:
    """``data`` as plain JSON values (dicts, lists, numbers, strings, booleans, None); see :func:`dumps`.

    >>> encode({"sizes": (3, 4), "exact": Fraction(1, 2), "ok": True})
    {'sizes': [3, 4], 'exact': {'numerator': 1, 'denominator': 2}, 'ok': True}
    """
    return _Encoder(input_size).encode(data)


def dumps(data: Any, input_size: InputSize = None, indent: Optional[int] = 2) -> str:
    """``data`` as JSON text, every leaf encoded as the module says; ``input_size`` (an int or one per axis)
    adds each expression's ``"value"`` there.

    >>> dumps({"output_size": 112}, indent=None)
    '{"output_size": 112}'
    """
    return json.dumps(encode(data, input_size), indent=indent, ensure_ascii=False, allow_nan=False)


def _one_line(message: str) -> str:
    return re.sub(r"\s*\n\s*", " ", message).strip()


def error(message: str, exception: Optional[BaseException] = None) -> dict[str, Any]:
    """The JSON object printed on stderr for an error under ``--json``: the same one line as without it,
    the exception's type, and the ``parameter``, ``value`` and ``rule`` it broke (null where it has none).

    >>> data = error("symconv: error: stride=0 is invalid: ...", ParameterError("stride", 0, "it must be positive"))
    >>> data["type"], data["parameter"], data["value"], data["rule"]
    ('ParameterError', 'stride', 0, 'it must be positive')
    """
    data: dict[str, Any] = {"error": _one_line(message),
                            "type": None if exception is None else type(exception).__name__,
                            "parameter": None, "value": None, "rule": None}
    if isinstance(exception, ParameterError):
        try:
            value = encode(exception.value)
        except TypeError:  # the value that broke a rule may be anything the caller passed
            value = repr(exception.value)
        data.update(parameter=exception.name, value=value, rule=exception.rule)
    elif isinstance(exception, ParseError):
        data.update(value=exception.source, rule=exception.reason, column=exception.position + 1,
                    token=exception.token)
    elif isinstance(exception, SchemeError):
        data.update(rule=exception.reason, where=exception.where)
    elif isinstance(exception, SymconvError):
        data.update(rule=_one_line(str(exception)))
    return data


# The commands' data moved to :mod:`symconv.present.data`; these names answer from there until every
# command imports them from it.
__all__ = ["DOMAINS", "MAX_POWER", "PerAxis", "names", "expression", "sizes", "encode", "dumps", "error"]
