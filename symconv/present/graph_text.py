"""What ``symconv graph`` prints: the text for a reader, and the data its ``--json`` encodes.

These only format a :class:`~symconv.graphs.report.GraphReport`; the
JSON goes through :func:`symconv.present.serialise.dumps`.

>>> from symconv.graphs.parse import parse_graph
>>> from symconv.graphs.report import analyse_graph
>>> print(graph_text(analyse_graph(parse_graph("x = input [L]; a = conv k=3 s=2 p=1; b = pool k=2"), 20)))
tensors:
  x  input [L]             [L]            [20]
  a  conv k=3 s=2 p=1 (x)  [⌈L/2⌉]        [10]
  b  pool k=2 (a)          [⌊L/4 + 1/4⌋]  [5]
input sizes it runs on:
  L ≥ 3
receptive fields:
  b from x along L: 5, effective stride 4, effective padding 1
at L = 20: runs
"""

from __future__ import annotations

from typing import Any, Optional

from symconv.core.printing import text
from symconv.graphs.ops import Identity


def _size(sizes: tuple) -> str:
    """A tensor's spatial sizes as the text form writes an input's: ``[⌊H/2⌋, W]``; a flat tensor has none."""
    if not sizes:
        return "flat"
    return "[" + ", ".join("never" if size is None else text(size) for size in sizes) + "]"


def input_sizes_text(axis: str, sizes: Any) -> str:
    """A set of input sizes (``InputSizes``) for the axis called ``axis``: ``H ≡ 0 (mod 16), H ≥ 16``.

    >>> from symconv.layers.alignment import InputSizes
    >>> input_sizes_text("H", InputSizes(16, (0,), 16, (3,)))
    'H ≡ 0 (mod 16), H ≥ 16; or H = 3'
    """
    return sizes.text(axis)


def _unread(report: Any, found: Any) -> Optional[tuple[int, ...]]:
    """The units of a field's output that read only padding at the report's input size (None: not known)."""
    for exact in getattr(report, "regions", None) or ():
        if (exact.output, exact.input, exact.axis) == (found.output, found.input, found.axis):
            return None if exact.regions is None else exact.unread
    return None


def _field(found: Any, unread: Optional[tuple[int, ...]] = None) -> str:
    where = f"{found.output} from {found.input} along {found.axis}: "
    if found.field is None:
        line = where + f"not fixed ({found.reason})"
    else:
        field = found.field
        padding = ("none (unit 0 reads no input)" if field.padding is None else str(field.padding)
                   if isinstance(field.padding, int) else f"{text(field.padding)} (follows the input size)")
        line = where + f"{field.size}, effective stride {field.stride}, effective padding {padding}"
    if unread:
        line += f"; units that read only padding there: {', '.join(map(str, unread))}"
    return line


def _at(values: Any) -> str:
    return ", ".join(f"{axis} = {size}" for axis, size in values.items())


def _source(node: Any) -> str:
    """An imported node's op type and name in its file, each once."""
    words = [node.op_type or "", node.label or ""]
    return words[0] if words[0] == words[1] else " ".join(word for word in words if word)


def graph_text(report: Any, all_tensors: bool = False) -> str:
    """``symconv graph``: every tensor's size, the input sizes it runs on, the receptive fields, and a run
    (the module docstring has an example). Shape-preserving ops (activations, normalisation) are left out of
    the table unless ``all_tensors``: their sizes are their input's."""
    graph, run = report.graph, report.run
    rows = []
    labelled = any(node.label for node in graph.nodes)
    hidden = 0
    for node in graph.nodes:
        if not all_tensors and isinstance(node.op, Identity) and node.name not in graph.outputs:
            hidden += 1
            continue
        value = "" if run is None else _size(run.sizes[node.name]) if node.name in run.sizes else "—"
        source = _source(node) if labelled else ""
        rows.append((node.name, str(node).partition(" = ")[2], _size(report.sizes[node.name]), value, source))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = ["tensors:" + ("  (name, op, sizes" + (", at the input size" if run is not None else "")
                           + ", and the model's op and node)" if labelled else "")]
    for row in rows:
        line = f"  {row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}"
        if run is not None:
            line += f"  {row[3]:<{widths[3]}}"
        lines.append(line + (f"  {row[4]}" if labelled else ""))
    if hidden:
        lines.append(f"  ({hidden} shape-preserving op{'s' * (hidden != 1)} not shown, such as activations and"
                     " normalisation: --all-tensors shows them)")
    lines.append("input sizes it runs on:")
    for axis, decision in report.valid.items():
        line = f"  {input_sizes_text(axis, decision.answer)}"
        if decision.minimum is None and decision.below_minimum:
            line += f" ({decision.below_minimum})"
        lines.append(line)
    joint = getattr(report, "joint", None)
    if joint is not None:
        lines.append("  and, where a flat size couples the axes: " + str(joint).replace("\n", "\n  "))
    lines += _proofs(getattr(report, "proofs", None))
    if report.fields:
        lines += ["receptive fields:"] + [f"  {_field(found, _unread(report, found))}" for found in report.fields]
    lines += _fixes(report)
    if run is not None:
        if run.ok:
            lines.append(f"at {_at(run.input_size)}: runs")
        else:
            lines.append(f"at {_at(run.input_size)}: fails: {run.failure.message}")
            lines.append(_next(report.next_valid))
    return "\n".join(line.rstrip() for line in lines)


SHOWN_FIXES = 8  #: fixes the text shows; the JSON has all of them
SHOWN_UNPROVED = 8  #: unproved claims the text lists


def _proofs(proofs: Any) -> list[str]:
    if proofs is None:
        return []
    lines = [f"proofs (the kernel, re-checked): {str(proofs).removeprefix('proved: ')} proved"]
    unproved = [claim for claim in proofs.claims if claim.status != "proved"]
    for claim in unproved[:SHOWN_UNPROVED]:
        what = (f"residue class {claim.where}" if claim.kind == "class"
                else f"the size of {claim.where} along {claim.axis}")
        lines.append(f"  {claim.status}: {what}: {claim.reason}")
    if len(unproved) > SHOWN_UNPROVED:
        lines.append(f"  and {len(unproved) - SHOWN_UNPROVED} more (--json lists every one)")
    return lines


def _joint_data(joint: Any) -> Any:
    if joint is None:
        return None
    return {"conditions": list(joint.conditions), "nodes": list(joint.nodes),
            "boxes": [{axis: {"min": span.first, "max": span.high, "sizes": span.sizes}
                       for axis, span in zip(joint.axes, box)} for box in joint.boxes]}


def _proofs_data(proofs: Any) -> Any:
    if proofs is None:
        return None
    return {"proved": proofs.proved, "budget": proofs.budget,
            "claims": [{"kind": claim.kind, "axis": claim.axis, "where": claim.where, "statement": claim.statement,
                        "status": claim.status, "reason": claim.reason or None} for claim in proofs.claims]}


def _fixes(report: Any) -> list[str]:
    search = getattr(report, "fixes", None)
    if search is None:
        return []
    if not search.fixes:
        lines = ["fixes: no single-parameter edit lets it run on more sizes"
                 + (f" (among the {search.tried} tried)" if search.tried else "")]
    else:
        lines = ["fixes (each checked: the changed graph's valid input sizes):"]
        for fix in search.fixes[:SHOWN_FIXES]:
            sizes = "; ".join(input_sizes_text(axis, answer) for axis, answer in fix.valid.items())
            lines.append(f"  {fix.text}: {sizes}")
        if len(search.fixes) > SHOWN_FIXES:
            lines.append(f"  and {len(search.fixes) - SHOWN_FIXES} more (--json lists every one)")
    if search.exhausted is not None:
        budget = "candidates" if search.exhausted == "candidates" else "seconds"
        lines.append(f"  the search's budget of {budget} ran out after {search.tried} of {search.candidates} edits")
    return lines


def _fixes_data(search: Any) -> Any:
    if search is None:
        return None
    return {"tried": search.tried, "candidates": search.candidates, "exhausted": search.exhausted,
            "suggestions": [{"node": fix.node, "shown": fix.shown, "op": fix.title, "parameter": fix.parameter,
                             "old": fix.old, "new": fix.new, "text": fix.text,
                             "valid_input_sizes": dict(fix.valid), "density": fix.density}
                            for fix in search.fixes]}


def _list(units: Optional[tuple[int, ...]]) -> Optional[list[int]]:
    return None if units is None else list(units)


def _next(after: Optional[dict]) -> str:
    if after is None or None in after.values():
        return "  no input size from there up runs"
    return f"  the smallest sizes from there up that run: {_at(after)}"


def graph_data(report: Any) -> dict[str, Any]:
    """``symconv graph --json``: what :func:`symconv.present.serialise.dumps` encodes (docs/graphs.md).

    >>> from symconv.graphs.parse import parse_graph
    >>> from symconv.graphs.report import analyse_graph
    >>> data = graph_data(analyse_graph(parse_graph("x = input [L]; a = pool k=2"), 5))
    >>> data["valid_input_sizes"]["L"], data["sizes"], data["error"]
    (InputSizes(modulus=1, residues=(0,), minimum=2, isolated=()), {'x': [5], 'a': [2]}, None)
    """
    graph, run = report.graph, report.run
    data: dict[str, Any] = {
        "graph": str(graph),
        "axes": list(graph.axes),
        "outputs": list(graph.outputs),
        "tensors": [{"name": node.name, "op": node.op.text(), "inputs": list(node.inputs),
                     "sizes": list(report.sizes[node.name]), "label": node.label, "op_type": node.op_type}
                    for node in graph.nodes],
        "valid_input_sizes": {axis: decision.answer for axis, decision in report.valid.items()},
        "decisions": {axis: {"modulus": decision.modulus, "minimum": decision.minimum,
                             "below_minimum": decision.below_minimum, "conditions": list(decision.conditions),
                             "joins": list(decision.joins), "checked": list(decision.checked),
                             "identities": decision.identities}
                      for axis, decision in report.valid.items()},
        "joint": _joint_data(getattr(report, "joint", None)),
        "runs": report.runs,
        "receptive_fields": [
            {"output": found.output, "input": found.input, "axis": found.axis,
             "receptive_field": None if found.field is None else found.field.size,
             "effective_stride": None if found.field is None else found.field.stride,
             "effective_padding": None if found.field is None else found.field.padding,
             "not_fixed": found.reason,
             **({} if run is None or not run.ok else {"unread_units": _list(_unread(report, found))})}
            for found in report.fields],
        "fixes": _fixes_data(getattr(report, "fixes", None)),
        "proofs": _proofs_data(getattr(report, "proofs", None)),
    }
    if run is not None:
        data.update(input_size=dict(run.input_size), sizes={name: list(sizes) for name, sizes in run.sizes.items()},
                    error=None if run.ok else {"node": run.failure.node, "op": run.failure.op,
                                               "axis": run.failure.axis, "message": run.failure.message},
                    next_valid_input_size=None if run.ok else dict(report.next_valid))
    return data


__all__ = ["graph_text", "graph_data", "input_sizes_text"]
