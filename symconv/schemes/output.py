"""Plain text and JSON for the command line: a check's report and a comparison table.

Renderers only format: every value shown here was derived, proved or counted elsewhere.

>>> from symconv.schemes import compare, scheme
>>> comparison_data(compare([scheme("causal")], 2, sizes=[3]))["schemes"][0]["cells"]
[{'input_size': 3, 'before': 1, 'after': 0, 'output_size': 3, 'output_padding': 0, 'note': None}]
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from symconv.core.printing import text
from symconv.schemes.check import SchemeReport
from symconv.schemes.compare import Cell, Comparison
from symconv.schemes.domain import box_text, window_fits
from symconv.schemes.model import ClaimResult, Scheme


def _case(case: Optional[Mapping[str, int]], scheme: Scheme) -> Optional[dict[str, int]]:
    if case is None:
        return None
    inputs = {str(v) for v in scheme.variables}
    # Inputs first, then what the oracle and the definitions made of them (o, a, o').
    return {**{k: v for k, v in case.items() if k in inputs}, **{k: v for k, v in case.items() if k not in inputs}}


def _claim_data(result: ClaimResult, scheme: Scheme) -> dict[str, Any]:
    return {"claim": text(result.claim), "status": result.status, "cases": result.cases,
            "counterexample": _case(result.counterexample, scheme), "reason": result.proof.reason or None}


def report_data(report: SchemeReport) -> dict[str, Any]:
    """The report as JSON-ready data (formulas as guide-style text)."""
    sch = report.scheme
    transposed_data = None
    if report.transposed is not None:
        eq = report.transposed.equivalent
        transposed_data = {
            "kernel_size": text(eq.kernel_size), "stride": text(eq.stride), "dilation": text(eq.dilation),
            "zeros_between": text(eq.zeros_between), "padding": [text(eq.padding[0]), text(eq.padding[1])],
            "output_padding": text(report.transposed.output_padding), "output_size": text(eq.output_size),
            "recovers_input": _claim_data(report.transposed.recovers, sch)}
    return {
        "scheme": sch.name, "description": sch.description, "framework": sch.framework, "source": sch.source,
        "parameters": [str(p) for p in sch.parameters], "before": text(sch.before), "after": text(sch.after),
        "ceil_mode": sch.ceil_mode, "where": [text(c) for c in sch.where],
        "domain": text(window_fits(sch.ceil_mode)),
        "output_size": text(report.output_size), "output_size_general": text(report.output_size_general),
        "derivation": [{"statement": text(step.statement), "justification": step.justification}
                       for step in report.steps],
        "padding": {key: _claim_data(result, sch) for key, result in report.padding},
        "claims": [_claim_data(result, sch) for result in report.claims],
        "transposed": transposed_data, "bound": report.bound, "holds": report.holds,
    }


def _standing(result: ClaimResult, scheme: Scheme, bound: int) -> str:
    case = _case(result.counterexample, scheme)
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


def report_text(report: SchemeReport) -> str:
    """The report for a terminal."""
    sch = report.scheme
    lines = [f"{sch.name}: {sch.description}" if sch.description else sch.name, f"  source: {sch.source}"]
    if sch.framework:
        lines.append(f"  frameworks: {sch.framework}")
    lines += [f"  before = {text(sch.before)}", f"  after  = {text(sch.after)}"]
    if sch.output_padding is not None and report.transposed is not None:
        lines.append(f"  output_padding a = {text(report.transposed.output_padding)}")
    if sch.ceil_mode:
        lines.append("  ceil mode: a last, partial window is kept unless it starts in the right padding")
    lines.append(f"  where: {', '.join(text(c) for c in sch.where) or 'always'}, and a window fits:"
                 f" {text(window_fits(sch.ceil_mode))}")
    lines.append(f"  output size: o = {text(report.output_size)}")
    lines += [f"    {text(step.statement)}    [{step.justification}]" for step in report.steps]
    lines.append("  padding never negative: " + ", ".join(f"{key} {result.status}" for key, result in report.padding))
    lines.append("  claims:" if report.claims else "  claims: none")
    for result in report.claims:
        lines.append(f"    {result.status:<17} {text(result.claim)}: {_standing(result, sch, report.bound)}")
    if report.transposed is not None:
        eq, op = report.transposed.equivalent, report.transposed.output_padding
        lines += ["  transposed: the equivalent direct convolution (kernel flipped, stride 1,"
                  f" {text(eq.zeros_between)} zeros between the input units)",
                  f"    pads {text(eq.padding[0])} before and {text(eq.padding[1])} + a after, a = {text(op)}",
                  f"    o' = {text(eq.output_size)} with i' = o; it gives back i: "
                  f"{report.transposed.recovers.status}"]
    return "\n".join(lines)


def comparison_data(table: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready data (formulas as guide-style text, sizes as numbers)."""
    return {
        "kernel_size": table.kernel_size, "stride": table.stride, "dilation": table.dilation,
        "parameters": dict(table.parameters), "sizes": list(table.sizes),
        "schemes": [{
            "scheme": row.scheme.name, "description": row.scheme.description, "framework": row.scheme.framework,
            "before": text(row.before), "after": text(row.after), "output_size": text(row.output_size),
            "output_padding": None if row.output_padding is None else text(row.output_padding),
            "applicable": row.applicable,
            "cells": [{"input_size": c.input_size, "before": c.before, "after": c.after,
                       "output_size": c.output_size, "output_padding": c.output_padding, "note": c.note or None}
                      for c in row.cells]} for row in table.rows],
    }


def comparison_text(table: Comparison) -> str:
    """Cells ``before+after→o`` (``a=`` the output_padding), then each scheme's formulas in ``i``."""
    settings = f"k = {table.kernel_size}, s = {table.stride}, d = {table.dilation}" + "".join(
        f", {name} = {value}" for name, value in table.parameters.items())
    name_width = max(len(row.scheme.name) for row in table.rows)

    def cell(c: Cell) -> str:
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
        extra = f", a = {text(row.output_padding)}" if row.scheme.output_padding is not None else ""
        lines.append(f"  {row.scheme.name.ljust(name_width)}  before = {text(row.before)}, after = {text(row.after)},"
                     f" o = {text(row.output_size)}{extra}")
    noted = [row for row in table.rows if row.scheme.framework]
    if noted:
        lines.append("frameworks:")
        lines += [f"  {row.scheme.name.ljust(name_width)}  {row.scheme.framework}" for row in noted]
    return "\n".join(lines)
