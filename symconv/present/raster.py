"""Figures as pictures: PNG stills and GIF animations, drawn with Pillow.

Pillow draws the same geometry as the SVG and TikZ writers (the roles and
squares of :mod:`symconv.present.figures`), square by square on a pixel grid,
rather than rasterising the SVG: a rasteriser of SVG would bring a C library
(cairo, librsvg) or a browser, and cells drawn on whole pixels stay sharp.
Pillow is an optional extra (``pip install 'symconv[images]'``); without it
these functions say so in one line.
"""

from __future__ import annotations

import io
import math
from typing import Any, Optional

from symconv.core.errors import ParameterError
from symconv.present.animate import HOLD, STEP, frame_count
from symconv.present.figures import (COLOURS, OVERLAY_OPACITY, Figure, Panel, Placement, extent, placement, squares)

MAX_CELL = 16  #: pixels per cell, at most
MAX_SIDE = 1600  #: pixels along the longer side of a picture, at most, when cells can shrink to fit
MIN_CELL = 2
MAX_GIF_PIXELS = 40_000_000  #: pixels in all the frames of a GIF together

_OUTLINES = {"padding": "#999", "inserted": "#999", "cropped": "#888", "outside": "#ccc"}


def _pillow() -> Any:
    try:
        from PIL import Image, ImageDraw, ImageFont  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise ParameterError("format", "png/gif", "pictures need Pillow: pip install 'symconv[images]'") from None
    return Image, ImageDraw, ImageFont


def _cell(width: int, height: int, frames: int = 1) -> int:
    """Pixels per cell: :data:`MAX_CELL`, or fewer for a big picture or a long animation."""
    cells = (width + 2) * (height + 4)
    cell = min(MAX_CELL, MAX_SIDE // max(width + 2, height + 4), math.isqrt(MAX_GIF_PIXELS // (frames * cells)))
    if cell < MIN_CELL:
        raise ParameterError("positions", frames, f"the animation would need more than {MAX_GIF_PIXELS} pixels"
                                                  f" at {MIN_CELL} pixels per cell; choose smaller sizes")
    return cell


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(2 * c for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


class _Canvas:
    """One picture: cells of ``cell`` pixels, one cell of margin, the title below (the picture widened to hold it)."""

    def __init__(self, figure: Figure, width: int, height: int, cell: int) -> None:
        self.Image, ImageDraw, ImageFont = _pillow()
        self.cell = cell
        try:
            font = ImageFont.load_default(size=max(10, cell))
        except TypeError:  # Pillow < 10.1: the bitmap font, in one size
            font = ImageFont.load_default()
        title = figure.title.encode("latin-1", "replace").decode("latin-1")
        grids = (width + 2) * cell
        wide = max(grids, math.ceil(font.getlength(title)) + 2 * cell)
        self.left = (wide - grids) // 2
        self.image = self.Image.new("RGB", (wide, (height + 4) * cell), "white")
        self.draw = ImageDraw.Draw(self.image, "RGBA")
        self.draw.text((wide / 2, (height + 2.5) * cell), title, fill="black", font=font, anchor="mm")

    def square(self, role: str, x: float, y: float, draw: Optional[Any] = None) -> None:
        draw = draw or self.draw
        c = self.cell
        left, top = self.left + round((x + 1) * c), round((y + 1) * c)
        box = (left, top, left + c, top + c)
        if role == "strike":
            draw.line(box, fill="#666", width=1)
        elif role in ("kernel", "computed"):
            draw.rectangle(box, fill=(0, 0, 0, round(255 * OVERLAY_OPACITY)), outline="black", width=max(1, c // 8))
        else:
            fill = "#fff" if role == "pending" else COLOURS[role]
            draw.rectangle(box, fill=fill, outline=_OUTLINES.get(role, "#666"), width=1)


def to_png(figure: Figure) -> bytes:
    """The still picture, as :func:`~symconv.present.figures.to_svg` draws it, as a PNG."""
    width, height = extent(figure.panels[0], len(figure.shown))
    canvas = _Canvas(figure, width, height, _cell(width, height))
    for number, panel in enumerate(figure.panels):
        for role, x, y in squares(panel, placement(panel, number)):
            canvas.square(role, x, y)
    out = io.BytesIO()
    canvas.image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def to_gif(figure: Figure) -> bytes:
    """The animation, as :func:`~symconv.present.animate.to_animated_svg` plays it, as a looping GIF."""
    frames = frame_count(figure)
    first = figure.panel(0)
    where = placement(first)
    width, height = extent(first)
    canvas = _Canvas(figure, width, height, _cell(width, height, frames + 1))
    for role, x, y in squares(first, where, overlays=False):
        canvas.square("pending" if role == "output" else role, x, y)
    palette = _palette(canvas)
    pictures = []
    for panel in figure.frames():
        row, column = panel.output_cell
        canvas.square("output", where.output_left + column, row)  # stays for the frames after
        picture = canvas.image.copy()
        draw = canvas.draw.__class__(picture, "RGBA")
        _overlay(canvas, draw, panel, where)
        pictures.append(picture.quantize(palette=palette, dither=canvas.Image.Dither.NONE))
    durations = [round(STEP * 1000)] * frames
    durations[-1] += round(STEP * 1000) * HOLD
    out = io.BytesIO()
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0,
                     optimize=False, disposal=1)
    return out.getvalue()


def _overlay(canvas: _Canvas, draw: Any, panel: Panel, where: Placement) -> None:
    for y, x in panel.kernel:
        canvas.square("kernel", where.input_left + x, where.input_top + y, draw)
    canvas.square("computed", where.output_left + panel.output_cell[1], panel.output_cell[0], draw)


def _darker(value: int) -> int:
    """A channel under the overlay: black at :data:`OVERLAY_OPACITY` over it."""
    return round(value * (1 - OVERLAY_OPACITY))


def _palette(canvas: _Canvas) -> Any:
    """Every colour the frames use: the roles, their outlines, each under the overlay, and greys for the title."""
    shades = {_rgb(colour) for colour in (*COLOURS.values(), *_OUTLINES.values(), "#666", "#fff")}
    shades |= {(_darker(r), _darker(g), _darker(b)) for r, g, b in shades}
    shades |= {(v, v, v) for v in range(0, 256, 17)}
    flat = [v for shade in sorted(shades) for v in shade]
    palette = canvas.Image.new("P", (1, 1))
    palette.putpalette(flat + flat[:3] * (256 - len(shades)))
    return palette
