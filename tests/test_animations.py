"""Animations and pictures: every frame against the oracle, the animated SVG's SMIL, the GIF and PNG, the CLI.

The frames of an animation are the kernel positions of a figure. Their number and
every tap are compared with the brute-force oracle's connectivity (for a transposed
layer, with the transpose of the direct convolution's), never with the formulas.
"""

import io
import re
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symconv import ParameterError
from symconv.cli import main
from symconv.core import oracle
from symconv.present.animate import HOLD, MAX_FRAMES, STEP, to_animated_svg
from symconv.present.figures import convolution_figure, extent, layer_figure, placement

SVG = "{http://www.w3.org/2000/svg}"


# --- the oracle's answers -------------------------------------------------------------


def direct_matrix(i, k, s, pad, d, rows=None):
    """C of one axis of a direct layer (outputs x inputs); ``rows`` windows, for ceil mode's overhanging ones."""
    if rows is None:
        return oracle.connectivity(i, k, s, pad, d)
    # Enough extra cells after the input for every window the oracle counts; the cells there hold nothing.
    return oracle.connectivity(i, k, s, (pad[0], pad[1] + d * (k - 1) + s), d)[:rows]


def transposed_output(inputs, k, s, pad, d, a):
    """o': the a-th smallest direct input size whose convolution has ``inputs`` outputs (output_padding's meaning).

    The sizes are counted from the smallest that the padding alone could make up (a size below 1 is formal: only
    i + p_l + p_r counts), so that ``a`` counts from the same place for every padding."""
    sizes = [size for size in range(1 - sum(pad), 400) if oracle.count_positions(size, k, s, pad, d) == inputs]
    return sizes[0] + a


def per_axis(value, axes):
    return value if isinstance(value, tuple) else (value,) * axes


def layers(operation, i, k, s, p, d, a, ceil, axes):
    """Each axis's (matrix, units along the axis' cells, role) from the oracle, for a layer's figure."""
    found = []
    pads = (p,) if axes == 1 else per_axis(p, axes)
    for ii, kk, ss, dd, aa, pp in zip(*(per_axis(v, axes) for v in (i, k, s, d, a)), pads):
        pad = pp if isinstance(pp, tuple) else (pp, pp)
        if operation == "transposed":
            outputs = transposed_output(ii, kk, ss, pad, dd, aa)
            found.append(("transposed", direct_matrix(outputs, kk, ss, pad, dd), ss, dd * (kk - 1) - pad[0]))
        else:
            rows = oracle.count_pool_windows(ii, kk, ss, pad, dd, ceil) if operation == "pool" else None
            found.append(("direct", direct_matrix(ii, kk, ss, pad, dd, rows), ss, pad[0]))
    return found


def unit_of(roles, kind, step, before):
    """For each cell along an axis, the input unit it shows (or None): units in order for a direct layer, every
    ``step``-th cell of the stretched input (which starts ``max(0, p')`` cells in) for a transposed one."""
    if kind == "direct":
        inputs = [x for x, role in enumerate(roles) if role == "input"]
        return {x: n for n, x in enumerate(inputs)}
    origin = max(0, before)
    return {x: (x - origin) // step for x, role in enumerate(roles) if role == "input"}


def check_frames(figure, operation, i, k, s, p, d, a=0, ceil=False, axes=2):
    """Every frame's kernel taps are the oracle's: the taps that land on input units join exactly the units the
    oracle joins to that output, and tap t lands where the oracle puts tap t."""
    found = layers(operation, i, k, s, p, d, a, ceil, axes)
    drawn = figure.axes[2 - axes:]
    shape = [matrix.shape[1] if kind == "transposed" else matrix.shape[0] for kind, matrix, _, _ in found]
    assert figure.positions == int(np.prod(shape))  # the oracle's number of output units
    frames = list(figure.frames())
    assert len(frames) == figure.positions
    cells = [frame.output_cell for frame in frames]
    assert cells == sorted(set(cells)) and frames[0].output_shape == ((1,) * (2 - axes) + tuple(shape))
    for frame in frames:
        position = frame.output_cell[2 - axes:]
        kernel = [cell[2 - axes:] for cell in frame.kernel]
        assert len(kernel) == len(set(kernel)) == int(np.prod(per_axis(k, axes)))
        assert all(0 <= y < len(frame.cells) and 0 <= x < len(frame.cells[0]) for y, x in frame.kernel)
        # Along each axis: tap t of the kernel sits on a cell; the oracle says which unit tap t meets, if any.
        sizes = per_axis(k, axes)
        for axis, ((kind, matrix, step, before), lane) in enumerate(zip(found, drawn)):
            units = unit_of(lane.roles, kind, step, before)
            stride = int(np.prod(sizes[axis + 1:]))
            taps = [kernel[t * stride][axis] for t in range(sizes[axis])]  # tap t along this axis
            if kind == "direct":
                joined = {int(x): int(t) for x, t in enumerate(matrix[position[axis]]) if t >= 0}
            else:  # C transposed: output r of the transposed layer meets unit j where C joins output j to input r
                joined = {j: None for j in np.flatnonzero(matrix[:, position[axis]] >= 0)}
            met = {units[cell]: t for t, cell in enumerate(taps) if cell in units}
            assert set(met) == set(joined)
            if kind == "direct":
                assert met == joined
            assert all(lane.roles[cell] != "cropped" for cell in taps)


CASES = [
    # operation, i, k, s, p, d, a, ceil_mode, axes
    ("conv", 5, 3, 2, 1, 1, 0, False, 2),
    ("conv", 7, 3, 1, 0, 2, 0, False, 2),
    ("conv", (5, 7), (3, 2), (2, 1), ((1, 2), 0), 1, 0, False, 2),
    ("conv", 6, 3, 2, (0, 1), (1,), 0, False, 1),
    ("conv", 5, 3, 1, (1, 2), 1, 0, False, 1),
    ("pool", 5, 3, 1, 0, 1, 0, False, 2),
    ("pool", 5, 2, 2, 0, 1, 0, True, 2),
    ("pool", (6, 5), 2, 2, 1, 1, 0, True, 2),
    ("pool", 7, 3, 2, 1, 2, 0, True, 1),
    ("transposed", 3, 3, 2, 1, 1, 1, False, 2),
    ("transposed", 2, 3, 2, 0, 1, 0, False, 2),
    ("transposed", 5, 3, 1, 3, 1, 0, False, 2),
    ("transposed", (3, 4), (3, 2), (2, 1), ((1, 0), 2), 1, (1, 0), False, 2),
    ("transposed", 3, 3, 3, (0, 2), 2, 2, False, 1),
]


def make(operation, i, k, s, p, d, a, ceil, axes):
    return layer_figure(operation, i, k, s, p, d, a, ceil, axes=axes)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)])
def test_frames_are_the_oracles(case):
    check_frames(make(*case), *case)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["conv", "pool", "transposed"]), st.integers(1, 2), st.data())
def test_frames_are_the_oracles_everywhere(operation, axes, data):
    def values(low, high):
        drawn = data.draw(st.lists(st.integers(low, high), min_size=axes, max_size=axes))
        return tuple(drawn) if axes == 2 else drawn[0]

    i, k, s, d = values(1, 7), values(1, 4), values(1, 3), values(1, 3)
    p = tuple(data.draw(st.tuples(st.integers(0, 3), st.integers(0, 3))) for _ in range(axes))
    p = p if axes == 2 else p[0]
    ceil = operation == "pool" and data.draw(st.booleans())
    a = values(0, 2) if operation == "transposed" else 0
    try:
        figure = make(operation, i, k, s, p, d, a, ceil, axes)
    except ParameterError:
        assume(False)
    if operation == "transposed":
        assume(all(aa < ss for aa, ss in zip(per_axis(a, axes), per_axis(s, axes))))  # a transpose of a convolution
    check_frames(figure, operation, i, k, s, p, d, a, ceil, axes)


# --- the animated SVG ------------------------------------------------------------------


def parse(svg):
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert not any(element.tag in (SVG + "script", SVG + "foreignObject") for element in root.iter())
    assert not any("href" in name or name.startswith("on") for element in root.iter() for name in element.attrib)
    return root


def shifts(group):
    values = group.find(SVG + "animateTransform").get("values").split(";")
    return [tuple(float(v) for v in value.split()) for value in values]


@pytest.mark.parametrize("case", CASES[:3] + CASES[6:8] + CASES[9:], ids=str)
def test_animated_svg(case):
    figure = make(*case)
    root = parse(to_animated_svg(figure))
    frames, steps = figure.positions, figure.positions + HOLD
    duration = f"{steps * STEP:g}s"
    timed = [e for e in root.iter() if e.tag in (SVG + "animate", SVG + "animateTransform")]
    assert all(e.get("dur") == duration and e.get("repeatCount") == "indefinite" and e.get("calcMode") == "discrete"
               for e in timed)
    # One output square per output unit; all but the first appear at their frame and stay.
    first = figure.panel(0)
    where = placement(first)
    outputs = [rect for rect in root.iter(SVG + "rect") if rect.get("class") == "output"]
    assert len(outputs) == frames and len(root.findall(f".//{SVG}animate")) == frames - 1
    for position, rect in enumerate(outputs):
        row, column = divmod(position, figure.axes[1].outputs)
        assert (float(rect.get("x")), float(rect.get("y"))) == ((where.output_left + column) * 12, row * 12)
        animation = rect.find(SVG + "animate")
        if position == 0:
            assert animation is None
        else:
            assert animation.get("attributeName") == "opacity" and animation.get("values") == "0;1"
            assert float(animation.get("keyTimes").split(";")[1]) == pytest.approx(position / steps, abs=1e-6)
    # The kernel: its squares, moved frame by frame onto the frame's taps, and held at the end.
    kernel, computed = (root.findall(f".//{SVG}rect[@class='{role}']/..") for role in ("kernel", "computed"))
    assert len(kernel) == len(computed) == 1
    squares = [(float(r.get("x")), float(r.get("y"))) for r in kernel[0].iter(SVG + "rect")]
    moves = shifts(kernel[0])
    assert len(moves) == steps and moves[frames:] == [moves[frames - 1]] * HOLD
    for frame, (dx, dy) in zip(figure.frames(), moves):
        drawn = {(x + dx, y + dy) for x, y in squares}
        assert drawn == {((where.input_left + x) * 12, (where.input_top + y) * 12) for y, x in frame.kernel}
    for frame, (dx, dy) in zip(figure.frames(), shifts(computed[0])):
        rect = computed[0].find(SVG + "rect")
        row, column = frame.output_cell
        assert (float(rect.get("x")) + dx, float(rect.get("y")) + dy) == ((where.output_left + column) * 12, row * 12)


def test_animated_svg_is_small_for_the_guides_sizes():
    for figure in (convolution_figure(5, 3, stride=2, padding=1), convolution_figure(5, 4, padding=2),
                   layer_figure("transposed", 3, 3, stride=2, padding=1, output_padding=1)):
        assert len(to_animated_svg(figure).encode()) < 30_000


def test_animation_budget():
    figure = layer_figure("conv", 32, 1, padding=1)  # 34 x 34 = 1156 positions
    assert figure.positions > MAX_FRAMES
    with pytest.raises(ParameterError, match=f"up to {MAX_FRAMES} kernel positions"):
        to_animated_svg(figure)


def test_wide_titles_widen_the_drawing():
    root = parse(to_animated_svg(layer_figure("pool", 2, 2, axes=1)))
    width = float(root.get("viewBox").split()[2])
    title = root.find(SVG + "title").text
    assert width >= len(title) * 0.6 * 12
    assert root.find(f"{SVG}g").get("transform").startswith("translate(")


# --- Pillow: PNG and GIF --------------------------------------------------------------------


def pillow():
    return pytest.importorskip("PIL.Image", reason="PNG and GIF need Pillow (pip install 'symconv[images]')")


@pytest.mark.parametrize("case", [CASES[0], CASES[4], CASES[7], CASES[9], CASES[13]], ids=str)
def test_gif_frames(case):
    Image = pillow()
    from symconv.present.raster import MAX_CELL, to_gif

    figure = make(*case)
    image = Image.open(io.BytesIO(to_gif(figure)))
    assert image.format == "GIF" and image.n_frames == figure.positions and image.info.get("loop") == 0
    width, height = extent(figure.panel(0))
    assert image.size[1] == (height + 4) * MAX_CELL and image.size[0] >= (width + 2) * MAX_CELL
    left = (image.size[0] - (width + 2) * MAX_CELL) // 2
    where = placement(figure.panel(0))
    durations = []
    for number, frame in enumerate(figure.frames()):
        image.seek(number)
        durations.append(image.info["duration"])
        picture = image.convert("RGB")

        def centre(x, y, picture=picture):
            return picture.getpixel((left + int((x + 1.5) * MAX_CELL), int((y + 1.5) * MAX_CELL)))

        # The kernel darkens exactly its taps' cells; computed outputs are filled, the others still white.
        for y, row in enumerate(frame.cells):
            for x in range(len(row)):
                assert (sum(centre(where.input_left + x, where.input_top + y)) < 3 * 170) == ((y, x) in frame.kernel)
        for position in range(figure.positions):
            row, column = divmod(position, frame.output_shape[1])
            colour = centre(where.output_left + column, row)
            assert (colour == (255, 255, 255)) == (position > number)
    assert durations[:-1] == [STEP * 1000] * (figure.positions - 1)
    assert durations[-1] == STEP * 1000 * (1 + HOLD)


def test_png_dimensions():
    Image = pillow()
    from symconv.present.raster import MAX_CELL, to_png

    for figure in (convolution_figure(5, 3, stride=2, padding=1), layer_figure("conv", 9, 2, axes=1, step=3)):
        image = Image.open(io.BytesIO(to_png(figure)))
        width, height = extent(figure.panels[0], len(figure.shown))
        assert image.format == "PNG" and image.size[1] == (height + 4) * MAX_CELL
        assert (width + 2) * MAX_CELL <= image.size[0] <= max((width + 2) * MAX_CELL, 1000)
    big = Image.open(io.BytesIO(to_png(layer_figure("conv", 32, 3, padding=32))))
    assert max(big.size) <= 1600  # cells shrink to fit


def test_without_pillow(monkeypatch, capsys, tmp_path):
    from symconv.present.raster import to_gif, to_png

    monkeypatch.setitem(sys.modules, "PIL", None)
    figure = convolution_figure(4, 3)
    for draw in (to_png, to_gif):
        with pytest.raises(ParameterError, match=re.escape("pip install 'symconv[images]'")):
            draw(figure)
    code, _, err = run(capsys, "figure", "conv", "-i", "4", "-k", "3", "-o", str(tmp_path / "x.png"))
    assert code == 2 and err.count("\n") == 1 and "pip install 'symconv[images]'" in err


# --- the command ---------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_svg_to_stdout(capsys):
    code, out, err = run(capsys, "figure", "pool", "-i", "5", "-k", "3", "-s", "1")
    assert code == 0 and not err
    root = parse(out)
    assert root.find(SVG + "desc").text.startswith("Pooling with a 3×3 window over a 5×5 input")
    code, out, _ = run(capsys, "figure", "conv", "-i", "5,7", "-k", "3", "-p", "1:0,2", "--format", "tikz")
    assert code == 0 and out.startswith("% i = 5×7, k = 3, s = 1, p = 1:0×2")


def test_cli_step(capsys):
    code, out, _ = run(capsys, "figure", "conv", "-i", "5", "-k", "3", "-s", "2", "-d", "2", "--step", "1")
    assert code == 0
    assert ET.fromstring(out).findall(f".//{SVG}rect[@class='computed']")[0].get("x") is not None
    assert out.count('class="kernel"') == 9 and out.count('class="computed"') == 1


@pytest.mark.parametrize("fmt, suffix", [("animated-svg", "svg"), ("svg", "svg"), ("tikz", "tex"), (None, "gif"),
                                         (None, "png")])
def test_cli_writes_files(capsys, tmp_path, fmt, suffix):
    if suffix in ("gif", "png"):
        pillow()
    target = tmp_path / f"figure.{suffix}"
    argv = ["figure", "transposed", "-i", "3", "-k", "3", "-s", "2", "-p", "1", "--output-padding", "1",
            "-o", str(target), "--json"] + (["--format", fmt] if fmt else [])
    code, out, err = run(capsys, *argv)
    assert code == 0 and not err
    import json

    data = json.loads(out)
    assert data["written"] == [str(target)] and data["positions"] == 36 and data["shown"] == [1, 2, 3, 36]
    assert data["format"] == (fmt or suffix) and target.stat().st_size > 0
    if fmt == "animated-svg":
        assert len(parse(target.read_text(encoding="utf-8")).findall(f".//{SVG}animate")) == 35


@pytest.mark.parametrize("argv, words", [
    (["conv", "-i", "5", "-k", "3", "--step", "10"], "step=10 is invalid: step must be between 1 and 9"),
    (["conv", "-i", "5", "-k", "3", "--step", "0"], "step=0 is invalid"),
    (["conv", "-i", "5", "-k", "3", "--step", "two"], "step='two' is invalid"),
    (["conv", "-i", "5", "-k", "3", "--step", "2", "--format", "animated-svg"], "--step draws one position"),
    (["conv", "-i", "5", "-k", "7"], "kernel_size=7 is invalid"),
    (["conv", "-i", "0", "-k", "1"], "input_size=0 is invalid"),
    (["conv", "-i", "33", "-k", "3"], "input_size=33 is invalid: a figure allows input_size up to 32"),
    (["conv", "-i", "5", "-k", "3", "-p", "40"], "padding=40 is invalid"),
    (["conv", "-i", "5,6,7", "-k", "3"], "a figure has 1 or 2 axes"),
    (["conv", "-i", "5,6", "-k", "3", "--axes", "1"], "axes=1 is invalid"),
    (["conv", "-i", "5", "-k", "3", "--ceil-mode"], "ceil_mode applies to pool only"),
    (["conv", "-i", "5", "-k", "3", "--output-padding", "1"], "output_padding applies to transposed only"),
    (["pool", "-i", "5", "-k", "3", "-p", "2"], "pooling padding must be at most half the kernel size"),
    (["transposed", "-i", "3", "-k", "3", "-s", "2", "--output-padding", "2"], "output_padding=2 is invalid"),
    (["transposed", "-i", "30", "-k", "3", "-s", "9"], "a figure allows up to 128 cells"),
    (["conv", "-i", "32", "-k", "1", "-p", "1", "--format", "animated-svg"], "up to 1024 kernel positions"),
    (["conv", "-i", "5", "-k", "3", "--format", "jpeg"], "format='jpeg' is invalid"),
    (["conv", "-i", "5", "-k", "3", "--json"], "--json describes the figure it writes"),
    (["conv", "-i", "5", "-k", "3", "-o", "/nonexistent/dir/x.svg"], "output='/nonexistent/dir/x.svg' is invalid"),
    (["spiral", "-i", "5", "-k", "3"], "invalid choice"),
])
def test_cli_refuses(capsys, argv, words):
    code, out, err = run(capsys, "figure", *argv)
    assert code == 2 and not out
    assert err.count("\n") == 1 and words in err
