"""The graph's answers, proved by the kernel: each residue class's verdict and each simplified size.

:mod:`.decide` finds the valid sizes by an argument in linear forms and checks
them by running every size of a window. This module hands the same claims to
the proof kernel (:func:`symconv.proof.prove`), whose certificates the
independent checker re-checks:

- for each residue class ``i = M m + r`` of each axis, from the size where the
  classes decide on: the joins' conditions hold (a class that runs), or fail
  except at the listed exceptions (a class that does not);
- for each step whose simplified size differs in form from its formula, the two
  are equal for every input size from the axis's minimum on.

A claim the kernel cannot close is reported ``unproved`` with its reason, never
``proved``; the answer it belongs to still stands on the enumeration.

>>> from symconv.graphs.parse import parse_graph
>>> found = prove_sizes(parse_graph("x = input [H]; a = pool k=2; b = pool k=2; u = tconv k=4 s=4; c = cat (x, u)"))
>>> print(found)
proved: 4 of 4 residue classes, 1 of 1 simplified sizes
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

import sympy

from symconv.core import symbols
from symconv.core.errors import ParameterError
from symconv.core.rebuild import xreplace
from symconv.graphs.decide import AxisDecision, valid_sizes
from symconv.graphs.graph import Graph
from symconv.graphs.sizes import analysis, axis_symbol, expressions
from symconv.layers.alignment import m
from symconv.proof import Theorem, prove
from symconv.proof.prover import Budget

MAX_CLAIMS = 4000  #: claims one graph hands to the kernel
SECONDS = 60.0  #: the whole graph's proving budget, a safety net on the wall clock
#: One claim's budget, in linear programs: a count, so a claim's verdict does not depend on how busy the
#: machine is (about 2 s of work here).
CLAIM_PROGRAMS = 300


@dataclass(frozen=True)
class Claim:
    """One claim: what it says (``kind`` "class" or "size", the ``axis`` and ``where``: the residue or the
    step's node), and how it stands (``status`` and ``reason``, as :class:`symconv.proof.Proof` gives them)."""

    kind: str
    axis: str
    where: str
    statement: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class GraphProofs:
    """Every claim about one graph and how it stands; ``budget`` says whether the time ran out."""

    claims: tuple[Claim, ...]
    budget: bool = False

    def count(self, kind: str, status: Optional[str] = None) -> int:
        return sum(claim.kind == kind and (status is None or claim.status == status) for claim in self.claims)

    @property
    def proved(self) -> bool:
        """Whether every claim was proved."""
        return not self.budget and all(claim.status == "proved" for claim in self.claims)

    def __str__(self) -> str:
        parts = [f"{self.count('class', 'proved')} of {self.count('class')} residue classes",
                 f"{self.count('size', 'proved')} of {self.count('size')} simplified sizes"]
        text = "proved: " + ", ".join(parts)
        if self.budget:
            text += f" (the {SECONDS:g} s budget ran out; the rest were not tried)"
        return text


def _negation(condition: Any) -> Any:
    """The negation of a condition built from Eq, Ne, And and Or, without a Not (which the kernel does not read)."""
    if isinstance(condition, sympy.And):
        return sympy.Or(*map(_negation, condition.args), evaluate=False)
    if isinstance(condition, sympy.Or):
        return sympy.And(*map(_negation, condition.args), evaluate=False)
    if isinstance(condition, sympy.Eq):
        return sympy.Ne(*condition.args, evaluate=False)
    if isinstance(condition, sympy.Ne):
        return sympy.Eq(*condition.args, evaluate=False)
    if condition in (sympy.true, sympy.false):
        return sympy.false if condition is sympy.true else sympy.true
    raise ParameterError("condition", str(condition), "a join's condition is built from Eq, Ne, And and Or")


def _decided_from(decision: AxisDecision) -> int:
    """The size from which every residue class decides (below it, every size was run one by one)."""
    modulus = decision.modulus
    return max(decision.minimum or 1, *(modulus * ((case.start - case.residue) // modulus)
                                        for case in decision.cases))


_PROVED: dict[Theorem, tuple[str, str]] = {}  # claims in i, whatever the axis: equal programs share them


def _status(theorem: Theorem, deadline: float) -> tuple[str, str]:
    if theorem in _PROVED:
        return _PROVED[theorem]
    seconds = deadline - time.monotonic()
    proof = prove(theorem, budget=Budget(programs=CLAIM_PROGRAMS, seconds=max(seconds, 0.01)), smt=False)
    if not proof.budget and len(_PROVED) < 10 * MAX_CLAIMS:
        _PROVED[theorem] = proof.status, proof.reason
    return proof.status, proof.reason


def prove_sizes(graph: Graph, valid: Optional[Mapping[str, AxisDecision]] = None,
                progress: Optional[Callable[[str, str, int, int], None]] = None) -> GraphProofs:
    """Hand every residue class's verdict and every simplified size of ``graph`` to the proof kernel.

    ``progress(task, item, done, total)``, if given, is called before each claim and once at the end."""
    valid = valid_sizes(graph) if valid is None else valid
    found = analysis(graph)
    deadline = time.monotonic() + SECONDS
    claims: list[Claim] = []
    pending: list[tuple[str, str, str, Theorem]] = []
    for axis, decision in valid.items():
        if decision.minimum is None:
            continue
        symbol, named = symbols.i, axis_symbol(axis)  # claims in i, shown with the axis's name
        conditions = [xreplace(condition, {named: symbol}) for condition in decision.conditions
                      if condition is not None]
        if conditions:
            joined = sympy.And(*conditions, evaluate=False)
            lower = _decided_from(decision)
            for case in decision.cases:
                size = decision.modulus * m + case.residue
                exceptions = [sympy.Ne(symbol, n) for n in case.exceptions if n >= lower]
                statement = joined if case.holds else _negation(joined)
                theorem = Theorem(f"class-{case.residue}", f"i = {size}", statement,
                                  (sympy.Ge(symbol, lower), *exceptions), ((symbol, size),), (m,))
                pending.append(("class", axis, f"{axis} ≡ {case.residue} (mod {decision.modulus})", theorem))
        program = found.programs[axis]
        for index, (simplified, formula) in enumerate(expressions(program.steps)):
            if simplified is None or simplified == formula:
                continue
            node = program.places[index][0]
            statement = sympy.Eq(simplified, formula, evaluate=False)
            theorem = Theorem(f"size-{index}", "a simplified size", statement,
                              (sympy.Ge(symbol, decision.minimum),), (), (symbol,))
            pending.append(("size", axis, node, theorem))
    if len(pending) > MAX_CLAIMS:
        raise ParameterError("graph", f"{len(pending)} claims", f"at most {MAX_CLAIMS} claims are proved for one graph")
    budget = False
    for done, (kind, axis, where, theorem) in enumerate(pending):
        if time.monotonic() >= deadline:
            budget = True
            break
        if progress is not None:
            progress("proofs", f"{axis}: {where}" if kind == "class" else f"the size of {where} along {axis}", done,
                     len(pending))
        status, reason = _status(theorem, deadline)
        claims.append(Claim(kind, axis, where, str(xreplace(theorem.statement, {symbols.i: axis_symbol(axis)})),
                            status, reason))
    if progress is not None:
        progress("proofs", "", len(claims), len(claims))
    return GraphProofs(tuple(claims), budget)


__all__ = ["Claim", "GraphProofs", "prove_sizes", "MAX_CLAIMS", "SECONDS"]
