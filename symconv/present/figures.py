"""Figures like the guide's: input grid, padding, kernel positions, output grid.

A :class:`Figure` is geometry only: one :class:`Axis` per direction (a 1-D
figure has a single row), listing the role of every cell along it and where
the kernel's taps fall, and the kernel positions that a still picture shows.
Every kernel position is a :class:`Panel`: the role of every cell of the
(padded) input grid, the cells the kernel taps cover, and the output unit
computed there. :func:`to_svg` and :func:`to_tikz` draw the panels shown;
:mod:`symconv.present.animate` and :mod:`symconv.present.raster` draw every
position as an animation.

A transposed convolution is drawn as the guide draws it, as its equivalent
direct convolution: ``s - 1`` zeros inserted between the ``i'`` input units,
padding ``p' = d(k - 1) - p`` before and ``p' + a`` after, unit strides. A
negative ``p'`` crops the stretched input; the cropped cells stay in the
picture, greyed and struck through, so the reader sees what was cut away.
Sizes come from the brute-force oracle, not from the formulas symconv proves.

>>> figure = transposed_figure(6, 3, stride=2, padding=1)
>>> import textwrap
>>> print(textwrap.fill(figure.caption.split(". ")[1], 100))
It is equivalent to convolving a 3×3 kernel over a 3×3 input (with 1 zero inserted between inputs)
padded with a 1×1 border of zeros (with an additional border of size 1 added to the bottom and right
edges) using unit strides (i.e., i' = 3, ĩ' = 5, a = 1, k' = k, s' = 1 and p' = 1).
>>> for row in figure.panels[0].cells[-2:]:
...     print(" ".join(role[:3] for role in row))
pad pad pad pad pad pad pad ext
ext ext ext ext ext ext ext ext

:func:`layer_figure` draws any layer that ``symconv shape`` sizes, in 1-D or 2-D:

>>> figure = layer_figure("pool", (5, 6), 2, ceil_mode=True)
>>> figure.title, figure.positions
('pooling i = 5×6, k = 2, s = 2, ceil mode', 9)
>>> print(textwrap.fill(figure.caption, 100))
Pooling with a 2×2 window over a 5×6 input using 2×2 strides, in ceil mode: the last windows
overhang the padded input by 1×0 cells, which they ignore (i.e., i = 5×6, k = 2 and s = 2).
>>> " ".join(role[:3] for role in figure.panels[0].cells[-1])
'out out out out out out'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module
from typing import Any, Iterator, Optional
from xml.sax.saxutils import escape

from symconv.core import oracle
from symconv.core import validation as check
from symconv.core.errors import ParameterError
from symconv.present import captions
from symconv.present.captions import Layer

MAX_INPUT_SIZE = 32
MAX_PADDING = 32
MAX_POSITIONS = 8  #: panels in a still picture
MAX_GRID = 128  #: cells along each axis of the drawn input grid (a transposed one's stretched input grows with s)

OPERATIONS = ("conv", "pool", "transposed")

# When a cell is one thing along its row and another along its column, the
# first role listed here wins: the ``a`` strips and the cropped border read as
# whole rows and columns, and a zero of the padding is padding, not an inserted zero.
# ``outside`` cells lie past the padded input, where a ceil-mode pooling window overhangs it.
ROLES = ("cropped", "extra", "outside", "padding", "inserted", "input")


@dataclass(frozen=True)
class Axis:
    """One direction of a figure: the role of each cell along it, and where the kernel's taps fall.

    Position ``n`` puts tap ``t`` on cell ``start + n * stride + t * dilation``, for ``n`` below ``outputs``.
    """

    roles: tuple[str, ...]
    start: int
    stride: int
    dilation: int
    kernel_size: int
    outputs: int

    def taps(self, position: int) -> range:
        first = self.start + position * self.stride
        return range(first, first + self.dilation * (self.kernel_size - 1) + 1, self.dilation)


_POINT = Axis(("input",), 0, 1, 1, 1, 1)  # the single row of a 1-D figure


@dataclass(frozen=True)
class Panel:
    """One kernel position: the input grid, the kernel on it, the output grid."""

    cells: tuple[tuple[str, ...], ...]
    kernel: tuple[tuple[int, int], ...]
    output_shape: tuple[int, int]
    output_cell: tuple[int, int]

    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns of the input grid."""
        return len(self.cells), len(self.cells[0])

    @property
    def size(self) -> int:
        """Columns of the input grid: its side, in the guide's square figures."""
        return len(self.cells[0])

    @property
    def output_size(self) -> int:
        """Columns of the output grid: its side, in the guide's square figures."""
        return self.output_shape[1]


@dataclass(frozen=True)
class Figure:
    """Every kernel position of one layer (``positions`` of them, row-major), and those a still picture shows."""

    title: str
    caption: str
    axes: tuple[Axis, Axis]  # rows, columns
    shown: tuple[int, ...]

    @property
    def positions(self) -> int:
        return self.axes[0].outputs * self.axes[1].outputs

    @cached_property
    def cells(self) -> tuple[tuple[str, ...], ...]:
        rows, columns = self.axes
        return tuple(tuple(min(row, column, key=ROLES.index) for column in columns.roles) for row in rows.roles)

    def panel(self, position: int) -> Panel:
        """The kernel at ``position`` (0-based, row-major over the output grid)."""
        rows, columns = self.axes
        row, column = divmod(position, columns.outputs)
        kernel = tuple((y, x) for y in rows.taps(row) for x in columns.taps(column))
        return Panel(self.cells, kernel, (rows.outputs, columns.outputs), (row, column))

    @property
    def panels(self) -> tuple[Panel, ...]:
        return tuple(self.panel(position) for position in self.shown)

    def frames(self) -> Iterator[Panel]:
        """Every kernel position, in order: the frames of an animation."""
        return (self.panel(position) for position in range(self.positions))


# --- the guide's figures ------------------------------------------------------------


def convolution_figure(
    input_size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, positions: int = 4
) -> Figure:
    """The guide's figure of a direct convolution on an ``i x i`` input.

    >>> figure = convolution_figure(5, 3, stride=2, padding=1)
    >>> figure.title
    'i = 5, k = 3, s = 2, p = 1'
    >>> [panel.output_cell for panel in figure.panels]
    [(0, 0), (0, 1), (0, 2), (2, 2)]
    >>> panel = figure.panels[1]
    >>> panel.size, panel.output_size, panel.kernel[:3]
    (7, 3, ((0, 2), (0, 3), (0, 4)))
    >>> convolution_figure(7, 3, dilation=2).panels[0].kernel[:3]
    ((0, 0), (0, 2), (0, 4))
    """
    return layer_figure("conv", input_size, kernel_size, stride, padding, dilation, positions=positions)


def transposed_figure(
    input_size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, positions: int = 4
) -> Figure:
    """The transpose of the convolution ``input_size, kernel_size, ...`` describe.

    As in the guide's captions, the arguments are those of the direct
    convolution; the figure shows its equivalent direct convolution, whose
    output is ``i x i``. (:func:`layer_figure` takes the transposed layer's own
    input ``i'`` and ``output_padding`` instead.)

    >>> figure = transposed_figure(5, 3, stride=2, padding=1)
    >>> figure.title
    'transpose of i = 5, k = 3, s = 2, p = 1'
    >>> panel = figure.panels[0]
    >>> panel.size, panel.output_size
    (7, 5)
    >>> panel.cells[1]
    ('padding', 'input', 'inserted', 'input', 'inserted', 'input', 'padding')
    >>> transposed_figure(5, 3, padding=3).panels[0].cells[0][:3]
    ('cropped', 'cropped', 'cropped')
    """
    layer = _checked("conv", input_size, kernel_size, stride, padding, dilation, 0, False, None)
    i, k, s, (p, _), d, _ = layer.along[0]
    shown = _concrete("positions", check.positive("positions", positions))
    _limit("positions", shown, MAX_POSITIONS)
    inputs = oracle.connectivity(i, k, s, (p, p), d).shape[0]  # i' of the equivalent convolution
    # a: the extra zeros after the stretched input that bring the equivalent convolution's output back to i,
    # found by counting kernel positions (unit strides: one more zero, one more position, once any fits).
    a = next(extra for extra in range(s) if _transposed_axis(inputs, k, s, (p, p), d, extra).outputs == i)
    axis = _transposed_axis(inputs, k, s, (p, p), d, a)
    p_prime = d * (k - 1) - p
    # The guide's names: i' inputs, stretched to ĩ' (only worth saying when s > 1).
    primes = {
        "i'": inputs, "ĩ'": oracle.stretched_length(inputs, s - 1) if s > 1 else None, "a": a or None,
        "k'": "k", "d'": "d" if d > 1 else None, "s'": 1, "p'": p_prime,
    }
    square = Layer(2, ((inputs, k, 1, (p_prime, p_prime), d, a),) * 2)
    return Figure(
        title=f"transpose of {captions.parameters(captions.named(layer))}",
        caption=(
            f"The transpose of {captions.convolving(layer)} (i.e., {captions.listing(captions.named(layer))})."
            f" It is equivalent to {captions.convolving(square, zeros=(s - 1, s - 1))}"
            f" (i.e., {captions.listing(primes)})."
        ),
        axes=(axis, axis),
        shown=_shown(axis.outputs**2, shown, None),
    )


# --- any layer ----------------------------------------------------------------------


def layer_figure(
    operation: str,
    input_size: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    output_padding: Any = 0,
    ceil_mode: bool = False,
    axes: Optional[int] = None,
    step: Optional[int] = None,
    positions: int = 4,
) -> Figure:
    """The figure of one layer, with the parameters ``symconv shape`` takes: ``conv``, ``pool`` or ``transposed``.

    Every size is an int (the same along every axis) or one int per axis; ``padding`` is ``p``, a
    ``(before, after)`` pair, or with per-axis sizes one ``p`` or pair per axis. ``axes`` is 1 (a row) or 2
    (a grid, the default, as in the guide). ``stride`` defaults to 1, or the kernel size for ``pool``. A
    transposed layer takes its own input ``i'`` and ``output_padding`` (``a``), and is drawn as its equivalent
    direct convolution. A still picture shows the first ``positions - 1`` kernel positions and the last one,
    or with ``step`` the ``step``-th position alone (counted from 1, row-major).

    >>> figure = layer_figure("transposed", 3, 3, stride=2, padding=1, output_padding=1, axes=1)
    >>> figure.title
    "transposed i' = 3, k = 3, s = 2, p = 1, a = 1"
    >>> " ".join(role[:3] for role in figure.panels[0].cells[0])
    'pad inp ins inp ins inp pad ext'
    >>> figure.positions, figure.panels[0].kernel
    (6, ((0, 0), (0, 1), (0, 2)))
    >>> [panel.kernel[0] for panel in layer_figure("conv", 7, 3, dilation=2, step=9).panels]
    [(2, 2)]
    >>> layer_figure("conv", 5, 3, step=10)
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: step=10 is invalid: step must be between 1 and 9, the number of kernel positions
    """
    layer = _checked(operation, input_size, kernel_size, stride, padding, dilation, output_padding, ceil_mode, axes)
    shown = _concrete("positions", check.positive("positions", positions))
    _limit("positions", shown, MAX_POSITIONS)
    built = tuple(_build(operation, *along, ceil_mode) for along in layer.along)
    pair = (_POINT, built[0]) if layer.axes == 1 else (built[0], built[1])
    return Figure(
        title=captions.title(operation, layer, ceil_mode),
        caption=captions.caption(operation, layer, ceil_mode, [axis.outputs for axis in built],
                                 [axis.roles.count("outside") for axis in built]),
        axes=pair,
        shown=_shown(pair[0].outputs * pair[1].outputs, shown, step),
    )


def _checked(operation: Any, input_size: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
             output_padding: Any, ceil_mode: Any, axes: Any) -> Layer:
    """The layer's parameters, checked, one value per axis."""
    if operation not in OPERATIONS:
        raise ParameterError("operation", operation, f"operation must be one of {', '.join(OPERATIONS)}")
    if not isinstance(ceil_mode, bool):
        raise ParameterError("ceil_mode", ceil_mode, "ceil_mode must be True or False")
    if ceil_mode and operation != "pool":
        raise ParameterError("ceil_mode", True, "ceil_mode applies to pool only")
    sizes = dict(input_size=input_size, kernel_size=kernel_size, stride=stride, dilation=dilation,
                 output_padding=output_padding)
    count, declared = _count_axes(axes, sizes)
    per_axis = {name: _spread(name, value, count) for name, value in sizes.items()}
    pads = _paddings(padding, count, declared)
    along = []
    for axis in range(count):
        i, k, s, d, a = (per_axis[name][axis] for name in sizes)
        i = _concrete("input_size", check.positive("input_size", i))
        k = _concrete("kernel_size", check.positive("kernel_size", k))
        s = k if s is None and operation == "pool" else 1 if s is None else s
        s = _concrete("stride", check.positive("stride", s))
        d = _concrete("dilation", check.positive("dilation", d))
        a = _concrete("output_padding", check.nonnegative("output_padding", a))
        if a and operation != "transposed":
            raise ParameterError("output_padding", a, "output_padding applies to transposed only")
        before, after = check.padding_pair("padding", pads[axis])
        before, after = _concrete("padding", before), _concrete("padding", after)
        # Bigger figures are unreadable, and their SVG and TikZ grow as the square.
        _limit("input_size", i, MAX_INPUT_SIZE)
        _limit("padding", max(before, after), MAX_PADDING)
        span = d * (k - 1) + 1
        if operation == "conv" and span > i + before + after:
            total = f"i + 2p = {i + 2 * before}" if before == after else f"i + p_l + p_r = {i + before + after}"
            raise ParameterError("kernel_size", k,
                                 f"the kernel spans d(k - 1) + 1 = {span} cells, more than {total}")
        along.append((i, k, s, (before, after), d, a))
    layer = Layer(count, tuple(along))
    _check_rules(operation, layer, ceil_mode)
    return layer


def _count_axes(axes: Any, sizes: dict[str, Any]) -> tuple[int, bool]:
    """How many axes, and whether a per-axis value (a tuple) says so."""
    count: Optional[int] = None
    for name, value in sizes.items():
        if isinstance(value, (tuple, list)):
            if len(value) not in (1, 2):
                raise ParameterError(name, tuple(value), f"a figure has 1 or 2 axes, so {name} has 1 or 2 entries")
            if count is not None and len(value) != count:
                raise ParameterError(name, tuple(value), f"{name} must have one entry per axis ({count})")
            count = len(value)
    if axes is not None:
        if isinstance(axes, bool) or axes not in (1, 2):
            raise ParameterError("axes", axes, "a figure has 1 or 2 axes")
        if count is not None and count != axes:
            raise ParameterError("axes", axes, f"the per-axis values have {count} entries")
    return (count or axes or 2), count is not None


def _spread(name: str, value: Any, count: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * count


def _paddings(padding: Any, count: int, declared: bool) -> tuple:
    """One padding (``p`` or a pair) per axis; a pair means (before, after) unless per-axis values were given."""
    if not declared or not isinstance(padding, (tuple, list)):
        return (padding,) * count
    if count == 1 and len(padding) == 2 and not any(isinstance(side, (tuple, list)) for side in padding):
        return (tuple(padding),)  # one axis: the pair can only be (before, after)
    if len(padding) != count:
        raise ParameterError("padding", tuple(padding), f"padding must have one entry per axis ({count})")
    return tuple(padding)


def _check_rules(operation: str, layer: Layer, ceil_mode: bool) -> None:
    """The frameworks' rules, as ``symconv shape`` applies them (pooling padding, output_padding, sizes)."""
    from symconv.guide import shapes

    i, k, s, pads, d, a = (tuple(layer.values(index)) for index in range(6))
    if operation == "pool":
        shapes.pool_output_size(i, k, s, pads, d, ceil_mode)
    elif operation == "transposed":
        shapes.transposed_output_size(i, k, s, pads, d, a)


def _build(operation: str, i: int, k: int, s: int, pad: tuple[int, int], d: int, a: int, ceil_mode: bool) -> Axis:
    if operation == "transposed":
        return _transposed_axis(i, k, s, pad, d, a)
    before, after = pad
    length = i + before + after
    if operation == "pool":
        outputs = oracle.count_pool_windows(i, k, s, pad, d, ceil_mode)
    else:
        outputs = oracle.count_positions(i, k, s, pad, d)
    overhang = max(0, (outputs - 1) * s + d * (k - 1) + 1 - length)
    _limit_grid(length + overhang, i)
    roles = ("padding",) * before + ("input",) * i + ("padding",) * after + ("outside",) * overhang
    return Axis(roles, 0, s, d, k, outputs)


def _transposed_axis(inputs: int, k: int, s: int, pad: tuple[int, int], d: int, a: int) -> Axis:
    """The equivalent direct convolution of a transposed one, along one axis, that takes ``inputs`` units."""
    before, after = d * (k - 1) - pad[0], d * (k - 1) - pad[1] + a
    stretched = s * (inputs - 1) + 1
    # Draw the stretched input and the padded one together: where padding is
    # negative the stretched input sticks out, and those cells show as cropped.
    low, high = min(0, -before), max(stretched, stretched + after)
    _limit_grid(high - low, inputs)
    stretched = oracle.stretched_length(inputs, s - 1)
    outputs = oracle.connectivity(inputs, k, 1, (before, after), d, zeros_between=s - 1).shape[0]
    roles = tuple(_stretched_role(x, stretched, s, before, after, a) for x in range(low, high))
    return Axis(roles, -before - low, 1, d, k, outputs)


def _stretched_role(x: int, stretched: int, step: int, before: int, after: int, a: int) -> str:
    """Role of coordinate ``x`` (0 = first input unit) along one axis of a transposed figure."""
    if x < 0:
        return "padding"
    if x >= stretched:
        # The last ``a`` cells of the after-padding are the extra ones.
        return "extra" if x >= stretched + after - a else "padding"
    if x < -before or x >= stretched + after:
        return "cropped"
    return "input" if x % step == 0 else "inserted"


def _shown(total: int, shown: int, step: Optional[int]) -> tuple[int, ...]:
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= total:
            raise ParameterError("step", step, f"step must be between 1 and {total}, the number of kernel positions")
        return (step - 1,)
    # The first few positions show the stride, the last one where the kernel stops.
    if total <= shown:
        return tuple(range(total))
    return (*range(shown - 1), total - 1) if shown > 1 else (0,)


def _concrete(name: str, value: Any) -> int:
    if not check.known(value):
        raise ParameterError(name, value, f"a figure needs a concrete integer {name}")
    return value


def _limit(name: str, value: int, limit: int) -> None:
    if value > limit:
        raise ParameterError(name, value, f"a figure allows {name} up to {limit}")


def _limit_grid(cells: int, input_size: int) -> None:
    if cells > MAX_GRID:
        raise ParameterError("input_size", input_size, f"its grid would be {cells} cells wide, and a figure allows up"
                                                       f" to {MAX_GRID} cells along each axis")


# --- formats --------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """One way to write a figure: the function that does it, found by name so that its library loads only when used."""

    name: str
    module: str
    function: str
    suffix: str
    binary: bool = False
    animated: bool = False

    def write(self, figure: Figure) -> Any:
        """The figure in this format: text, or bytes when ``binary``."""
        return getattr(import_module(self.module), self.function)(figure)


#: The formats of ``symconv figure``; an animated one draws every kernel position, a still one the positions shown.
FORMATS = {format.name: format for format in (
    Format("svg", "symconv.present.figures", "to_svg", ".svg"),
    Format("tikz", "symconv.present.figures", "to_tikz", ".tex"),
    Format("png", "symconv.present.raster", "to_png", ".png", binary=True),
    Format("animated-svg", "symconv.present.animate", "to_animated_svg", ".svg", animated=True),
    Format("gif", "symconv.present.raster", "to_gif", ".gif", binary=True, animated=True),
)}


def format_named(name: Optional[str], path: Optional[str] = None) -> Format:
    """The format called ``name``, or without a name the one a file name's suffix says (SVG by default).

    >>> format_named(None, "conv.gif").name, format_named(None, "conv.tex").name, format_named(None).name
    ('gif', 'tikz', 'svg')
    >>> format_named("jpg")
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: format='jpg' is invalid: format must be one of svg, tikz, png, animated-svg, gif
    """
    if name is None:
        suffix = "" if path is None else path[path.rfind("."):].lower() if "." in path else ""
        return next((f for f in FORMATS.values() if f.suffix == suffix), FORMATS["svg"])
    if name not in FORMATS:
        raise ParameterError("format", name, f"format must be one of {', '.join(FORMATS)}")
    return FORMATS[name]


# --- drawing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where one panel's grids sit in a drawing, in cells: outputs on top, the input grid below."""

    input_left: float
    output_left: float
    input_top: int


def placement(panel: Panel, number: int = 0) -> Placement:
    """Where the ``number``-th panel of a row of panels sits."""
    wide = max(panel.shape[1], panel.output_shape[1])
    left = number * (wide + _GAP)
    return Placement(left + (wide - panel.shape[1]) / 2, left + (wide - panel.output_shape[1]) / 2,
                     panel.output_shape[0] + 1)


def extent(panel: Panel, count: int = 1) -> tuple[int, int]:
    """Width and height of a row of ``count`` panels like ``panel``, in cells, without margins."""
    wide = max(panel.shape[1], panel.output_shape[1])
    return count * (wide + _GAP) - _GAP, panel.output_shape[0] + 1 + panel.shape[0]


def squares(panel: Panel, where: Placement, overlays: bool = True) -> Iterator[tuple[str, float, float]]:
    """Every unit square of a panel, in painting order, as ``(role, x, y)``; a cropped cell is followed by its
    "strike". Without ``overlays``, the grids alone (no ``kernel``, no ``computed``), as the output grid looks
    before anything is computed."""
    for y, row in enumerate(panel.cells):
        for x, role in enumerate(row):
            yield role, where.input_left + x, where.input_top + y
            if role == "cropped":
                yield "strike", where.input_left + x, where.input_top + y
    if overlays:
        for y, x in panel.kernel:
            yield "kernel", where.input_left + x, where.input_top + y
    for y in range(panel.output_shape[0]):
        for x in range(panel.output_shape[1]):
            yield "output", where.output_left + x, y
    if overlays:
        yield "computed", where.output_left + panel.output_cell[1], panel.output_cell[0]


def _drawing(figure: Figure) -> Iterator[tuple[str, float, float]]:
    for number, panel in enumerate(figure.panels):
        yield from squares(panel, placement(panel, number))


def text_width(figure: Figure, width: int) -> int:
    """The drawing's width in cells, widened where the title (12px sans-serif, about 0.6 of a cell a character)
    is wider than the grids."""
    return max(width, math.ceil(len(figure.title) * 0.6))


def svg_head(figure: Figure, width: int, height: int, cell: int, style: str) -> list[str]:
    """An SVG's opening lines: the element, its title, its caption as ``desc``, and its style."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{(width + 2) * cell}" height="{(height + 4) * cell}"'
        f' viewBox="{-cell} {-cell} {(width + 2) * cell} {(height + 4) * cell}" role="img">',
        f"<title>{escape(figure.title)}</title>",
        f"<desc>{escape(figure.caption)}</desc>",
        f"<style>{style}</style>",
    ]


def svg_square(role: str, x: float, y: float, cell: int, extra: str = "") -> str:
    x0, y0 = x * cell, y * cell
    if role == "strike":
        return f'<line class="strike" x1="{x0:g}" y1="{y0:g}" x2="{x0 + cell:g}" y2="{y0 + cell:g}"/>'
    return f'<rect class="{role}" x="{x0:g}" y="{y0:g}" width="{cell}" height="{cell}"{extra}/>'


def svg_shift(cells: int, cell: int) -> str:
    """A group that centres the grids in a drawing ``cells`` wider than they are ("" when it is not wider)."""
    return f'<g transform="translate({cells * cell / 2:g} 0)">' if cells else ""


def svg_style(figure: Figure, *more: str) -> str:
    """The style of the roles drawn (the ``outside`` rule only where a pooling window overhangs)."""
    outside = any("outside" in axis.roles for axis in figure.axes)
    return _SVG_STYLE + (_OUTSIDE_STYLE if outside else "") + "".join(more)


def to_svg(figure: Figure) -> str:
    """A standalone SVG image: 12px cells, output grids above input grids.

    Every rectangle carries its role as its class (``input``, ``padding``,
    ``inserted``, ``extra``, ``cropped``, ``outside``, ``output``, and the overlays
    ``kernel`` and ``computed``), so the drawing can be restyled or counted.

    >>> svg = to_svg(convolution_figure(4, 3))
    >>> svg.splitlines()[1]
    '<title>i = 4, k = 3, s = 1, p = 0</title>'
    >>> svg.count('class="input"'), svg.count('class="kernel"'), svg.count('class="computed"')
    (64, 36, 4)
    """
    width, height = extent(figure.panels[0], len(figure.shown))
    cell, wide = 12, text_width(figure, width)
    body = svg_head(figure, wide, height, cell, svg_style(figure))
    shift = svg_shift(wide - width, cell)
    body += [shift] if shift else []
    body += [svg_square(role, x, y, cell) for role, x, y in _drawing(figure)]
    body += ["</g>"] if shift else []
    width = wide
    body.append(
        f'<text x="{width * cell / 2:g}" y="{(height + 2) * cell:g}" text-anchor="middle">{escape(figure.title)}</text>'
    )
    body.append("</svg>")
    return "\n".join(body) + "\n"


def to_tikz(figure: Figure) -> str:
    """A ``tikzpicture`` (core TikZ, 0.3cm cells) in a ``\\resizebox`` that only shrinks.

    The picture keeps its natural size unless that is wider than
    ``\\linewidth``; the document needs ``tikz`` and ``graphicx``.

    >>> tikz = to_tikz(convolution_figure(4, 3, positions=1))
    >>> print("\\n".join(tikz.splitlines()[:3]))
    % i = 4, k = 3, s = 1, p = 0
    \\resizebox{\\ifdim\\linewidth<1.2cm\\linewidth\\else1.2cm\\fi}{!}{%
    \\begin{tikzpicture}[x=0.3cm, y=-0.3cm,
    >>> tikz.count("[input cell]"), tikz.count("[kernel cell]"), tikz.rstrip().endswith("}")
    (16, 9, True)
    """
    width, _ = extent(figure.panels[0], len(figure.shown))
    natural = f"{width * 0.3:g}cm"
    styles = _TIKZ_STYLES + (_TIKZ_OUTSIDE if any("outside" in axis.roles for axis in figure.axes) else "")
    lines = [
        f"% {figure.title}",
        f"\\resizebox{{\\ifdim\\linewidth<{natural}\\linewidth\\else{natural}\\fi}}{{!}}{{%",
        f"\\begin{{tikzpicture}}[x=0.3cm, y=-0.3cm,\n  {styles}]",
    ]

    for role, x, y in _drawing(figure):
        if role == "strike":
            lines.append(f"\\draw[strike] ({x:g},{y:g}) -- +(1,1);")
        else:
            lines.append(f"\\path[{role} cell] ({x:g},{y:g}) rectangle +(1,1);")
    lines += ["\\end{tikzpicture}%", "}"]
    return "\n".join(lines) + "\n"


#: Fill colours of the roles (and the overlays' opacity), shared by the SVG, TikZ and raster drawings.
COLOURS = {
    "input": "#bfbfff", "padding": "#fff", "inserted": "#e6e6e6", "extra": "#ffd9b3", "cropped": "#b3b3b3",
    "outside": "#fff", "output": "#bfffff", "kernel": "#000", "computed": "#000",
}
OVERLAY_OPACITY = 0.35

_SVG_STYLE = (
    "rect{stroke:#666;stroke-width:0.6}"
    ".input{fill:#bfbfff}"
    ".padding{fill:#fff;stroke:#888;stroke-dasharray:2.5 1.5}"
    ".inserted{fill:#e6e6e6;stroke:#888;stroke-dasharray:0.8 1.2}"
    ".extra{fill:#ffd9b3}"
    ".cropped{fill:#b3b3b3;stroke:#888}"
    ".strike{stroke:#666;stroke-width:0.8}"
    ".output{fill:#bfffff}"
    ".kernel,.computed{fill:#000;fill-opacity:0.35;stroke:#000;stroke-width:1.8}"
    "text{font:12px sans-serif;fill:#000}"
)
_OUTSIDE_STYLE = ".outside{fill:#fff;stroke:#bbb;stroke-dasharray:0.8 1.6}"

# xcolor names with the same shades as the SVG style above.
_TIKZ_STYLES = ",\n  ".join(
    (
        "input cell/.style={fill=blue!25, draw=black!60, line width=0.3pt}",
        "padding cell/.style={fill=white, draw=black!50, dash pattern=on 1.5pt off 1pt, line width=0.3pt}",
        "inserted cell/.style={fill=black!10, draw=black!50, dotted, line width=0.3pt}",
        "extra cell/.style={fill=orange!30, draw=black!60, line width=0.3pt}",
        "cropped cell/.style={fill=black!30, draw=black!50, line width=0.3pt}",
        "strike/.style={draw=black!60, line width=0.4pt}",
        "output cell/.style={fill=cyan!25, draw=black!60, line width=0.3pt}",
        "kernel cell/.style={fill=black, fill opacity=0.35, draw=black, line width=1pt}",
        "computed cell/.style={kernel cell}",
    )
)
_TIKZ_OUTSIDE = ",\n  outside cell/.style={fill=white, draw=black!30, dotted, line width=0.3pt}"

_GAP = 2  # cells between panels
