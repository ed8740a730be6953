"""Rendering: derivation documents as LaTeX and Markdown, through jinja2.

This is the only module that imports jinja2. There is one environment per
format, filters are registered here, and each public function renders one
template. Templates live in ``symconv/present/templates``; a user's template directory
is searched first, and its templates can extend ours by the ``symconv/``
prefix (``{% extends "symconv/document.md.j2" %}``) to override single blocks.
A mistake in a user's template (a jinja2 syntax error, a block that ours do
not have, a name it cannot look up) is a :class:`TemplateError` naming the
file and the line.

Every string that reaches a template is escaped for its format unless a
filter produced it as markup (mathematics, figures): user text such as a
scheme's name never runs as TeX.

>>> print(tex_escape(r"\\input{/etc/passwd} #$%&_"))
\\textbackslash{}input\\{/etc/passwd\\} \\#\\$\\%\\&\\_
>>> print(tex_escape("~^"))
\\textasciitilde{}\\textasciicircum{}
>>> markdown_escape("*bold* <b>")
'\\\\*bold\\\\* &lt;b&gt;'
"""

from __future__ import annotations

import contextlib
import functools
import re
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

import jinja2
import sympy
from markupsafe import Markup

from symconv.core.errors import OutputError, SymconvError, TemplateError
from symconv.core.printing import latex, text
from symconv.present import animate, figures, matrix, prose
from symconv.present.output import MARKER, prepare_output, write_files  # noqa: F401 (re-exported)


_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$", "%": r"\%",
    "&": r"\&", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "⌊": r"$\lfloor$", "⌋": r"$\rfloor$", "⌈": r"$\lceil$", "⌉": r"$\rceil$",
    "≤": r"$\leq$", "≥": r"$\geq$", "≠": r"$\neq$", "≡": r"$\equiv$", "×": r"$\times$",
    "·": r"$\cdot$", "…": r"\ldots{}", "→": r"$\to$", "−": "-", "–": "--", "—": "---",
    "ĩ": r"\~{\i}", "ᵀ": r"$^{T}$", "′": "'", "“": "``", "”": "''", "’": "'",
}


def tex_escape(value: Any) -> str:
    """Plain text made safe for LaTeX: specials escaped, symbols spelt in TeX."""
    out = []
    for char in str(value):
        if char in _TEX_SPECIAL:
            out.append(_TEX_SPECIAL[char])
        elif ord(char) < 128 or char.isalpha() and ord(char) < 0x250:
            out.append(char)
        else:
            out.append(f"[U+{ord(char):04X}]")
    return "".join(out)


def markdown_escape(value: Any) -> str:
    """Plain text made inert in Markdown: no emphasis, links, HTML or math."""
    escaped = re.sub(r"([\\`*_{}\[\]()#+!|$~])", r"\\\1", str(value))
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


#: The most characters of an error's own message that a template error quotes.
MAX_MESSAGE = 200
#: How many templates deep ``extends`` may go before it is taken for a cycle.
MAX_EXTENDS = 16


def standalone(text: str, blank: bool = True) -> str:
    """A block's text ending its own line, then a blank line unless ``blank`` is false; nothing if it is empty.

    Only what is missing is added. The document templates wrap every block in
    it, so an overriding block keeps the heading after it on its own line,
    however the block ends.

    >>> standalone("Our own introduction.") + "## Next"
    'Our own introduction.\\n\\n## Next'
    >>> standalone("# Title", blank=False) + standalone("  ")
    '# Title\\n'
    """
    if not str(text).strip():
        return ""
    end = "\n\n" if blank else "\n"
    return text if text.endswith(end) else text.rstrip("\n") + end


class _UserLoader(jinja2.FileSystemLoader):
    """The user's templates, each checked as it is loaded: its syntax, and the blocks it overrides."""

    def __init__(self, template_dir: Path) -> None:
        super().__init__(str(template_dir))
        self._checking: set[str] = set()

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        if template not in self._checking:
            self._checking.add(template)
            try:
                _check(environment, source, template, filename)
            finally:
                self._checking.discard(template)
        return source, filename, uptodate


def _check(environment: jinja2.Environment, source: str, name: str, filename: str) -> None:
    try:
        tree = environment.parse(source, name, filename)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(filename, f"line {error.lineno}: {error.message} (a jinja2 syntax error)") from None
    parent = _parent(tree)
    if parent is None:
        return
    known = _blocks(environment, parent[0], filename, parent[1])
    for block in _own_blocks(tree):
        if block.name not in known:
            raise TemplateError(filename, f"line {block.lineno}: block {block.name!r} is not a block of {parent[0]},"
                                          f" whose blocks are {', '.join(known)}")


def _parent(tree: jinja2.nodes.Template) -> Optional[tuple[str, int]]:
    """The template that ``tree`` extends, when it names one, and the line that says so."""
    for node in tree.find_all(jinja2.nodes.Extends):
        if isinstance(node.template, jinja2.nodes.Const) and isinstance(node.template.value, str):
            return node.template.value, node.lineno
    return None


def _own_blocks(node: jinja2.nodes.Node) -> Iterator[jinja2.nodes.Block]:
    """The blocks a child template overrides: the outermost ones (a block inside one of them is new)."""
    for child in node.iter_child_nodes():
        if isinstance(child, jinja2.nodes.Block):
            yield child
        else:
            yield from _own_blocks(child)


def _blocks(environment: jinja2.Environment, name: str, filename: str, line: int) -> list[str]:
    """Every block that template ``name`` and the templates it extends define, in order."""
    found: list[str] = []
    for _depth in range(MAX_EXTENDS):
        try:
            source, _, _ = environment.loader.get_source(environment, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            raise TemplateError(filename, f"line {line}: it extends {name!r}, which is not a template"
                                          " (symconv's are named symconv/..., as in symconv/document.md.j2)") from None
        tree = environment.parse(source, name)
        found += [block.name for block in tree.find_all(jinja2.nodes.Block) if block.name not in found]
        parent = _parent(tree)
        if parent is None:
            return found
        name = parent[0]
    raise TemplateError(filename, f"line {line}: its templates extend each other more than {MAX_EXTENDS} deep"
                                  " (a cycle?)")


#: Claims that are no formula, in words (the same markup in Markdown and LaTeX): one sympy settled from the
#: symbols' signs alone, and a scheme's ``transposable``, which names the recovery theorem shown below it.
CLAIM_WORDS = {
    "True": "it holds for every value, as the symbols' signs already say",
    "transposable": "transposable, the transpose with $a$ gives back every $i$ (the theorem below)",
    "~transposable": "not transposable, the transpose with $a$ misses an $i$ (the theorem below)",
}


def claim_words(claim: Any) -> Markup:
    """A scheme claim in words, when it is no formula; empty otherwise.

    >>> print(claim_words(sympy.Symbol("transposable")))
    transposable, the transpose with $a$ gives back every $i$ (the theorem below)
    >>> claim_words(sympy.Symbol("x") > 1)
    Markup('')
    """
    return Markup(CLAIM_WORDS.get(str(claim), ""))


def _finalize(escape):
    def finalize(value: Any) -> Any:
        if isinstance(value, Markup) or value is None:
            return "" if value is None else value
        if isinstance(value, (int, float)):
            return value
        return escape(value)

    return finalize


def _statements(statement: Any) -> list:
    return list(statement.args) if isinstance(statement, (sympy.Tuple, sympy.And)) else [statement]


def evidence(proof: Any) -> str:
    """What stands behind a proof's status, in one sentence for a reader."""
    parts = []
    if proof.checked:
        parts.append("every step below was re-checked by symconv's independent checker")
        if proof.vacuous:
            parts.append("the hypotheses contradict each other (also checked), so no case satisfies them")
    elif proof.reason:
        parts.append(f"no checked proof: {proof.reason}")
    if proof.smt is not None:
        parts.append({"unsat": "z3 finds no counterexample for any integers",
                      "sat": "z3 finds a counterexample",
                      "timeout": "z3 ran out of time (no evidence either way)",
                      "unknown": "z3 could not decide it (no evidence either way)",
                      "unsupported": "z3 cannot express it (no evidence either way)"}[proof.smt.verdict])
    parts.append(f"{proof.cases} cases were enumerated against the oracle")
    if proof.counterexample:
        parts.append(proof.counterexample_text)
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def _environment(kind: str, template_dir: Optional[Path]) -> jinja2.Environment:
    """The environment of a format: one a process for each format and state of the template directory, so that
    each template is compiled once, and a template added, removed or edited is seen."""
    if template_dir is None:
        return _made_environment(kind, None, ())
    if not Path(template_dir).is_dir():
        raise OutputError(f"template_dir={str(template_dir)!r} is invalid: it must be an existing directory")
    state = []
    for path in sorted(Path(template_dir).rglob("*")):
        with suppress(OSError):
            status = path.stat()
            state.append((str(path), status.st_mtime_ns, status.st_size))
    return _made_environment(kind, str(template_dir), tuple(state))


@functools.lru_cache(maxsize=16)
def _made_environment(kind: str, template_dir: Optional[str], state: tuple) -> jinja2.Environment:
    ours = jinja2.PackageLoader("symconv.present", "templates")
    loaders: list[jinja2.BaseLoader] = [jinja2.PrefixLoader({"symconv": ours})]
    if template_dir is not None:
        loaders.insert(0, _UserLoader(Path(template_dir)))
    loaders.append(ours)
    if kind == "latex":
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
            block_start_string=r"\BLOCK{", block_end_string="}",
            variable_start_string=r"\VAR{", variable_end_string="}",
            comment_start_string=r"\#{", comment_end_string="}",
            trim_blocks=True, lstrip_blocks=True, autoescape=False, keep_trailing_newline=True,
            finalize=_finalize(tex_escape))
        env.filters["math"] = lambda expr: Markup(latex(expr))
        env.filters["figure"] = lambda fig: Markup(figures.to_tikz(fig))
        env.filters["reason"] = lambda line: Markup(prose.latex(str(line), tex_escape))
        env.filters["matrix"] = lambda view: Markup(matrix.to_latex(view))
    elif kind == "html":
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, autoescape=True, keep_trailing_newline=True)
    else:
        env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, autoescape=False, keep_trailing_newline=True,
            finalize=_finalize(markdown_escape))
        env.filters["math"] = lambda expr: Markup(latex(expr))
        env.filters["reason"] = lambda line: Markup(prose.markdown(str(line), markdown_escape))
        env.filters["matrix"] = lambda view, *beside: Markup(matrix.to_markdown(view, *beside))
    env.filters["reason_in_math"] = lambda line: Markup(prose.in_math(str(line), tex_escape))
    env.filters["layout"] = prose.layout
    env.filters["claim_words"] = claim_words
    env.filters["standalone"] = standalone
    env.filters["statements"] = _statements
    env.filters["evidence"] = evidence
    env.filters["text"] = text
    env.globals["zip"] = zip
    env.globals["marker"] = MARKER
    env.globals["coq_files"] = {}  # theorem name -> its exported Coq file, when `render` writes them
    return env


def _render(kind: str, template_dir: Optional[Path], name: str, **context: Any) -> str:
    environment = _environment(kind, template_dir)
    with _blaming(template_dir):
        return environment.get_template(name).render(**context)


def check_templates(template_dir: Path) -> None:
    """Load every template in a user's directory, so that a mistake shows before any work is done.

    >>> check_templates(Path("/no/such/dir"))
    Traceback (most recent call last):
    ...
    symconv.core.errors.OutputError: template_dir='/no/such/dir' is invalid: it must be an existing directory
    """
    for kind, suffix in (("markdown", ".md.j2"), ("latex", ".tex.j2"), ("html", ".html.j2")):
        environment = _environment(kind, template_dir)
        for path in sorted(Path(template_dir).rglob(f"*{suffix}")):
            with _blaming(template_dir):
                environment.get_template(path.relative_to(template_dir).as_posix())


@contextmanager
def _blaming(template_dir: Optional[Path]) -> Iterator[None]:
    """Errors that arise in a user's template, as one line naming it; any other error as it is."""
    try:
        yield
    except SymconvError:
        raise
    except Exception as error:
        where = None if template_dir is None else _user_frame(error, Path(template_dir))
        if where is None:
            raise
        message = " ".join(str(getattr(error, "message", None) or error).split())
        if len(message) > MAX_MESSAGE:  # an exception may quote a whole document: one line, of a readable length
            message = message[:MAX_MESSAGE - 1] + "…"
        raise TemplateError(where[0], f"line {where[1]}: {type(error).__name__}: {message}") from None


def _user_frame(error: BaseException, template_dir: Path) -> Optional[tuple[str, int]]:
    """The innermost line of a user's template in ``error``'s traceback (jinja2 puts template lines there)."""
    root = template_dir.resolve()
    found = None
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if not filename.startswith("<") and Path(filename).resolve().is_relative_to(root):
            found = (filename, traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


def render_latex(document, only: Optional[int] = None, template_dir: Optional[Path] = None,
                 coq_files: Optional[Mapping[str, str]] = None) -> str:
    """The whole document (or one relationship's part) as a standalone LaTeX file.

    ``coq_files`` names the Coq file of each exported theorem, relative to the document.
    """
    return _render("latex", template_dir, "document.tex.j2", doc=document, sections=_pick(document, only), only=only,
                   coq_files=coq_files or {})


def render_markdown(document, only: Optional[int] = None, template_dir: Optional[Path] = None,
                    figure_dir: str = "figures", coq_files: Optional[Mapping[str, str]] = None) -> str:
    """The whole document (or one relationship's part) as Markdown, with SVG figures by reference."""
    return _render("markdown", template_dir, "document.md.j2", doc=document, sections=_pick(document, only),
                   only=only, figure_dir=figure_dir, coq_files=coq_files or {})


def render_stack_latex(document, template_dir: Optional[Path] = None) -> str:
    """A stack's derivation document as standalone LaTeX."""
    return _render("latex", template_dir, "stack.tex.j2", doc=document)


def render_stack_markdown(document, template_dir: Optional[Path] = None) -> str:
    """A stack's derivation document as Markdown."""
    return _render("markdown", template_dir, "stack.md.j2", doc=document)


def render_scheme_latex(report, template_dir: Optional[Path] = None) -> str:
    """One padding scheme's derivation and proofs as standalone LaTeX."""
    return _render("latex", template_dir, "scheme.tex.j2", report=report)


def render_scheme_markdown(report, template_dir: Optional[Path] = None) -> str:
    """One padding scheme's derivation and proofs as Markdown."""
    return _render("markdown", template_dir, "scheme.md.j2", report=report)


def render_html_page(template_dir: Optional[Path] = None) -> str:
    """The interactive page: one static HTML file whose arithmetic is printed from the engine's sympy expressions.

    >>> page = render_html_page()
    >>> MARKER in page[:400], "floorDiv(" in page, " src=" in page or " href=" in page
    (True, True, False)
    """
    from symconv.present import html

    return _render("html", template_dir, "page.html.j2", script=Markup(html.page_script()),
                   parameters=html.PARAMETERS, parameters_json=Markup(html.parameters_json()))


def file_stem(name: str) -> str:
    """A user-given name made safe as a file name: letters, digits, ``-`` and ``_`` only.

    >>> file_stem(r"\\input{/etc/passwd}")
    'input-etc-passwd'
    """
    return re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-")[:64] or "unnamed"


def _pick(document, only: Optional[int]):
    return [s for s in document.sections if only is None or s.relationship.number == only]


def derivation_markdown(derivation) -> str:
    """One derivation as Markdown (for Jupyter)."""
    return _render("markdown", None, "derivation.md.j2", derivation=derivation)


def proof_markdown(proof) -> str:
    """One proof as Markdown (for Jupyter)."""
    return _render("markdown", None, "proof.md.j2", proof=proof)


def relationship_markdown(relationship) -> str:
    """One relationship's statement and conditions as Markdown (for Jupyter)."""
    return _render("markdown", None, "relationship.md.j2", rel=relationship)


# --- writing -------------------------------------------------------------------------

def planned_files(document, formats: Iterable[str], template_dir: Optional[Path] = None) -> dict[str, str]:
    """Every file ``symconv render`` writes, by relative path, with its content.

    With ``coq``, every proved theorem is also exported to ``coq/NAME.v`` (with a
    ``_CoqProject``), and the documents say so next to each proof.
    """
    files: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        coq: dict[str, str] = {}
        exported: Callable[[], list] = list
        if "coq" in formats:  # exported by worker processes while the documents are rendered here
            from symconv.proof.coq import exported_stems, exporting, project_file

            coq = {name: f"coq/{stem}.v" for name, stem in exported_stems(document.proofs).items()}
            exported = stack.enter_context(exporting(document.proofs, document.coq_files))
        files.update(_documents(document, formats, template_dir, coq))
        coq_files = exported()
    if coq_files:
        files.update({path: f.text for path, f in zip(coq.values(), coq_files)})
        files["coq/_CoqProject"] = project_file(f.stem for f in coq_files)
    return files


def _documents(document, formats: Iterable[str], template_dir: Optional[Path], coq: Mapping[str, str]) -> dict:
    files: dict[str, str] = {}
    numbers = [s.relationship.number for s in document.sections]
    if "latex" in formats:
        files["derivations.tex"] = render_latex(document, template_dir=template_dir, coq_files=coq)
        for number in numbers:
            files[f"relationship-{number:02d}.tex"] = render_latex(document, number, template_dir, coq)
    if "markdown" in formats:
        files["derivations.md"] = render_markdown(document, template_dir=template_dir, coq_files=coq)
        for number in numbers:
            files[f"relationship-{number:02d}.md"] = render_markdown(document, number, template_dir, coq_files=coq)
        for section in document.sections:
            svg = figures.to_svg(section.figure).replace("<svg", f"<!-- {MARKER} -->\n<svg", 1)
            files[f"figures/relationship-{section.relationship.number:02d}.svg"] = svg
            animation = animate.to_animated_svg(section.figure).replace("<svg", f"<!-- {MARKER} -->\n<svg", 1)
            files[f"figures/relationship-{section.relationship.number:02d}-animated.svg"] = animation
        if getattr(document, "matrix", None) is not None:
            for name, figure in (("convolution", document.matrix.figure),
                                 ("transposed", document.matrix.equivalent_figure)):
                svg = figures.to_svg(figure).replace("<svg", f"<!-- {MARKER} -->\n<svg", 1)
                files[f"figures/matrix-{name}.svg"] = svg
    if "html" in formats:
        files["index.html"] = render_html_page(template_dir)
    return files
