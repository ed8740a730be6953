"""What each command reports: the fields, picked and named; :mod:`symconv.present.serialise` encodes them.

The values are raw: sympy expressions and conditions, ints, fractions, sets of input sizes
(``InputSizes``), booleans, and strings only for words (a name, a reason, a justification), never for a
formula or a number. So the JSON of a formula reads back and a number is a number (docs/json.md has the
schema). A field that names the same thing has the same name in every command: ``name`` is what a
command line selects (a theorem, a scheme), ``number`` a relationship's, ``title`` a heading for a reader.

>>> from symconv.layers import parse_stack
>>> data = stack_data(parse_stack("conv k=7 s=2 p=3; pool k=3 s=2 p=1"), 224)
>>> data["output_size"], data["receptive_field"], data["sizes"]
(ceiling(i/4), 11, [112, 56])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

from symconv.present.serialise import PerAxis

if TYPE_CHECKING:
    from symconv.layers import Stack
    from symconv.schemes import ClaimResult, Comparison, Scheme, SchemeReport

# --- the guide: list, show, verify, prove, solve ---------------------------------------------------


def relationship_data(r: Any, full: bool = True) -> dict[str, Any]:
    """A relationship for ``list`` (``full=False``) and ``show``.

    >>> from symconv.guide.catalogue import relationship
    >>> sorted(relationship_data(relationship(1), full=False))
    ['equation', 'kind', 'number', 'section', 'title']
    """
    data: dict[str, Any] = {"number": r.number, "title": r.title, "section": r.section, "kind": r.kind,
                            "equation": r.equation}
    if full:
        data.update(figure=r.figure, conditions=list(r.conditions), domain=r.domain, example=dict(r.example),
                    equivalent=r.equivalent)
    return data


def _counterexample(found: Any) -> Optional[dict[str, Any]]:
    if found is None:
        return None
    return {"values": dict(found.values), "quantity": found.quantity, "oracle": found.expected,
            "formula": found.got}


def verification_data(box: Any, report: Any) -> dict[str, Any]:
    """``verify``: the box, each relationship's check, the 2-D sample and the totals."""
    checks = [{"number": c.number, "title": c.name, "cases": c.cases, "failures": c.failures,
               "counterexample": _counterexample(c.counterexample)} for c in report.checks]
    return {"box": {"input_size": box.input_size, "kernel_size": box.kernel_size, "stride": box.stride,
                    "dilation": box.dilation},
            "relationships": [c for c in checks if c["number"] is not None],
            "kronecker": next((c for c in checks if c["number"] is None), None),
            "cases": report.cases, "failures": report.failures}


def proof_data(proof: Any) -> dict[str, Any]:
    """One theorem's proof for ``prove``: its statement, status, evidence and checked steps."""
    smt = proof.smt
    return {"name": proof.name, "title": proof.theorem.title, "status": proof.status,
            "statement": proof.theorem.statement, "hypotheses": list(proof.theorem.hypotheses),
            "checked": proof.checked, "vacuous": proof.vacuous,
            "smt": None if smt is None else {"backend": smt.backend, "verdict": smt.verdict,
                                             "seconds": round(smt.seconds, 3)},
            "reason": proof.reason or None, "cases": proof.cases,
            "counterexample": None if not proof.counterexample else dict(proof.counterexample),
            "found_by": proof.found_by or None, "steps": len(proof.steps),
            "derivation": [{"statement": step.statement, "justification": step.justification} for step in proof.steps]}


def paddings_data(found: Any, input_size: int) -> dict[str, Any]:
    """``solve padding``: the totals that reach the target output size, and how to split them."""
    return {"input_size": input_size, "output_size": found.output_size, "total_min": found.total_min,
            "total_max": found.total_max, "symmetric": list(found.symmetric), "smallest": found.smallest,
            "exists": found.exists, "reason": found.reason}


def output_padding_data(answer: Any) -> dict[str, Any]:
    """``solve output-padding``: the output_padding a that gives the input size back."""
    return {"input_size": answer.input_size, "transposed_input_size": answer.transposed_input_size,
            "output_padding": answer.output_padding, "allowed": answer.allowed}


# --- padding schemes: scheme list, scheme check, scheme compare --------------------------------------


def schemes_data(schemes: Sequence[Scheme]) -> dict[str, Any]:
    """``scheme list``: each scheme's name, description and the frameworks that use it.

    >>> from symconv.schemes import scheme
    >>> schemes_data([scheme("valid")])["schemes"][0]["name"]
    'valid'
    """
    return {"schemes": [{"name": s.name, "description": s.description, "framework": s.framework} for s in schemes]}


def scheme_case(case: Optional[Mapping[str, int]], scheme: Scheme) -> Optional[dict[str, int]]:
    """A counterexample with the scheme's inputs first, then what the oracle and the definitions made of
    them (``o``, ``a``, ``o'``).

    >>> from symconv.schemes import scheme
    >>> scheme_case({"o": 2, "k": 3, "i": 4, "s": 1, "d": 1}, scheme("valid"))
    {'k': 3, 'i': 4, 's': 1, 'd': 1, 'o': 2}
    """
    if case is None:
        return None
    inputs = {str(v) for v in scheme.variables}
    return {**{k: v for k, v in case.items() if k in inputs}, **{k: v for k, v in case.items() if k not in inputs}}


def _claim(result: ClaimResult) -> Any:
    """The claim as a condition. ``transposable`` names the recovery theorem: a program gets what it states."""
    import sympy

    claim = result.claim
    negated = isinstance(claim, sympy.Not)
    if isinstance(claim.args[0] if negated else claim, sympy.Symbol):
        statement = result.proof.theorem.statement
        return sympy.Not(statement) if negated else statement
    return claim


def _claim_data(result: ClaimResult, scheme: Scheme) -> dict[str, Any]:
    return {"name": result.proof.name, "claim": _claim(result), "status": result.status, "cases": result.cases,
            "counterexample": scheme_case(result.counterexample, scheme), "reason": result.proof.reason or None}


def scheme_report_data(report: SchemeReport, export: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """``scheme check``: the scheme, its output size with the derivation, every claim's standing and the
    transpose; with ``export`` (``--export coq``) the export and each proved claim's Coq label.

    >>> from symconv.schemes import check_scheme, scheme
    >>> data = scheme_report_data(check_scheme(scheme("causal"), bound=4))
    >>> data["name"], data["output_size"], data["transposed"]["stride"], data["claims"][0]["claim"]
    ('causal', ceiling(i/s), 1, Eq(o, ceiling(i/s)))
    """
    from dataclasses import fields

    from symconv.schemes.domain import window_fits

    sch = report.scheme
    transposed: Optional[dict[str, Any]] = None
    if report.transposed is not None:
        eq = report.transposed.equivalent
        # The shape of every equivalent convolution (show, transpose), with a in its simplest form.
        transposed = {f.name: getattr(eq, f.name) for f in fields(eq)}
        transposed.update(a=report.transposed.output_padding,
                          recovers_input=_claim_data(report.transposed.recovers, sch))
    data: dict[str, Any] = {
        "name": sch.name, "description": sch.description, "framework": sch.framework, "source": sch.source,
        "parameters": [str(p) for p in sch.parameters], "before": sch.before, "after": sch.after,
        "ceil_mode": sch.ceil_mode, "where": list(sch.where), "domain": window_fits(sch.ceil_mode),
        "output_size": report.output_size, "output_size_general": report.output_size_general,
        "derivation": [{"statement": step.statement, "justification": step.justification} for step in report.steps],
        "padding": {key: _claim_data(result, sch) for key, result in report.padding},
        "claims": [_claim_data(result, sch) for result in report.claims],
        "transposed": transposed, "bound": report.bound, "holds": report.holds,
    }
    if export:
        from symconv.present.text import coq_labels

        labels = coq_labels(export)
        data["coq"] = export
        for result, entry in zip(report.claims, data["claims"]):
            entry["coq"] = labels.get(result.proof.name) if result.status == "proved" else None
    return data


def comparison_data(table: Comparison) -> dict[str, Any]:
    """``scheme compare``: the settings, and per scheme its formulas in ``i`` and one cell per input size.

    >>> from symconv.schemes import compare, scheme
    >>> comparison_data(compare([scheme("causal")], 2, sizes=[3]))["schemes"][0]["cells"]
    [{'input_size': 3, 'before': 1, 'after': 0, 'output_size': 3, 'output_padding': 0, 'note': None}]
    """
    return {
        "kernel_size": table.kernel_size, "stride": table.stride, "dilation": table.dilation,
        "parameters": dict(table.parameters), "input_sizes": list(table.sizes),
        "schemes": [{
            "name": row.scheme.name, "description": row.scheme.description, "framework": row.scheme.framework,
            "before": row.before, "after": row.after, "output_size": row.output_size,
            "output_padding": row.output_padding, "applicable": row.applicable,
            "cells": [{"input_size": c.input_size, "before": c.before, "after": c.after,
                       "output_size": c.output_size, "output_padding": c.output_padding, "note": c.note or None}
                      for c in row.cells]} for row in table.rows],
    }


# --- stacks: net ---------------------------------------------------------------------------------


def _one_axis(stack: Stack) -> dict[str, Any]:
    from symconv.core.errors import ParameterError
    from symconv.layers import aligned_inputs, receptive_field, size_expressions, valid_input_sizes

    entry: dict[str, Any] = {"output_size": size_expressions(stack)[-1]}
    try:
        found = receptive_field(stack)
        entry.update(receptive_field=found.size, effective_stride=found.stride, effective_padding=found.padding,
                     reason=None)
    except ParameterError as error:  # a padding scheme that follows the input size
        entry.update(receptive_field=None, effective_stride=None, effective_padding=None, reason=str(error))
    entry["valid_input_sizes"] = valid_input_sizes(stack).answer
    if stack.pairs:
        entry["aligned_input_sizes"] = aligned_inputs(stack).answer
    return entry


def _unread(stack: Stack, axes: list, input_size: Union[int, Sequence[int]]) -> Any:
    """The output units that read only padding at ``input_size`` (per axis for a per-axis stack or size),
    None where the regions are beyond their budget."""
    from symconv.core.errors import SymconvError
    from symconv.layers.receptive import input_regions

    def one(axis_stack: Stack, size: int) -> Optional[list[int]]:
        try:
            return list(input_regions(axis_stack, size).unread)
        except SymconvError:  # a table longer than the regions' budget
            return None

    if isinstance(input_size, int) and stack.axes is None:
        return one(stack, input_size)
    sizes_ = [input_size] * len(axes) if isinstance(input_size, int) else list(input_size)
    return PerAxis([one(axes[0 if len(axes) == 1 else n], size) for n, size in enumerate(sizes_)])


def stack_data(stack: Stack, input_size: Union[int, Sequence[int], None] = None) -> dict[str, Any]:
    """``net``: the output size in ``i``, the receptive field, the input sizes that run and align, and with
    an input size every layer's size and each skip connection's.

    A stack with per-axis layers gives these per axis, under ``"axes"``; the sizes are one list per layer.

    >>> from symconv.layers import parse_stack
    >>> data = stack_data(parse_stack("conv k=3,1 @a; pool k=2; upsample f=2 @b | a=b"), (10, 9))
    >>> [axis["output_size"] for axis in data["axes"]], data["sizes"], data["alignment"][0]["aligned"]
    ([2*floor(i/2) - 2, 2*floor(i/2)], [[8, 9], [4, 4], [8, 8]], False)
    >>> data["next_aligned_input_size"]
    [10, 10]
    """
    from symconv.core.errors import ParameterError
    from symconv.layers import sizes
    from symconv.layers.layer import as_stack
    from symconv.layers.sizes import as_input, per_axis

    stack = as_stack(stack)
    if input_size is not None:
        # A bad size is the caller's error, not a finding about the stack.
        input_size = per_axis(stack, as_input(input_size))
    axes = [stack] if stack.axes is None else [stack.along(n) for n in range(stack.axes)]
    entries = [_one_axis(one) for one in axes]
    result: dict[str, Any] = entries[0] if stack.axes is None else {"axes": PerAxis(entries)}
    if input_size is None:
        return result
    try:
        per_layer = sizes(stack, input_size)
    except ParameterError as error:
        result["error"] = str(error)
        return result
    result["sizes"] = [list(s) if isinstance(s, tuple) else s for s in per_layer]
    result["unread_units"] = _unread(stack, axes, input_size)
    if stack.pairs:
        taps = [(a, b, per_layer[stack.tap_index(a)], per_layer[stack.tap_index(b)]) for a, b in stack.pairs]
        result["alignment"] = [{"taps": [a, b], "sizes": [list(x) if isinstance(x, tuple) else x
                                                          for x in (size_a, size_b)], "aligned": size_a == size_b}
                               for a, b, size_a, size_b in taps]
        if not all(entry["aligned"] for entry in result["alignment"]):
            if isinstance(input_size, int):
                result["next_aligned_input_size"] = entries[0]["aligned_input_sizes"].smallest_at_least(input_size)
            else:  # one size per axis: each axis decided by its own layers
                result["next_aligned_input_size"] = [
                    entries[0 if stack.axes is None else n]["aligned_input_sizes"].smallest_at_least(size)
                    for n, size in enumerate(input_size)]
    return result


__all__ = ["relationship_data", "verification_data", "proof_data", "paddings_data", "output_padding_data",
           "schemes_data", "scheme_case", "scheme_report_data", "comparison_data", "stack_data"]
