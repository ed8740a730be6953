"""The documents read like a textbook: reasons typeset as mathematics, proofs as chains, titles in words,
captions right for each figure, numbers in worked examples, the matrix view and the backward pass."""

import re
import shutil
import subprocess

import pytest

from symconv.present import prose
from symconv.present.render import TemplateError, planned_files, render_latex

REASONS = [  # a reason in the guide's plain notation -> as LaTeX, words and $math$
    ("symmetric padding p_l = p_r = p", "symmetric padding $p_{l} = p_{r} = p$"),
    ("position j fits when its last tap, at s j + d(k - 1), still falls on the padded input",
     "position $j$ fits when its last tap, at $s j + d(k - 1)$, still falls on the padded input"),
    ("solved for j (s > 0)", "solved for $j$ ($s > 0$)"),
    ("solved for a", "solved for $a$"),
    ("a polynomial in j and t is zero only if every coefficient is",
     "a polynomial in $j$ and $t$ is zero only if every coefficient is"),
    ("the equivalent convolution (unit stride) must output i units; it pads d(k - 1) - p_r plus a after",
     "the equivalent convolution (unit stride) must output $i$ units; it pads $d(k - 1) - p_{r}$ plus $a$ after"),
    ("the positions are j = 0, 1, …, ⌊bound⌋: that many plus one",
     r"the positions are $j = 0, 1, \ldots, \lfloor\text{bound}\rfloor$: that many plus one"),
    ("division algorithm: E - s⌊E/s⌋ = E mod s, so 0 ≤ a ≤ s - 1",
     r"division algorithm: $E - s\lfloor E/s\rfloor = E \bmod s$, so $0 \leq a \leq s - 1$"),
    ("the transposed output size; PyTorch's formula with a = output_padding",
     r"the transposed output size; PyTorch's formula with $a = \mathtt{output\_padding}$"),
    ("division algorithm: i - k divided by s ≥ 1", r"division algorithm: $i - k$ divided by $s$, as $s \geq 1$"),
    ("division algorithm: k divided by 2 ≥ 1", "division algorithm: $k$ divided by 2"),
    ("substituted, from i - s·q_1 - k = 0", r"substituted, as $i - s\,q_{1} - k = 0$"),
    ("d = 1: Relationship 6", "$d = 1$: Relationship 6"),
    ("Convolving a 3×3 kernel over a 5×5 input (i.e., i = 5, k = 3 and p = 0).",
     r"Convolving a $3\times3$ kernel over a $5\times5$ input (i.e., $i = 5$, $k = 3$ and $p = 0$)."),
    ("with g_j = ∂L/∂y_j: C_{j,n} is w_t", r"with $g_{j} = \partial L/\partial y_{j}$: $C_{j,n}$ is $w_{t}$"),
]


@pytest.mark.parametrize("line, expected", REASONS)
def test_reasons_are_typeset_as_mathematics_in_words(line, expected):
    assert prose.latex(line, lambda words: words) == expected


@pytest.fixture(scope="module")
def files(built_document):
    return planned_files(built_document, ["latex", "markdown"])


def _outside_math(markdown: str) -> str:
    """The Markdown's words: math ($…$, $$…$$, ```math blocks), image alt texts and tables left out."""
    text = re.sub(r"```math.*?```", "", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"\$[^$]*\$", "", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    return text


def test_no_ascii_mathematics_outside_math(files):
    for name in ("derivations.md", "relationship-13.md", "relationship-07.md"):
        words = _outside_math(files[name].split("## Padding schemes")[0])  # a scheme's description is its text
        for pattern in (r"\bp\\?_[lr]\b", r"\b[a-z]'? = [a-z0-9]", r"\bs j\b", r"d\\?\(k - 1\\?\)", r"\b[a-z] ≤"):
            assert not re.search(pattern, words), (name, pattern, re.search(pattern, words))


def test_proofs_read_as_chains_with_trivial_closings_folded(files):
    md = files["derivations.md"]
    assert "text{True}" not in md and "to prove, under the hypotheses" not in md
    assert "```math\n\\begin{aligned}\no &= " in md and "Both sides are now the same: the claim holds." in md
    tex = files["derivations.tex"]
    assert "\\begin{align*}" in tex and "\\text{True}" not in tex


def test_titles_are_words_and_the_author_is_not_a_bare_name(files, built_document):
    tex, md = files["derivations.tex"], files["derivations.md"]
    assert "\\author{symconv}" not in tex and "\\author{Derived, proved and verified by symconv}" in tex
    for proof in built_document.theorems:
        assert f"### {proof.name}\n" not in md and f"\\subsection{{{proof.name}}}" not in tex
    assert "### The counted output size is Relationship 15" in md


def test_captions_fit_their_figures_and_examples_give_numbers(files):
    assert "Pooling with a $3\\times3$ window" in files["relationship-07.md"]
    assert "Convolving" not in files["relationship-07.md"]
    for number in range(8, 15):
        (caption,) = [line for line in files[f"relationship-{number:02d}.md"].splitlines()
                      if line.startswith("*The transpose of convolving")]
        assert "$k' = k$" not in caption and re.search(r"\$k' = \d+\$", caption), number
    assert "with a dilation factor of 2" in files["relationship-15.md"]


def test_markdown_links_every_animation(files):
    for number in range(1, 16):
        link = f"(figures/relationship-{number:02d}-animated.svg)"
        assert link in files[f"relationship-{number:02d}.md"] and link in files["derivations.md"]
        assert f"figures/relationship-{number:02d}-animated.svg" in files


def test_the_matrix_view_and_the_backward_pass(files, built_document):
    md, tex = files["derivations.md"], files["derivations.tex"]
    assert "## Convolution as a matrix operation" in md and "\\section{Convolution as a matrix operation}" in tex
    assert "| $y_{0}$ | $w_{0,0}$ | $w_{0,1}$ | $w_{0,2}$ | $0$ | $w_{1,0}$ |" in md
    assert "figures/matrix-convolution.svg" in files and "figures/matrix-transposed.svg" in files
    assert "## The backward pass: the gradient is a transposed convolution" in md
    gradient = built_document.gradient
    assert gradient.proof.status == "proved" and gradient.check.failures == 0 and gradient.check.cases > 10_000
    assert f"{gradient.check.cases} cases" in md.replace("cases of the box", "cases")
    assert "C^{T}" in tex and "\\label{sec:gradient}" in tex


def test_latex_compiles_without_overfull_boxes(tmp_path, files):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    (tmp_path / "doc.tex").write_text(files["derivations.tex"], encoding="utf-8")
    for _ in range(2):  # twice, for the cross-reference
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert "Overfull" not in log and "undefined" not in log.lower().replace("undefined references", "")


def test_latex_overrides_keep_sections_on_their_own_lines(tmp_path, built_document):
    (tmp_path / "document.tex.j2").write_text(
        '\\BLOCK{extends "symconv/document.tex.j2"}\\BLOCK{block introduction}Ours % a comment\\BLOCK{endblock}'
        '\\BLOCK{block gradient}Our backward pass.\\BLOCK{endblock}')
    tex = render_latex(built_document, template_dir=tmp_path)
    assert "Ours % a comment\n" in tex and "\n\\section{General derivations}" in tex
    assert "Our backward pass." in tex and "\\label{sec:gradient}" not in tex


@pytest.mark.parametrize("name, source, message", [
    ("document.tex.j2", '\\BLOCK{extends "symconv/document.tex.j2"}\n\\BLOCK{block introduction}\\VAR{doc.titel}'
     '\\BLOCK{endblock}', r"document.tex.j2' is invalid: line 2: UndefinedError: .* has no attribute 'titel'$"),
    ("steps.md.j2", "{% for s in steps %}\n{{ s.nope }}{% endfor %}",
     r"steps.md.j2' is invalid: line 2: UndefinedError: .* has no attribute 'nope'$"),
    ("document.md.j2", '{% extends "symconv/document.md.j2" %}\n{% block introduction %}\n{{ doc|math }}'
     '{% endblock %}', r"document.md.j2' is invalid: line 3: SympifyError: .{0,200}$"),
    ("document.md.j2", '{% extends "symconv/document.md.j2" %}\n{% block matrix %}{{ 1/0 }}{% endblock %}',
     r"document.md.j2' is invalid: line 2: ZeroDivisionError: division by zero$"),
])
def test_an_error_in_a_users_template_is_one_short_line(tmp_path, built_document, name, source, message):
    (tmp_path / name).write_text(source)
    with pytest.raises(TemplateError, match=message) as raised:
        planned_files(built_document, ["latex", "markdown"], tmp_path)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 400
