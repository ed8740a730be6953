"""Reading schemes: one loader for TOML files, TOML text and schemes declared in Python.

Every expression goes through the whitelist parser (:mod:`symconv.core.parsing`),
and every other value is kept as inert text: nothing a file says is executed. A
scheme is refused, with the file and the line, when a key is unknown or of the
wrong type, when its ``where`` is contradictory, or when a padding goes negative
inside it.

>>> scheme_from_toml('name = "x"\\nbefore = "k - 1"\\nafter = 0\\n').before
k - 1
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Mapping, Optional, Union

import sympy
from sympy import Ge, Symbol
from sympy.logic.boolalg import Boolean

from symconv.core import symbols as S
from symconv.core.errors import ParameterError, ParseError, SchemeError
from symconv.core.parsing import parse_claim, parse_expression
from symconv.core.printing import text
from symconv.schemes.domain import MAX_PARAMETERS, PARAMETER_VALUES, contradiction, domain
from symconv.schemes.model import Scheme, a, o, show_case, sides, terminating

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

MAX_FILE_SIZE = 64 * 1024  #: bytes; a scheme is a few lines
_SIZES = {"i": S.i, "k": S.k, "s": S.s, "d": S.d}
# Letters with a fixed meaning in the guide may not be redeclared as parameters.
_RESERVED = {"i", "k", "s", "d", "o", "a", "n", "p_l", "p_r", "j", "t"}
_NAME = re.compile(r".{1,64}\Z")  # free text (printable, one line: checked as every string is); renderers escape it
_PARAMETER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,15}\Z")
_KEYS = ("name", "description", "framework", "before", "after", "where", "claims",
         "transposable", "ceil_mode", "output_padding", "parameters")
_REQUIRED = ("name", "before", "after")


class _Source:
    """Where a declaration came from, so that errors point at a file and a line."""

    def __init__(self, name: str, content: Optional[str] = None) -> None:
        self.name = name
        self.content = content

    def line(self, key: str, needle: Optional[str] = None) -> Optional[int]:
        if self.content is None:
            return None
        # tomllib keeps no positions for values: find the key as it is written.
        found = re.search(rf"^[ \t]*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')[ \t]*=",
                          self.content, re.MULTILINE)
        if found is None:
            return None
        start = found.start()
        if needle:
            at = self.content.find(needle, start)
            start = start if at < 0 else at
        return self.content.count("\n", 0, start) + 1

    def error(self, key: Optional[str], reason: str, needle: Optional[str] = None) -> SchemeError:
        line = self.line(key, needle) if key else None
        return SchemeError(f"{self.name}:{line}" if line else self.name, f"{key}: {reason}" if key else reason)


def declare(name: str, before: Any, after: Any, **options: Any) -> Scheme:
    """A scheme declared in Python, checked exactly as a TOML file is.

    ``before``, ``after``, ``output_padding``, ``where`` and ``claims`` are
    texts for the whitelist parser; the other options are those of the TOML
    format.

    >>> from symconv.schemes import check_scheme
    >>> causal = declare("my-causal", "d * (k - 1)", 0, claims=["o == ceil(i / s)"])
    >>> check_scheme(causal).claims[0].status
    'proved'
    """
    table = {"name": name, "before": before, "after": after, **options}
    return _build({key: list(value) if isinstance(value, tuple) else value for key, value in table.items()},
                  _Source("<python>"))


def load_scheme(path: Union[str, Path]) -> Scheme:
    """Read one scheme from a TOML file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_SIZE:
            raise SchemeError(str(path), f"the file is larger than {MAX_FILE_SIZE} bytes; a scheme is a few lines")
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SchemeError(str(path), f"cannot read the file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise SchemeError(str(path), "the file is not UTF-8 text") from None
    return scheme_from_toml(content, str(path))


def scheme_from_toml(content: str, source: str = "<text>", *, checked: bool = True) -> Scheme:
    """Read one scheme from TOML text; ``source`` names it in error messages.

    ``checked=False`` leaves out the checks that evaluate the scheme (a ``where`` that nothing satisfies, a
    padding that goes negative), which load the proof kernel: only for the built-ins, whose files the tests
    load with every check (``symconv scheme list`` shows them without loading the kernel).

    >>> scheme_from_toml('name = "x"\\nbefore = "1"\\nafter = "0"\\ncolour = "red"\\n', "x.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.core.errors.SchemeError: x.toml:4: colour: unknown key; the keys are name, description, framework, ...
    """
    if not isinstance(content, str):
        raise ParameterError("content", type(content).__name__, "expected a string")
    origin = _Source(source, content)
    try:
        table = tomllib.loads(content)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        raise SchemeError(f"{source}:{found.group(1)}" if found else source, f"invalid TOML: {message}") from None
    return _build(table, origin, checked)


def _build(table: Mapping[str, Any], origin: _Source, checked: bool = True) -> Scheme:
    for key in table:
        if key not in _KEYS:
            raise origin.error(key, f"unknown key; the keys are {', '.join(_KEYS)}")
    for key in _REQUIRED:
        if key not in table:
            raise origin.error(None, f"missing key {key!r}; every scheme needs {', '.join(_REQUIRED)}")
    name = _string(table, "name", origin)
    if not _NAME.match(name):
        raise origin.error("name", f"{name!r} is not a scheme name: a name is 1 to 64 characters",
                           needle=name)
    ceil_mode = _flag(table, "ceil_mode", origin)
    transposable = _flag(table, "transposable", origin) if "transposable" in table else None
    if ceil_mode and (transposable is not None or "output_padding" in table):
        key = "transposable" if transposable is not None else "output_padding"
        raise origin.error(key, "a ceil-mode scheme is pooling, which has no transposed convolution")
    parameters = _parameters(table, origin)
    return terminating(origin.name, lambda: _scheme(table, origin, name, ceil_mode, transposable, parameters,
                                                    checked))


def _scheme(table: Mapping[str, Any], origin: _Source, name: str, ceil_mode: bool, transposable: Optional[bool],
            parameters: tuple[Symbol, ...], checked: bool) -> Scheme:
    names = {**_SIZES, **{str(p): p for p in parameters}}
    claim_names = {**names, "o": o, **({} if ceil_mode else {"a": a})}
    before, after = (_expression(table, key, names, origin) for key in ("before", "after"))
    output_padding = _expression(table, "output_padding", names, origin) if "output_padding" in table else None
    scheme = Scheme(
        name=name,
        description=_string(table, "description", origin, ""),
        before=before,
        after=after,
        where=tuple(_conditions(table, "where", names, origin)),
        claims=tuple(_conditions(table, "claims", claim_names, origin)),
        transposable=transposable,
        ceil_mode=ceil_mode,
        output_padding=output_padding,
        parameters=parameters,
        framework=_string(table, "framework", origin, ""),
        source=origin.name,
    )
    if sympy.false in scheme.where:
        raise origin.error("where", "a condition is never true, so the scheme applies nowhere")
    if checked:
        _check_domain(scheme, origin)
        _check_nonnegative(scheme, origin)
    return scheme


def check_loaded(scheme: Scheme, content: str) -> None:
    """The checks ``checked=False`` left out, on a scheme read from ``content``: raises as the loader would."""
    origin = _Source(scheme.source, content)

    def both() -> None:
        _check_domain(scheme, origin)
        _check_nonnegative(scheme, origin)

    terminating(origin.name, both)


def _string(table: Mapping[str, Any], key: str, origin: _Source, default: Optional[str] = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise origin.error(key, f"must be a string, not {_kind(value)}")
    if len(value) > 500 or not value.isprintable():
        raise origin.error(key, "must be one line of printable text, at most 500 characters")
    return value


def _flag(table: Mapping[str, Any], key: str, origin: _Source) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise origin.error(key, f"must be true or false, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a float", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _texts(table: Mapping[str, Any], key: str, origin: _Source) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise origin.error(key, "must be a list of strings")
    return value


def _parameters(table: Mapping[str, Any], origin: _Source) -> tuple[Symbol, ...]:
    declared = _texts(table, "parameters", origin)
    for name in declared:
        if not _PARAMETER.match(name) or name in _RESERVED or name in ("floor", "ceil", "ceiling", "max", "min",
                                                                       "mod", "abs"):
            raise origin.error("parameters", f"{name!r} cannot be a parameter: use a letter then letters, digits or"
                               " '_' (at most 16), and none of i, k, s, d, o, a, n, p_l, p_r, j, t or a function",
                               needle=name)
    if len(set(declared)) != len(declared):
        raise origin.error("parameters", "a parameter is declared twice")
    if len(declared) > MAX_PARAMETERS:
        raise origin.error("parameters", f"{len(declared)} parameters are declared; at most {MAX_PARAMETERS} are "
                           f"allowed, as each multiplies the cases a check enumerates by {len(PARAMETER_VALUES)}")
    # p is the guide's padding; other parameters are nonnegative integers too.
    return tuple(S.p if name == "p" else Symbol(name, integer=True, nonnegative=True) for name in declared)


def _expression(table: Mapping[str, Any], key: str, names: Mapping[str, Symbol], origin: _Source) -> sympy.Expr:
    value = table[key]
    if isinstance(value, int) and not isinstance(value, bool):  # before = 0
        value = str(value)
    if not isinstance(value, str):
        raise origin.error(key, f"must be a string holding an expression, not {_kind(value)}")
    try:
        return parse_expression(value, names)
    except ParseError as error:
        raise origin.error(key, str(error), needle=value) from None


def _conditions(table: Mapping[str, Any], key: str, names: Mapping[str, Symbol], origin: _Source) -> list[Boolean]:
    found = []
    for number, item in enumerate(_texts(table, key, origin)):
        try:
            found.append(parse_claim(item, names))
        except ParseError as error:
            raise origin.error(key, f"item {number + 1}: {error}", needle=item) from None
    return found


def _check_domain(scheme: Scheme, origin: _Source) -> None:
    """Refuse a ``where`` that no integers satisfy with a window that fits.

    The common contradictions get a plain explanation. When no case of the
    default box is left, the kernel is asked to refute the domain: a checked
    certificate makes it contradictory. A domain that is only empty on the box
    (``i >= 100``) is accepted: its claims can still be proved, and a claim that
    is not is reported as checked on no case.
    """
    from symconv.proof import Theorem, enumerate_cases, prove
    from symconv.proof.prover import Budget

    conflict = contradiction(scheme.where)
    if conflict:
        raise origin.error("where", f"contradictory: {conflict}, so the scheme applies nowhere")
    scope = domain(scheme, {})
    fitting, _ = enumerate_cases(Theorem(f"{scheme.name}: where", "where", sympy.true, scope.hypotheses, (),
                                         scope.variables), scope.ranges)
    if fitting:
        return
    nowhere = Theorem(f"{scheme.name}: where", "the domain is empty", sympy.false, scope.hypotheses, (),
                      scope.variables)
    if prove(nowhere, scope.ranges, budget=Budget(programs=300), smt=False).status == "proved":
        raise origin.error("where", "contradictory: no integers satisfy it with a window that fits (proved), "
                           "so the scheme applies nowhere")


def _check_nonnegative(scheme: Scheme, origin: _Source) -> None:
    """Refuse a padding that goes negative somewhere in the scheme's domain (smallest case reported)."""
    from symconv.proof import Theorem, enumerate_cases

    scope = domain(scheme, {})
    for key, side in sides(scheme):
        theorem = Theorem(f"{scheme.name}-{key}", f"{key} >= 0", Ge(side, 0), scope.where, (),
                          scope.variables)
        _, counterexample = enumerate_cases(theorem, scope.ranges)
        if counterexample is not None:
            raise origin.error(key, f"{text(side)} is negative at {show_case(counterexample, scheme)}"
                               " (the smallest such case); restrict the scheme with 'where'")
