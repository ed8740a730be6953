"""What the commands print for a reader: one function per answer, formulas in the guide's notation.

These only format what they are given; the JSON of the same answers is :mod:`symconv.present.data`, encoded
by :mod:`symconv.present.serialise`.

>>> from symconv.guide.queries import input_sizes
>>> print(inputs_text(112, input_sizes(112, kernel_size=7, stride=2, padding=3)))
input sizes giving output_size 112: 223, 224
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _formula(expr: Any) -> str:
    """The guide's notation; sympy is imported only by the commands that print formulas."""
    from symconv.core.printing import text

    return text(expr)


def _value(value: Any) -> str:
    """An int as itself, an expression in the guide's notation."""
    return str(value) if isinstance(value, int) else _formula(value)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def per_axis(lines: Sequence[str]) -> str:
    """Answers for several axes, one line each, numbered from 0 as the axes of a tensor are.

    >>> print(per_axis(["a", "b"]))
    axis 0: a
    axis 1: b
    """
    return "\n".join(f"axis {axis}: {line}" for axis, line in enumerate(lines))


def relationships_text(relationships: Iterable[Any]) -> str:
    """``symconv list``: number, title and equation of each relationship."""
    return "\n".join(f"{r.number:>2}  {r.title:<58} {_formula(r.equation)}" for r in relationships)


def relationship_text(r: Any) -> str:
    """``symconv show N``: one relationship, its conditions, domain and equivalent convolution."""
    lines = [f"Relationship {r.number}: {r.title} (guide §{r.section}, Figure {r.figure})",
             f"  {_formula(r.equation)}",
             f"  when: {', '.join(_formula(c) for c in r.conditions) or 'always'}",
             f"  valid where a kernel position fits: {_formula(r.domain)}"]
    if r.equivalent is not None:
        eq = r.equivalent
        lines += ["  equivalent direct convolution (kernel flipped):",
                  f"    k' = {_formula(eq.kernel_size)}, s' = {_formula(eq.stride)}, p' = {_formula(eq.p_prime)}"
                  f" before and p' + a after, a = {_formula(eq.a)}",
                  f"    on the stretched input ĩ' = {_formula(eq.stretched_input)}"
                  " (s - 1 zeros between the units of i')"]
    lines.append("  example: " + ", ".join(f"{key}={value}" for key, value in r.example.items()))
    return "\n".join(lines)


def shape_text(operation: str, parameters: Mapping[str, Any], size: Any) -> str:
    """``symconv shape``: the call as given, and its output size.

    >>> shape_text("conv", {"input_size": 5, "kernel_size": 3, "stride": None}, 3)
    'conv(input_size=5, kernel_size=3) -> output_size = 3'
    """
    shown = ", ".join(f"{key}={value}" for key, value in parameters.items() if value is not None)
    return f"{operation}({shown}) -> output_size = {size}"


def verification_text(box: Any, report: Any) -> str:
    """``symconv verify``: each relationship's cases and failures against the oracle."""
    lines = [f"Checked against the brute-force oracle on i <= {box.input_size}, k <= {box.kernel_size}, "
             f"s <= {box.stride}, 0 <= p <= k, d <= {box.dilation}:"]
    for c in report.checks:
        label = f"Relationship {c.number:>2}" if c.number is not None else "2-D sample     "
        status = "ok" if not c.failures else f"{c.failures} FAILED, smallest: {c.counterexample}"
        lines.append(f"  {label}  {c.cases:>6} cases  {status}   {c.name}")
    lines.append(f"{report.cases} cases, {report.failures} failures")
    return "\n".join(lines)


def transpose_text(eq: Any) -> str:
    """``symconv transpose``: the direct convolution equal to a convolution's transpose."""
    before, after = (_value(v) for v in eq.padding)
    # The end pads padding[1] + a in all; a negative amount crops.
    crop = [f"crops {-v} {side}" for v, side in ((eq.padding[0], "before"), (eq.padding[1] + eq.a, "after"))
            if isinstance(v, int) and v < 0]
    return "\n".join([
        "The transposed convolution equals this direct convolution (kernel flipped):",
        f"  kernel_size k' = {eq.kernel_size}, stride s' = {eq.stride}, dilation d' = {eq.dilation}",
        f"  {_value(eq.zeros_between)} zeros between the input units"
        f" (the stretched input ĩ' = {_value(eq.stretched_input)})",
        f"  padding {before} before, {after} + a after"
        + (f" ({', '.join(crop)}: negative padding crops)" if crop else ""),
        f"  a = {_value(eq.a)}   (the output_padding that recovers the input size)",
        f"  input i' = {_value(eq.input_size)}, output o' = {_value(eq.output_size)}",
    ])


def coq_labels(export: Mapping[str, Any]) -> dict[str, str]:
    """The label of each theorem Coq accepted: ``{"round-trip": "checked by Coq 8.16.1"}``."""
    return {entry["name"]: f"checked by Coq {export['coq_version']}" for entry in export["files"]
            if entry["checked"] is True}


def export_text(export: Mapping[str, Any]) -> list[str]:
    """The lines of ``--export coq DIR``: where each file went and what Coq said of it."""
    version, files = export["coq_version"], export["files"]
    head = f"Coq: {_plural(len(files), 'file')} in {export['directory']}/"
    head += (f", compiled with coqc {version}" if version is not None else
             " (coqc is not installed, so Coq has not checked them; install Coq and run coqc on each file)")
    lines = [head]
    for entry in files:
        if entry["checked"] is None:
            lines.append(f"  {entry['name']}: exported to {entry['file']}")
        elif entry["checked"]:
            lines.append(f"  {entry['name']}: checked by Coq {version} ({entry['file']})")
        else:
            lines.append(f"  {entry['name']}: REJECTED by Coq {version} ({entry['file']}): {entry['error']}"
                         " - a bug in symconv's exporter, please report it")
    lines += [f"  {entry['name']}: not exported to Coq: {entry['reason']}" for entry in export["not_exported"]]
    return lines


def proofs_text(proofs: Sequence[Any], counts: Mapping[str, int], export: Mapping[str, Any]) -> str:
    """``symconv prove``: each theorem's status, its evidence and the steps the checker verified."""
    labels = coq_labels(export) if export else {}
    lines = []
    for proof in proofs:
        evidence = ["certificate re-checked" if proof.checked else "no checked certificate"]
        if proof.smt is not None:
            evidence.append(f"{proof.smt.backend}: {proof.smt.verdict}")
        evidence.append(f"{proof.cases} cases against the oracle")
        evidence += [labels[proof.name]] if proof.name in labels else []
        lines.append(f"{proof.name}: {proof.status} ({', '.join(evidence)}) - {proof.theorem.title}")
        lines.extend(f"    {_formula(step.statement)}    [{step.justification}]" for step in proof.steps)
        if proof.reason and proof.status != "proved":
            lines.append(f"    {proof.reason}")
        if proof.counterexample:
            lines.append(f"    {proof.counterexample_text}")
    lines.append(f"{_plural(len(proofs), 'theorem')}: " + ", ".join(
        f"{count} {status}" for status, count in counts.items() if count or status != "conflict"))
    return "\n".join(lines + (export_text(export) if export else []))


def inputs_text(output_size: int, sizes: Sequence[int]) -> str:
    """``symconv solve inputs``."""
    if not sizes:
        return f"no input size gives output_size {output_size}"
    return f"input sizes giving output_size {output_size}: {', '.join(map(str, sizes))}"


def paddings_text(found: Any) -> str:
    """``symconv solve padding``."""
    return (f"output_size {found.output_size}: {found.reason}"
            + (f"; symmetric p in {list(found.symmetric)}" if found.symmetric else "")
            + (f"; smallest (before, after) = {found.smallest}" if found.smallest else ""))


def output_padding_text(answer: Any) -> str:
    """``symconv solve output-padding``."""
    return (f"i = {answer.input_size} -> i' = {answer.transposed_input_size}; "
            f"output_padding = {answer.output_padding} gives back {answer.input_size} ({answer.allowed})")


def render_text(output: str, written: Sequence[Any], cases: int, failures: int) -> str:
    """``symconv render``."""
    return f"wrote {len(written)} files to {output}/ ({cases} cases verified, {failures} failures)"


def written_text(written: Sequence[Any]) -> str:
    """The files a command wrote."""
    return f"wrote {', '.join(map(str, written))}"


def schemes_text(schemes: Sequence[Any]) -> str:
    """``symconv scheme list``: each built-in scheme's name and description."""
    width = max(len(s.name) for s in schemes)
    return "\n".join(f"{s.name:<{width}}  {s.description}" for s in schemes)


def scheme_report_text(report: Any) -> str:
    """``symconv scheme check``: the scheme, its output size with the derivation, every claim's standing."""
    from symconv.schemes.domain import window_fits

    sch = report.scheme
    lines = [f"{sch.name}: {sch.description}" if sch.description else sch.name, f"  source: {sch.source}"]
    if sch.framework:
        lines.append(f"  frameworks: {sch.framework}")
    lines += [f"  before = {_formula(sch.before)}", f"  after  = {_formula(sch.after)}"]
    if sch.output_padding is not None and report.transposed is not None:
        lines.append(f"  output_padding a = {_formula(report.transposed.output_padding)}")
    if sch.ceil_mode:
        lines.append("  ceil mode: a last, partial window is kept unless it starts in the right padding")
    lines.append(f"  where: {', '.join(_formula(c) for c in sch.where) or 'always'}, and a window fits:"
                 f" {_formula(window_fits(sch.ceil_mode))}")
    lines.append(f"  output size: o = {_formula(report.output_size)}")
    lines += [f"    {_formula(step.statement)}    [{step.justification}]" for step in report.steps]
    lines.append("  padding never negative: " + ", ".join(f"{key} {result.status}" for key, result in report.padding))
    lines.append("  claims:" if report.claims else "  claims: none")
    for result in report.claims:
        lines.append(f"    {result.status:<17} {_formula(result.claim)}: {_standing(result, sch, report.bound)}")
    if report.transposed is not None:
        eq, op = report.transposed.equivalent, report.transposed.output_padding
        lines += ["  transposed: the equivalent direct convolution (kernel flipped, stride 1,"
                  f" {_formula(eq.zeros_between)} zeros between the input units)",
                  f"    pads {_formula(eq.padding[0])} before and {_formula(eq.padding[1])} + a after,"
                  f" a = {_formula(op)}",
                  f"    o' = {_formula(eq.output_size)} with i' = o; it gives back i: "
                  f"{report.transposed.recovers.status}"]
    return "\n".join(lines)


def _standing(result: Any, scheme: Any, bound: int) -> str:
    from symconv.present.data import scheme_case
    from symconv.schemes.domain import box_text

    case = scheme_case(result.counterexample, scheme)
    shown = ", ".join(f"{k}={v}" for k, v in case.items()) if case else "none in the box"
    why = f" (the prover: {result.proof.reason})" if result.proof.reason else ""
    if result.status == "proved":
        vacuous = ", vacuously: no integers satisfy the hypotheses" if result.proof.vacuous else ""
        return f"proved for all integers{vacuous} ({result.cases} cases also agree with the oracle)"
    if result.status == "holds-enumerated":
        return (f"not proved: the prover cannot close it, but all {result.cases} cases with "
                f"{box_text(bound, scheme)} that lie in the domain agree with the oracle{why}")
    if result.status == "unproved":
        return (f"not proved: the prover cannot close it, and no case with {box_text(bound, scheme)} lies in "
                f"the domain, so nothing was checked; raise the bound{why}")
    if result.status == "conflict":
        return (f"the prover's checked proof and the counterexample {shown} disagree: a bug in symconv, "
                "please report it")
    if result.proof.found_by == "z3":
        return f"counterexample found by z3 beyond the box: {shown}"
    return f"smallest counterexample: {shown}"


def comparison_text(table: Any) -> str:
    """``symconv scheme compare``: cells ``before+after→o`` (``a=`` the output_padding), then each scheme's
    formulas in ``i``."""
    settings = f"k = {table.kernel_size}, s = {table.stride}, d = {table.dilation}" + "".join(
        f", {name} = {value}" for name, value in table.parameters.items())
    name_width = max(len(row.scheme.name) for row in table.rows)

    def cell(c: Any) -> str:
        if c.output_size is None:
            return "-"
        return f"{c.before}+{c.after}→{c.output_size}"

    # Every scheme has an a; only a declared output_padding is worth a column's width.
    grid = [[cell(c) + (f" a={c.output_padding}" if row.scheme.output_padding is not None and c.output_size
                        is not None else "") for c in row.cells] for row in table.rows]
    widths = [max(len(f"i={size}"), *(len(r[n]) for r in grid)) for n, size in enumerate(table.sizes)]
    lines = [f"padding schemes at {settings}; each cell is before+after→o",
             " " * name_width + "  " + "  ".join(f"i={size}".ljust(w) for size, w in zip(table.sizes, widths))]
    for row, cells in zip(table.rows, grid):
        if not row.applicable:
            notes = sorted({c.note for c in row.cells})
            lines.append(f"{row.scheme.name.ljust(name_width)}  n/a: {'; '.join(notes)}")
            continue
        lines.append(f"{row.scheme.name.ljust(name_width)}  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)))
    lines.append(f"formulas at {settings}:")
    for row in table.rows:
        extra = f", a = {_formula(row.output_padding)}" if row.scheme.output_padding is not None else ""
        lines.append(f"  {row.scheme.name.ljust(name_width)}  before = {_formula(row.before)},"
                     f" after = {_formula(row.after)}, o = {_formula(row.output_size)}{extra}")
    noted = [row for row in table.rows if row.scheme.framework]
    if noted:
        lines.append("frameworks:")
        lines += [f"  {row.scheme.name.ljust(name_width)}  {row.scheme.framework}" for row in noted]
    return "\n".join(lines)


def _sizes(size: Any) -> str:
    """One size per axis is written as ``-i`` takes it: 224,160."""
    return ",".join(map(str, size)) if isinstance(size, (list, tuple)) else str(size)


def _axis_facts(entry: Mapping[str, Any]) -> list[str]:
    if entry["receptive_field"] is None:
        reason = entry["reason"]
        field = (f"not fixed: {reason}, effective stride not fixed: {reason}, "
                 f"effective padding not fixed: {reason}")
    else:
        padding = entry["effective_padding"]
        follows = "" if padding is None or isinstance(padding, int) else " (follows the input size)"
        field = (f"{entry['receptive_field']}, effective stride {entry['effective_stride']}, "
                 f"effective padding {'none' if padding is None else _value(padding)}{follows}")
    lines = [f"output size: o = {_formula(entry['output_size'])}", f"receptive field: {field}",
             f"runs for: {entry['valid_input_sizes']}"]
    if "aligned_input_sizes" in entry:
        lines.append(f"skip connections align for: {entry['aligned_input_sizes']}")
    return lines


def stack_text(stack: Any, data: Mapping[str, Any], input_size: Any = None) -> str:
    """``symconv net``: the facts of :func:`symconv.present.data.stack_data`, per axis when the layers are.

    >>> from symconv.layers import parse_stack
    >>> from symconv.present.data import stack_data
    >>> net = parse_stack("conv k=7 s=2 p=3; pool k=3 s=2 p=1")
    >>> print(stack_text(net, stack_data(net, 224), 224))
    output size: o = ⌈i/4⌉
    receptive field: 11, effective stride 4, effective padding 5
    runs for: i ≥ 1
    sizes for i = 224: 112 -> 56
    """
    if "axes" not in data:
        lines = _axis_facts(data)
    else:
        lines = []
        for n, entry in enumerate(data["axes"]):
            lines.append(f"axis {n}: {stack.along(n)}")
            lines += ["  " + line for line in _axis_facts(entry)]
    shown = _sizes(input_size)
    if "sizes" in data:
        lines.append(f"sizes for i = {shown}: {' -> '.join(map(_sizes, data['sizes']))}")
    unread = data.get("unread_units")
    if unread is not None:
        for n, units in enumerate([unread] if "axes" not in data else unread):
            where = "" if "axes" not in data else f" along axis {n}"
            if units:
                shown_units = ", ".join(map(str, units))
                lines.append(f"  output units that read only padding (no input){where}: {shown_units}")
    for entry in data.get("alignment", []):
        a, b = entry["taps"]
        lines.append(f"  {a}={b}: {_sizes(entry['sizes'][0])} vs {_sizes(entry['sizes'][1])}"
                     f" {'(aligned)' if entry['aligned'] else '(MISALIGNED)'}")
    if "next_aligned_input_size" in data:
        found = data["next_aligned_input_size"]
        if isinstance(found, list):
            found = None if None in found else _sizes(found)
        lines.append(f"  the smallest aligned input size from {shown} up is {found}" if found is not None
                     else f"  no input size from {shown} up aligns")
    if "error" in data:
        lines.append(f"fails: {data['error']}")
    if "written" in data:
        lines.append(written_text(data["written"]))
    return "\n".join(lines)


__all__ = ["per_axis", "relationships_text", "relationship_text", "shape_text", "verification_text",
           "transpose_text", "coq_labels", "export_text", "proofs_text", "inputs_text", "paddings_text",
           "output_padding_text", "render_text", "written_text", "schemes_text", "scheme_report_text",
           "comparison_text", "stack_text"]
