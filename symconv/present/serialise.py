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
  a prover's fresh variable) lists them in ``"symbols"``, which :func:`names` takes;
- a set of input sizes (``symconv.layers.InputSizes``) as
  ``{"modulus", "residues", "min", "also", "except", "text"}``.

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
    from sympy import Symbol

    from symconv.core import symbols

    return {name: value for name in symbols.__all__ if isinstance(value := getattr(symbols, name), Symbol)}


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
    """sympy's str() form, with every symbol checked and written as an identifier both parsers read."""

    def __init__(self) -> None:
        from sympy.printing.str import StrPrinter

        core = _core_symbols()
        self.core = {symbol: identifier for identifier, symbol in core.items()}
        self.taken = {symbol.name: symbol for symbol in core.values()}
        self.extra: dict[str, dict[str, str]] = {}
        writer = self

        class Printer(StrPrinter):
            def _print_Symbol(self, expr: Any) -> str:
                return writer.symbol(expr)

            def _print_Relational(self, expr: Any) -> str:
                # Python's operators would let sympy reflect (0 <= x is x >= 0) or rewrite
                # (floor(x) <= 0 is x < 1) what parse_expr reads: its constructors do not.
                return f"{_RELATIONS[expr.rel_op]}({self._print(expr.lhs)}, {self._print(expr.rhs)})"

        self.printer = Printer()

    def symbol(self, symbol: Any) -> str:
        if symbol in self.core:
            return self.core[symbol]
        if symbol.name in self.taken:
            raise TypeError(f"the symbol {symbol.name} has other assumptions than symconv's {symbol.name}: two "
                            "different symbols would print alike (a bug in symconv)")
        identifier = _identifier(symbol.name)
        domain = next((domain for domain, assumptions in DOMAINS.items()
                       if symbol == type(symbol)(symbol.name, **assumptions)), None)
        if (domain is None or not identifier.isidentifier() or keyword.iskeyword(identifier)
                or identifier in _GRAMMAR_NAMES or identifier in self.core.values()
                or self.extra.get(identifier, {}).get("name", symbol.name) != symbol.name):
            raise TypeError(f"cannot write the symbol {symbol.name!r} ({symbol.assumptions0}) so that it reads "
                            "back (a bug in symconv)")
        self.extra[identifier] = {"name": symbol.name, "domain": domain}
        return identifier

    def __call__(self, expr: Any) -> str:
        _check_vocabulary(expr, rounding=False)
        return self.printer.doprint(expr)


def _check_vocabulary(expr: Any, rounding: bool) -> None:
    """Refuse what symconv's parser cannot read back: powers, and '/' outside floor and ceiling."""
    import sympy
    from sympy.core.relational import Relational

    if isinstance(expr, (sympy.Symbol, sympy.Integer, sympy.logic.boolalg.BooleanAtom)):
        return
    if isinstance(expr, sympy.Rational) or (isinstance(expr, sympy.Pow) and expr.exp.is_negative):
        if not rounding:
            raise TypeError(f"{expr} has a '/' outside floor and ceiling, which symconv's parser does not read "
                            "(a bug in symconv)")
        if isinstance(expr, sympy.Pow) and expr.exp != -1:
            _check_vocabulary(expr.base ** -expr.exp, rounding)
            return
    elif isinstance(expr, sympy.Pow):
        raise TypeError(f"{expr} is a power, which symconv's parser does not read (a bug in symconv)")
    elif not isinstance(expr, (sympy.Add, sympy.Mul, sympy.floor, sympy.ceiling, sympy.Mod, sympy.Max, sympy.Min,
                               sympy.Abs, Relational, sympy.And, sympy.Or, sympy.Not)):
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


class _Encoder:
    def __init__(self, input_size: InputSize) -> None:
        self.at = _at(input_size)
        self.writer: Optional[_Writer] = None

    def encode(self, value: Any) -> Any:
        known = _number(value)
        if known is not None or value is None:
            return known
        if isinstance(value, Mapping):
            return {self.key(key): self.encode(item) for key, item in value.items()}
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

    def key(self, key: Any) -> str:
        if isinstance(key, str):
            return key
        if isinstance(key, int) and not isinstance(key, bool):
            return str(key)
        sympy = _sympy()
        if sympy is not None and isinstance(key, sympy.Symbol):
            return self.write(key)
        raise TypeError(f"cannot write {type(key).__name__} {key!r} as a JSON key (a bug in symconv)")

    def write(self, expr: Any) -> str:
        if self.writer is None:
            self.writer = _Writer()
        return self.writer(expr)

    def expression(self, expr: Any, with_value: bool = True) -> dict[str, Any]:
        from symconv.core.printing import latex, text

        self.writer = _Writer()  # each object lists only its own symbols
        data: dict[str, Any] = {"expr": self.write(expr), "text": text(expr), "latex": latex(expr)}
        if self.writer.extra:
            data["symbols"] = dict(sorted(self.writer.extra.items()))
        if with_value and self.at is not None:
            values = [self.value(expr, at) for at in (self.at if isinstance(self.at, list) else [self.at])]
            data["value"] = values if isinstance(self.at, list) else values[0]
        return data

    def value(self, expr: Any, at: dict) -> Any:
        result = expr.xreplace(at)
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


# --- what each command reports (docs/json.md has the schema) -----------------------------------
# These pick and name the fields; dumps() encodes them. A field that names the same thing has the
# same name in every command: ``name`` is what a command line selects (a theorem, a scheme),
# ``number`` a relationship's, ``title`` a heading for a reader.


def relationship_data(r: Any, full: bool = True) -> dict[str, Any]:
    """A relationship for ``list`` (``full=False``) and ``show``.

    >>> from symconv.guide.catalogue import relationship
    >>> sorted(relationship_data(relationship(1), full=False))
    ['equation', 'kind', 'number', 'section', 'title']
    """
    data: dict[str, Any] = {"number": r.number, "title": r.title, "section": r.section, "kind": r.kind,
                            "equation": r.equation}
    if full:
        data.update(figure=r.figure, conditions=list(r.conditions), domain=r.domain, example=dict(r.example),
                    equivalent=r.equivalent)
    return data


def _counterexample(found: Any) -> Optional[dict[str, Any]]:
    if found is None:
        return None
    return {"values": dict(found.values), "quantity": found.quantity, "oracle": found.expected,
            "formula": found.got}


def verification_data(box: Any, report: Any) -> dict[str, Any]:
    """``verify``: the box, each relationship's check, the 2-D sample and the totals."""
    checks = [{"number": c.number, "title": c.name, "cases": c.cases, "failures": c.failures,
               "counterexample": _counterexample(c.counterexample)} for c in report.checks]
    return {"box": {"input_size": box.input_size, "kernel_size": box.kernel_size, "stride": box.stride,
                    "dilation": box.dilation},
            "relationships": [c for c in checks if c["number"] is not None],
            "kronecker": next((c for c in checks if c["number"] is None), None),
            "cases": report.cases, "failures": report.failures}


def proof_data(proof: Any) -> dict[str, Any]:
    """One theorem's proof for ``prove``: its statement, status, evidence and checked steps."""
    smt = proof.smt
    return {"name": proof.name, "title": proof.theorem.title, "status": proof.status,
            "statement": proof.theorem.statement, "hypotheses": list(proof.theorem.hypotheses),
            "checked": proof.checked, "vacuous": proof.vacuous,
            "smt": None if smt is None else {"backend": smt.backend, "verdict": smt.verdict,
                                             "seconds": round(smt.seconds, 3)},
            "reason": proof.reason or None, "cases": proof.cases,
            "counterexample": None if not proof.counterexample else dict(proof.counterexample),
            "found_by": proof.found_by or None, "steps": len(proof.steps),
            "derivation": [{"statement": step.statement, "justification": step.justification} for step in proof.steps]}


def paddings_data(found: Any, input_size: int) -> dict[str, Any]:
    """``solve padding``: the totals that reach the target output size, and how to split them."""
    return {"input_size": input_size, "output_size": found.output_size, "total_min": found.total_min,
            "total_max": found.total_max, "symmetric": list(found.symmetric), "smallest": found.smallest,
            "exists": found.exists, "reason": found.reason}


def output_padding_data(answer: Any) -> dict[str, Any]:
    """``solve output-padding``: the output_padding a that gives the input size back."""
    return {"input_size": answer.input_size, "transposed_input_size": answer.transposed_input_size,
            "output_padding": answer.output_padding, "allowed": answer.allowed}


__all__ = ["DOMAINS", "names", "expression", "sizes", "encode", "dumps", "error", "relationship_data",
           "verification_data", "proof_data", "paddings_data", "output_padding_data"]
