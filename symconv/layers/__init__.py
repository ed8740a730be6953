"""Stacks of layers: symbolic output sizes, receptive fields and alignment.

Real networks stack layers. A U-Net floors an odd size on the way down,
doubles it on the way up and crashes on a concatenation (88 vs 89). This module
composes the per-layer formulas of :mod:`symconv.guide.shapes` into the size of every
layer as a function of the input size ``i``, computes receptive fields exactly,
and decides which input sizes make a stack run, keep its size or align its skip
connections, as residue classes.

Text form
---------
A stack is layers separated by ``;``, optionally followed by ``|`` and
alignment pairs separated by ``,``::

    stack := layer (";" layer)* ["|" pair ("," pair)*]
    layer := ("conv" | "pool" | "tconv") item*
    item  := "k=" INT | "s=" INT | "p=" INT | "p=" INT "," INT | "d=" INT
           | "op=" INT | "ceil" | "scheme=" NAME | "@" NAME
    pair  := NAME "=" NAME

``k`` is the kernel size (required), ``s`` the stride (default 1; for ``pool``
the kernel size), ``p`` the padding (``B,A`` pads B before and A after, no
spaces), ``d`` the dilation, ``op`` a transposed layer's output padding,
``ceil`` ceil-mode pooling. ``scheme=NAME`` names a padding scheme ("half",
"tf-same", ...); schemes are resolved by :func:`scheme_padding`, which refuses
them for now.

**Taps** name a layer's output: ``@e1`` on a layer tags its output ``e1``.
Tap names are ASCII identifiers and unique within a stack. **Pairs** after the
``|`` ask for alignment: ``e1=d1`` means the output of the layer tagged ``e1``
must be as long as the output of the layer tagged ``d1`` (a skip connection
concatenates them). A U-Net level::

    conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1

>>> net = parse_stack("conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1")
>>> output_size(net)
2*floor(i/2)
>>> print(aligned_inputs(net).answer)
i ≡ 0 (mod 2), i ≥ 2

Text is read by a hand-written tokenizer (whitespace, then a regular expression
per token); it never reaches ``eval``, ``exec`` or ``sympify``. Malformed text
raises a one-line :class:`~symconv.core.errors.ParseError` naming the layer and the
token; a value that breaks a rule (``k=0``, ``p=-1``, ``op=2`` with ``s=2``)
raises a :class:`~symconv.core.errors.ParameterError` naming the layer, the key and
the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import gcd, prod
from typing import Callable, Optional, Sequence, Union

import sympy
from sympy import Eq, Expr, Poly, Symbol, ceiling, floor

from symconv.core import symbols
from symconv.core.validation import positive
from symconv.core.errors import ParameterError, ParseError, SchemeError, SymconvError
from symconv.core.steps import Step
from symconv.core.printing import text
from symconv.guide.shapes import conv_output_size, pool_output_size, transposed_output_size

Size = Union[int, Expr]
Exact = Union[int, Fraction]

OPS = ("conv", "pool", "tconv")
MAX_TEXT_LENGTH = 10_000  #: characters of a stack's text
MAX_LAYERS = 500  #: layers of a stack's text
MAX_INTEGER = 10**6  #: largest integer in a stack's text
#: The longest period tabulated: residue classes of a decision, and the
#: repeating pattern of receptive fields behind transposed layers.
MAX_PERIOD = 4096

#: The nonnegative integer of the substitution i = M*m + r.
m = Symbol("m", integer=True, nonnegative=True)


@dataclass(frozen=True)
class Layer:
    """One layer: ``op`` is "conv", "pool" or "tconv" (transposed convolution).

    ``stride=None`` means the framework default: the kernel size for pooling,
    1 otherwise. ``padding`` is an int or a ``(before, after)`` pair.

    >>> Layer("pool", 2)
    Layer(op='pool', kernel_size=2, stride=2, padding=(0, 0), dilation=1, output_padding=0, ceil_mode=False, tap=None, scheme=None)
    >>> str(Layer("tconv", 4, stride=2, padding=1, output_padding=1, tap="d1"))
    'tconv k=4 s=2 p=1 op=1 @d1'
    """

    op: str
    kernel_size: int
    stride: Optional[int] = None
    padding: Union[int, tuple[int, int]] = 0
    dilation: int = 1
    output_padding: int = 0
    ceil_mode: bool = False
    tap: Optional[str] = None
    scheme: Optional[str] = None

    def __post_init__(self) -> None:
        if self.stride is None:
            object.__setattr__(self, "stride", self.kernel_size if self.op == "pool" else 1)
        if isinstance(self.padding, list):
            object.__setattr__(self, "padding", tuple(self.padding))
        elif not isinstance(self.padding, tuple):
            object.__setattr__(self, "padding", (self.padding, self.padding))

    def __str__(self) -> str:
        before, after = self.padding
        default_stride = self.kernel_size if self.op == "pool" else 1
        items = [self.op, f"k={self.kernel_size}"]
        items += [f"s={self.stride}"] if self.stride != default_stride else []
        items += [f"p={before}" if before == after else f"p={before},{after}"] if (before, after) != (0, 0) else []
        items += [f"d={self.dilation}"] if self.dilation != 1 else []
        items += [f"op={self.output_padding}"] if self.output_padding != 0 else []
        items += ["ceil"] if self.ceil_mode else []
        items += [f"scheme={self.scheme}"] if self.scheme is not None else []
        items += [f"@{self.tap}"] if self.tap is not None else []
        return " ".join(items)


@dataclass(frozen=True)
class Stack:
    """Layers applied in order, and pairs of taps whose outputs must align.

    Construction checks every value and names the first bad layer:

    >>> Stack([Layer("conv", 0)])
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: layer 1 k=0 is invalid: kernel_size must be a positive integer
    """

    layers: tuple[Layer, ...]
    pairs: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.layers, (str, bytes)) or not hasattr(self.layers, "__iter__"):
            raise ParameterError("layers", type(self.layers).__name__, "layers must be a sequence of Layer")
        object.__setattr__(self, "layers", tuple(self.layers))
        for number, layer in enumerate(self.layers, 1):
            if not isinstance(layer, Layer):
                raise ParameterError(f"layer {number}", type(layer).__name__, "expected a Layer")
        object.__setattr__(self, "pairs", tuple(tuple(pair) for pair in self.pairs))
        if not self.layers:
            raise ParameterError("layers", (), "a stack needs at least one layer")
        taps: dict[str, int] = {}
        for number, layer in enumerate(self.layers, 1):
            _check_layer(layer, number)
            if layer.tap in taps:
                raise ParameterError(
                    f"layer {number} tap", layer.tap, f"tap names must be unique; it is already on layer {taps[layer.tap]}"
                )
            if layer.tap is not None:
                taps[layer.tap] = number
        for number, pair in enumerate(self.pairs, 1):
            unknown = [name for name in pair if name not in taps]
            if len(pair) != 2 or unknown:
                reason = f"{unknown[0]!r} is not a tap" if unknown else "a pair names two taps"
                raise ParameterError(f"pair {number}", "=".join(map(str, pair)),
                                     f"{reason} (the taps: {', '.join(taps) or 'none'})")

    def tap_index(self, name: str) -> int:
        """The position in :attr:`layers` of the layer tagged ``name``."""
        for n, layer in enumerate(self.layers):
            if layer.tap == name:
                return n
        raise ParameterError("tap", name, "no layer of the stack carries this tap")

    def __str__(self) -> str:
        layers = "; ".join(map(str, self.layers))
        return layers + (" | " + ", ".join(f"{a}={b}" for a, b in self.pairs) if self.pairs else "")


# ---------------------------------------------------------------- one layer

_TEXT_KEYS = {
    "kernel_size": "k", "stride": "s", "padding": "p", "padding[0]": "p", "padding[1]": "p",
    "dilation": "d", "output_padding": "op", "ceil_mode": "ceil",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


def _check_layer(layer: Layer, number: int) -> None:
    def fail(name: str, value: object, rule: str) -> ParameterError:
        return ParameterError(f"layer {number} {_TEXT_KEYS.get(name, name)}", value, rule)

    if layer.op not in OPS:
        raise fail("op", layer.op, "op must be conv, pool or tconv")
    if not isinstance(layer.ceil_mode, bool):
        raise fail("ceil_mode", layer.ceil_mode, "ceil_mode must be True or False")
    if layer.ceil_mode and layer.op != "pool":
        raise fail("ceil_mode", True, "ceil mode applies to pool layers only")
    if layer.output_padding != 0 and layer.op != "tconv":
        raise fail("output_padding", layer.output_padding, "output padding applies to tconv layers only")
    if layer.tap is not None and not (isinstance(layer.tap, str) and _NAME.match(layer.tap)):
        raise fail("tap", layer.tap, "a tap name is an ASCII identifier")
    try:
        # The shape functions check every parameter; a symbolic input size
        # keeps them from judging any particular input.
        _apply(layer, symbols.i)
    except ParameterError as error:
        raise fail(error.name, error.value, error.rule) from None


def scheme_padding(layer: Layer, input_size: Optional[Size]) -> tuple[Size, Size]:
    """The ``(before, after)`` padding of ``layer`` for ``input_size``.

    A padding scheme may depend on the input size (TF "SAME" does), so it is
    resolved layer by layer as sizes flow; ``input_size`` is None where no size
    is known (receptive fields), and a scheme that needs one is refused there.

    >>> scheme_padding(Layer("conv", 3, padding=(0, 1)), 5)
    (0, 1)
    >>> scheme_padding(Layer("conv", 4, stride=2, scheme="tf-same"), 7)
    (1, 2)
    """
    if layer.scheme is None:
        return layer.padding
    from symconv import schemes

    try:
        chosen = schemes.scheme(layer.scheme)
    except SchemeError as error:
        raise ParameterError("scheme", layer.scheme, error.reason) from None
    if chosen.parameters:
        raise ParameterError("scheme", layer.scheme, f"it declares parameters ({', '.join(map(str, chosen.parameters))});"
                             " give the layer's padding with p= instead")
    if chosen.ceil_mode != (layer.op == "pool" and layer.ceil_mode):
        raise ParameterError("scheme", layer.scheme, "a ceil-mode scheme goes on a pool layer marked 'ceil', and only there")
    if isinstance(input_size, int):
        return chosen.padding(input_size, layer.kernel_size, layer.stride, layer.dilation)
    sides = (chosen.before, chosen.after)
    if input_size is None and any(side.has(symbols.i) for side in sides):
        raise ParameterError("scheme", layer.scheme, "its padding depends on the input size, so it has no fixed receptive field")
    values = {symbols.i: input_size, symbols.k: layer.kernel_size, symbols.s: layer.stride, symbols.d: layer.dilation}
    for condition in chosen.where:
        if condition.xreplace(values) is sympy.false:
            raise ParameterError("scheme", layer.scheme, f"it needs {text(condition)}")
    return tuple(side.xreplace(values) for side in sides)


def _apply(layer: Layer, size: Size) -> Size:
    padding = scheme_padding(layer, size)
    if layer.scheme is not None and not isinstance(size, int):
        # The scheme's output size in the form its checker proved equal to the general formula.
        from symconv import schemes

        values = {symbols.i: size, symbols.k: layer.kernel_size, symbols.s: layer.stride, symbols.d: layer.dilation}
        return schemes.output_size(schemes.scheme(layer.scheme)).xreplace(values)
    if layer.op == "conv":
        return conv_output_size(size, layer.kernel_size, layer.stride, padding, layer.dilation)
    if layer.op == "pool":
        return pool_output_size(size, layer.kernel_size, layer.stride, padding, layer.dilation, layer.ceil_mode)
    return transposed_output_size(size, layer.kernel_size, layer.stride, padding, layer.dilation, layer.output_padding)


# ---------------------------------------------------------------- parsing


def parse_stack(source: str) -> Stack:
    """Read a stack from its text form (see the module docstring).

    >>> parse_stack("conv k=3 s=2 p=1; pool k=2 s=2 ceil; tconv k=4 s=2 p=1 op=1").layers[1]
    Layer(op='pool', kernel_size=2, stride=2, padding=(0, 0), dilation=1, output_padding=0, ceil_mode=True, tap=None, scheme=None)
    >>> parse_stack("conv k=3; cnv k=3")
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParseError: cannot parse 'cnv k=3': 'cnv' at column 1: layer 2: unknown op, expected conv, pool or tconv
    """
    if not isinstance(source, str):
        raise ParseError(repr(source)[:40], 0, repr(source)[:20], "a stack's text must be a string")
    if len(source) > MAX_TEXT_LENGTH:
        raise ParseError(source[:40] + "...", MAX_TEXT_LENGTH, source[MAX_TEXT_LENGTH:][:10],
                         f"a stack's text is at most {MAX_TEXT_LENGTH} characters")
    body, *rest = source.split("|")
    if len(rest) > 1:
        raise ParseError(source, len(body) + len(rest[0]) + 1, "|", "only one '|' may start the alignment pairs")
    if not body.strip():
        raise ParseError(source, 0, source, "empty stack: give at least one layer")
    segments = body.split(";")
    if len(segments) > MAX_LAYERS:
        raise ParseError(source[:40] + "...", 0, "", f"a stack's text has at most {MAX_LAYERS} layers")
    layers, position = [], 0
    for number, segment in enumerate(segments, 1):
        if not segment.strip():
            raise ParseError(source, position, segment, f"layer {number} is empty")
        layers.append(_parse_layer(segment.strip(), number))
        position += len(segment) + 1
    return Stack(tuple(layers), _parse_pairs(rest[0]) if rest else ())


_KEYS = {"k": "kernel_size", "s": "stride", "p": "padding", "d": "dilation", "op": "output_padding", "scheme": "scheme"}
_INT = re.compile(r"[+-]?[0-9]+\Z")
_PAIR = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([A-Za-z_][A-Za-z0-9_]*)\s*\Z")


def _parse_layer(source: str, number: int) -> Layer:
    tokens = [(match.start(), match.group()) for match in re.finditer(r"\S+", source)]

    def fail(position: int, token: str, reason: str) -> ParseError:
        return ParseError(source, position, token, f"layer {number}: {reason}")

    (_, op), *items = tokens
    if op not in OPS:
        raise fail(0, op, "unknown op, expected conv, pool or tconv")
    values: dict[str, object] = {}
    for position, token in items:
        key, equals, value = token.partition("=")
        if token == "ceil":
            key, parsed = "ceil_mode", True
        elif token.startswith("@"):
            if not _NAME.match(token[1:]):
                raise fail(position, token, "a tap is '@' and an ASCII identifier, like @e1")
            key, parsed = "tap", token[1:]
        elif equals and key in _KEYS:
            key, parsed = _KEYS[key], _parse_value(key, value, lambda reason: fail(position, token, reason))
        else:
            raise fail(position, token, "unknown item, expected k=, s=, p=, d=, op=, scheme=, ceil or @name")
        if key in values:
            raise fail(position, token, f"{token.partition('=')[0]} given twice")
        values[key] = parsed
    if "kernel_size" not in values:
        raise fail(0, op, "k= is required")
    if "scheme" in values and "padding" in values:
        raise fail(0, op, "give p= or scheme=, not both")
    return Layer(op, **values)


def _parse_value(key: str, value: str, fail: Callable[[str], ParseError]) -> object:
    if key == "scheme":
        if not _SCHEME.match(value):
            raise fail("a scheme is a name like half or tf-same")
        return value
    parts = value.split(",") if key == "p" else [value]
    if len(parts) > 2:
        raise fail("p= is one integer or two (before,after)")
    for part in parts:
        if not _INT.match(part):
            raise fail("expected an integer, or B,A without spaces" if key == "p" else "expected an integer")
        if abs(int(part)) > MAX_INTEGER:
            raise fail(f"integers are at most {MAX_INTEGER}")
    numbers = tuple(int(part) for part in parts)
    return numbers if len(numbers) == 2 else numbers[0]


def _parse_pairs(source: str) -> tuple[tuple[str, str], ...]:
    source = source.strip()
    pairs, position = [], 0
    for piece in source.split(","):
        match = _PAIR.match(piece)
        if not match:
            raise ParseError(source, position, piece.strip(), "expected an alignment pair of taps like e1=d1")
        pairs.append((match.group(1), match.group(2)))
        position += len(piece) + 1
    return tuple(pairs)


# ---------------------------------------------------------------- sizes


def _as_stack(value: object) -> "Stack":
    if not isinstance(value, Stack):
        raise ParameterError("stack", type(value).__name__, "expected a Stack: build one with parse_stack(text)")
    return value


def _as_input(value: object) -> object:
    """An input size: a positive int, a sympy expression, or a non-empty tuple of those."""
    if isinstance(value, (tuple, list)):
        if not value:
            raise ParameterError("input_size", (), "give at least one axis")
        return tuple(_as_input(axis) for axis in value)
    if isinstance(value, Expr) and not value.is_Integer:
        return value
    return positive("input_size", value)


def sizes(stack: Stack, input_size: Union[int, Sequence[int]]) -> list:
    """Every layer's output size, or a ParameterError naming the first layer that fails.

    A tuple of sizes runs the stack along each axis: one tuple a layer.

    >>> net = parse_stack("conv k=7 s=2 p=3; pool k=3 s=2 p=1")
    >>> sizes(net, 224), sizes(net, (224, 160))
    ([112, 56], [(112, 80), (56, 40)])
    >>> sizes(parse_stack("conv k=3; pool k=2"), 3)
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: layer 2 (pool k=2) input_size=1 is invalid: no kernel position fits: i + p_l + p_r = 1 < d(k - 1) + 1 = 2
    """
    stack, input_size = _as_stack(stack), _as_input(input_size)
    if isinstance(input_size, tuple):
        return list(zip(*(sizes(stack, axis) for axis in input_size)))
    result, size = [], input_size
    for number, layer in enumerate(stack.layers, 1):
        try:
            size = _apply(layer, size)
        except ParameterError as error:
            raise ParameterError(f"layer {number} ({layer}) {error.name}", error.value, error.rule) from None
        result.append(size)
    return result


# The identity that keeps composed sizes flat: for real x, integer b and
# positive integers a and c,
#     floor((floor(x/a) + b)/c) = floor((x + a*b)/(a*c)),
# since floor(floor(z)/c) = floor(z/c) for real z (here z = x/a + b). So a
# stride-2 layer after a stride-2 layer is one floor of i/4, not two floors.


def _split(argument: Expr) -> Optional[tuple[Expr, int, Expr]]:
    """``argument`` as ``G/c + beta`` with G integer-valued, c a positive integer, beta a number."""
    beta, rest = argument.as_coeff_Add()
    coeff, inner = rest.as_coeff_Mul()
    if coeff.is_Rational and coeff.p == 1 and inner.is_integer:
        return inner, int(coeff.q), beta
    return None


def _ceiling_as_floor(rounded: Expr) -> Expr:
    # For integer G: ceil(G/c + beta) = ceil((G + ceil(c*beta))/c) = floor((G + ceil(c*beta) + c - 1)/c).
    split = _split(rounded.args[0])
    if split is None:
        return rounded
    inner, c, beta = split
    return floor((inner + ceiling(c * beta) + c - 1) / c)


def _flatten(rounded: Expr) -> Expr:
    """A floor or ceiling of a floor (or ceiling) of ``u``, as one floor of ``u``."""
    split = _split(rounded.args[0])
    if split is None:
        return rounded
    inner, c, beta = split
    if isinstance(inner, ceiling):
        inner = _ceiling_as_floor(inner)
    if not isinstance(inner, floor):
        return rounded
    # floor(G/c + beta) = floor((G + floor(c*beta))/c) for integer G, the
    # ceiling as above; then the identity with G = floor(u).
    shift = ceiling(c * beta) + c - 1 if isinstance(rounded, ceiling) else floor(c * beta)
    return floor((inner.args[0] + shift) / c)


def _ceil_mode(output: Expr, layer: Layer, size: Expr, padding: tuple[Size, Size]) -> Expr:
    """A ceil-mode pool's size, with the last-window rule dropped where it never applies.

    shapes.py gives ``min(⌈reach/s⌉, ⌊(i + p_l - 1)/s⌋) + 1``. The last window
    starts at most s - 1 past i + p_l + p_r - d(k - 1) - 1, so it always starts
    inside the input or the left padding when p_r + s - 1 <= d(k - 1), as in
    every pool whose stride is at most its kernel: then the min is its ceiling.
    """
    if padding[1] + layer.stride - 1 <= layer.dilation * (layer.kernel_size - 1):
        # Only this layer's min (the input may hold earlier ones), and only when it
        # still reads min(⌈…⌉, ⌊…⌋): sympy may evaluate a ceiling away or flatten
        # nested mins, and then the exact min is kept as it is. It may also pull an
        # integer out of the ceiling (⌈x - 1⌉ = ⌈x⌉ - 1), so look past that.
        ours = sympy.sympify(output).atoms(sympy.Min) - sympy.sympify(size).atoms(sympy.Min)
        chosen = {}
        for m in ours:
            ceilings = [arg for arg in m.args if isinstance(arg.as_coeff_Add()[1], ceiling)]
            floors = [arg for arg in m.args if isinstance(arg.as_coeff_Add()[1], floor)]
            if len(m.args) == 2 and len(ceilings) == 1 and len(floors) == 1:
                chosen[m] = ceilings[0]
        return output.xreplace(chosen)
    return output


@lru_cache(maxsize=64)
def _expressions(stack: Stack, i: Expr) -> tuple[Expr, ...]:
    result, size = [], i
    for layer in stack.layers:
        padding = scheme_padding(layer, size)
        output = _apply(layer, size)
        if layer.op == "pool" and layer.ceil_mode:
            output = _ceil_mode(output, layer, size, padding)
        size = output.replace(lambda e: isinstance(e, (floor, ceiling)), _flatten)
        result.append(size)
    return tuple(result)


def simplification_steps(stack: Stack, i: Expr = symbols.i) -> tuple[Step, ...]:
    """Each layer's size from the one before it, then with its nested floors merged.

    >>> [text(step.statement) for step in simplification_steps(parse_stack("pool k=2; pool k=2"))]
    ['o_1 = ⌊i/2⌋', 'o_2 = ⌊⌊i/2⌋/2⌋', 'o_2 = ⌊i/4⌋']
    """
    steps, size = [], i
    for number, (layer, merged) in enumerate(zip(stack.layers, _expressions(stack, i)), start=1):
        name = Symbol(f"o_{number}", integer=True)
        output = _apply(layer, size)
        if layer.op == "pool" and layer.ceil_mode:
            output = _ceil_mode(output, layer, size, scheme_padding(layer, size))
            steps.append(Step(Eq(name, output), f"layer {number}: {layer} (ceil mode, the last-window rule resolved)"))
        else:
            steps.append(Step(Eq(name, output), f"layer {number}: {layer}"))
        if output != merged:
            steps.append(Step(Eq(name, merged), "nested floors and ceilings merged into one floor: ⌊(⌊x⌋ + b)/c⌋ = ⌊(x + b)/c⌋ for integers b and c > 0"))
        size = merged
    return tuple(steps)


def decision_steps(decision: "Decision") -> tuple[Step, ...]:
    """The proof of a decision: per residue class, the substitution, the linear conditions and the verdict."""
    steps = [Step(sympy.Tuple(*decision.conditions), f"{decision.query}; the sizes are periodic mod {decision.modulus}")
             ] if decision.conditions else []
    for case in decision.cases:
        verdict = {"always": "holds for every m", "never": "holds for no m",
                   "once": f"holds only at i = {case.size}"}[case.verdict]
        steps.append(Step(sympy.Tuple(case.substitution, *case.conditions), f"i ≡ {case.residue} (mod {decision.modulus}): {verdict}"))
    steps.append(Step(sympy.Ge(symbols.i, decision.minimum),
                      "the smallest input on which every layer has a kernel position"
                      + (f" ({decision.below_minimum})" if decision.below_minimum else "")))
    return tuple(steps)


def size_expressions(stack: Stack, i: Expr = symbols.i) -> tuple[Expr, ...]:
    """Every layer's output size as an expression in ``i``, nested floors merged.

    >>> size_expressions(parse_stack("pool k=2; pool k=2; tconv k=2 s=2"))
    (floor(i/2), floor(i/4), 2*floor(i/4))
    """
    return _expressions(stack, i)


def output_size(stack: Stack, i: Union[Size, Sequence[Size]] = symbols.i) -> Union[Size, tuple[Size, ...]]:
    """The stack's output size: an expression for a symbol, an int for an int, a tuple per axis.

    >>> from sympy import symbols as syms
    >>> h, w = syms("h w", integer=True, positive=True)
    >>> output_size(parse_stack("conv k=3 s=2 p=1; conv k=3 s=2 p=1"))
    floor(i/4 - 1/4) + 1
    >>> output_size(parse_stack("pool k=2; pool k=2"), (h, 70))
    (floor(h/4), 17)
    """
    stack, i = _as_stack(stack), _as_input(i)
    if isinstance(i, tuple):
        return tuple(output_size(stack, axis) for axis in i)
    if isinstance(i, Expr):
        return _expressions(stack, i)[-1]
    return sizes(stack, i)[-1]


# ---------------------------------------------------------------- receptive fields


@dataclass(frozen=True)
class ReceptiveField:
    """What the output units of a stack see of its input, in input indices.

    ``size`` is r, the most input units any output unit spans; ``stride`` is
    the effective stride j; ``padding`` the effective padding P, so output
    unit 0's region starts at input -P; ``offset`` the centre of unit 0's
    region. Without transposed layers every unit u spans
    ``u*j - P .. u*j - P + r - 1`` with centre ``offset + u*j``. Transposed
    layers make the regions repeat with a period: ``regions`` holds the
    ``(first, last)`` input of units 0, 1, ..., one period (None where a unit
    sees no input), and :meth:`region` gives any unit's.
    """

    size: int
    stride: Exact
    padding: Optional[int]
    offset: Optional[Exact]
    regions: tuple[Optional[tuple[int, int]], ...] = field(repr=False)

    def region(self, unit: int) -> Optional[tuple[int, int]]:
        """The first and last input index that output ``unit`` depends on (padding included).

        >>> receptive_field(parse_stack("conv k=3 p=1; conv k=3 s=2")).region(2)
        (3, 7)
        """
        period = len(self.regions)
        span = self.regions[unit % period]
        if span is None:
            return None
        shift = int(unit // period * period * self.stride)
        return span[0] + shift, span[1] + shift


@dataclass(frozen=True)
class _Regions:
    """The ends of every unit's input region: ``f(u + q) = f(u) + step`` with q = len(first)."""

    first: tuple[Optional[int], ...]
    last: tuple[Optional[int], ...]
    step: int

    def at(self, table: tuple[Optional[int], ...], unit: int) -> Optional[int]:
        end = table[unit % len(table)]
        return None if end is None else end + unit // len(table) * self.step

    def hull(self, start: int, delta: int, count: int) -> tuple[Optional[int], Optional[int]]:
        """The region of units ``start, start + delta, ...`` (``count`` of them, delta > 0)."""
        # Within one residue class mod q the ends grow by step > 0, so the
        # lowest first end is in the first unit of some class and the highest
        # last end in the final one: q/gcd(q, delta) units from each end suffice.
        period = len(self.first)
        span = min(count, period // gcd(period, delta))
        firsts = [self.at(self.first, start + delta * n) for n in range(span)]
        lasts = [self.at(self.last, start + delta * (count - 1 - n)) for n in range(span)]
        seen = [end for end in firsts if end is not None]
        return (min(seen), max(end for end in lasts if end is not None)) if seen else (None, None)


def _through_window(regions: _Regions, layer: Layer) -> _Regions:
    # Output u of a convolution or pooling takes input s*u - p_l + d*t, t = 0..k-1.
    # With period 1 this is the recurrence r += d(k - 1) j, P += p_l j, j *= s.
    before, stride = scheme_padding(layer, None)[0], layer.stride
    period = len(regions.first) // gcd(len(regions.first), stride)
    ends = [regions.hull(stride * u - before, layer.dilation, layer.kernel_size) for u in range(period)]
    step = regions.step * stride * period // len(regions.first)
    return _Regions(tuple(e[0] for e in ends), tuple(e[1] for e in ends), step)


def _through_transposed(regions: _Regions, layer: Layer) -> _Regions:
    # Output y of a transposed convolution takes input x through tap t when
    # s*x + d*t - p_l = y. Shifting y by s shifts x by 1, so the period grows s-fold.
    before, stride, dilation = scheme_padding(layer, None)[0], layer.stride, layer.dilation
    every = stride // gcd(stride, dilation)  # taps that land on a whole x recur every s/gcd(s, d)
    ends = []
    for y in range(stride * len(regions.first)):
        first_tap = next((t for t in range(min(layer.kernel_size, every)) if (y + before - dilation * t) % stride == 0), None)
        if first_tap is None:
            ends.append((None, None))
            continue
        count = (layer.kernel_size - 1 - first_tap) // every + 1
        # x falls by d/gcd(s, d) as t rises by s/gcd(s, d): the last tap reaches the lowest x.
        lowest = (y + before - dilation * (first_tap + (count - 1) * every)) // stride
        ends.append(regions.hull(lowest, dilation // gcd(stride, dilation), count))
    return _Regions(tuple(e[0] for e in ends), tuple(e[1] for e in ends), regions.step)


def _exact(value: Fraction) -> Exact:
    return value.numerator if value.denominator == 1 else value


def _field(regions: _Regions) -> ReceptiveField:
    spans = tuple(None if f is None else (f, l) for f, l in zip(regions.first, regions.last))
    size = max((l - f + 1 for f, l in filter(None, spans)), default=0)
    stride = _exact(Fraction(regions.step, len(spans)))
    if spans[0] is None:
        return ReceptiveField(size, stride, None, None, spans)
    first, last = spans[0]
    return ReceptiveField(size, stride, -first, _exact(Fraction(first + last, 2)), spans)


def receptive_fields(stack: Stack) -> list[ReceptiveField]:
    """The receptive field of the stack up to each layer, exactly.

    Convolutions and pooling follow the recurrences of Araujo et al. (Distill,
    2019): r += d(k - 1) j, P += p_l j, j *= s. A transposed layer is composed
    through its connectivity instead, since its outputs see different numbers
    of inputs unless s divides k; with d = 1 and s | k it is
    r += (k/s - 1) j, j /= s.

    >>> [(f.size, f.stride, f.padding) for f in receptive_fields(parse_stack("conv k=3 p=1; pool k=2; tconv k=4 s=2 p=1"))]
    [(3, 1, 1), (4, 2, 1), (6, 1, 3)]
    """
    stack = _as_stack(stack)
    regions, result = _Regions((0,), (0,), 1), []
    for number, layer in enumerate(stack.layers, 1):
        if layer.op != "tconv":
            regions = _through_window(regions, layer)
        elif len(regions.first) * layer.stride <= MAX_PERIOD:
            regions = _through_transposed(regions, layer)
        else:
            period = len(regions.first) * layer.stride
            raise ParameterError(f"layer {number} ({layer}) s", layer.stride,
                                 f"receptive fields would repeat with period {period}, more than {MAX_PERIOD} to tabulate")
        result.append(_field(regions))
    return result


def receptive_field(stack: Stack) -> ReceptiveField:
    """The receptive field of the whole stack.

    >>> receptive_field(parse_stack("conv k=3 p=1; conv k=3 p=1; pool k=2"))
    ReceptiveField(size=6, stride=2, padding=2, offset=Fraction(1, 2))
    """
    return receptive_fields(stack)[-1]


# ---------------------------------------------------------------- alignment


@dataclass(frozen=True)
class InputSizes:
    """The input sizes ``i >= minimum`` with ``i mod modulus`` in ``residues``, and the ``isolated`` ones.

    >>> aligned = InputSizes(16, (0,), 16)
    >>> print(aligned)
    i ≡ 0 (mod 16), i ≥ 16
    >>> 32 in aligned, 40 in aligned, aligned.smallest_at_least(33)
    (True, False, 48)
    """

    modulus: int
    residues: tuple[int, ...]
    minimum: int
    isolated: tuple[int, ...] = ()

    def __contains__(self, size: int) -> bool:
        return size in self.isolated or (size >= self.minimum and size % self.modulus in self.residues)

    def smallest_at_least(self, n: int) -> Optional[int]:
        """The smallest member that is at least ``n``, or None."""
        start = max(n, self.minimum)
        candidates = [x for x in self.isolated if x >= n]
        candidates += [start + (r - start) % self.modulus for r in self.residues]
        return min(candidates, default=None)

    def __str__(self) -> str:
        parts = []
        if self.residues:
            classes = ", ".join(map(str, self.residues))
            parts.append(f"i ≥ {self.minimum}" if self.modulus == 1
                         else f"i ≡ {classes} (mod {self.modulus}), i ≥ {self.minimum}")
        if self.isolated:
            parts.append(f"i = {self.isolated[0]}" if len(self.isolated) == 1
                         else "i ∈ {" + ", ".join(map(str, self.isolated)) + "}")
        return "; or ".join(parts) or "no input size"


def _input_sizes(modulus: int, residues: set[int], minimum: int, isolated: set[int]) -> InputSizes:
    """The canonical InputSizes: the shortest period, the least member as minimum."""
    reduced = True
    while reduced and modulus > 1:
        reduced = False
        for factor in (q for q in range(2, modulus + 1) if modulus % q == 0):
            smaller = modulus // factor
            if all((r + smaller * n) % modulus in residues for r in residues for n in range(factor)):
                modulus, residues, reduced = smaller, {r % smaller for r in residues}, True
                break
    if not residues:
        modulus = 1
    if residues:
        minimum += next(n for n in range(modulus) if (minimum + n) % modulus in residues)
    extra = {x for x in isolated if not (x >= minimum and x % modulus in residues)}
    return InputSizes(modulus, tuple(sorted(residues)), minimum, tuple(sorted(extra)))


@dataclass(frozen=True)
class ResidueCase:
    """One residue class of a decision: ``substitution`` is i = M*m + r.

    ``conditions`` are the query's equalities after the substitution, linear
    in m; ``verdict`` is "always" (every m), "never", or "once" (at ``size``).
    """

    residue: int
    substitution: Eq
    conditions: tuple[Eq, ...]
    verdict: str
    size: Optional[int] = None


@dataclass(frozen=True)
class Decision:
    """Which input sizes satisfy ``query``, decided per residue class mod ``modulus``.

    ``conditions`` are the query's equalities in i; ``minimum`` the smallest
    input the stack runs on (``below_minimum`` says why ``minimum - 1``
    fails); ``answer`` the exact set; ``checked`` the range of i on which the
    answer was confirmed by running :func:`sizes` on every size.
    """

    query: str
    conditions: tuple[Eq, ...]
    modulus: int
    minimum: int
    below_minimum: Optional[str]
    cases: tuple[ResidueCase, ...]
    answer: InputSizes
    checked: tuple[int, int]

    def __str__(self) -> str:
        return str(self.answer)


Equalities = Callable[[Size, Sequence[Size]], list[tuple[Size, Size]]]


def _smallest_valid(stack: Stack) -> tuple[int, Optional[str]]:
    # Every layer's output size is nondecreasing in its input, so the sizes a
    # stack runs on are all those from the smallest one up: search for it.
    def failure(n: int) -> Optional[str]:
        try:
            sizes(stack, n)
        except ParameterError as error:
            return str(error)
        return None

    high = 1
    while failure(high):
        high *= 2
    low = high // 2  # fails, or is 0
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if failure(middle) is None else (middle, high)
    return high, failure(high - 1) if high > 1 else None


def _case(residue: int, modulus: int, pairs: list[tuple[Size, Size]], i: Expr) -> ResidueCase:
    substitution = Eq(i, modulus * m + residue, evaluate=False)
    conditions, solutions = [], None  # None: every m
    for lhs, rhs in pairs:
        lhs, rhs = (sympy.sympify(side, strict=True).subs(i, substitution.rhs) for side in (lhs, rhs))
        difference = sympy.expand(lhs - rhs)
        if not difference.free_symbols <= {m} or Poly(difference, m).degree() > 1:
            raise SymconvError(f"internal error: {text(difference)} is not linear in m for i = {text(substitution.rhs)}")
        conditions.append(Eq(lhs, rhs, evaluate=False))
        slope, intercept = difference.coeff(m, 1), difference.coeff(m, 0)
        if slope == 0:
            holds = None if intercept == 0 else set()
        else:
            root = -intercept / slope
            holds = {int(root)} if root.is_integer and root >= 0 else set()
        solutions = holds if solutions is None else solutions if holds is None else solutions & holds
    if solutions is None:
        return ResidueCase(residue, substitution, tuple(conditions), "always")
    if not solutions:
        return ResidueCase(residue, substitution, tuple(conditions), "never")
    return ResidueCase(residue, substitution, tuple(conditions), "once", modulus * solutions.pop() + residue)


def _decide(stack: Stack, query: str, equalities: Equalities) -> Decision:
    stack, i = _as_stack(stack), symbols.i
    pairs = equalities(i, size_expressions(stack, i))
    # With M the product of the down-sampling strides, i -> i + M shifts every
    # strided layer's input by a multiple of its stride, so with i = M*m + r
    # each floor splits into a multiple of m plus a number and every size is
    # linear in m: each equality holds for every m, for none, or for one.
    modulus = prod(layer.stride for layer in stack.layers if layer.op != "tconv") if pairs else 1
    if modulus > MAX_PERIOD:
        raise ParameterError("period", modulus, f"the product of the strides must be at most {MAX_PERIOD} to decide residue classes")
    minimum, below = _smallest_valid(stack)
    cases = tuple(_case(r, modulus, pairs, i) for r in range(modulus))
    answer = _input_sizes(
        modulus,
        {case.residue for case in cases if case.verdict == "always"},
        minimum,
        {case.size for case in cases if case.verdict == "once" and case.size >= minimum},
    )
    checked = (max(1, minimum - 64), minimum + 4 * modulus + 64)
    for n in range(checked[0], checked[1] + 1):
        try:
            holds = all(a == b for a, b in equalities(n, sizes(stack, n)))
        except ParameterError:
            holds = False
        if holds != (n in answer):
            raise SymconvError(f"internal error: {query} decided {answer} but i = {n} disagrees")
    conditions = tuple(Eq(a, b, evaluate=False) for a, b in pairs)
    return Decision(query, conditions, modulus, minimum, below, cases, answer, checked)


def valid_input_sizes(stack: Stack) -> Decision:
    """The input sizes on which every layer has at least one kernel position.

    >>> print(valid_input_sizes(parse_stack("conv k=3; conv k=3; pool k=2")))
    i ≥ 6
    """
    return _decide(stack, "the stack runs", lambda i, sizes_: [])


def same_size_inputs(stack: Stack) -> Decision:
    """The input sizes the stack maps to themselves (o = i).

    >>> print(same_size_inputs(parse_stack("conv k=3 s=2 p=1; tconv k=3 s=2 p=1")))
    i ≡ 1 (mod 2), i ≥ 1
    """
    return _decide(stack, "o = i", lambda i, sizes_: [(sizes_[-1], i)])


def aligned_inputs(stack: Stack) -> Decision:
    """The input sizes for which every pair of taps has equal sizes.

    >>> print(aligned_inputs(parse_stack("pool k=2 @a; pool k=2; tconv k=2 s=2 @b | a=b")))
    i ≡ 0, 1 (mod 4), i ≥ 4
    """
    if not stack.pairs:
        raise ParameterError("pairs", (), "aligned_inputs needs alignment pairs: end the stack text with '| a=b'")
    index = [(stack.tap_index(a), stack.tap_index(b)) for a, b in stack.pairs]
    query = ", ".join(f"size({a}) = size({b})" for a, b in stack.pairs)
    return _decide(stack, query, lambda i, sizes_: [(sizes_[a], sizes_[b]) for a, b in index])


def inputs_for_output(stack: Stack, target: int) -> Decision:
    """The input sizes that give output size ``target``.

    >>> print(inputs_for_output(parse_stack("conv k=3 s=2 p=1"), 112))
    i ∈ {223, 224}
    """
    target = positive("target", target)
    return _decide(stack, f"o = {target}", lambda i, sizes_: [(sizes_[-1], target)])


def exact_inputs(stack: Stack) -> Decision:
    """The input sizes on which no strided layer drops (or, in ceil mode, pads) a remainder.

    A convolution or pooling of stride s uses its whole (padded) input exactly
    when the transposed layer with the same parameters gives that input size
    back. The original U-Net needs this at every pooling:

    >>> level = "conv k=3; conv k=3; pool k=2"
    >>> print(exact_inputs(parse_stack("; ".join([level] * 4))))
    i ≡ 12 (mod 16), i ≥ 76
    """
    strided = [n for n, layer in enumerate(stack.layers) if layer.op != "tconv" and layer.stride > 1]

    def equalities(i: Size, sizes_: Sequence[Size]) -> list[tuple[Size, Size]]:
        inputs = [i, *sizes_]
        return [(_undo(stack.layers[n], sizes_[n], inputs[n]), inputs[n]) for n in strided]

    return _decide(stack, "every strided layer uses its whole input", equalities)


def _undo(layer: Layer, size: Size, input_size: Size) -> Size:
    padding = scheme_padding(layer, input_size)
    return transposed_output_size(size, layer.kernel_size, layer.stride, padding, layer.dilation)


# ---------------------------------------------------------------- summary


def _plain(value: Optional[Exact]) -> Union[int, str]:
    return value if isinstance(value, int) else "none" if value is None else str(value)


def summary(stack: Stack, input_size: Union[int, Sequence[int], None] = None) -> dict:
    """A JSON-serialisable digest of a stack, for the command line.

    >>> summary(parse_stack("conv k=7 s=2 p=3; pool k=3 s=2 p=1"), 224)["sizes"]
    [112, 56]
    """
    stack = _as_stack(stack)
    if input_size is not None:
        input_size = _as_input(input_size)  # a bad size is the caller's error, not a finding about the stack
    result: dict = {"output_size": text(output_size(stack))}
    try:
        field_ = receptive_field(stack)
        result.update(receptive_field=field_.size, effective_stride=_plain(field_.stride),
                      effective_padding=_plain(field_.padding))
    except ParameterError as error:  # a padding scheme that follows the input size
        result.update(dict.fromkeys(("receptive_field", "effective_stride", "effective_padding"),
                                    f"not fixed: {error}"))
    result["valid_input_sizes"] = str(valid_input_sizes(stack))
    if stack.pairs:
        result["aligned_input_sizes"] = str(aligned_inputs(stack))
    if input_size is not None:
        try:
            per_layer = sizes(stack, input_size)
        except ParameterError as error:
            result["error"] = str(error)
            return result
        result["sizes"] = [list(s) if isinstance(s, tuple) else s for s in per_layer]
        if stack.pairs:
            result["alignment"] = [
                {"pair": f"{a}={b}", "sizes": [per_layer[stack.tap_index(a)], per_layer[stack.tap_index(b)]],
                 "aligned": per_layer[stack.tap_index(a)] == per_layer[stack.tap_index(b)]}
                for a, b in stack.pairs]
            if isinstance(input_size, int) and not all(entry["aligned"] for entry in result["alignment"]):
                result["next_aligned_input_size"] = aligned_inputs(stack).answer.smallest_at_least(input_size)
    return result


__all__ = [
    "Layer", "Stack", "parse_stack", "scheme_padding", "sizes", "size_expressions", "output_size",
    "ReceptiveField", "receptive_fields", "receptive_field",
    "InputSizes", "ResidueCase", "Decision", "valid_input_sizes", "same_size_inputs",
    "aligned_inputs", "inputs_for_output", "exact_inputs", "summary", "simplification_steps", "decision_steps",
    "MAX_TEXT_LENGTH", "MAX_LAYERS", "MAX_INTEGER", "MAX_PERIOD",
]
