"""Reasons typeset as a textbook writes them: words, with the mathematics in them set as mathematics.

Derivations and proofs give each step a one-line reason in the guide's plain
notation ("symmetric padding p_l = p_r = p", "position j fits when its last tap,
at s j + d(k - 1), ..."). :func:`segments` splits such a line into words and
formulas, and :func:`formula_latex` sets a formula in LaTeX, token by token (no
parsing into sympy, so nothing the line says is evaluated):

>>> segments("symmetric padding p_l = p_r = p")
(('words', 'symmetric padding '), ('math', 'p_{l} = p_{r} = p'))
>>> segments("solved for a, a polynomial in j")
(('words', 'solved for '), ('math', 'a'), ('words', ', a polynomial in '), ('math', 'j'))
>>> segments("division algorithm: E - s⌊E/s⌋ = E mod s, so 0 ≤ a ≤ s - 1")[1]
('math', 'E - s\\\\lfloor E/s\\\\rfloor = E \\\\bmod s')

A proof is laid out by :func:`layout`: what is proved, under which hypotheses
and definitions, as sentences; then the checked steps, where a goal closed
trivially ("both sides are now the same") is folded into the step that closed
it instead of standing as a line "True" of its own; and when every step
substitutes, the proof is the chain of equalities those substitutions make.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Optional

import sympy

from symconv.core.printing import text
from symconv.core.steps import Step

Segment = tuple[str, str]  #: ("words", text) or ("math", LaTeX)

_TOKEN = re.compile(r"""
    (?P<abbreviation>\b(?:i\.e\.|e\.g\.))               # i.e., e.g.: words, though i is a letter of the guide
  | (?P<code>[A-Za-z]{2,}(?:_[A-Za-z0-9]+)+)          # an identifier: output_padding
  | (?P<word>[A-Za-z]{2,}(?:'[a-z]+)?)                 # a word (PyTorch's); 'mod' is told apart below
  | (?P<symbol>[A-Za-zĩ](?:_(?:[A-Za-z0-9]+|\{[^}]*\}))?'?)  # a letter of the guide: p_l, k', ĩ', q_1, C_{j,n}
  | (?P<number>\d+)
  | (?P<operator>[=<>≤≥≠≡+\-−/·×⌊⌋⌈⌉()…∂]|\.\.)
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)

_LATEX = {"≤": r"\leq", "≥": r"\geq", "≠": r"\neq", "≡": r"\equiv", "·": r"\,", "×": r"\times",
          "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil", "…": r"\ldots", "−": "-",
          "..": r"\ldots", "mod": r"\bmod", "∂": r"\partial"}
# After these words a lone "a" is the letter a ("plus a after", "solved for a"), not the article.
_BEFORE_LETTER_A = {"plus", "for", "minus", "and"}
_AFTER_LETTER_A = {"divided", "are", "is"}


@functools.lru_cache(maxsize=8192)  # the documents say the same reasons many times over
def segments(line: str) -> tuple[Segment, ...]:
    """``line`` as words and formulas (in LaTeX), in order; adjacent words are joined."""
    tokens = [(match.lastgroup or "other", match.group()) for match in _TOKEN.finditer(line)]
    kinds = [_kind(tokens, n) for n in range(len(tokens))]
    out: list[Segment] = []
    n = 0
    while n < len(tokens):
        if kinds[n] != "math":
            _add(out, "words", tokens[n][1])
            n += 1
            continue
        end = _run_end(tokens, kinds, n)
        run = tokens[n:end]
        lead, run, tail = _balanced(run)
        _add(out, "words", "".join(value for _, value in lead))
        if any(kind in ("symbol", "operator", "code") or value == "mod" for kind, value in run) \
                and any(kind != "operator" or value in "…⌊⌋⌈⌉" for kind, value in run):
            out.append(("math", formula_latex(run)))
        else:  # a bare number or bracket reads as a word: "Relationship 15"
            _add(out, "words", "".join(value for _, value in run))
        _add(out, "words", "".join(value for _, value in tail))
        n = end
    return tuple(out)


def _kind(tokens: list[tuple[str, str]], n: int) -> str:
    kind, value = tokens[n]
    if kind in ("symbol", "number", "operator", "code"):
        if kind == "symbol" and value == "a" and not _letter_a(tokens, n):
            return "words"
        return "math"
    if kind == "word" and value == "mod":
        return "math"
    return "gap" if kind == "space" or value == "," else "words"


def _letter_a(tokens: list[tuple[str, str]], n: int) -> bool:
    """Whether a lone ``a`` is the guide's letter: beside an operator, last, or after 'plus', 'for', ...."""
    after = next((t for t in tokens[n + 1:] if t[0] != "space"), None)
    before = next((t for t in reversed(tokens[:n]) if t[0] != "space"), None)
    if after is None or after[0] == "operator" or after[1] in ",;:" or after[1] in _AFTER_LETTER_A:
        return True
    return before is not None and (before[0] == "operator" or before[1] in _BEFORE_LETTER_A)


def _run_end(tokens: list[tuple[str, str]], kinds: list[str], start: int) -> int:
    """Where the formula starting at ``start`` ends: across spaces, commas inside a list ``0, 1, …``, and
    words inside a floor or ceiling (``⌊bound⌋``); a bracket opening on words ("(unit stride)") ends it."""
    end = n = start + 1
    stack = [tokens[start][1]] if tokens[start][1] in "(⌊⌈" else []
    while n < len(tokens):
        kind, value = tokens[n]
        if kinds[n] == "math":
            if value in "(⌊⌈" and tokens[n - 1][0] == "space" and tokens[end - 1][0] != "operator":
                break  # "j (s > 0)": a bracket after a finished operand starts an aside
            if value in "(⌊⌈":
                stack.append(value)
            elif value in ")⌋⌉" and stack:
                stack.pop()
            end = n = n + 1
            continue
        inside_rounding = bool(stack) and stack[-1] in "⌊⌈"
        if kind == "word" and inside_rounding:
            end = n = n + 1
            continue
        if kinds[n] == "gap":
            if value == "," and not (inside_rounding or _list_continues(tokens, kinds, n)):
                break
            n += 1
            continue
        break
    return end


def _depth(value: str) -> int:
    return 1 if value in "(⌊⌈" else -1 if value in ")⌋⌉" else 0


def _list_continues(tokens: list[tuple[str, str]], kinds: list[str], n: int) -> bool:
    """A comma inside a formula's list: ``0, 1, …``, followed by more of it."""
    nxt = next((m for m in range(n + 1, len(tokens)) if tokens[m][0] != "space"), None)
    return nxt is not None and kinds[nxt] == "math" and tokens[nxt][0] in ("number", "operator") \
        and tokens[n - 1][0] in ("number", "operator")


def _balanced(run: list[tuple[str, str]]) -> tuple[list, list, list]:
    """Brackets that open or close outside the formula go back to the words around it."""
    lead: list = []
    tail: list = []
    while run and (run[-1][0] == "space" or run[-1][1] == ","):
        tail.insert(0, run.pop())
    while run and run[0][1] == "(" and run[-1][1] == ")" and _closes_at_end(run):
        lead.append(run.pop(0))  # "(s > 0)": the brackets are the sentence's, the formula is inside
        tail.insert(0, run.pop())
    while True:
        opened = sum(_depth(value) for _, value in run)
        if opened > 0 and run and run[0][1] in "(⌊⌈":
            lead.append(run.pop(0))
        elif opened < 0 and run and run[-1][1] in ")⌋⌉":
            tail.insert(0, run.pop())
        else:
            break
    return lead, run, tail


def _closes_at_end(run: list[tuple[str, str]]) -> bool:
    depth = 0
    for n, (_, value) in enumerate(run):
        depth += _depth(value)
        if depth == 0 and n < len(run) - 1:
            return False
    return depth == 0


def _add(out: list[Segment], kind: str, value: str) -> None:
    if not value:
        return
    if out and out[-1][0] == kind == "words":
        out[-1] = ("words", out[-1][1] + value)
    else:
        out.append((kind, value))


def formula_latex(tokens: list[tuple[str, str]]) -> str:
    """A formula in the guide's plain notation (as tokens) in LaTeX."""
    parts = []
    for kind, value in tokens:
        if kind == "space":
            parts.append(" ")
        elif kind == "code":
            parts.append(r"\mathtt{" + value.replace("_", r"\_") + "}")
        elif kind == "word":
            parts.append(_LATEX.get(value) or r"\text{" + value + "}")
        elif kind == "symbol":
            base, _, rest = value.partition("_")
            prime = "'" if rest.endswith("'") or base.endswith("'") else ""
            base, rest = base.rstrip("'"), rest.rstrip("'")
            base = r"\tilde{\imath}" if base == "ĩ" else base
            parts.append(base + (f"_{rest}" if rest.startswith("{") else f"_{{{rest}}}" if rest else "") + prime)
        else:
            parts.append(_LATEX.get(value, value))
    latex = ""
    for part in parts:  # a command runs into a letter after it: \lfloor E, not \lfloorE
        latex += " " + part if re.search(r"\\[A-Za-z]+$", latex) and part[:1].isalpha() else part
    return re.sub(r" {2,}", " ", latex).strip()


# The checker's terse phrases, as a sentence (the checker's wording stays what `symconv prove` prints).
_PHRASES = (
    (re.compile(r"^division algorithm: (.+) divided by (\d+) ≥ 1$"), r"division algorithm: \1 divided by \2"),
    (re.compile(r"^division algorithm: (.+) divided by (.+) ≥ 1$"), r"division algorithm: \1 divided by \2, as \2 ≥ 1"),
    (re.compile(r"^substituted, from (.+)$"), r"substituted, as \1"),
    (re.compile(r"^case$"), "one case: suppose so"),
    (re.compile(r"^case (.+)$"), r"in the case \1"),
    (re.compile(r"^holds: "), "it holds: "),
)


def sentence(line: str) -> str:
    """A reason as a sentence: the checker's terse phrases said in full.

    >>> sentence("division algorithm: i - k divided by s ≥ 1")
    'division algorithm: i - k divided by s, as s ≥ 1'
    """
    for pattern, replacement in _PHRASES:
        if pattern.search(line):
            return pattern.sub(replacement, line, count=1)
    return line


def latex(line: str, escape: Any) -> str:
    """``line`` for a LaTeX document: words escaped by ``escape``, formulas in ``$…$``."""
    return "".join(escape(value) if kind == "words" else f"${value}$" for kind, value in segments(sentence(line)))


def in_math(line: str, escape: Any) -> str:
    """``line`` inside a formula (the reason column of an ``align``): words as ``\\text{…}``."""
    return "".join(r"\text{" + escape(value) + "}" if kind == "words" else value
                   for kind, value in segments(sentence(line)))


def markdown(line: str, escape: Any) -> str:
    """``line`` for Markdown: words escaped by ``escape``, formulas in ``$…$`` (as code-hosting sites render)."""
    return "".join(escape(value) if kind == "words" else f"${value}$" for kind, value in segments(sentence(line)))


# --- proofs ------------------------------------------------------------------------------------

_TRIVIAL = ("holds: both sides are now the same", "holds: both sides expand to the same polynomial")


@dataclass(frozen=True)
class Line:
    """One line of a proof as a reader sees it: a statement, its reason, and a goal it closed, if any."""

    statement: sympy.Basic
    reason: str
    closes: str = ""


@dataclass(frozen=True)
class Layout:
    """A proof laid out: the claim, the hypotheses and definitions, then a chain or the lines."""

    statement: sympy.Basic
    hypotheses: tuple[sympy.Basic, ...]
    definitions: tuple[sympy.Basic, ...]
    lines: tuple[Line, ...]
    chain: Optional[tuple[tuple[sympy.Basic, str], ...]] = None  #: (expression, why it equals the one before)
    closing: str = ""


_LAID_OUT: dict[int, tuple[Any, Layout]] = {}  # by the proof's id, beside the proof (so that the id stays its own)
MAX_LAID_OUT = 1024


def layout(proof: Any) -> Layout:
    """The proof ``proof`` (a :class:`symconv.proof.Proof`) as a reader should meet it.

    Laid out once: the documents show each proof in several files.
    """
    known = _LAID_OUT.get(id(proof))
    if known is not None and known[0] is proof:
        return known[1]
    made = _layout(proof)
    if len(_LAID_OUT) >= MAX_LAID_OUT:
        _LAID_OUT.clear()
    _LAID_OUT[id(proof)] = (proof, made)
    return made


def _layout(proof: Any) -> Layout:
    theorem = proof.theorem
    header = 1 + bool(theorem.definitions)
    steps = list(proof.steps[header:]) if len(proof.steps) >= header else []
    # as written: evaluating a definition asks sympy's assumptions whether it holds, for nothing
    definitions = tuple(sympy.Eq(symbol, value, evaluate=False) for symbol, value in theorem.definitions)
    hypotheses = tuple(h for h in theorem.hypotheses if h is not sympy.true)  # settled by the signs: not worth saying
    chain = _chain(theorem, steps)
    if chain is not None:
        return Layout(theorem.statement, hypotheses, definitions, (), chain[0], chain[1])
    lines: list[Line] = []
    for step in steps:
        trivial = step.statement is sympy.true and step.justification in _TRIVIAL
        closes_a_case = step.justification.startswith("holds: ") and lines and not lines[-1].closes \
            and lines[-1].reason.startswith("case")
        if trivial and lines and not lines[-1].closes:
            last = lines[-1]
            lines[-1] = Line(last.statement, last.reason, _closing(step.justification))
        elif closes_a_case:  # "case q ≥ 0", then "q ≥ 0 holds: ...": one line, the case and how it closes
            last = lines[-1]
            lines[-1] = Line(last.statement, last.reason, f"{text(step.statement)}, {_closing(step.justification)}")
        else:
            lines.append(Line(step.statement, step.justification))
    return Layout(theorem.statement, hypotheses, definitions, tuple(lines))


def _closing(justification: str) -> str:
    return justification.partition(": ")[2]


def _chain(theorem: Any, steps: list[Step]) -> Optional[tuple[tuple[tuple[sympy.Basic, str], ...], str]]:
    """A proof that only substitutes, then sees both sides agree: the equalities it passes through.

    Only an equation ``y = rhs`` whose ``y`` is defined qualifies. The chain starts from the definition of ``y``
    and applies each substitution the checker made, in its order; sympy's automatic evaluation does the
    rest, and the chain ends on ``rhs`` (substituted the same way), which the checker found equal.
    """
    statement = theorem.statement
    defined = dict(theorem.definitions)
    if not (isinstance(statement, sympy.Eq) and statement.lhs in defined and steps):
        return None
    if not (steps[-1].statement is sympy.true and steps[-1].justification in _TRIVIAL):
        return None
    substitutions = steps[:-1]
    if not all(step.justification.startswith("substituted, from ") and isinstance(step.statement, sympy.Eq)
               for step in substitutions):
        return None
    value = defined[statement.lhs]
    for symbol, later in reversed(theorem.definitions):
        value = value.xreplace({symbol: later}) if symbol != statement.lhs else value
    target = statement.rhs
    chain: list[tuple[sympy.Basic, str]] = [(value, "by its definition")]
    for step in substitutions:
        mapping = {step.statement.lhs: step.statement.rhs}
        value, target = value.xreplace(mapping), target.xreplace(mapping)
        reason = f"as {step.justification.removeprefix('substituted, from ')}"
        if chain and chain[-1][0] == value:
            continue
        chain.append((value, reason))
    if sympy.expand(value - target) != 0:
        return None  # not a chain after all: keep the checker's lines
    if value != statement.rhs:
        chain.append((statement.rhs, "the right-hand side, which the same substitutions make the same"))
    return tuple(chain), _closing(steps[-1].justification)
