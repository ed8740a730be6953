"""The interactive page's arithmetic, printed to JavaScript from the engine's own sympy expressions.

``symconv render --format html`` writes one static page with inputs for ``i, k, s, p_l, p_r, d,
output_padding`` and ceil mode. Everything the page computes is a sympy expression taken from the
engine and printed here by :class:`JavaScriptPrinter`; the page's own script only reads the inputs
and draws. The expressions are:

- the output sizes, from :mod:`symconv.guide.shapes` called with the guide's symbols;
- the equivalent direct convolution of a transposed one, and the ``a`` that undoes a convolution,
  from :func:`symconv.guide.derive.transposed`;
- where tap ``t`` of output ``j`` falls, from the derivation's first step (``x = s j + d t - p_l``),
  and the extent of the padded input, from :func:`symconv.core.rules.fits`;
- the frameworks' refusals (:data:`RULES`), one table whose conditions come from
  :mod:`symconv.core.rules` and :mod:`symconv.guide.shapes` where those hold them as expressions.
  ``tests/test_html_page.py`` checks the table against the Python validation of ``shapes``.

Integer division is exact in the page: ``⌊a/b⌋`` prints as ``floorDiv(a, b)``, which is
``(a - pyMod(a, b)) / b``; JavaScript's ``%`` is exact on integers and ``pyMod`` gives it Python's
sign, so the quotient is an exact division of two safe integers. A float division, a fraction or a
power with a negative exponent anywhere else is refused when the page is generated.

>>> from sympy import floor, Mod
>>> from symconv.core.symbols import i, k, s, p_l, p_r, d
>>> javascript(floor((i + p_l + p_r - d*(k - 1) - 1)/s) + 1)
'floorDiv(-v.d*(v.k - 1) + v.i + v.pl + v.pr - 1, v.s) + 1'
>>> javascript(Mod(i - k, s))
'pyMod(v.i - v.k, v.s)'
>>> javascript(i / s)
Traceback (most recent call last):
...
symconv.core.errors.SymconvError: i/s is not integer arithmetic: the page would divide floats
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

import sympy
from sympy import Eq, Ge, Gt, Max, Min, Mod, Not, Piecewise, ceiling
from sympy.printing.jscode import JavascriptCodePrinter

from symconv.core import rules
from symconv.core import symbols as S
from symconv.core.errors import SymconvError
from symconv.core.printing import text
from symconv.guide.derive import transposed
from symconv.guide.shapes import conv_output_size, pool_output_size, transposed_output_size
from symconv.present.figures import ROLES

#: The page's name for each symbol: a field of the parameters object ``v`` (``i'`` is the input of
#: a transposed convolution, which the page reads from the same field as ``i``), or a function's argument.
NAMES = {S.i: "v.i", S.i_prime: "v.i", S.k: "v.k", S.s: "v.s", S.d: "v.d", S.p_l: "v.pl", S.p_r: "v.pr",
         S.a: "v.a", S.j: "j", S.t: "t"}
#: The input a symbol's value comes from, for formulas with the values substituted.
FIELDS = {S.i: "i", S.i_prime: "i", S.k: "k", S.s: "s", S.d: "d", S.p_l: "pl", S.p_r: "pr", S.a: "a"}

# A column of the drawn (padded) input, and an input unit, in the geometry functions.
column = sympy.Symbol("c", integer=True)
unit = sympy.Symbol("x", integer=True, nonnegative=True)

#: Integer arithmetic with Python's semantics; the printed expressions call only these.
HELPERS = """\
function pyMod(a, b) { const r = a % b; return (r !== 0 && (r < 0) !== (b < 0)) ? r + b : r; }
function floorDiv(a, b) { return (a - pyMod(a, b)) / b; }
function ceilDiv(a, b) { return -floorDiv(-a, b); }"""


class JavaScriptPrinter(JavascriptCodePrinter):
    """sympy's JavaScript printer, kept to exact integer arithmetic on one line."""

    def __init__(self, names: Optional[dict] = None) -> None:
        super().__init__()
        self._names = {**NAMES, column: "c", unit: "x", **(names or {})}

    def _refuse(self, expr: Any) -> str:
        raise SymconvError(f"{expr} is not integer arithmetic: the page would divide floats")

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        if expr not in self._names:
            raise SymconvError(f"the page has no value for the symbol {expr}")
        return self._names[expr]

    def _quotient(self, expr: Any) -> tuple[str, Optional[str]]:
        numerator, denominator = sympy.fraction(sympy.together(expr))
        if not (numerator.is_integer and denominator.is_integer and denominator.is_positive):
            self._refuse(expr)
        if denominator == 1:
            return self._print(numerator), None
        return self._print(numerator), self._print(denominator)

    def _print_floor(self, expr: Any) -> str:
        numerator, denominator = self._quotient(expr.args[0])
        return numerator if denominator is None else f"floorDiv({numerator}, {denominator})"

    def _print_ceiling(self, expr: Any) -> str:
        numerator, denominator = self._quotient(expr.args[0])
        return numerator if denominator is None else f"ceilDiv({numerator}, {denominator})"

    def _print_Mod(self, expr: Any) -> str:
        return f"pyMod({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_Mul(self, expr: Any) -> str:
        if any(factor.is_Pow and factor.exp.is_negative or factor.is_Rational and not factor.is_Integer
               for factor in expr.args):
            self._refuse(expr)
        return super()._print_Mul(expr)

    def _print_Pow(self, expr: Any) -> str:
        if not (expr.exp.is_Integer and expr.exp > 0):
            self._refuse(expr)
        return super()._print_Pow(expr)

    def _print_Rational(self, expr: Any) -> str:
        if not expr.is_Integer:
            self._refuse(expr)
        return str(expr)

    def _print_Float(self, expr: Any) -> str:
        return self._refuse(expr)

    def _print_Piecewise(self, expr: Any) -> str:
        if expr.args[-1].cond != sympy.true:
            raise SymconvError(f"{expr} has no otherwise-branch")
        printed = self._print(expr.args[-1].expr)
        for piece in reversed(expr.args[:-1]):
            printed = f"(({self._print(piece.cond)}) ? ({self._print(piece.expr)}) : ({printed}))"
        return printed


def javascript(expr: Any) -> str:
    """``expr`` as one line of exact integer JavaScript over the page's parameters ``v``."""
    return JavaScriptPrinter().doprint(sympy.sympify(expr))


def function(expr: Any, *arguments: str) -> str:
    """``expr`` as a JavaScript arrow function of the parameters ``v`` (and ``arguments``).

    >>> from symconv.core.symbols import s, j
    >>> function(s * j, "j")
    '(v, j) => j*v.s'
    """
    return f"({', '.join(('v', *arguments))}) => {javascript(expr)}"


_SYMBOL = re.compile(r"(?<![A-Za-z_])(i'|p_l|p_r|[iksda])(?![A-Za-z_'])")


def substituted(expr: Any) -> list[Any]:
    """``text(expr)`` split into literal text and the inputs to put in place of its letters.

    A letter becomes ``{"v": field}``; a ``·`` is added where a number would otherwise run into a
    coefficient, a bracket or another number (``2p`` becomes ``2·1``, ``d(k - 1)`` becomes ``1·(3 - 1)``).

    >>> substituted(S.d * (S.k - 1) + 1)
    [{'v': 'd'}, '·(', {'v': 'k'}, ' - 1) + 1']
    """
    names = {str(symbol): field for symbol, field in FIELDS.items()}
    parts = _SYMBOL.split(text(expr))
    pieces: list[Any] = []
    for index, part in enumerate(parts):
        if index % 2:
            pieces.append({"v": names[part]})
            continue
        if index > 0 and (part == "" or part == " ") and index + 1 < len(parts):
            part = "·"
        else:
            if index > 0 and part.startswith("("):
                part = "·" + part
            if index + 1 < len(parts) and re.search(r"[0-9)]\Z", part):
                part += "·"
        if part:
            pieces.append(part)
    return pieces


# ---------------------------------------------------------------- the refusals, as one table


@dataclass(frozen=True)
class Rule:
    """What a framework does with some parameters: refuse them, or give a size of its own.

    ``modes`` are the page's modes it applies to (``conv``, ``pool``, ``pool-ceil``, ``transposed``);
    ``message`` is text and sympy expressions, joined once the expressions are evaluated. The
    ``PyTorch`` rows are the ones :mod:`symconv.guide.shapes` enforces, in the order it checks
    them, with its messages: the first that holds is the error it raises.
    """

    framework: str
    verb: str
    parameter: str
    modes: tuple[str, ...]
    when: Any
    message: tuple[Any, ...]
    value: Any = None

    @property
    def enforced(self) -> bool:
        """Whether :mod:`symconv.guide.shapes` raises on it (PyTorch's refusals)."""
        return self.framework == "PyTorch" and self.verb == "refuses"


def _sizes() -> dict[str, Any]:
    i, i_prime, k, s, d, p_l, p_r, a = S.i, S.i_prime, S.k, S.s, S.d, S.p_l, S.p_r, S.a
    return {
        "conv": conv_output_size(i, k, s, (p_l, p_r), d),
        "pool": pool_output_size(i, k, s, (p_l, p_r), d, ceil_mode=False),
        "pool-ceil": pool_output_size(i, k, s, (p_l, p_r), d, ceil_mode=True),
        "transposed": transposed_output_size(i_prime, k, s, (p_l, p_r), d, a),
    }


@lru_cache(maxsize=1)
def rules_table() -> tuple[Rule, ...]:
    """The frameworks' refusals and disagreements the page shows, in the order it shows them.

    >>> [(rule.framework, rule.parameter) for rule in rules_table() if "transposed" in rule.modes]
    [('PyTorch', 'output_padding'), ('PyTorch', 'padding'), ('ONNX Runtime and Keras', 'output_padding')]
    """
    i, k, s, d, p_l, p_r, a = S.i, S.k, S.s, S.d, S.p_l, S.p_r, S.a
    sizes = _sizes()
    window = rules.fits(i, k, 1, d, p_l, p_r)
    ceil_window = rules.fits(i, k, s, d, p_l, p_r, ceil_mode=True)
    half = "pooling padding must be at most half the kernel size ("
    onnx_ceil = sizes["pool-ceil"].replace(Min, lambda *terms: next(t for t in terms if t.has(ceiling)))
    return (
        Rule("PyTorch", "refuses", "padding[0]", ("pool", "pool-ceil"), Gt(2 * p_l, k),
             (half, k, "), as PyTorch requires"), p_l),
        Rule("PyTorch", "refuses", "padding[1]", ("pool", "pool-ceil"), Gt(2 * p_r, k),
             (half, k, "), as PyTorch requires"), p_r),
        Rule("PyTorch", "refuses", "input_size", ("conv", "pool"), Not(window),
             ("no kernel position fits: i + p_l + p_r = ", window.lhs, " < d(k - 1) + 1 = ", window.rhs), i),
        Rule("PyTorch", "refuses", "input_size", ("pool-ceil",), Not(ceil_window),
             ("no pooling window fits: ceil mode needs i + p_l + p_r + s > d(k - 1) + 1, but i + p_l + p_r + s = ",
              i + p_l + p_r + s, " and d(k - 1) + 1 = ", rules.span(k, d)), i),
        Rule("PyTorch", "refuses", "output_padding", ("transposed",), Ge(a, Max(s, d)),
             ("output_padding must be at least 0 and smaller than max(stride, dilation) = ", Max(s, d)), a),
        Rule("PyTorch", "refuses", "padding", ("transposed",), sizes["transposed"] < 1,
             ("the transposed output size s(i' - 1) - p_l - p_r + d(k - 1) + a + 1 = ", sizes["transposed"],
              " must be at least 1")),
        Rule("ONNX Runtime and Keras", "refuse", "output_padding", ("transposed",), Ge(a, s),
             ("output_padding must be smaller than stride = ", s, " (PyTorch allows up to max(stride, dilation) - 1)"),
             a),
        Rule("onnx shape inference (opset ≤ 21)", "gives", "", ("pool-ceil",),
             ceil_window & sympy.Ne(onnx_ceil, sizes["pool-ceil"]),
             (text(onnx_ceil), " = ", onnx_ceil, ", keeping a last window that starts in the right padding;"
              " PyTorch and onnxruntime drop it")),
    )


# ---------------------------------------------------------------- what each mode shows and draws


def _roles(**cases: Any) -> Any:
    return Piecewise(*((sympy.Integer(ROLES.index(role)), condition) for role, condition in cases.values()))


def _geometry(size: Any, transposed_mode: bool) -> dict[str, str]:
    """Where the page draws the input, the padding and each tap, as functions of the parameters."""
    i, k, s, d, p_l, a, j, t = S.i, S.k, S.s, S.d, S.p_l, S.a, S.j, S.t
    derivation = transposed()
    reads = derivation.steps[0].statement  # x = s j + d t - p_l: the input unit tap t of output j reads
    if not (isinstance(reads, Eq) and reads.rhs.has(j, t, p_l)):
        raise SymconvError(f"the transposed derivation no longer starts from where a tap reads: {reads}")
    tap = reads.rhs + p_l  # its column in the padded input
    c = column
    if not transposed_mode:
        extent = rules.fits(i, k, 1, d, p_l, S.p_r).lhs
        return {
            "extent": function(extent), "units": function(i), "column": function(unit + p_l, "x"),
            "tap": function(tap, "j", "t"), "kernel": function(t, "t"), "count": function(size),
            "role": function(_roles(before=("padding", c < p_l), inside=("input", c < p_l + i),
                                    after=("padding", sympy.true)), "c"),
        }
    eq = derivation.equivalent
    before, after = eq.padding[0], eq.padding[1] + a
    extent = eq.stretched_input + before + after
    step = eq.zeros_between + 1
    inside = c < before + eq.stretched_input
    return {
        "extent": function(extent), "units": function(S.i_prime), "column": function(before + unit * step, "x"),
        "tap": function(tap.subs({s: eq.stride, d: eq.dilation}, simultaneous=True), "j", "t"),
        "kernel": function(eq.kernel_size - 1 - t, "t"), "count": function(size),
        # The a extra zeros end the padding after; when that padding crops (p' + a < d(k - 1) - p_r + a),
        # the units it keeps are still units.
        "role": function(_roles(before=("padding", c < before), unit=("input", inside & Eq(Mod(c - before, step), 0)),
                                zero=("inserted", inside), extra=("extra", c >= extent - a),
                                after=("padding", sympy.true)), "c"),
    }


def _quantity(name: str, expr: Any, note: str = "") -> dict[str, Any]:
    return {"name": name, "formula": text(expr), "substituted": substituted(expr), "value": function(expr),
            "note": note}


def _modes() -> dict[str, dict[str, Any]]:
    sizes = _sizes()
    eq = transposed().equivalent
    undo = ("the output_padding with which the transposed convolution gives back i"
            " (0 ≤ a < s: the transpose of this convolution)")
    direct = {
        "conv": ("Convolution", "o", [("a", eq.a, undo)]),
        "pool": ("Pooling", "o", []),
        "pool-ceil": ("Pooling, ceil mode", "o", []),
    }
    modes: dict[str, dict[str, Any]] = {}
    for name, (title, output, extra) in direct.items():
        modes[name] = {"title": title, "quantities": [_quantity(output, sizes[name])]
                       + [_quantity(*entry) for entry in extra],
                       "geometry": _geometry(sizes[name], transposed_mode=False)}
    modes["transposed"] = {
        "title": "Transposed convolution",
        "quantities": [
            _quantity("o'", sizes["transposed"]),
            _quantity("ĩ'", eq.stretched_input, "the stretched input: s - 1 zeros between the i' units"),
            _quantity("p'", eq.padding[0], "the equivalent convolution's padding before (cropping when negative);"
                                           " k' = k flipped, s' = 1, d' = d"),
            _quantity("p' + a", eq.padding[1] + S.a, "its padding after, with the a = output_padding extra zeros"),
        ],
        "geometry": _geometry(sizes["transposed"], transposed_mode=True),
    }
    for rule in rules_table():
        for mode in rule.modes:
            modes[mode].setdefault("rules", []).append({
                "framework": rule.framework, "verb": rule.verb, "parameter": rule.parameter,
                "enforced": rule.enforced, "when": function(rule.when),
                "value": None if rule.value is None else function(rule.value),
                "message": [part if isinstance(part, str) else function(part) for part in rule.message],
            })
    return modes


def _functions_as_code(value: Any) -> str:
    """``value`` as a JavaScript literal: JSON, except that the strings holding arrow functions stay code."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {_functions_as_code(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_functions_as_code(item) for item in value) + "]"
    if isinstance(value, str) and value.startswith("(v") and " => " in value:
        return value
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=1)
def page_script() -> str:
    """The page's generated script: the helpers, and ``SYMCONV``, every mode's formulas, rules and geometry.

    >>> script = page_script()
    >>> "floorDiv(" in script and "Math.floor" not in script and "</" not in script
    True
    """
    data = {"roles": list(ROLES), "modes": _modes()}
    script = f"{HELPERS}\nconst SYMCONV = {_functions_as_code(data)};\n"
    # Nothing in it can close the script element it is inlined in.
    return script.replace("</", "<\\/")


@dataclass(frozen=True)
class Parameter:
    """One input of the page: its field in ``v``, its label, the values it accepts and its slider's range."""

    id: str
    label: str
    range: tuple[int, int]
    slider: tuple[int, int]
    value: int


#: The page's inputs, with the guide's example 2.6 (i = 5, k = 3, s = 2, p = 1) to start from. The limits keep
#: every product well inside JavaScript's safe integers.
PARAMETERS = (
    Parameter("i", "i (input)", (1, 4096), (1, 32), 5),
    Parameter("k", "k (kernel)", (1, 256), (1, 9), 3),
    Parameter("s", "s (stride)", (1, 256), (1, 6), 2),
    Parameter("pl", "p_l (before)", (0, 256), (0, 8), 1),
    Parameter("pr", "p_r (after)", (0, 256), (0, 8), 1),
    Parameter("d", "d (dilation)", (1, 256), (1, 5), 1),
    Parameter("a", "a (output_padding)", (0, 256), (0, 6), 0),
)


def parameters_json() -> str:
    """The inputs as the page's script reads them."""
    return json.dumps([{"id": p.id, "label": p.label, "range": list(p.range), "slider": list(p.slider),
                        "value": p.value} for p in PARAMETERS])
