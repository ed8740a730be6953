"""Figures: panel geometry against the oracle, SVG structure, TikZ that compiles."""

import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv import ParameterError
from symconv.core import oracle
from symconv.present.figures import Figure, convolution_figure, to_svg, to_tikz, transposed_figure

SVG = "{http://www.w3.org/2000/svg}"

CONV = [
    # (i, k, s, p, d): the guide's Figures 2.1-2.6 and 5.1
    (4, 3, 1, 0, 1),
    (5, 4, 1, 2, 1),
    (5, 3, 1, 1, 1),
    (5, 3, 1, 2, 1),
    (5, 3, 2, 0, 1),
    (5, 3, 2, 1, 1),
    (7, 3, 1, 0, 2),
]

TRANSPOSED = [
    # (i, k, s, p, d) of the direct convolution: Figures 4.1, 4.2, 4.5, 4.6, 4.7, and p' = -1
    (4, 3, 1, 0, 1),
    (5, 4, 1, 2, 1),
    (5, 3, 2, 0, 1),
    (5, 3, 2, 1, 1),
    (6, 3, 2, 1, 1),
    (5, 3, 1, 3, 1),
]


def direct(i, k, s, p, d):
    """The direct convolution's 1-D connectivity matrix (outputs x inputs)."""
    return oracle.connectivity(i, k, s, (p, p), d)


def roles(panel):
    return Counter(role for row in panel.cells for role in row)


def input_units(panel):
    """Input cells in raster order: the input units, as the oracle numbers them."""
    return [(y, x) for y, row in enumerate(panel.cells) for x, role in enumerate(row) if role == "input"]


def check_kernel(panel, k):
    assert len(panel.kernel) == len(set(panel.kernel)) == k * k
    assert all(0 <= y < panel.size and 0 <= x < panel.size for y, x in panel.kernel)
    assert len(panel.cells) == panel.size and all(len(row) == panel.size for row in panel.cells)


@pytest.mark.parametrize("i, k, s, p, d", CONV)
def test_convolution_geometry(i, k, s, p, d):
    figure = convolution_figure(i, k, stride=s, padding=p, dilation=d)
    outputs = direct(i, k, s, p, d).shape[0]
    assert len(figure.panels) == min(4, outputs * outputs)
    for panel in figure.panels:
        check_kernel(panel, k)
        assert panel.size == i + 2 * p
        assert panel.output_size == outputs
        assert roles(panel) == Counter(input=i * i, padding=panel.size**2 - i * i)


def check_convolution_oracle(figure, i, k, s, p, d):
    """Each panel's kernel covers the inputs the oracle joins to its output unit."""
    matrix = oracle.connectivity_2d((i, i), (k, k), (s, s), ((p, p), (p, p)), (d, d))
    for panel in figure.panels:
        units = input_units(panel)
        row, column = panel.output_cell
        covered = {units.index(cell) for cell in panel.kernel if cell in units}
        assert covered == set(np.flatnonzero(matrix[row * panel.output_size + column] >= 0))


def check_transposed_oracle(figure, i, k, s, p, d):
    """Output (r, c) of the transpose is joined to input (x, y) exactly where the
    direct convolution joins output (x, y) to input (r, c): C transposed."""
    matrix = direct(i, k, s, p, d)
    origin = max(0, d * (k - 1) - p)  # where the stretched input starts: p' cells in, or 0 when cropped

    def unit(cell):
        y, x = cell[0] - origin, cell[1] - origin
        return (y // s, x // s) if y % s == 0 and x % s == 0 else None

    for panel in figure.panels:
        assert all(panel.cells[y][x] != "cropped" for y, x in panel.kernel)
        row, column = panel.output_cell
        covered = {unit(cell) for cell in panel.kernel if panel.cells[cell[0]][cell[1]] == "input"}
        joined_row, joined_column = np.flatnonzero(matrix[:, row] >= 0), np.flatnonzero(matrix[:, column] >= 0)
        assert covered == {(x, y) for x in joined_row for y in joined_column}


@pytest.mark.parametrize("i, k, s, p, d", CONV)
def test_convolution_kernel_covers_what_the_oracle_connects(i, k, s, p, d):
    check_convolution_oracle(convolution_figure(i, k, stride=s, padding=p, dilation=d, positions=8), i, k, s, p, d)


@pytest.mark.parametrize("i, k, s, p, d", TRANSPOSED)
def test_transposed_kernel_covers_the_transposed_connectivity(i, k, s, p, d):
    check_transposed_oracle(transposed_figure(i, k, stride=s, padding=p, dilation=d, positions=8), i, k, s, p, d)


@pytest.mark.parametrize("i, k, s, p, d", TRANSPOSED)
def test_transposed_geometry(i, k, s, p, d):
    figure = transposed_figure(i, k, stride=s, padding=p, dilation=d)
    inputs = direct(i, k, s, p, d).shape[0]  # i'
    p_prime = d * (k - 1) - p
    a = (i + 2 * p - d * (k - 1) - 1) % s
    stretched = s * (inputs - 1) + 1
    for panel in figure.panels:
        check_kernel(panel, k)
        count = roles(panel)
        assert panel.output_size == i
        assert panel.output_size == oracle.connectivity(
            inputs, k, 1, (p_prime, p_prime + a), d, zeros_between=s - 1
        ).shape[0]
        if p_prime >= 0:
            assert panel.size == stretched + 2 * p_prime + a
            assert count["input"] == inputs * inputs
            assert count["inserted"] == stretched**2 - inputs**2
            assert "cropped" not in count
        assert ("extra" in count) == (a > 0)
        assert count["extra"] == panel.size**2 - (panel.size - a) ** 2


def test_transposed_examples_by_hand():
    # Figure 4.6: i' = 3 inputs stretched to 5, p' = 1, no extra.
    assert roles(transposed_figure(5, 3, stride=2, padding=1).panels[0]) == Counter(
        input=9, inserted=16, padding=24
    )
    # Figure 4.7: the same, plus a = 1 row and column of extra zeros.
    assert roles(transposed_figure(6, 3, stride=2, padding=1).panels[0]) == Counter(
        input=9, inserted=16, padding=24, extra=15
    )
    # Figure 4.5: i' = 2 stretched to 3, p' = 2.
    assert roles(transposed_figure(5, 3, stride=2).panels[0]) == Counter(input=4, inserted=5, padding=40)


def test_cropping():
    # i = 5, k = 3, p = 3: p' = -1 crops a one-cell border off the 9 x 9 input.
    figure = transposed_figure(5, 3, padding=3)
    panel = figure.panels[0]
    assert panel.size == 9 and panel.output_size == 5
    assert roles(panel) == Counter(input=49, cropped=32)
    assert all(panel.cells[y][x] == "input" for y, x in panel.kernel)
    assert panel.kernel[0] == (1, 1)
    assert "cropped by a 1×1 border" in figure.caption and "p' = -1" in figure.caption


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 9), st.integers(1, 4), st.integers(1, 3), st.integers(0, 4), st.integers(1, 3), st.integers(1, 8)
)
def test_properties(i, k, s, p, d, positions):
    if d * (k - 1) + 1 > i + 2 * p:
        with pytest.raises(ParameterError):
            convolution_figure(i, k, s, p, d, positions)
        return
    conv, transposed = convolution_figure(i, k, s, p, d, positions), transposed_figure(i, k, s, p, d, positions)
    check_convolution_oracle(conv, i, k, s, p, d)
    check_transposed_oracle(transposed, i, k, s, p, d)
    p_prime, a = d * (k - 1) - p, (i + 2 * p - d * (k - 1) - 1) % s
    # Where p' + a <= 0 the extra zeros only make the cropping at the end smaller.
    assert any("extra" in row for row in transposed.panels[0].cells) == (a > 0 and p_prime + a > 0)
    for figure, outputs in ((conv, direct(i, k, s, p, d).shape[0]), (transposed, i)):
        assert len(figure.panels) == min(positions, outputs * outputs)
        shown = [panel.output_cell for panel in figure.panels]
        assert shown[-1] == (outputs - 1, outputs - 1) or positions == 1
        for panel in figure.panels:
            check_kernel(panel, k)
            assert panel.output_size == outputs
        ET.fromstring(to_svg(figure))


def test_positions():
    cells = [panel.output_cell for panel in convolution_figure(5, 3, stride=2, padding=1).panels]
    assert cells == [(0, 0), (0, 1), (0, 2), (2, 2)]  # first three, then the last
    cells = [panel.output_cell for panel in convolution_figure(4, 3, positions=8).panels]
    assert cells == [(0, 0), (0, 1), (1, 0), (1, 1)]  # fewer positions than asked: all
    assert [p.output_cell for p in convolution_figure(5, 3, positions=1).panels] == [(0, 0)]


def test_titles_and_captions():
    figure = convolution_figure(5, 3, stride=2, padding=1)
    assert figure.title == "i = 5, k = 3, s = 2, p = 1"
    assert figure.caption == (
        "Convolving a 3×3 kernel over a 5×5 input padded with a 1×1 border of zeros"
        " using 2×2 strides (i.e., i = 5, k = 3, s = 2 and p = 1)."
    )
    assert convolution_figure(7, 3, dilation=2).caption == (
        "Convolving a 3×3 kernel over a 7×7 input with a dilation factor of 2"
        " using unit strides (i.e., i = 7, k = 3, d = 2, s = 1 and p = 0)."
    )
    assert transposed_figure(5, 3, stride=2, padding=1).caption.endswith(
        "It is equivalent to convolving a 3×3 kernel over a 3×3 input (with 1 zero inserted between inputs)"
        " padded with a 1×1 border of zeros using unit strides (i.e., i' = 3, ĩ' = 5, k' = k, s' = 1 and p' = 1)."
    )


@pytest.mark.parametrize(
    "arguments, name",
    [
        (dict(positions=0), "positions"),
        (dict(positions=9), "positions"),
        (dict(input_size=33), "input_size"),
        (dict(padding=33), "padding"),
        (dict(kernel_size=6), "kernel_size"),
        (dict(kernel_size=3, dilation=3), "kernel_size"),
        (dict(stride=0), "stride"),
        (dict(padding=-1), "padding"),
        (dict(input_size=2.5), "input_size"),
        (dict(stride=True), "stride"),
    ],
)
@pytest.mark.parametrize("make", [convolution_figure, transposed_figure])
def test_refused(make, arguments, name):
    values = dict(input_size=5, kernel_size=3) | arguments
    with pytest.raises(ParameterError) as error:
        make(**values)
    assert error.value.name == name
    assert "\n" not in str(error.value)


def test_symbolic_sizes_refused():
    from symconv.core.symbols import i

    with pytest.raises(ParameterError, match="concrete"):
        convolution_figure(i, 3)


@pytest.mark.parametrize("i, k, s, p, d", CONV[-2:] + TRANSPOSED[-2:])
def test_svg_structure(i, k, s, p, d):
    make = convolution_figure if (i, k, s, p, d) in CONV else transposed_figure
    figure = make(i, k, stride=s, padding=p, dilation=d)
    root = ET.fromstring(to_svg(figure))
    assert root.tag == SVG + "svg" and len(root.get("viewBox").split()) == 4
    assert root.find(SVG + "title").text == figure.title
    assert root.find(SVG + "desc").text == figure.caption
    assert not any("href" in name for element in root.iter() for name in element.attrib)
    drawn = Counter(rect.get("class") for rect in root.iter(SVG + "rect"))
    panel, count = figure.panels[0], len(figure.panels)
    expected = Counter({role: n * count for role, n in roles(panel).items()})
    expected.update(kernel=k * k * count, output=panel.output_size**2 * count, computed=count)
    assert drawn == expected
    strikes = [line for line in root.iter(SVG + "line") if line.get("class") == "strike"]
    assert len(strikes) == roles(panel)["cropped"] * count


def test_tikz_structure():
    figure = transposed_figure(6, 3, stride=2, padding=1)
    tikz = to_tikz(figure)
    panel, count = figure.panels[0], len(figure.panels)
    for role, n in roles(panel).items():
        assert tikz.count(f"[{role} cell]") == n * count
    assert tikz.count("[kernel cell]") == 9 * count
    assert tikz.count("[computed cell]") == count
    assert tikz.count("\\begin{tikzpicture}") == tikz.count("\\end{tikzpicture}") == 1
    assert tikz.count("{") == tikz.count("}")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(
    "figure",
    [
        transposed_figure(5, 3, stride=2, padding=1),
        transposed_figure(5, 3, padding=3),
        convolution_figure(7, 3, dilation=2),
        transposed_figure(10, 3, stride=2),  # 12 x 12 grids: shrunk to \linewidth
    ],
    ids=["transposed-s2-p1", "cropped", "dilated", "wide"],
)
def test_tikz_compiles(figure: Figure, tmp_path):
    document = tmp_path / "figure.tex"
    document.write_text(
        "\\documentclass{article}\\usepackage{tikz}\\usepackage{graphicx}\n"
        f"\\begin{{document}}\n\\noindent\n{to_tikz(figure)}\\end{{document}}\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert "Overfull \\hbox" not in run.stdout
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "figure.pdf", "page"], cwd=tmp_path, check=True, timeout=60)
        assert (tmp_path / "page-1.png").stat().st_size > 0


# --- any layer: layer_figure ------------------------------------------------------------

from symconv.present.figures import FORMATS, MAX_GRID, format_named, layer_figure  # noqa: E402


def test_the_guides_figures_are_layer_figures():
    for i, k, s, p, d in CONV:
        assert convolution_figure(i, k, s, p, d) == layer_figure("conv", i, k, s, p, d)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 4), st.integers(1, 3), st.integers(0, 4), st.integers(1, 3))
def test_transposed_layer_is_the_guides_transpose(i, k, s, p, d):
    """The transposed layer that takes i' = the direct convolution's output, with a = output_padding found by
    counting sizes, draws the same grid as the guide's transpose of that convolution."""
    if d * (k - 1) + 1 > i + 2 * p:
        return
    inputs = direct(i, k, s, p, d).shape[0]
    smallest = min(size for size in range(1 - 2 * p, i + 1) if direct(max(size, 1), k, s, p, d).shape[0] == inputs
                   and oracle.count_positions(size, k, s, (p, p), d) == inputs)
    guide = transposed_figure(i, k, s, p, d)
    layer = layer_figure("transposed", inputs, k, s, p, d, output_padding=i - smallest)
    assert layer.axes == guide.axes and layer.shown == guide.shown
    assert layer.title == f"transposed i' = {inputs}, k = {k}, s = {s}, p = {p}" + (
        f", a = {i - smallest}" if i > smallest else "") + (f", d = {d}" if d > 1 else "")


@pytest.mark.parametrize("axes", [1, 2])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_dilated_kernels_have_gaps(axes, d):
    figure = layer_figure("conv", 9, 3, dilation=d, axes=axes)
    for panel in figure.panels:
        columns = sorted({x for _, x in panel.kernel})
        assert [b - a for a, b in zip(columns, columns[1:])] == [d, d]
        assert len(panel.kernel) == 3**axes


def test_one_axis():
    figure = layer_figure("conv", 5, 3, stride=2, padding=(1, 2), axes=1)
    panel = figure.panels[0]
    assert panel.shape == (1, 8) and panel.output_shape == (1, 3)
    assert panel.cells == (("padding",) + ("input",) * 5 + ("padding",) * 2,)
    assert [p.kernel for p in figure.panels] == [((0, x), (0, x + 1), (0, x + 2)) for x in (0, 2, 4)]
    assert figure.caption == ("Convolving a kernel of size 3 over an input of size 5 padded with zeros (1 at the start"
                              " and 2 at the end) using a stride of 2 (i.e., i = 5, k = 3, s = 2 and p = 1:2).")


def test_pooling_captions():
    figure = layer_figure("pool", 5, 3, stride=1)
    assert figure.title == "pooling i = 5, k = 3, s = 1"
    assert figure.caption == "Pooling with a 3×3 window over a 5×5 input using unit strides (i.e., i = 5, k = 3 and s = 1)."
    ceil = layer_figure("pool", 5, 2, ceil_mode=True, axes=1)
    assert ceil.caption == ("Pooling with a window of size 2 over an input of size 5 using a stride of 2, in ceil mode:"
                            " the last windows overhang the padded input by 1 cell, which they ignore"
                            " (i.e., i = 5, k = 2 and s = 2).")
    assert ceil.panels[-1].cells[0][-1] == "outside" and ceil.panels[-1].kernel == ((0, 4), (0, 5))
    svg = to_svg(ceil)
    assert ".outside{" in svg and svg.count('class="outside"') == len(ceil.shown)
    assert ".outside{" not in to_svg(layer_figure("pool", 6, 2, ceil_mode=True))  # nothing overhangs


def test_transposed_caption_shows_the_equivalent_convolution():
    figure = layer_figure("transposed", 3, 3, stride=2, padding=1, output_padding=1)
    assert figure.caption == (
        "A transposed convolution of a 3×3 kernel over a 3×3 input with 2×2 strides, padding 1 and output padding 1"
        " (i.e., i' = 3, k = 3, s = 2, p = 1 and a = 1). It is equivalent to convolving a 3×3 kernel over a 3×3 input"
        " (with 1 zero inserted between inputs) padded with a 1×1 border of zeros (with an additional border of size 1"
        " added to the bottom and right edges) using unit strides (i.e., ĩ' = 5, k' = 3, s' = 1 and p' = 1),"
        " whose output is 6×6.")


def test_per_axis_values():
    figure = layer_figure("conv", (5, 7), (3, 2), stride=(2, 1), padding=((1, 2), 0))
    panel = figure.panels[0]
    assert panel.shape == (8, 7) and panel.output_shape == (3, 6) and figure.title == "i = 5×7, k = 3×2, s = 2×1, p = 1:2×0"
    assert len(panel.kernel) == 6
    assert layer_figure("conv", 5, 3, padding=(1, 2)).panels[0].shape == (8, 8)  # a pair: (before, after) on each axis


def test_step():
    figure = layer_figure("conv", 5, 3, stride=2, padding=1, step=5)
    assert figure.shown == (4,) and figure.panels[0].output_cell == (1, 1)
    assert layer_figure("conv", 5, 3, step=1).panels[0].output_cell == (0, 0)
    with pytest.raises(ParameterError, match=r"step=10 is invalid: step must be between 1 and 9, the number of kernel"):
        layer_figure("conv", 5, 3, step=10)


@pytest.mark.parametrize("arguments, name", [
    (dict(operation="dilate"), "operation"),
    (dict(axes=3), "axes"),
    (dict(axes=1, input_size=(5, 6)), "axes"),
    (dict(input_size=(5, 6, 7)), "input_size"),
    (dict(input_size=(5, 6), kernel_size=(3, 3, 3)), "kernel_size"),
    (dict(input_size=(5, 6), padding=(1, 1, 1)), "padding"),
    (dict(ceil_mode=True), "ceil_mode"),
    (dict(ceil_mode=1), "ceil_mode"),
    (dict(output_padding=1), "output_padding"),
    (dict(operation="transposed", output_padding=3, stride=2), "output_padding"),
    (dict(operation="transposed", input_size=30, stride=9), "input_size"),
    (dict(operation="pool", padding=2), "padding"),
    (dict(padding=(0, 33)), "padding"),
    (dict(step=0), "step"),
    (dict(step=True), "step"),
    (dict(positions=9), "positions"),
])
def test_layer_figure_refuses(arguments, name):
    values = dict(operation="conv", input_size=5, kernel_size=3) | arguments
    with pytest.raises(ParameterError) as error:
        layer_figure(**values)
    assert error.value.name == name and "\n" not in str(error.value)


def test_grid_budget():
    with pytest.raises(ParameterError, match=f"up to {MAX_GRID} cells"):
        layer_figure("transposed", 32, 3, stride=5)


def test_formats():
    assert list(FORMATS) == ["svg", "tikz", "png", "animated-svg", "gif"]
    assert [format_named(None, name).name for name in ("a.svg", "a.TEX", "a.png", "a.gif", "a", None)] == [
        "svg", "tikz", "png", "gif", "svg", "svg"]
    assert format_named("animated-svg", "a.gif").animated and format_named("gif").binary
    figure = layer_figure("conv", 4, 3)
    assert FORMATS["svg"].write(figure) == to_svg(figure) and FORMATS["tikz"].write(figure) == to_tikz(figure)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_tikz_of_any_layer_compiles(tmp_path):
    pictures = [layer_figure("pool", (5, 6), 2, ceil_mode=True), layer_figure("conv", 9, 3, dilation=2, axes=1),
                layer_figure("transposed", (3, 4), (3, 2), (2, 1), ((1, 0), 2), output_padding=(1, 0))]
    document = tmp_path / "figure.tex"
    document.write_text(
        "\\documentclass{article}\\usepackage{tikz}\\usepackage{graphicx}\n\\begin{document}\n\\noindent\n"
        + "\n\\par\\noindent\n".join(to_tikz(figure) for figure in pictures) + "\\end{document}\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
