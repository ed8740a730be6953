"""The certificate format: a proof as data, one frozen node per rule.

A certificate is what the prover found and what the checker re-checks. It
holds the facts it starts from (each with where it came from), the goal, and a
tree of rule nodes. Every node is checked against a *state*: a list of facts,
each ``e >= 0`` (``ge``), ``e = 0`` (``eq``) or ``e != 0`` (``ne``), and a goal.
Rules that learn something append facts, so a fact keeps its index for the rest
of its branch.

The rules, and why each is sound (all quantities are integers):

``Linear``
    closes a goal ``g >= 0``: ``g - Σ c·Πf - Σ u·e`` expands to a constant
    ``c₀``, where each ``c >= 0`` is rational, each ``Πf`` is a product of
    ``ge`` facts and each ``u`` is any polynomial times an ``eq`` fact. Then
    ``g >= c₀``. The goal follows when ``c₀ >= 0``, or when ``c₀ > -1`` and
    ``g`` has integer coefficients (an integer greater than -1 is at least 0).
``Both``, ``Apart``, ``Each``
    ``g = 0`` from ``g >= 0`` and ``-g >= 0``; ``g != 0`` from ``g - 1 >= 0``
    or ``-g - 1 >= 0``; a conjunction from each part.
``Absurd``
    any goal, from a ``Linear`` proof of ``-1 >= 0``: the facts contradict
    each other, so this case never happens.
``Substitute``
    an ``eq`` fact ``c·(x - v) = 0`` with ``c = ±1`` and ``x`` not in ``v``
    means ``x = v``: replace ``x`` by ``v`` everywhere.
``Divide``
    for ``⌊N/D⌋``, ``⌈N/D⌉`` or ``N mod D`` with integer polynomials ``N`` and
    ``D`` and a proof of ``D - 1 >= 0``: the division algorithm gives integers
    ``q, r`` with ``N = D q + r`` and ``0 <= r <= D - 1``, and ``⌊N/D⌋ = q``,
    ``N mod D = r``. An atom whose numerator is ``N' = N + D M`` (``M`` an
    integer polynomial) is ``⌊N'/D⌋ = q + M`` and ``N' mod D = r``; a ceiling
    whose numerator is ``N' = -(N + D M)`` is ``⌈N'/D⌉ = -(q + M)``. ``q`` and
    ``r`` are fresh: they occur nowhere before.
``Unique``
    from ``D M + C - D q - r = 0``, ``0 <= r <= D - 1`` and proofs of
    ``0 <= C <= D - 1`` (``M``, ``C`` integer polynomials): ``q = M`` and
    ``r = C``, because ``D (M - q) = r - C`` lies strictly between ``-D`` and
    ``D``, which only the multiple 0 does.
``Combine``
    ``Σ uⱼ·eⱼ = 0`` for equations ``eⱼ = 0`` and polynomials ``uⱼ``: a
    combination of equations is an equation.
``Split``
    on an integer polynomial ``e``: either ``e >= 0`` or ``-e - 1 >= 0``.
``SplitNe``
    on a fact ``e != 0``: either ``e - 1 >= 0`` or ``-e - 1 >= 0``.
``Pick``
    for ``max(x₁, …, xₙ)``: some ``xⱼ`` is at least every other one, and then
    the max is ``xⱼ``; likewise ``min``; ``|x|`` is ``x`` when ``x >= 0`` and
    ``-x`` when ``-x >= 0``.
``Range``
    with proofs of ``x - low >= 0`` and ``high - x >= 0``, ``x`` is one of
    ``low, …, high``: one branch per value, ``x`` replaced by it.

At the root, every fact is a sign assumption of a variable (``x - 1 >= 0`` and
``x >= 0`` for a positive one, ``x >= 0`` for a nonnegative one) or one part of
a hypothesis, and the goal is the statement, both after the definitions are
substituted: the checker recomputes each of these itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

import sympy

#: Bumped whenever a rule changes meaning: a stored certificate of another version is not trusted.
RULES_VERSION = "1"

Kind = Literal["ge", "eq", "ne"]


@dataclass(frozen=True)
class Fact:
    """``expr >= 0``, ``expr = 0`` or ``expr != 0``; ``source`` says where it came from, for display."""

    kind: Kind
    expr: sympy.Expr
    source: str = ""


@dataclass(frozen=True)
class Relation:
    """A goal ``expr >= 0``, ``expr = 0`` or ``expr != 0``."""

    kind: Kind
    expr: sympy.Expr


@dataclass(frozen=True)
class Conjunction:
    """A goal made of parts, each proved on its own; no parts is the goal ``true``."""

    parts: tuple["Goal", ...]


Goal = Union[Relation, Conjunction]


@dataclass(frozen=True)
class Linear:
    """``goal - Σ coefficient·Π facts[indices] - Σ multiplier·facts[index]`` is a constant ``c₀``, within range."""

    products: tuple[tuple[sympy.Rational, tuple[int, ...]], ...] = ()
    multiples: tuple[tuple[sympy.Expr, int], ...] = ()


@dataclass(frozen=True)
class Both:
    lower: "Node"  # goal >= 0
    upper: "Node"  # -goal >= 0


@dataclass(frozen=True)
class Apart:
    above: bool  # True: goal - 1 >= 0; False: -goal - 1 >= 0
    proof: "Node"


@dataclass(frozen=True)
class Each:
    parts: tuple["Node", ...]


@dataclass(frozen=True)
class Absurd:
    proof: "Node"  # of -1 >= 0


@dataclass(frozen=True)
class Substitute:
    symbol: sympy.Symbol
    fact: int
    then: "Node"


@dataclass(frozen=True)
class Divide:
    numerator: sympy.Expr
    denominator: sympy.Expr
    quotient: sympy.Symbol
    remainder: sympy.Symbol
    atoms: tuple[tuple[sympy.Expr, sympy.Expr], ...]  # (atom, M)
    positive: "Node"  # of denominator - 1 >= 0
    then: "Node"  # facts appended: N - D q - r = 0, r >= 0, D - 1 - r >= 0


@dataclass(frozen=True)
class Unique:
    quotient: sympy.Symbol
    remainder: sympy.Symbol
    denominator: sympy.Expr
    whole: sympy.Expr  # M
    part: sympy.Expr  # C
    facts: tuple[int, int, int]  # D M + C - D q - r = 0, r >= 0, D - 1 - r >= 0
    low: "Node"  # C >= 0
    high: "Node"  # D - 1 - C >= 0
    then: "Node"  # facts appended: q - M = 0, r - C = 0


@dataclass(frozen=True)
class Combine:
    terms: tuple[tuple[sympy.Expr, int], ...]  # (u, index of an equation)
    then: "Node"  # fact appended: Σ u·e = 0


@dataclass(frozen=True)
class Split:
    expr: sympy.Expr
    nonnegative: "Node"  # fact appended: expr >= 0
    negative: "Node"  # fact appended: -expr - 1 >= 0


@dataclass(frozen=True)
class SplitNe:
    fact: int
    above: "Node"  # fact appended: e - 1 >= 0
    below: "Node"  # fact appended: -e - 1 >= 0


@dataclass(frozen=True)
class Pick:
    atom: sympy.Expr  # Max, Min or Abs
    branches: tuple["Node", ...]  # one per argument (Max, Min); two for Abs


@dataclass(frozen=True)
class Range:
    symbol: sympy.Symbol
    low: int
    high: int
    above: "Node"  # symbol - low >= 0
    below: "Node"  # high - symbol >= 0
    branches: tuple["Node", ...]  # symbol = low, ..., high


Node = Union[Linear, Both, Apart, Each, Absurd, Substitute, Divide, Unique, Combine, Split, SplitNe, Pick, Range]


@dataclass(frozen=True)
class Certificate:
    """A whole proof: the starting facts, the goal, and the tree of rules that proves it."""

    facts: tuple[Fact, ...]
    goal: Goal
    proof: Node
    version: str = RULES_VERSION


def size(node: Node) -> int:
    """The number of rule nodes: a measure of the work a check does."""
    children = [value for value in vars(node).values() if isinstance(value, _NODES)]
    children += [item for value in vars(node).values() if isinstance(value, tuple)
                 for item in value if isinstance(item, _NODES)]
    return 1 + sum(size(child) for child in children)


_NODES = (Linear, Both, Apart, Each, Absurd, Substitute, Divide, Unique, Combine, Split, SplitNe, Pick, Range)
