"""Animations like the guide's: the kernel visits every position and the output grid fills in.

:func:`to_animated_svg` writes one SVG that plays by itself, with SMIL only
(``<animate>`` and ``<animateTransform>``, no script), so browsers play it
also where a page shows it as an image, as code-hosting sites show SVG files.
The grids are drawn once; the kernel is one group of squares that jumps from
position to position, and each output cell appears when its position comes
and stays until the loop starts again. The frames are the positions of a
:class:`~symconv.present.figures.Figure`, which come from the brute-force
oracle. :mod:`symconv.present.raster` writes the same animation as a GIF.

>>> from symconv.present.figures import convolution_figure
>>> svg = to_animated_svg(convolution_figure(5, 3, stride=2, padding=1))
>>> svg.count("<animate "), svg.count("<animateTransform "), len(svg) < 8000
(8, 2, True)
"""

from __future__ import annotations

from typing import Iterable
from xml.sax.saxutils import escape

from symconv.core.errors import ParameterError
from symconv.present.figures import (Figure, extent, placement, squares, svg_head, svg_shift, svg_square, svg_style,
                                      text_width)

MAX_FRAMES = 1024  #: kernel positions in an animation
STEP = 0.5  #: seconds that the kernel stays at each position
HOLD = 4  #: steps that the finished output stays before the loop starts again

_STYLE = ".pending{fill:#fff}"


def frame_count(figure: Figure) -> int:
    """The number of frames (kernel positions), once it is known to be within :data:`MAX_FRAMES`."""
    if figure.positions > MAX_FRAMES:
        raise ParameterError("positions", figure.positions,
                             f"an animation allows up to {MAX_FRAMES} kernel positions; draw one with --step,"
                             " or choose smaller sizes or larger strides")
    return figure.positions


def to_animated_svg(figure: Figure) -> str:
    """A standalone animated SVG: 12px cells, the output grid above the input grid, looping for ever.

    Besides the classes of :func:`~symconv.present.figures.to_svg`, output cells not yet
    computed are ``pending``; each later one is an ``output`` square with an ``<animate>``
    of its opacity, and the kernel and the ``computed`` cell move by ``<animateTransform>``.
    """
    frames = frame_count(figure)
    first = figure.panel(0)
    where = placement(first)
    width, height = extent(first)
    cell = 12
    rows, columns = figure.axes
    steps = frames + HOLD
    timing = f'calcMode="discrete" dur="{steps * STEP:g}s" repeatCount="indefinite"'
    wide = text_width(figure, width)
    body = svg_head(figure, wide, height, cell, svg_style(figure, _STYLE))
    shift = svg_shift(wide - width, cell)
    body += [shift] if shift else []
    body += [svg_square("pending" if role == "output" else role, x, y, cell)
             for role, x, y in squares(first, where, overlays=False)]
    for position in range(frames):
        row, column = divmod(position, columns.outputs)
        x, y = where.output_left + column, row
        if position == 0:  # computed at time 0: always there
            body.append(svg_square("output", x, y, cell))
        else:
            body.append(svg_square("output", x, y, cell, ' opacity="0"')[:-2] + ">"
                        f'<animate attributeName="opacity" values="0;1" keyTimes="0;{position / steps:.6g}"'
                        f" {timing}/></rect>")

    def moving(role: str, cells: Iterable[tuple[float, float]], shifts: list[str]) -> None:
        body.append('<g class="moving">')
        body.extend(svg_square(role, x, y, cell) for x, y in cells)
        shifts += shifts[-1:] * HOLD
        body.append(f'<animateTransform attributeName="transform" type="translate" values="{";".join(shifts)}"'
                    f" {timing}/></g>")

    positions = [divmod(position, columns.outputs) for position in range(frames)]
    moving("kernel", ((where.input_left + x, where.input_top + y) for y, x in first.kernel),
           [f"{column * columns.stride * cell} {row * rows.stride * cell}" for row, column in positions])
    moving("computed", [(where.output_left, 0)], [f"{column * cell} {row * cell}" for row, column in positions])
    body += ["</g>"] if shift else []
    body.append(
        f'<text x="{wide * cell / 2:g}" y="{(height + 2) * cell:g}" text-anchor="middle">{escape(figure.title)}</text>'
    )
    body.append("</svg>")
    return "\n".join(body) + "\n"

