"""Padding schemes: what a framework's padding convention does, derived and proved.

A scheme says how many zeros go before and after the input, as expressions in
the guide's letters ``i, k, s, d`` (and any parameters it declares). From that
alone symconv derives the output size, proves the scheme's claims for all
integers (or, where the prover cannot, checks them on every case up to a bound
and says so), reports the smallest counterexample of a false claim, and derives
the transposed convolution with the output_padding that gives back each input
size.

Schemes are TOML files, read by one loader for users' files and for the
built-ins in ``symconv/schemes/builtin``::

    name = "half"
    description = "Half padding: the output keeps the input size"
    before = "d * (k - 1) // 2"
    after = "d * (k - 1) // 2"
    where = ["s == 1", "k % 2 == 1"]
    claims = ["o == i"]
    transposable = true

Every expression goes through the whitelist parser (:mod:`symconv.core.parsing`),
and every other value is kept as inert text: nothing a file says is executed.

>>> half = scheme("half")
>>> half.before
floor(d*(k - 1)/2)
>>> report = check_scheme(half)
>>> [(text(c.claim), c.status) for c in report.claims]
[('o = i', 'proved'), ('transposable', 'proved')]
>>> scheme("tf-same").padding(input_size=6, kernel_size=4, stride=1)   # the extra zero goes after
(1, 2)
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Optional, Sequence, Union

import numpy as np
import sympy
from sympy import Eq, Ge, Gt, Le, Max, Min, Mod, Symbol, Tuple, ceiling, floor
from sympy.logic.boolalg import Boolean

from symconv.core import oracle
from symconv.core import symbols as S
from symconv.core.steps import Step
from symconv.guide.derive import general_output_size, transposed
from symconv.core.errors import ParameterError, ParseError, SchemeError
from symconv.guide.model import Equivalent
from symconv.core.numeric import NotVectorised, column, compile_expr, evaluate_array
from symconv.core.parsing import parse_claim, parse_expression
from symconv.core.printing import text
from symconv.guide.shapes import pool_output_size, transposed_output_size
from symconv.proof import Proof, Theorem, enumerate_cases, prove
from symconv.proof.prover import Budget
from symconv.core.validation import nonnegative, positive

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Status = Literal["proved", "holds-enumerated", "unproved", "false", "conflict"]

#: The output size and the output_padding as claims see them: plain integers,
#: so that a claim such as ``o >= 1`` is checked rather than assumed.
o = Symbol("o", integer=True)
a = Symbol("a", integer=True)
o_t = Symbol("o'", integer=True)  # the transposed convolution's output size

DEFAULT_BOUND = 16  #: largest input size i that check_scheme enumerates
MAX_FILE_SIZE = 64 * 1024  #: bytes; a scheme is a few lines
_SIZES = {"i": S.i, "k": S.k, "s": S.s, "d": S.d}
# Letters with a fixed meaning in the guide may not be redeclared as parameters.
_RESERVED = {"i", "k", "s", "d", "o", "a", "n", "p_l", "p_r", "j", "t"}
_NAME = re.compile(r".{1,64}\Z")  # free text (printable, one line: checked as every string is); renderers escape it
_PARAMETER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,15}\Z")
_KEYS = ("name", "description", "framework", "before", "after", "where", "claims",
         "transposable", "ceil_mode", "output_padding", "parameters")
_REQUIRED = ("name", "before", "after")

# Small enough that a scheme checks in about a second; the bound sets i.
_KERNELS, _STRIDES, _DILATIONS = range(1, 6), range(1, 5), range(1, 4)
_PARAMETER_VALUES = range(0, 4)
#: Each parameter multiplies the enumeration box by 4: with this many, a check at MAX_BOUND takes seconds.
MAX_PARAMETERS = 2
#: The oracle counts windows one by one: at most this many for one case of the box...
MAX_ORACLE_WINDOWS = 10**5
#: ... and at most this many over one check, in ceil mode (a Python loop, about 0.4 µs a window)
#: and in floor mode (numpy, about 20 times faster).
ORACLE_BUDGET = {True: 10**7, False: 2 * 10**8}


@dataclass(frozen=True)
class Scheme:
    """A padding scheme: zeros ``before`` and ``after`` the input, in ``i, k, s, d``.

    ``where`` is the domain the scheme is meant for and its claims are about;
    ``claims`` are comparisons in ``o`` (the output size), ``a`` (the
    output_padding: the scheme's own, or else the one that recovers ``i``) and
    the sizes. ``ceil_mode`` keeps a last, partial window as PyTorch's and
    ONNX's ceil-mode pooling do. ``transposable`` claims that the transposed
    convolution with ``a`` gives back every input size.
    """

    name: str
    description: str
    before: sympy.Expr
    after: sympy.Expr
    where: tuple[Boolean, ...] = ()
    claims: tuple[Boolean, ...] = ()
    transposable: Optional[bool] = None
    ceil_mode: bool = False
    output_padding: Optional[sympy.Expr] = None
    parameters: tuple[Symbol, ...] = ()
    framework: str = ""
    source: str = "<python>"

    @property
    def variables(self) -> tuple[Symbol, ...]:
        return (S.i, S.k, S.s, S.d, *self.parameters)

    def padding(self, input_size: int, kernel_size: int, stride: int = 1, dilation: int = 1,
                **parameters: int) -> tuple[int, int]:
        """The zeros before and after for one layer; refused outside ``where``.

        >>> scheme("torch-same").padding(5, kernel_size=4, stride=2)
        Traceback (most recent call last):
        ...
        symconv.core.errors.SchemeError: torch-same: does not apply to i=5, k=4, s=2, d=1: it needs s = 1
        """
        values = _values(self, input_size, kernel_size, stride, dilation, parameters)
        failed = [condition for condition in self.where if not compile_expr(condition, self.variables)(*values)]
        if failed:
            shown = ", ".join(f"{v}={value}" for v, value in zip(self.variables, values))
            raise SchemeError(self.name, f"does not apply to {shown}: it needs "
                              + " and ".join(text(condition) for condition in failed))
        return tuple(compile_expr(side, self.variables)(*values) for side in (self.before, self.after))


def _values(scheme: Scheme, input_size: int, kernel_size: int, stride: int, dilation: int,
            parameters: Mapping[str, int]) -> list[int]:
    names = [str(p) for p in scheme.parameters]
    unknown = sorted(set(parameters) - set(names))
    if unknown:
        raise SchemeError(scheme.name, f"no parameter {unknown[0]!r}; it declares {names or 'none'}")
    return [positive("input_size", input_size), positive("kernel_size", kernel_size),
            positive("stride", stride), positive("dilation", dilation),
            *(nonnegative(name, parameters.get(name, 0)) for name in names)]


# --- declaring and loading -----------------------------------------------------------

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


def scheme_from_toml(content: str, source: str = "<text>") -> Scheme:
    """Read one scheme from TOML text; ``source`` names it in error messages.

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
    return _build(table, origin)


def _build(table: Mapping[str, Any], origin: _Source) -> Scheme:
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
    return _terminating(origin.name, lambda: _scheme(table, origin, name, ceil_mode, transposable, parameters))


def _scheme(table: Mapping[str, Any], origin: _Source, name: str, ceil_mode: bool, transposable: Optional[bool],
            parameters: tuple[Symbol, ...]) -> Scheme:
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
    _check_domain(scheme, origin)
    _check_nonnegative(scheme, origin)
    return scheme


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
                           f"allowed, as each multiplies the cases a check enumerates by {len(_PARAMETER_VALUES)}")
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
    conflict = _contradiction(scheme.where)
    if conflict:
        raise origin.error("where", f"contradictory: {conflict}, so the scheme applies nowhere")
    domain = _domain(scheme, {})
    fitting, _ = enumerate_cases(Theorem(f"{scheme.name}: where", "where", sympy.true, domain.hypotheses, (),
                                         domain.variables), domain.ranges)
    if fitting:
        return
    nowhere = Theorem(f"{scheme.name}: where", "the domain is empty", sympy.false, domain.hypotheses, (),
                      domain.variables)
    if prove(nowhere, domain.ranges, budget=Budget(seconds=2.0), smt=False).status == "proved":
        raise origin.error("where", "contradictory: no integers satisfy it with a window that fits (proved), "
                           "so the scheme applies nowhere")


def _contradiction(where: Sequence[Boolean]) -> str:
    """Conditions that no integers satisfy, told cheaply: remainders, fixed values and bounds of one symbol.

    >>> from symconv.core.symbols import k
    >>> _contradiction([Eq(Mod(k, 2), 1), Eq(Mod(k, 4), 2)])
    'k mod 2 = 1 and k mod 4 = 2 cannot both hold'
    """
    residues: list[tuple[sympy.Expr, int, int, Boolean]] = []  # x mod m = r
    low: dict[sympy.Expr, tuple[int, int, Boolean]] = {}  # x >= bound, from the fact at this position
    high: dict[sympy.Expr, tuple[int, int, Boolean]] = {}
    facts = [part for condition in where for part in (condition.args if isinstance(condition, sympy.And)
                                                      else (condition,))]
    for position, fact in enumerate(facts):
        if not isinstance(fact, (Eq, Le, sympy.Lt, Ge, Gt)):
            continue
        left, right = fact.lhs, fact.rhs
        if isinstance(fact, Eq) and isinstance(right, Mod):
            left, right = right, left
        if isinstance(fact, Eq) and isinstance(left, Mod) and left.args[1].is_Integer and right.is_Integer:
            value, modulus = left.args[0], int(left.args[1])
            if modulus > 0 and not 0 <= int(right) < modulus:
                return f"{text(fact)} is never true: a remainder mod {modulus} is 0 to {modulus - 1}"
            residues.append((value, modulus, int(right), fact))
            continue
        # One symbol against an integer: x = c, x <= c, c < x, ...
        kind = type(fact)
        if right.is_Symbol and left.is_Integer:
            left, right = right, left
            kind = {Eq: Eq, Le: Ge, Ge: Le, sympy.Lt: Gt, Gt: sympy.Lt}[kind]
        if not (left.is_Symbol and right.is_Integer):
            continue
        value = int(right)
        bottom, top = {Eq: (value, value), Le: (None, value), sympy.Lt: (None, value - 1), Ge: (value, None),
                       Gt: (value + 1, None)}[kind]
        if bottom is not None and (left not in low or bottom > low[left][0]):
            low[left] = (bottom, position, fact)
        if top is not None and (left not in high or top < high[left][0]):
            high[left] = (top, position, fact)
        if kind is Eq:
            residues.append((left, 0, value, fact))  # x = c pairs with x mod m = r below
    for symbol in sorted(low.keys() & high.keys(), key=str):
        if low[symbol][0] > high[symbol][0]:
            first, second = sorted([low[symbol][1:], high[symbol][1:]], key=lambda item: item[0])
            return f"{text(first[1])} and {text(second[1])} cannot both hold"
    for n, (x, m, r, first) in enumerate(residues):
        for y, m2, r2, second in residues[n + 1:]:
            if x != y:
                continue
            if m == 0 and m2 == 0:
                agree = r == r2
            elif m == 0 or m2 == 0:
                agree = (r - r2) % (m or m2) == 0
            else:
                agree = (r - r2) % math.gcd(m, m2) == 0
            if not agree:
                return f"{text(first)} and {text(second)} cannot both hold"
    return ""


def _box_text(bound: int, scheme: Scheme) -> str:
    parameters = f", {', '.join(map(str, scheme.parameters))} <= {_PARAMETER_VALUES[-1]}" if scheme.parameters else ""
    return (f"i <= {bound}, k <= {_KERNELS[-1]}, s <= {_STRIDES[-1]}, d <= {_DILATIONS[-1]}{parameters}")


def _check_nonnegative(scheme: Scheme, origin: _Source) -> None:
    """Refuse a padding that goes negative somewhere in the scheme's domain (smallest case reported)."""
    domain = _domain(scheme, {})
    for key, side in _sides(scheme):
        theorem = Theorem(f"{scheme.name}-{key}", f"{key} >= 0", Ge(side, 0), domain.where, (),
                          domain.variables)
        _, counterexample = enumerate_cases(theorem, domain.ranges)
        if counterexample is not None:
            raise origin.error(key, f"{text(side)} is negative at {_show_case(counterexample, scheme)}"
                              " (the smallest such case); restrict the scheme with 'where'")


def _sides(scheme: Scheme) -> list[tuple[str, sympy.Expr]]:
    """What must never be negative: the paddings, and an output_padding."""
    sides = [("before", scheme.before), ("after", scheme.after)]
    return sides + ([("output_padding", scheme.output_padding)] if scheme.output_padding is not None else [])


def _show_case(case: Mapping[str, int], scheme: Scheme) -> str:
    return ", ".join(f"{v}={case[str(v)]}" for v in scheme.variables if str(v) in case)


# --- the built-ins ---------------------------------------------------------------------

@lru_cache(maxsize=1)
def builtin_schemes() -> dict[str, Scheme]:
    """The schemes shipped with symconv, by name, loaded as users' files are.

    >>> list(builtin_schemes())  # doctest: +NORMALIZE_WHITESPACE
    ['valid', 'half', 'full', 'causal', 'torch-same', 'tf-same', 'onnx-same-lower', 'pool-ceil',
     'transposed-output-padding']
    """
    found: dict[str, Scheme] = {}
    folder = resources.files("symconv.schemes") / "builtin"
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".toml")), key=lambda e: e.name)
    for entry in files:
        loaded = scheme_from_toml(entry.read_text(encoding="utf-8"), f"symconv/schemes/builtin/{entry.name}")
        found[loaded.name] = loaded
    ranked = sorted(found, key=lambda name: (_ORDER.index(name) if name in _ORDER else len(_ORDER), name))
    return {name: found[name] for name in ranked}


# The order people meet them in: no padding, the guide's, the frameworks', pooling, transposed.
_ORDER = ("valid", "half", "full", "causal", "torch-same", "tf-same", "onnx-same-lower", "pool-ceil",
          "transposed-output-padding")


def scheme(name: str) -> Scheme:
    """The built-in scheme called ``name``."""
    known = builtin_schemes()
    if name not in known:
        raise SchemeError(repr(name), f"no built-in scheme has that name; the built-ins are {', '.join(known)}")
    return known[name]


MAX_BOUND = 256  #: enumeration goes up to i <= bound for every small k, s, d: keep it finite


def resolve(name_or_path: str) -> Scheme:
    """A built-in by name, or else a scheme file (what the CLI accepts)."""
    if not isinstance(name_or_path, str):
        raise ParameterError("name_or_path", type(name_or_path).__name__, "expected a string")
    if name_or_path in builtin_schemes():
        return builtin_schemes()[name_or_path]
    if Path(name_or_path).is_file():
        return load_scheme(name_or_path)
    raise SchemeError(repr(name_or_path), "neither a built-in scheme nor an existing file; the built-ins are "
                      + ", ".join(builtin_schemes()))


# --- the domain and the oracle -------------------------------------------------------

@dataclass(frozen=True)
class _Domain:
    """Hypotheses and enumeration box shared by every theorem about one scheme.

    ``where`` is the scheme's own, as written: enumeration filters the box by it, and the
    prover gets it as plain hypotheses.
    """

    where: tuple[Boolean, ...]
    fits: Boolean  # at least one window
    variables: tuple[Symbol, ...]
    ranges: Mapping[Symbol, range]

    @property
    def hypotheses(self) -> tuple[Boolean, ...]:
        return (*self.where, self.fits)


def _domain(scheme: Scheme, ranges: Mapping[Symbol, range]) -> _Domain:
    box = {S.i: range(1, DEFAULT_BOUND + 1), S.k: _KERNELS, S.s: _STRIDES, S.d: _DILATIONS,
           **{p: _PARAMETER_VALUES for p in scheme.parameters}, **ranges}
    where = tuple(condition for condition in scheme.where if condition is not sympy.true)
    fits = _fits(scheme.ceil_mode).xreplace({S.p_l: scheme.before, S.p_r: scheme.after})
    return _Domain(where, fits, scheme.variables, box)


def _fits(ceil_mode: bool) -> Boolean:
    """At least one window. Ceil mode keeps a first window that sticks out past the end (PyTorch, ONNX)."""
    padded, span = S.i + S.p_l + S.p_r, S.d * (S.k - 1)
    return Gt(padded + S.s, span + 1) if ceil_mode else Ge(padded, span + 1)


class _Oracle:
    """The oracle's output size at each case: windows counted on the padded input, never a formula.

    Called with one case, as a theorem's ``truth``; ``batch`` does the same for a whole box of
    cases at once, asking the oracle once for each distinct padded input. The paddings are the
    scheme's, evaluated exactly. The oracle walks every window, so its work grows with the padded
    input: a scheme whose paddings need more than ``MAX_ORACLE_WINDOWS`` windows for one case, or
    ``ORACLE_BUDGET`` over the check, is refused.
    """

    def __init__(self, scheme: Scheme, variables: Sequence[Symbol]) -> None:
        self.scheme = scheme
        self.variables = tuple(variables)
        self.before = compile_expr(scheme.before, variables)
        self.after = compile_expr(scheme.after, variables)
        self.known: dict[tuple[int, ...], int] = {}
        self.spent = 0

    def __call__(self, env: Mapping[Symbol, int]) -> Mapping[Symbol, int]:
        values = [env[v] for v in self.variables]
        pads = (self.before(*values), self.after(*values))
        # Only the direct convolution's size comes from the oracle: the transposed size o'
        # stays the formula under test, compared with the true input size i.
        return {o: self.count((env[S.i], env[S.k], env[S.s], env[S.d], *pads), lambda: values)}

    def batch(self, values: Mapping[Symbol, np.ndarray]) -> Mapping[Symbol, np.ndarray]:
        columns = [values[v] for v in self.variables]
        try:
            pads = [evaluate_array(side, values) for side in (self.scheme.before, self.scheme.after)]
        except NotVectorised:
            pads = []
        if len(pads) != 2 or any(unsure is not None for _, unsure in pads):
            return {o: column(self(dict(zip(self.variables, case)))[o] for case in zip(*(c.tolist() for c in columns)))}
        keys = np.stack([values[S.i], values[S.k], values[S.s], values[S.d], pads[0][0], pads[1][0]], axis=1)
        if keys.dtype == object:
            rows = [tuple(row) for row in keys.tolist()]
            sizes = [self.count(row, lambda n=n: [c[n] for c in columns]) for n, row in enumerate(rows)]
            return {o: column(sizes)}
        distinct, first, back = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        rows = [tuple(row) for row in distinct.tolist()]
        counted = np.zeros(len(distinct), dtype=np.int64)
        for n in np.argsort(first, kind="stable").tolist():  # in the box's order, so a refusal names the first case
            counted[n] = self.count(rows[n], lambda n=n: [c[first[n]].item() for c in columns])
        return {o: counted[back.ravel()]}

    def count(self, key: tuple[int, ...], case: Callable[[], Sequence[int]]) -> int:
        if key not in self.known:
            i, k, s, d, before, after = key
            windows = max(i + before + after, 0) // s + 1
            budget = ORACLE_BUDGET[self.scheme.ceil_mode]
            if windows > MAX_ORACLE_WINDOWS or self.spent + windows > budget:
                shown = ", ".join(f"{v}={value}" for v, value in zip(self.variables, case()))
                if windows > MAX_ORACLE_WINDOWS:
                    raise SchemeError(self.scheme.source, f"before, after: the paddings are too large for the "
                                      f"brute-force oracle, which walks every window: at {shown} they are {before} "
                                      f"and {after}, so {windows} windows; it walks at most {MAX_ORACLE_WINDOWS} "
                                      "for one case")
                raise SchemeError(self.scheme.source, f"before, after: the brute-force oracle walks every window of "
                                  f"every case, and the cases up to {shown} already need more than {budget} windows, "
                                  "its budget for one check; lower the bound")
            self.spent += windows
            if self.scheme.ceil_mode:
                self.known[key] = oracle.count_pool_windows(i, k, s, (before, after), d, ceil_mode=True)
            else:
                self.known[key] = oracle.count_positions(i, k, s, (before, after), d)
        return self.known[key]


# --- deriving -------------------------------------------------------------------------

def _raw_output_size(scheme: Scheme) -> sympy.Expr:
    values = {S.p_l: scheme.before, S.p_r: scheme.after}
    return _general(scheme.ceil_mode).xreplace(values)


def _general(ceil_mode: bool) -> sympy.Expr:
    if not ceil_mode:
        return general_output_size()
    return pool_output_size(S.i, S.k, S.s, (S.p_l, S.p_r), S.d, ceil_mode=True)


def _output_steps(scheme: Scheme) -> list[Step]:
    steps = []
    if scheme.ceil_mode:
        steps.append(Step(Eq(o, general_output_size()),
                          "floor mode: the kernel positions that fit on the padded input"))
        steps.append(Step(Eq(o, _general(True)),
                          "ceil mode: window j (starting at s j) is kept while the one before it leaves the end "
                          "uncovered, j ≤ ⌈(i + p_l + p_r - d(k - 1) - 1)/s⌉, and only if it starts inside the "
                          "input or the left padding, s j ≤ i + p_l - 1"))
    else:
        steps.append(Step(Eq(o, general_output_size()), "the derived output size: count the kernel positions"))
    steps.append(Step(Tuple(Eq(S.p_l, scheme.before), Eq(S.p_r, scheme.after)), "the scheme's padding"))
    steps.append(Step(Eq(o, _raw_output_size(scheme)), "substituted"))
    return steps


def _candidates(expr: sympy.Expr, hints: Sequence[sympy.Expr], substitutions: Mapping[Symbol, sympy.Expr]) -> list:
    """Simpler forms to try: each max/min case, the where's substitutions, ⌊x/m⌋ + 1 = ⌈(x + 1)/m⌉,
    a mod without the multiples of its modulus, and the claims' sides."""
    found = {_rewritten(expr, substitutions), *hints}
    for atom in expr.atoms(Max, Min):
        found |= {_rewritten(expr, {atom: arg}) for arg in atom.args}
    for atom in expr.atoms(Mod):
        # sympy writes (E - 1) mod s as (E + s - 1) mod s; the multiples of s can go.
        value, modulus = atom.args
        kept = [term for term in sympy.Add.make_args(value) if not (term / modulus).is_integer]
        found.add(_rewritten(expr, {atom: Mod(sympy.Add(*kept), modulus, evaluate=False)}))
    found.discard(None)
    found |= {_ceiling_form(c) for c in found}
    size = sympy.count_ops(expr)
    return sorted((c for c in found if c != expr and sympy.count_ops(c) < size and not c.has(o, a)),
                  key=lambda c: (sympy.count_ops(c), sympy.default_sort_key(c)))


def _rewritten(expr: sympy.Expr, replacements: Mapping[sympy.Basic, sympy.Expr]) -> Optional[sympy.Expr]:
    """``expr`` with the replacements, or None where sympy's simplification never ends (one form fewer)."""
    try:
        return expr.xreplace(replacements)
    except RecursionError:
        return None


_ENDLESS = ("sympy's simplification of this scheme's expressions never ends (sympy 1.14 rewrites some remainders "
            "modulo a sum, such as (i - 2) mod (2k + 1), back and forth); write x mod m as x - m * (x // m)")


def _terminating(where: str, work: Callable[[], Any]) -> Any:
    """``work()``, with sympy's endless rewriting (a RecursionError) turned into a one-line error."""
    try:
        return work()
    except RecursionError:
        raise SchemeError(where, _ENDLESS) from None


def _ceiling_form(expr: sympy.Expr) -> sympy.Expr:
    terms = sympy.Add.make_args(expr)
    if len(terms) == 2 and sympy.Integer(1) in terms:
        (rest,) = [t for t in terms if t != 1]
        if isinstance(rest, floor):
            numerator, denominator = sympy.fraction(sympy.together(rest.args[0]))
            return ceiling((numerator + 1) / denominator)
    return expr


@lru_cache(maxsize=64)
def output_size(scheme: Scheme) -> sympy.Expr:
    """The derived output size, in its shortest form proved equal wherever the scheme applies.

    >>> text(output_size(scheme("causal")))
    '⌈i/s⌉'
    """
    return _terminating(scheme.source, lambda: _simplest(_raw_output_size(scheme), scheme, _domain(scheme, {}),
                                                        _hints(scheme, o)))


def _hints(scheme: Scheme, symbol: Symbol) -> list[sympy.Expr]:
    """The other sides of the claims ``symbol == X``: forms worth trying (the prover still checks them)."""
    return [claim.rhs if claim.lhs == symbol else claim.lhs for claim in scheme.claims
            if isinstance(claim, Eq) and symbol in claim.args]


def _simplest(expr: sympy.Expr, scheme: Scheme, domain: _Domain, hints: Sequence[sympy.Expr]) -> sympy.Expr:
    """The shortest form the prover shows equal to ``expr`` wherever the scheme applies."""
    substitutions = {h.lhs: h.rhs for h in domain.where if isinstance(h, Eq) and h.lhs.is_Symbol
                     and h.rhs.free_symbols <= set(scheme.variables)}
    for candidate in _candidates(expr, hints, substitutions):
        theorem = Theorem(f"{scheme.name}-simplify", "simplified", Eq(candidate, expr), domain.hypotheses, (),
                          domain.variables)
        if prove(theorem, domain.ranges).status == "proved":
            return candidate
    return expr


# --- proving --------------------------------------------------------------------------

@dataclass(frozen=True)
class ClaimResult:
    """One claim and how it stands: ``proved`` for all integers; ``holds-enumerated``
    (the prover could not close it, but every one of ``cases`` cases up to the bound
    agrees with the oracle: not a proof); ``unproved`` (the prover could not close it
    and no case of the box lies in the domain, so nothing was checked); ``false``
    with the smallest counterexample; or ``conflict`` (a checked proof and a
    counterexample at once: a bug in symconv, never a result).
    """

    claim: Boolean
    status: Status
    cases: int
    counterexample: Optional[Mapping[str, int]]
    proof: Proof


def _result(claim: Boolean, proof: Proof) -> ClaimResult:
    statuses: dict[str, Status] = {"proved": "proved", "unproved": "holds-enumerated" if proof.cases else "unproved",
                                   "disproved": "false", "conflict": "conflict"}
    return ClaimResult(claim, statuses[proof.status], proof.cases, proof.counterexample, proof)


@dataclass(frozen=True)
class TransposedReport:
    """The scheme's transposed convolution, as the equivalent direct convolution (kernel flipped).

    ``output_padding`` is the scheme's own, or else the ``a`` that recovers ``i``;
    ``recovers`` is the theorem that the transpose with it gives back every ``i``,
    with ``0 <= a <= s - 1``.
    """

    equivalent: Equivalent
    output_padding: sympy.Expr
    recovers: ClaimResult


@dataclass(frozen=True)
class SchemeReport:
    """What ``check_scheme`` found: the output size with its derivation, and every claim's standing."""

    scheme: Scheme
    output_size: sympy.Expr
    output_size_general: sympy.Expr
    steps: tuple[Step, ...]
    padding: tuple[tuple[str, ClaimResult], ...]  # ("before", before >= 0), ("after", ...), ...
    claims: tuple[ClaimResult, ...]
    transposed: Optional[TransposedReport]
    bound: int
    domain: Boolean

    @property
    def holds(self) -> bool:
        """Every claim is proved or holds on every enumerated case: none is false, in conflict, or unchecked."""
        return all(result.status in ("proved", "holds-enumerated") for result in self.claims)


def check_scheme(scheme: Scheme, bound: int = DEFAULT_BOUND) -> SchemeReport:
    """Derive the output size, prove or check every claim, and derive the transpose.

    Claims the prover cannot close are checked against the oracle on every case
    with ``i <= bound`` (and small ``k, s, d``) and come out ``holds-enumerated``.

    >>> report = check_scheme(scheme("tf-same"))
    >>> text(report.output_size), [c.status for c in report.claims]
    ('⌈i/s⌉', ['proved', 'proved'])
    """
    if not isinstance(scheme, Scheme):
        raise ParameterError("scheme", type(scheme).__name__, "expected a Scheme: use scheme(name), load_scheme(path) or declare(...)")
    bound = positive("bound", bound)
    if bound > MAX_BOUND:
        raise ParameterError("bound", bound, f"bound must be at most {MAX_BOUND}")
    return _terminating(scheme.source, lambda: _check(scheme, bound))


def _check(scheme: Scheme, bound: int) -> SchemeReport:
    domain = _domain(scheme, {S.i: range(1, bound + 1)})
    truth = _Oracle(scheme, domain.variables)
    raw = _raw_output_size(scheme)
    definitions: list[tuple[Symbol, sympy.Expr]] = [(o, raw)]
    output_padding = None
    if not scheme.ceil_mode:
        output_padding = scheme.output_padding if scheme.output_padding is not None else _derived_a(scheme)
        definitions.append((a, output_padding))

    def settle(name: str, title: str, statement: Boolean, extra: Sequence = ()) -> ClaimResult:
        chain = [*definitions, *extra]
        needed = set(statement.free_symbols)
        for symbol, value in reversed(chain):
            if symbol in needed:
                needed |= value.free_symbols
        used = tuple((symbol, value) for symbol, value in chain if symbol in needed)
        theorem = Theorem(f"{scheme.name}: {name}", title, statement, domain.hypotheses, used,
                          domain.variables, truth)
        return _result(statement, prove(theorem, domain.ranges))

    padding = tuple(
        (key, _result(Ge(side, 0, evaluate=False), prove(Theorem(
            f"{scheme.name}: {key} >= 0", f"{key} >= 0", Ge(side, 0), domain.where, (), domain.variables),
            domain.ranges)))
        for key, side in _sides(scheme))
    for key, result in padding:
        if result.status == "false":
            raise SchemeError(scheme.source, f"{key}: {text(result.claim.lhs)} is negative at "
                              f"{_show_case(result.counterexample or {}, scheme)}; restrict the scheme with 'where'")
    claims = [settle(f"claim {n + 1}", text(claim), claim) for n, claim in enumerate(scheme.claims)]

    simplest = output_size(scheme)
    steps = _output_steps(scheme)
    if scheme.where:
        steps.append(Step(Tuple(*scheme.where), "where the scheme applies"))
    if simplest != raw:
        steps.append(Step(Eq(o, simplest), "the shortest form proved equal to it there"))

    report_transposed = None
    if output_padding is not None:
        recovered = sympy.And(Eq(o_t, S.i), Le(0, a, evaluate=False), Le(a, S.s - 1))
        o_prime = transposed_output_size(o, S.k, S.s, (scheme.before, scheme.after), S.d, a)
        recovers = settle("transposable", "the transpose with a gives back i", recovered, [(o_t, o_prime)])
        report_transposed = TransposedReport(
            _equivalent(scheme), _simplest(output_padding, scheme, _domain(scheme, {}), _hints(scheme, a)), recovers)
        if scheme.transposable is not None:
            claims.append(_transposable(scheme.transposable, recovers))
    return SchemeReport(scheme, simplest, raw, tuple(steps), padding, tuple(claims), report_transposed, bound,
                        domain.fits)


def _derived_a(scheme: Scheme) -> sympy.Expr:
    """``a = (i + p_l + p_r - d(k - 1) - 1) mod s``: the output_padding that recovers i (theorem round-trip)."""
    return transposed().equivalent.a.xreplace({S.p_l: scheme.before, S.p_r: scheme.after})


def _equivalent(scheme: Scheme) -> Equivalent:
    general = transposed().equivalent
    values = {S.p_l: scheme.before, S.p_r: scheme.after}
    a_value = scheme.output_padding if scheme.output_padding is not None else _derived_a(scheme)
    return Equivalent(
        kernel_size=general.kernel_size, stride=general.stride, dilation=general.dilation,
        zeros_between=general.zeros_between,
        padding=(general.padding[0].xreplace(values), general.padding[1].xreplace(values)),
        a=a_value, input_size=_raw_output_size(scheme), stretched_input=general.stretched_input,
        output_size=general.output_size.xreplace(values))


def _transposable(claimed: bool, recovers: ClaimResult) -> ClaimResult:
    if claimed:
        return replace(recovers, claim=sympy.Symbol("transposable"))
    # "Not transposable" is proved by one input that the transpose misses.
    if recovers.status in ("unproved", "conflict"):
        return replace(recovers, claim=sympy.Not(sympy.Symbol("transposable")))
    status: Status = "proved" if recovers.status == "false" else "false"
    return replace(recovers, claim=sympy.Not(sympy.Symbol("transposable")), status=status,
                   counterexample=None if status == "proved" else recovers.counterexample)


# --- comparing ----------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One scheme at one input size; ``note`` says why a value is missing."""

    input_size: int
    before: Optional[int]
    after: Optional[int]
    output_size: Optional[int]
    output_padding: Optional[int]
    note: str = ""


@dataclass(frozen=True)
class Row:
    """One scheme at fixed ``k, s, d``: its formulas in ``i`` and its cells."""

    scheme: Scheme
    before: sympy.Expr
    after: sympy.Expr
    output_size: sympy.Expr
    output_padding: Optional[sympy.Expr]
    cells: tuple[Cell, ...]

    @property
    def applicable(self) -> bool:
        return any(cell.output_size is not None for cell in self.cells)


@dataclass(frozen=True)
class Comparison:
    kernel_size: int
    stride: int
    dilation: int
    parameters: Mapping[str, int]
    sizes: tuple[int, ...]
    rows: tuple[Row, ...]


def compare(schemes: Sequence[Scheme], kernel_size: int, stride: int = 1, dilation: int = 1,
            sizes: Sequence[int] = range(5, 11), parameters: Optional[Mapping[str, int]] = None) -> Comparison:
    """The schemes side by side at one ``kernel_size, stride, dilation``, on a few input sizes.

    Declared parameters take their value from ``parameters`` (0 when not given).

    >>> table = compare([scheme(n) for n in ("tf-same", "onnx-same-lower", "torch-same")], 4, stride=2, sizes=[5, 6])
    >>> for row in table.rows:
    ...     print(row.scheme.name, [(c.before, c.after, c.output_size) for c in row.cells])
    tf-same [(1, 2, 3), (1, 1, 3)]
    onnx-same-lower [(2, 1, 3), (1, 1, 3)]
    torch-same [(None, None, None), (None, None, None)]
    >>> table.rows[2].cells[0].note
    'needs s = 1'
    """
    k, s, d = (positive(name, value) for name, value in
               (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)))
    sizes = tuple(positive("input_size", size) for size in sizes)
    parameters = {name: nonnegative(name, value) for name, value in (parameters or {}).items()}
    declared = {str(p) for sch in schemes for p in sch.parameters}
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise SchemeError("compare", f"no scheme declares a parameter {unknown[0]!r}")
    rows = tuple(_terminating(sch.source, lambda sch=sch: _row(sch, k, s, d, sizes, parameters)) for sch in schemes)
    return Comparison(k, s, d, {p: parameters.get(p, 0) for p in sorted(declared)}, sizes, rows)


def _row(scheme: Scheme, k: int, s: int, d: int, sizes: Sequence[int], parameters: Mapping[str, int]) -> Row:
    fixed = {S.k: k, S.s: s, S.d: d, **{p: parameters.get(str(p), 0) for p in scheme.parameters}}
    variables = scheme.variables
    output_padding = None if scheme.ceil_mode else (
        scheme.output_padding if scheme.output_padding is not None else _derived_a(scheme))
    raw = _raw_output_size(scheme)
    domain = _domain(scheme, {})
    formulas = {name: compile_expr(expr, variables) for name, expr in
                (("before", scheme.before), ("after", scheme.after), ("o", raw), ("fits", domain.fits),
                 *((("a", output_padding),) if output_padding is not None else ()))}
    conditions = [(condition, compile_expr(condition, variables)) for condition in scheme.where]
    cells = []
    for size in sizes:
        values = [size, k, s, d, *(fixed[p] for p in scheme.parameters)]
        failed = [condition for condition, holds in conditions if not holds(*values)]
        if failed:
            shown = " and ".join(text(c.xreplace(fixed)) if c.xreplace(fixed) not in (sympy.true, sympy.false)
                                 else text(c) for c in failed)
            cells.append(Cell(size, None, None, None, None, f"needs {shown}"))
        elif not formulas["fits"](*values):
            cells.append(Cell(size, formulas["before"](*values), formulas["after"](*values), None, None,
                              "no window fits"))
        else:
            cells.append(Cell(size, formulas["before"](*values), formulas["after"](*values), formulas["o"](*values),
                              formulas["a"](*values) if "a" in formulas else None))
    # The simplest form holds where the scheme applies; elsewhere only the substituted one does.
    applicable = any(cell.output_size is not None for cell in cells)
    size = (output_size(scheme) if applicable else raw).xreplace(fixed)
    return Row(scheme, scheme.before.xreplace(fixed), scheme.after.xreplace(fixed), size,
               None if output_padding is None else output_padding.xreplace(fixed), tuple(cells))


# --- plain text and JSON for the command line ------------------------------------------

def _case(case: Optional[Mapping[str, int]], scheme: Scheme) -> Optional[dict[str, int]]:
    if case is None:
        return None
    inputs = {str(v) for v in scheme.variables}
    # Inputs first, then what the oracle and the definitions made of them (o, a, o').
    return {**{k: v for k, v in case.items() if k in inputs}, **{k: v for k, v in case.items() if k not in inputs}}


def _claim_data(result: ClaimResult, scheme: Scheme) -> dict[str, Any]:
    return {"claim": text(result.claim), "status": result.status, "cases": result.cases,
            "counterexample": _case(result.counterexample, scheme), "reason": result.proof.reason or None}


def report_data(report: SchemeReport) -> dict[str, Any]:
    """The report as JSON-ready data (formulas as guide-style text)."""
    sch = report.scheme
    transposed_data = None
    if report.transposed is not None:
        eq = report.transposed.equivalent
        transposed_data = {
            "kernel_size": text(eq.kernel_size), "stride": text(eq.stride), "dilation": text(eq.dilation),
            "zeros_between": text(eq.zeros_between), "padding": [text(eq.padding[0]), text(eq.padding[1])],
            "output_padding": text(report.transposed.output_padding), "output_size": text(eq.output_size),
            "recovers_input": _claim_data(report.transposed.recovers, sch)}
    return {
        "scheme": sch.name, "description": sch.description, "framework": sch.framework, "source": sch.source,
        "parameters": [str(p) for p in sch.parameters], "before": text(sch.before), "after": text(sch.after),
        "ceil_mode": sch.ceil_mode, "where": [text(c) for c in sch.where], "domain": text(_fits(sch.ceil_mode)),
        "output_size": text(report.output_size), "output_size_general": text(report.output_size_general),
        "derivation": [{"statement": text(step.statement), "justification": step.justification}
                       for step in report.steps],
        "padding": {key: _claim_data(result, sch) for key, result in report.padding},
        "claims": [_claim_data(result, sch) for result in report.claims],
        "transposed": transposed_data, "bound": report.bound, "holds": report.holds,
    }


def _standing(result: ClaimResult, scheme: Scheme, bound: int) -> str:
    case = _case(result.counterexample, scheme)
    shown = ", ".join(f"{k}={v}" for k, v in case.items()) if case else "none in the box"
    why = f" (the prover: {result.proof.reason})" if result.proof.reason else ""
    if result.status == "proved":
        vacuous = ", vacuously: no integers satisfy the hypotheses" if result.proof.vacuous else ""
        return f"proved for all integers{vacuous} ({result.cases} cases also agree with the oracle)"
    if result.status == "holds-enumerated":
        return (f"not proved: the prover cannot close it, but all {result.cases} cases with "
                f"{_box_text(bound, scheme)} that lie in the domain agree with the oracle{why}")
    if result.status == "unproved":
        return (f"not proved: the prover cannot close it, and no case with {_box_text(bound, scheme)} lies in "
                f"the domain, so nothing was checked; raise the bound{why}")
    if result.status == "conflict":
        return (f"the prover's checked proof and the counterexample {shown} disagree: a bug in symconv, "
                "please report it")
    if result.proof.found_by == "z3":
        return f"counterexample found by z3 beyond the box: {shown}"
    return f"smallest counterexample: {shown}"


def report_text(report: SchemeReport) -> str:
    """The report for a terminal."""
    sch = report.scheme
    lines = [f"{sch.name}: {sch.description}" if sch.description else sch.name, f"  source: {sch.source}"]
    if sch.framework:
        lines.append(f"  frameworks: {sch.framework}")
    lines += [f"  before = {text(sch.before)}", f"  after  = {text(sch.after)}"]
    if sch.output_padding is not None and report.transposed is not None:
        lines.append(f"  output_padding a = {text(report.transposed.output_padding)}")
    if sch.ceil_mode:
        lines.append("  ceil mode: a last, partial window is kept unless it starts in the right padding")
    lines.append(f"  where: {', '.join(text(c) for c in sch.where) or 'always'}, and a window fits:"
                 f" {text(_fits(sch.ceil_mode))}")
    lines.append(f"  output size: o = {text(report.output_size)}")
    lines += [f"    {text(step.statement)}    [{step.justification}]" for step in report.steps]
    lines.append("  padding never negative: " + ", ".join(f"{key} {result.status}" for key, result in report.padding))
    lines.append("  claims:" if report.claims else "  claims: none")
    for result in report.claims:
        lines.append(f"    {result.status:<17} {text(result.claim)}: {_standing(result, sch, report.bound)}")
    if report.transposed is not None:
        eq, op = report.transposed.equivalent, report.transposed.output_padding
        lines += ["  transposed: the equivalent direct convolution (kernel flipped, stride 1,"
                  f" {text(eq.zeros_between)} zeros between the input units)",
                  f"    pads {text(eq.padding[0])} before and {text(eq.padding[1])} + a after, a = {text(op)}",
                  f"    o' = {text(eq.output_size)} with i' = o; it gives back i: "
                  f"{report.transposed.recovers.status}"]
    return "\n".join(lines)


def comparison_data(table: Comparison) -> dict[str, Any]:
    return {
        "kernel_size": table.kernel_size, "stride": table.stride, "dilation": table.dilation,
        "parameters": dict(table.parameters), "sizes": list(table.sizes),
        "schemes": [{
            "scheme": row.scheme.name, "description": row.scheme.description, "framework": row.scheme.framework,
            "before": text(row.before), "after": text(row.after), "output_size": text(row.output_size),
            "output_padding": None if row.output_padding is None else text(row.output_padding),
            "applicable": row.applicable,
            "cells": [{"input_size": c.input_size, "before": c.before, "after": c.after,
                       "output_size": c.output_size, "output_padding": c.output_padding, "note": c.note or None}
                      for c in row.cells]} for row in table.rows],
    }


def comparison_text(table: Comparison) -> str:
    """Cells ``before+after→o`` (``a=`` the output_padding), then each scheme's formulas in ``i``."""
    settings = f"k = {table.kernel_size}, s = {table.stride}, d = {table.dilation}" + "".join(
        f", {name} = {value}" for name, value in table.parameters.items())
    name_width = max(len(row.scheme.name) for row in table.rows)

    def cell(c: Cell) -> str:
        if c.output_size is None:
            return "-"
        return f"{c.before}+{c.after}→{c.output_size}"

    # Every scheme has an a; only a declared output_padding is worth a column's width.
    grid = [[cell(c) + (f" a={c.output_padding}" if row.scheme.output_padding is not None and c.output_size
                        is not None else "") for c in row.cells] for row in table.rows]
    widths = [max(len(f"i={size}"), *(len(r[n]) for r in grid)) for n, size in enumerate(table.sizes)]
    lines = [f"padding schemes at {settings}; each cell is before+after→o",
             " " * name_width + "  " + "  ".join(f"i={size}".ljust(w) for size, w in zip(table.sizes, widths))]
    for row, cells in zip(table.rows, grid):
        if not row.applicable:
            notes = sorted({c.note for c in row.cells})
            lines.append(f"{row.scheme.name.ljust(name_width)}  n/a: {'; '.join(notes)}")
            continue
        lines.append(f"{row.scheme.name.ljust(name_width)}  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)))
    lines.append(f"formulas at {settings}:")
    for row in table.rows:
        extra = f", a = {text(row.output_padding)}" if row.scheme.output_padding is not None else ""
        lines.append(f"  {row.scheme.name.ljust(name_width)}  before = {text(row.before)}, after = {text(row.after)},"
                     f" o = {text(row.output_size)}{extra}")
    notes = [row for row in table.rows if row.scheme.framework]
    if notes:
        lines.append("frameworks:")
        lines += [f"  {row.scheme.name.ljust(name_width)}  {row.scheme.framework}" for row in notes]
    return "\n".join(lines)
