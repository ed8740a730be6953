"""Everything about a graph in one object: sizes, valid input sizes, receptive fields, and a run at one size.

>>> from symconv.graphs.parse import parse_graph
>>> report = analyse_graph(parse_graph("x = input [H]; a = pool k=2; u = upsample f=2; c = cat (x, u)"), 9)
>>> report.sizes["u"], str(report.valid["H"]), report.run.failure.message, report.next_valid
((2*floor(H/2),), 'i ≡ 0 (mod 2), i ≥ 2', "Concat 'c': 9 vs 8 along H", {'H': 10})
>>> report.fixes.fixes, report.fixes.tried  # no single edit lets odd sizes run too
((), 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from sympy import Expr

from symconv.graphs.graph import Graph
from symconv.graphs.decide import AxisDecision, valid_sizes
from symconv.graphs.fixes import FixSearch, misaligned, suggest_fixes
from symconv.graphs.receptive import GraphField, GraphRegions, input_regions, receptive_fields
from symconv.graphs.sizes import GraphRun, input_values, run_graph, tensor_sizes


@dataclass(frozen=True)
class GraphReport:
    """A graph's answers: ``sizes`` of every tensor, the ``valid`` input sizes per axis, the receptive
    ``fields``, and at an input size its ``run`` and, if that fails, the ``next_valid`` size per axis
    (the smallest from the given one up; None where there is none). Where a join misaligns, ``fixes``
    holds the checked single-parameter fixes (:func:`~symconv.graphs.fixes.suggest_fixes`); it is None
    where every join lines up, or when fixes were not asked for. Where the graph runs at the input size,
    ``regions`` gives what each output unit depends on there (:func:`~symconv.graphs.receptive.input_regions`),
    which names the units that read only padding."""

    graph: Graph
    sizes: Mapping[str, tuple[Optional[Expr], ...]]
    valid: Mapping[str, AxisDecision]
    fields: tuple[GraphField, ...]
    run: Optional[GraphRun] = None
    next_valid: Optional[Mapping[str, Optional[int]]] = None
    fixes: Optional[FixSearch] = None
    regions: Optional[tuple[GraphRegions, ...]] = None

    @property
    def runs(self) -> bool:
        """Whether the graph runs on some input size."""
        return all(decision.answer.residues or decision.answer.isolated for decision in self.valid.values())


def analyse_graph(graph: Graph, input_size: Any = None, fixes: bool = True) -> GraphReport:
    """Every answer about ``graph``; with ``input_size`` (an int, one per axis, or ``{axis: size}``) also a run;
    with ``fixes`` (the default) the checked fixes where a join misaligns."""
    if input_size is not None:
        input_size = input_values(graph, input_size)  # a bad size is the caller's error, found before the work
    valid = valid_sizes(graph)
    found = suggest_fixes(graph) if fixes and misaligned(valid) else None
    report = GraphReport(graph, tensor_sizes(graph), valid, receptive_fields(graph), fixes=found)
    if input_size is None:
        return report
    run = run_graph(graph, input_size)
    after = None if run.ok else {axis: valid[axis].answer.smallest_at_least(size) for axis, size in input_size.items()}
    exact = input_regions(graph, input_size) if run.ok else None
    return GraphReport(graph, report.sizes, valid, report.fields, run, after, found, exact)


__all__ = ["GraphReport", "analyse_graph"]
