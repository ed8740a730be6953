"""Figures like the guide's: input grid, padding, kernel positions, output grid.

A :class:`Figure` is geometry only: a row of :class:`Panel` s, one per kernel
position shown, each listing the role of every cell of the (padded) input
grid, the cells the kernel taps cover, and the output unit computed there.
:func:`to_svg` and :func:`to_tikz` draw it.

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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator
from xml.sax.saxutils import escape

from symconv.core import oracle
from symconv.guide.queries import transpose
from symconv.core import validation as check
from symconv.core.errors import ParameterError

MAX_INPUT_SIZE = 32
MAX_PADDING = 32
MAX_POSITIONS = 8

# When a cell is one thing along its row and another along its column, the
# first role listed here wins: the ``a`` strips and the cropped border read as
# whole rows and columns, and a zero of the padding is padding, not an inserted zero.
ROLES = ("cropped", "extra", "padding", "inserted", "input")


@dataclass(frozen=True)
class Panel:
    """One kernel position: the input grid, the kernel on it, the output grid."""

    size: int
    cells: tuple[tuple[str, ...], ...]
    kernel: tuple[tuple[int, int], ...]
    output_size: int
    output_cell: tuple[int, int]


@dataclass(frozen=True)
class Figure:
    """A row of panels, one per kernel position shown."""

    title: str
    caption: str
    panels: tuple[Panel, ...]


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
    i, k, s, p, d, shown = _validate(input_size, kernel_size, stride, padding, dilation, positions)
    axis = ("padding",) * p + ("input",) * i + ("padding",) * p
    outputs = oracle.connectivity(i, k, s, (p, p), d).shape[0]
    return Figure(
        title=_parameters(i=i, k=k, s=s, p=p, d=d),
        caption=f"C{_convolving(i, k, s, p, d)[1:]} (i.e., {_listing(i=i, k=k, d=d, s=s, p=p)}).",
        panels=_panels(axis, 0, k, s, d, outputs, shown),
    )


def transposed_figure(
    input_size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, positions: int = 4
) -> Figure:
    """The transpose of the convolution ``input_size, kernel_size, ...`` describe.

    As in the guide's captions, the arguments are those of the direct
    convolution; the figure shows its equivalent direct convolution, whose
    output is ``i x i``.

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
    i, k, s, p, d, shown = _validate(input_size, kernel_size, stride, padding, dilation, positions)
    inputs = oracle.connectivity(i, k, s, (p, p), d).shape[0]  # i' of the equivalent convolution
    equivalent = transpose(k, s, p, d, input_size=i)  # p' and a, as derived from the connectivity
    p_prime, a = equivalent.padding[0], equivalent.a
    before, after = p_prime, equivalent.padding[1] + a
    stretched = oracle.stretched_length(inputs, s - 1)
    outputs = oracle.connectivity(inputs, k, 1, (before, after), d, zeros_between=s - 1).shape[0]
    # Draw the stretched input and the padded one together: where padding is
    # negative the stretched input sticks out, and those cells show as cropped.
    low, high = min(0, -before), max(stretched, stretched + after)
    axis = tuple(_stretched_role(x, stretched, s, before, after, a) for x in range(low, high))
    # The guide's names: i' inputs, stretched to ĩ' (only worth saying when s > 1).
    primes = {
        "i'": inputs, "ĩ'": stretched if s > 1 else None, "a": a or None,
        "k'": "k", "d'": "d" if d > 1 else None, "s'": 1, "p'": p_prime,
    }
    return Figure(
        title=f"transpose of {_parameters(i=i, k=k, s=s, p=p, d=d)}",
        caption=(
            f"The transpose of {_convolving(i, k, s, p, d)} (i.e., {_listing(i=i, k=k, d=d, s=s, p=p)})."
            f" It is equivalent to {_convolving(inputs, k, 1, p_prime, d, zeros=s - 1, a=a)}"
            f" (i.e., {_listing(**primes)})."
        ),
        panels=_panels(axis, -before - low, k, 1, d, outputs, shown),
    )


def _drawing(figure: Figure) -> Iterator[tuple[str, float, float]]:
    """Every unit square to draw, in painting order, as ``(role, x, y)``; a cropped cell is followed by its "strike"."""
    for panel, input_left, output_left, input_top in _layout(figure):
        for y, row in enumerate(panel.cells):
            for x, role in enumerate(row):
                yield role, input_left + x, input_top + y
                if role == "cropped":
                    yield "strike", input_left + x, input_top + y
        for y, x in panel.kernel:
            yield "kernel", input_left + x, input_top + y
        for y in range(panel.output_size):
            for x in range(panel.output_size):
                yield "output", output_left + x, y
        yield "computed", output_left + panel.output_cell[1], panel.output_cell[0]


def to_svg(figure: Figure) -> str:
    """A standalone SVG image: 12px cells, output grids above input grids.

    Every rectangle carries its role as its class (``input``, ``padding``,
    ``inserted``, ``extra``, ``cropped``, ``output``, and the overlays
    ``kernel`` and ``computed``), so the drawing can be restyled or counted.

    >>> svg = to_svg(convolution_figure(4, 3))
    >>> svg.splitlines()[1]
    '<title>i = 4, k = 3, s = 1, p = 0</title>'
    >>> svg.count('class="input"'), svg.count('class="kernel"'), svg.count('class="computed"')
    (64, 36, 4)
    """
    width, height = _extent(figure)
    cell = 12
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{(width + 2) * cell}" height="{(height + 4) * cell}"'
        f' viewBox="{-cell} {-cell} {(width + 2) * cell} {(height + 4) * cell}" role="img">',
        f"<title>{escape(figure.title)}</title>",
        f"<desc>{escape(figure.caption)}</desc>",
        f"<style>{_SVG_STYLE}</style>",
    ]

    for role, x, y in _drawing(figure):
        x0, y0 = x * cell, y * cell
        if role == "strike":
            body.append(f'<line class="strike" x1="{x0:g}" y1="{y0:g}" x2="{x0 + cell:g}" y2="{y0 + cell:g}"/>')
        else:
            body.append(f'<rect class="{role}" x="{x0:g}" y="{y0:g}" width="{cell}" height="{cell}"/>')
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
    width, _ = _extent(figure)
    natural = f"{width * 0.3:g}cm"
    lines = [
        f"% {figure.title}",
        f"\\resizebox{{\\ifdim\\linewidth<{natural}\\linewidth\\else{natural}\\fi}}{{!}}{{%",
        f"\\begin{{tikzpicture}}[x=0.3cm, y=-0.3cm,\n  {_TIKZ_STYLES}]",
    ]

    for role, x, y in _drawing(figure):
        if role == "strike":
            lines.append(f"\\draw[strike] ({x:g},{y:g}) -- +(1,1);")
        else:
            lines.append(f"\\path[{role} cell] ({x:g},{y:g}) rectangle +(1,1);")
    lines += ["\\end{tikzpicture}%", "}"]
    return "\n".join(lines) + "\n"


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

_GAP = 2  # cells between panels


def _validate(
    input_size: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, positions: Any
) -> tuple[int, int, int, int, int, int]:
    i = _concrete("input_size", check.positive("input_size", input_size))
    k = _concrete("kernel_size", check.positive("kernel_size", kernel_size))
    s = _concrete("stride", check.positive("stride", stride))
    p = _concrete("padding", check.nonnegative("padding", padding))
    d = _concrete("dilation", check.positive("dilation", dilation))
    shown = _concrete("positions", check.positive("positions", positions))
    # Bigger figures are unreadable, and their SVG and TikZ grow as the square.
    limits = (("input_size", i, MAX_INPUT_SIZE), ("padding", p, MAX_PADDING), ("positions", shown, MAX_POSITIONS))
    for name, value, limit in limits:
        if value > limit:
            raise ParameterError(name, value, f"a figure allows {name} up to {limit}")
    span = d * (k - 1) + 1
    if span > i + 2 * p:
        raise ParameterError(
            "kernel_size", k, f"the kernel spans d(k - 1) + 1 = {span} cells, more than i + 2p = {i + 2 * p}"
        )
    return i, k, s, p, d, shown


def _concrete(name: str, value: Any) -> int:
    if not check.known(value):
        raise ParameterError(name, value, f"a figure needs a concrete integer {name}")
    return value


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


def _panels(
    axis: tuple[str, ...], offset: int, k: int, stride: int, d: int, outputs: int, shown: int
) -> tuple[Panel, ...]:
    """Panels for the kernel positions shown; ``offset`` is where the padded input starts on ``axis``."""
    cells = tuple(tuple(min(row, column, key=ROLES.index) for column in axis) for row in axis)
    total = outputs * outputs
    # The first few positions show the stride, the last one where the kernel stops.
    if total <= shown:
        chosen = list(range(total))
    else:
        chosen = [*range(shown - 1), total - 1] if shown > 1 else [0]
    panels = []
    for index in chosen:
        row, column = divmod(index, outputs)
        top, left = offset + row * stride, offset + column * stride
        taps = tuple((top + d * u, left + d * v) for u in range(k) for v in range(k))
        panels.append(Panel(len(axis), cells, taps, outputs, (row, column)))
    return tuple(panels)


def _extent(figure: Figure) -> tuple[int, int]:
    """Width and height of the drawing, in cells, without margins."""
    panel = figure.panels[0]
    wide = max(panel.size, panel.output_size)
    return len(figure.panels) * (wide + _GAP) - _GAP, panel.output_size + 1 + panel.size


def _layout(figure: Figure) -> Iterator[tuple[Panel, float, float, int]]:
    """Each panel with its input and output grids' left edges and its input grid's top (outputs sit on top)."""
    for number, panel in enumerate(figure.panels):
        wide = max(panel.size, panel.output_size)
        left = number * (wide + _GAP)
        yield (
            panel,
            left + (wide - panel.size) / 2,
            left + (wide - panel.output_size) / 2,
            panel.output_size + 1,
        )


def _parameters(**values: int) -> str:
    """``i = 5, k = 3, s = 2, p = 1``, with ``d`` only when it is not 1."""
    return ", ".join(f"{name} = {value}" for name, value in values.items() if name != "d" or value != 1)


def _listing(**values: Any) -> str:
    """The guide's "i = 5, k = 3, s = 2 and p = 1", leaving out ``None`` and ``d = 1``."""
    shown = [f"{name} = {value}" for name, value in values.items() if value is not None and (name, value) != ("d", 1)]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _convolving(i: int, k: int, s: int, p: int, d: int, zeros: int = 0, a: int = 0) -> str:
    """The guide's wording: "convolving a 3×3 kernel over a 5×5 input padded with ..."."""
    words = [f"convolving a {k}×{k} kernel over a {i}×{i} input"]
    if zeros:
        words.append(f"(with {zeros} zero{'s' if zeros > 1 else ''} inserted between inputs)")
    if p > 0:
        words.append(f"padded with a {p}×{p} border of zeros")
    elif p < 0:
        words.append(f"cropped by a {-p}×{-p} border")
    if a:
        words.append(f"(with an additional border of size {a} added to the bottom and right edges)")
    if d > 1:
        words.append(f"with a dilation factor of {d}")
    words.append("using unit strides" if s == 1 else f"using {s}×{s} strides")
    return " ".join(words)
