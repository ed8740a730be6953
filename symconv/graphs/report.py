"""Everything about a graph in one object: sizes, valid input sizes, receptive fields, and a run at one size.

>>> from symconv.graphs.parse import parse_graph
>>> report = analyse_graph(parse_graph("x = input [H]; a = pool k=2; u = upsample f=2; c = cat (x, u)"), 9)
>>> report.sizes["u"], str(report.valid["H"]), report.run.failure.message, report.next_valid
((2*floor(H/2),), 'i ≡ 0 (mod 2), i ≥ 2', "Concat 'c': 9 vs 8 along H", {'H': 10})
>>> report.fixes.fixes, report.fixes.tried  # no single edit lets odd sizes run too
((), 4)

Fixes are searched for where a run fails at the input size, or when asked
(``fixes=True``); proofs by the kernel only when asked (``prove=True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from sympy import Expr

from symconv.graphs.graph import Graph
from symconv.graphs.decide import AxisDecision, valid_sizes
from symconv.graphs.fixes import FixSearch, misaligned, suggest_fixes
from symconv.graphs.joint import JointSizes, joint_sizes
from symconv.graphs.receptive import GraphField, GraphRegions, input_regions, receptive_fields
from symconv.graphs.sizes import GraphRun, input_values, run_graph, tensor_sizes

if TYPE_CHECKING:  # the prover is imported only when proofs are asked for
    from symconv.graphs.proofs import GraphProofs


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
    joint: Optional[JointSizes] = None
    proofs: Optional[GraphProofs] = None

    @property
    def runs(self) -> bool:
        """Whether the graph runs on some input size."""
        return all(decision.answer.residues or decision.answer.isolated for decision in self.valid.values()) \
            and (self.joint is None or self.joint.runs)

    def accepts(self, sizes: Mapping[str, int]) -> bool:
        """Whether the graph runs at ``sizes`` (one per input axis), by the decided sets alone."""
        return all(sizes[axis] in decision.answer for axis, decision in self.valid.items()) \
            and (self.joint is None or sizes in self.joint)


def _next_valid(valid: Mapping[str, AxisDecision], joint: Optional[JointSizes],
                given: Mapping[str, int]) -> dict[str, Optional[int]]:
    """The smallest sizes from ``given`` up that run: per axis, or, where a flat size couples the axes, in the
    box that asks the least growth."""
    per_axis = {axis: valid[axis].answer.smallest_at_least(size) for axis, size in given.items()}
    if joint is None:
        return per_axis
    best: Optional[dict[str, Optional[int]]] = None
    for box in joint.boxes:
        found: dict[str, Optional[int]] = {}
        for axis, span in zip(joint.axes, box):
            first = span.sizes.smallest_at_least(max(given[axis], span.low))
            found[axis] = first if first is not None and (span.high is None or first <= span.high) else None
        if None not in found.values() and (best is None or sum(found.values()) < sum(best.values())):  # type: ignore
            best = found
    return best or {axis: None for axis in given}


def analyse_graph(graph: Graph, input_size: Any = None, fixes: Optional[bool] = None,
                  prove: bool = False, progress: Optional[Callable[[str, str, int, int], None]] = None) -> GraphReport:
    """Every answer about ``graph``; with ``input_size`` (an int, one per axis, or ``{axis: size}``) also a run.

    ``fixes``: search for checked fixes where a join misaligns: True always, False never, None (the default)
    when the run at ``input_size`` fails. ``prove``: hand the valid sizes to the proof kernel too.
    ``progress(task, item, done, total)``, if given, is called before each stage (and by the proofs and the fix
    search before each claim and candidate) and once at the end."""
    if input_size is not None:
        input_size = input_values(graph, input_size)  # a bad size is the caller's error, found before the work
    stages = 4 + prove + 2 * (input_size is not None)
    done = 0

    def stage(item: str) -> None:
        nonlocal done
        if progress is not None:
            progress(f"graph ({len(graph.nodes)} nodes)", item, done, stages)
        done += 1

    stage("valid input sizes")
    valid = valid_sizes(graph)
    joint = joint_sizes(graph, valid)
    stage("every tensor's size")
    sizes = tensor_sizes(graph)
    stage("receptive fields")
    fields = receptive_fields(graph)
    proofs = None
    if prove:
        stage("proofs")
        from symconv.graphs.proofs import prove_sizes

        proofs = prove_sizes(graph, valid, progress)
    run = None
    if input_size is not None:
        stage("the run at the input size")
        run = run_graph(graph, input_size)
    wanted = fixes if fixes is not None else run is not None and not run.ok
    stage("fixes")
    found = suggest_fixes(graph, progress=progress) if wanted and misaligned(valid) else None
    exact = None
    if run is not None:
        stage("what each output unit reads")
        exact = input_regions(graph, input_size) if run.ok else None
    if progress is not None:
        progress(f"graph ({len(graph.nodes)} nodes)", "", stages, stages)
    if run is None:
        return GraphReport(graph, sizes, valid, fields, fixes=found, joint=joint, proofs=proofs)
    after = None if run.ok else _next_valid(valid, joint, input_size)
    return GraphReport(graph, sizes, valid, fields, run, after, found, exact, joint, proofs)


__all__ = ["GraphReport", "analyse_graph"]
