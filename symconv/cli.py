"""The ``symconv`` command: argument parsing only, no arithmetic of its own.

Every command takes ``--json``. Errors are one line on stderr: exit 2 for bad
input, 1 when a check fails, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Optional, Sequence, Union

from symconv.core.errors import ParameterError, SymconvError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


def _int(name: str, text: Optional[str]) -> int:
    if text is None:
        raise ParameterError(name, None, f"{name} is required here (--{name.replace('_', '-')})")
    try:
        return int(text)
    except ValueError:
        raise ParameterError(name, text, f"{name} must be an integer") from None


def _padding(text: str) -> Any:
    """``P`` or ``BEFORE,AFTER``."""
    parts = text.split(",")
    if len(parts) == 1:
        return _int("padding", text)
    if len(parts) == 2:
        return (_int("padding", parts[0]), _int("padding", parts[1]))
    raise ParameterError("padding", text, "padding must be an integer P or a pair BEFORE,AFTER")


def _emit(args: argparse.Namespace, data: dict, text: Union[str, Callable[[], str]]) -> None:
    """The JSON, or the text (built only when it is shown: a callable defers the work)."""
    if args.json:
        print(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        print(text if isinstance(text, str) else text())


# --- commands -----------------------------------------------------------------

def _cmd_list(args: argparse.Namespace) -> int:
    from symconv.guide.catalogue import relationships
    from symconv.core.printing import text

    rels = relationships().values()
    data = {"relationships": [
        {"number": r.number, "title": r.title, "section": r.section, "kind": r.kind,
         "equation": text(r.equation)} for r in rels]}
    lines = [f"{r.number:>2}  {r.title:<58} {text(r.equation)}" for r in rels]
    _emit(args, data, "\n".join(lines))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from symconv.guide.catalogue import relationship
    from symconv.core.printing import text

    r = relationship(_int("number", args.number))
    data: dict[str, Any] = {
        "number": r.number, "title": r.title, "section": r.section, "kind": r.kind,
        "equation": text(r.equation), "conditions": [text(c) for c in r.conditions],
        "domain": text(r.domain), "example": dict(r.example), "figure": r.figure,
    }
    lines = [f"Relationship {r.number}: {r.title} (guide §{r.section}, Figure {r.figure})",
             f"  {text(r.equation)}",
             f"  when: {', '.join(text(c) for c in r.conditions) or 'always'}",
             f"  valid where a kernel position fits: {text(r.domain)}"]
    if r.equivalent is not None:
        eq = r.equivalent
        data["equivalent"] = {"k'": text(eq.kernel_size), "s'": text(eq.stride), "p'": text(eq.p_prime),
                              "ĩ'": text(eq.stretched_input), "a": text(eq.a)}
        lines += ["  equivalent direct convolution (kernel flipped):",
                  f"    k' = {text(eq.kernel_size)}, s' = {text(eq.stride)}, p' = {text(eq.p_prime)}"
                  f" before and p' + a after, a = {text(eq.a)}",
                  f"    on the stretched input ĩ' = {text(eq.stretched_input)}"
                  " (s - 1 zeros between the units of i')"]
    lines.append("  example: " + ", ".join(f"{key}={value}" for key, value in r.example.items()))
    _emit(args, data, "\n".join(lines))
    return 0


def _cmd_shape(args: argparse.Namespace) -> int:
    from symconv.guide import shapes

    params: dict[str, Any] = dict(
        input_size=_int("input_size", args.input_size),
        kernel_size=_int("kernel_size", args.kernel_size),
        padding=_padding(args.padding),
        dilation=_int("dilation", args.dilation),
    )
    stride = None if args.stride is None else _int("stride", args.stride)
    if args.operation == "pool":
        size = shapes.pool_output_size(stride=stride, ceil_mode=args.ceil_mode, **params)
    elif args.ceil_mode:
        raise ParameterError("ceil_mode", True, "ceil_mode applies to pool only")
    elif args.operation == "conv":
        size = shapes.conv_output_size(stride=1 if stride is None else stride, **params)
    else:
        params["output_padding"] = _int("output_padding", args.output_padding)
        size = shapes.transposed_output_size(stride=1 if stride is None else stride, **params)
    shown = ", ".join(f"{key}={value}" for key, value in {**params, "stride": stride}.items()
                      if value is not None)
    _emit(args, {"output_size": size}, f"{args.operation}({shown}) -> output_size = {size}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from symconv.guide.verification import Box, verify

    from symconv.core.validation import positive

    box = Box(input_size=positive("bound", _int("bound", args.bound)),
              kernel_size=positive("max_kernel_size", _int("max_kernel_size", args.max_kernel_size)),
              stride=positive("max_stride", _int("max_stride", args.max_stride)),
              dilation=positive("max_dilation", _int("max_dilation", args.max_dilation)))
    report = verify(box)
    data = {
        "box": {"input_size": box.input_size, "kernel_size": box.kernel_size,
                "stride": box.stride, "dilation": box.dilation},
        "relationships": [
            {"number": c.number, "name": c.name, "cases": c.cases, "failures": c.failures,
             "counterexample": None if c.counterexample is None else {
                 "values": dict(c.counterexample.values), "quantity": c.counterexample.quantity,
                 "oracle": c.counterexample.expected, "formula": c.counterexample.got}}
            for c in report.checks if c.number is not None],
        "kronecker": next(({"cases": c.cases, "failures": c.failures}
                           for c in report.checks if c.number is None), None),
        "cases": report.cases,
        "failures": report.failures,
    }
    lines = [f"Checked against the brute-force oracle on i <= {box.input_size}, k <= {box.kernel_size}, "
             f"s <= {box.stride}, 0 <= p <= k, d <= {box.dilation}:"]
    for c in report.checks:
        label = f"Relationship {c.number:>2}" if c.number is not None else "2-D sample     "
        status = "ok" if not c.failures else f"{c.failures} FAILED, smallest: {c.counterexample}"
        lines.append(f"  {label}  {c.cases:>6} cases  {status}   {c.name}")
    lines.append(f"{report.cases} cases, {report.failures} failures")
    _emit(args, data, "\n".join(lines))
    return 1 if report.failures else 0


def _value(value: Any) -> Any:
    """An int stays an int; an expression becomes guide-style text."""
    from symconv.core.printing import text

    return value if isinstance(value, int) else text(value)


def _conv_args(args: argparse.Namespace) -> dict[str, Any]:
    return dict(kernel_size=_int("kernel_size", args.kernel_size), stride=_int("stride", args.stride),
                padding=_padding(args.padding), dilation=_int("dilation", args.dilation))


def _cmd_transpose(args: argparse.Namespace) -> int:
    from symconv.guide.queries import transpose

    size = None if args.input_size is None else _int("input_size", args.input_size)
    eq = transpose(input_size=size, **_conv_args(args))
    data = {"kernel_size": eq.kernel_size, "stride": eq.stride, "dilation": eq.dilation,
            "zeros_between": eq.zeros_between, "padding": [_value(v) for v in eq.padding],
            "a": _value(eq.a), "input_size": _value(eq.input_size), "output_size": _value(eq.output_size)}
    before, after = (_value(v) for v in eq.padding)
    crop = [f"crops {-v} {side}" for v, side in ((eq.padding[0], "before"), (eq.padding[1] + eq.a, "after"))
            if isinstance(v, int) and v < 0]  # the end pads padding[1] + a in all
    lines = [
        "The transposed convolution equals this direct convolution (kernel flipped):",
        f"  kernel_size k' = {eq.kernel_size}, stride s' = {eq.stride}, dilation d' = {eq.dilation}",
        f"  {_value(eq.zeros_between)} zeros between the input units (the stretched input ĩ' = {_value(eq.stretched_input)})",
        f"  padding {before} before, {after} + a after" + (f" ({', '.join(crop)}: negative padding crops)" if crop else ""),
        f"  a = {_value(eq.a)}   (the output_padding that recovers the input size)",
        f"  input i' = {_value(eq.input_size)}, output o' = {_value(eq.output_size)}",
    ]
    _emit(args, data, "\n".join(lines))
    return 0


def _export(args: argparse.Namespace, proofs: list) -> tuple[dict, list[str], dict[str, str]]:
    """``--export coq DIR``: write the proved theorems' Coq files, and compile them when ``coqc`` is installed.

    Returns the JSON part, the text lines, and a label per theorem Coq checked ("checked by Coq 8.16.1").
    """
    if args.export is None:
        return {}, [], {}
    from pathlib import Path

    from symconv.proof.coq import coqc, export_proofs, project_file
    from symconv.present.render import prepare_output, write_files

    kind, directory = args.export
    if kind != "coq":
        raise ParameterError("export", kind, "the only export format is coq (--export coq DIR)")
    prepare_output(Path(directory))
    refused: dict[str, str] = {}
    exported = export_proofs(proofs, refused)
    files = {f"{f.stem}.v": f.text for f in exported}
    files["_CoqProject"] = project_file(f.stem for f in exported)
    write_files(files, Path(directory))
    version = coqc.version()
    verdicts = coqc.check({f.stem: f.text for f in exported}) if version is not None and exported else {}
    entries, lines, labels = [], [], {}
    for f in exported:
        path = str(Path(directory) / f"{f.stem}.v")
        verdict = verdicts.get(f.stem)
        entries.append({"name": f.theorem, "file": path, "checked": None if verdict is None else verdict.accepted,
                        "error": verdict.error if verdict is not None and not verdict.accepted else None,
                        "follows_certificate": f.follows_certificate})
        if verdict is None:
            lines.append(f"  {f.theorem}: exported to {path}")
        elif verdict.accepted:
            labels[f.theorem] = f"checked by Coq {version}"
            lines.append(f"  {f.theorem}: {labels[f.theorem]} ({path})")
        else:
            lines.append(f"  {f.theorem}: REJECTED by Coq {version} ({path}): {verdict.error}"
                         " - a bug in symconv's exporter, please report it")
    done = {f.theorem for f in exported}
    skipped = [{"name": p.name, "status": p.status,
                "reason": refused.get(p.name, f"it is {p.status}, not proved")} for p in proofs if p.name not in done]
    lines += [f"  {entry['name']}: not exported to Coq: {entry['reason']}" for entry in skipped]
    head = f"Coq: {len(exported)} file{'s' * (len(exported) != 1)} in {directory}/"
    head += (f", compiled with coqc {version}" if version is not None else
             " (coqc is not installed, so Coq has not checked them; install Coq and run coqc on each file)")
    data = {"directory": directory, "coq_version": version, "files": entries, "not_exported": skipped}
    return data, [head] + lines, labels


def _rejected(data: dict) -> bool:
    return any(entry["checked"] is False for entry in data.get("files", []))


def _cmd_prove(args: argparse.Namespace) -> int:
    from symconv.core.printing import text
    from symconv.guide.theorems import prove_all

    proofs = prove_all(args.names or None)
    exported, export_lines, coq = _export(args, proofs)
    counts = {status: sum(p.status == status for p in proofs) for status in ("proved", "unproved", "disproved", "conflict")}
    data = {"proofs": [{"name": p.name, "title": p.theorem.title, "status": p.status, "checked": p.checked,
                        "smt": None if p.smt is None else {"backend": p.smt.backend, "verdict": p.smt.verdict,
                                                           "seconds": round(p.smt.seconds, 3)},
                        "vacuous": p.vacuous, "reason": p.reason, "steps": len(p.steps),
                        "cases": p.cases, "counterexample": p.counterexample,
                        **({"coq": coq.get(p.name)} if exported else {})} for p in proofs],
            **{status: count for status, count in counts.items() if status != "proved"},
            **({"coq": exported} if exported else {})}

    def shown() -> str:
        lines = []
        for proof in proofs:
            evidence = ["certificate re-checked" if proof.checked else "no checked certificate"]
            if proof.smt is not None:
                evidence.append(f"{proof.smt.backend}: {proof.smt.verdict}")
            evidence.append(f"{proof.cases} cases against the oracle")
            evidence += [coq[proof.name]] if proof.name in coq else []
            lines.append(f"{proof.name}: {proof.status} ({', '.join(evidence)}) - {proof.theorem.title}")
            lines.extend(f"    {text(step.statement)}    [{step.justification}]" for step in proof.steps)
            if proof.reason and proof.status != "proved":
                lines.append(f"    {proof.reason}")
            if proof.counterexample:
                lines.append(f"    {proof.counterexample_text}")
        lines.append(f"{len(proofs)} theorem{'s' * (len(proofs) != 1)}: " + ", ".join(
            f"{count} {status}" for status, count in counts.items() if count or status != "conflict"))
        return "\n".join(lines + export_lines)

    _emit(args, data, shown)
    if counts["conflict"] or _rejected(exported):
        return 3  # a checked proof with a counterexample, or one Coq rejects, is a bug in symconv
    return 1 if counts["disproved"] or counts["unproved"] else 0


def _cmd_solve(args: argparse.Namespace) -> int:
    from symconv.guide import queries

    if args.question == "inputs":
        if args.output_size is None:
            raise ParameterError("output_size", None, "solve inputs needs -o/--output-size")
        sizes = queries.input_sizes(_int("output_size", args.output_size), **_conv_args(args))
        data = {"input_sizes": list(sizes)}
        text = (f"input sizes giving output_size {args.output_size}: {', '.join(map(str, sizes))}"
                if sizes else f"no input size gives output_size {args.output_size}")
    elif args.question == "padding":
        target: Any = "same" if args.same else "ceil" if args.ceil else (
            None if args.output_size is None else _int("output_size", args.output_size))
        if target is None:
            raise ParameterError("output_size", None, "solve padding needs -o/--output-size, --same or --ceil")
        conv = _conv_args(args)
        found = queries.paddings(_int("input_size", args.input_size), conv["kernel_size"], conv["stride"],
                                 conv["dilation"], output_size=target)
        data = {"output_size": found.output_size, "total_min": found.total_min, "total_max": found.total_max,
                "symmetric": list(found.symmetric), "smallest": None if found.smallest is None else list(found.smallest),
                "exists": found.exists, "reason": found.reason}
        text = (f"output_size {found.output_size}: {found.reason}" + (
            f"; symmetric p in {list(found.symmetric)}" if found.symmetric else "") + (
            f"; smallest (before, after) = {found.smallest}" if found.smallest else ""))
    else:
        conv = _conv_args(args)
        answer = queries.output_padding(_int("input_size", args.input_size), **conv)
        data = {"output_padding": answer.output_padding, "transposed_input_size": answer.transposed_input_size,
                "input_size": answer.input_size, "allowed": answer.allowed}
        text = (f"i = {answer.input_size} -> i' = {answer.transposed_input_size}; "
                f"output_padding = {answer.output_padding} gives back {answer.input_size} ({answer.allowed})")
    _emit(args, data, text)
    return 0 if data.get("exists", True) is not False else 1


def _cmd_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from symconv.present.document import build_document
    from symconv.present.render import planned_files, prepare_output, write_files

    formats = ["latex", "markdown", "coq"] if args.format == "all" else [args.format]
    template_dir = None if args.template_dir is None else Path(args.template_dir)
    prepare_output(Path(args.output))
    document = build_document()
    written = write_files(planned_files(document, formats, template_dir), Path(args.output))
    data = {"output": args.output, "written": [str(path) for path in written],
            "cases": document.cases, "failures": document.failures}
    _emit(args, data, f"wrote {len(written)} files to {args.output}/ "
                      f"({document.cases} cases verified, {document.failures} failures)")
    return 1 if document.failures else 0


def _cmd_scheme_list(args: argparse.Namespace) -> int:
    from symconv.schemes import builtin_schemes

    known = builtin_schemes().values()
    data = {"schemes": [{"name": s.name, "description": s.description, "framework": s.framework} for s in known]}
    width = max(len(s.name) for s in known)
    _emit(args, data, "\n".join(f"{s.name:<{width}}  {s.description}" for s in known))
    return 0


def _cmd_scheme_check(args: argparse.Namespace) -> int:
    from symconv.schemes import check_scheme, report_data, report_text, resolve

    report = check_scheme(resolve(args.scheme), bound=_int("bound", args.bound))
    results = [result for _, result in report.padding] + list(report.claims)
    results += [report.transposed.recovers] if report.transposed is not None else []
    exported, export_lines, coq = _export(args, list({r.proof.name: r.proof for r in results}.values()))
    data = report_data(report)
    if exported:
        data["coq"] = exported
        for result, entry in zip(report.claims, data["claims"]):
            entry["coq"] = coq.get(result.proof.name) if result.status == "proved" else None
    _emit(args, data, "\n".join([report_text(report)] + export_lines))
    if any(claim.status == "conflict" for claim in report.claims) or _rejected(exported):
        return 3  # a checked proof with a counterexample, or one Coq rejects, is a bug in symconv
    return 0 if report.holds else 1


MAX_SIZES = 200  # columns in a comparison table


def _sizes(text: str) -> list[int]:
    """``A..B`` or ``A,B,C``."""
    if ".." in text:
        low, _, high = text.partition("..")
        low_, high_ = _int("input_sizes", low), _int("input_sizes", high)
        if high_ - low_ + 1 > MAX_SIZES:
            raise ParameterError("input_sizes", text, f"compare at most {MAX_SIZES} input sizes")
        return list(range(low_, high_ + 1))
    parts = text.split(",")
    if len(parts) > MAX_SIZES:
        raise ParameterError("input_sizes", text[:40], f"compare at most {MAX_SIZES} input sizes")
    return [_int("input_sizes", part) for part in parts]


def _cmd_scheme_compare(args: argparse.Namespace) -> int:
    from symconv.schemes import builtin_schemes, compare, comparison_data, comparison_text, resolve

    parameters = {}
    for item in args.param:
        name, equals, value = item.partition("=")
        if not equals:
            raise ParameterError("param", item, "a parameter is NAME=VALUE, as in --param p=1")
        parameters[name] = _int(name, value)
    table = compare([resolve(name) for name in args.names or builtin_schemes()],
                    _int("kernel_size", args.kernel_size), _int("stride", args.stride),
                    _int("dilation", args.dilation), _sizes(args.input_sizes), parameters)
    _emit(args, comparison_data(table), comparison_text(table))
    return 0


def _cmd_scheme_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from symconv.present.render import file_stem, prepare_output, render_scheme_latex, render_scheme_markdown, write_files
    from symconv.schemes import check_scheme, resolve

    prepare_output(Path(args.output))
    report = check_scheme(resolve(args.scheme))
    stem = f"scheme-{file_stem(report.scheme.name)}"
    files = {}
    if args.format in ("markdown", "all"):
        files[f"{stem}.md"] = render_scheme_markdown(report)
    if args.format in ("latex", "all"):
        files[f"{stem}.tex"] = render_scheme_latex(report)
    written = [str(path) for path in write_files(files, Path(args.output))]
    _emit(args, {"scheme": report.scheme.name, "written": written}, f"wrote {', '.join(written)}")
    return 0 if report.holds else 1


def _cmd_net(args: argparse.Namespace) -> int:
    from symconv import layers as stack

    net = stack.parse_stack(args.spec)
    size: Any = None
    if args.input_size is not None:
        parts = args.input_size.split(",")
        size = _int("input_size", parts[0]) if len(parts) == 1 else tuple(_int("input_size", v) for v in parts)
    data = stack.summary(net, size)
    lines = [f"output size: o = {data['output_size']}",
             f"receptive field: {data['receptive_field']}, effective stride {data['effective_stride']}, "
             f"effective padding {data['effective_padding']}",
             f"runs for: {data['valid_input_sizes']}"]
    if "aligned_input_sizes" in data:
        lines.append(f"skip connections align for: {data['aligned_input_sizes']}")
    if "sizes" in data:
        lines.append(f"sizes for i = {args.input_size}: {' -> '.join(map(str, data['sizes']))}")
    for entry in data.get("alignment", []):
        lines.append(f"  {entry['pair']}: {entry['sizes'][0]} vs {entry['sizes'][1]}"
                     f" {'(aligned)' if entry['aligned'] else '(MISALIGNED)'}")
    if "next_aligned_input_size" in data:
        lines.append(f"  the smallest aligned input size from {args.input_size} up is {data['next_aligned_input_size']}")
    if "error" in data:
        lines.append(f"fails: {data['error']}")
    if args.render is not None:
        from pathlib import Path

        from symconv.present.document import build_stack_document
        from symconv.present.render import render_stack_latex, render_stack_markdown, write_files

        document = build_stack_document(net)
        files = {}
        if args.format in ("markdown", "all"):
            files["stack.md"] = render_stack_markdown(document)
        if args.format in ("latex", "all"):
            files["stack.tex"] = render_stack_latex(document)
        data["written"] = [str(path) for path in write_files(files, Path(args.render))]
        lines.append(f"wrote {', '.join(data['written'])}")
    _emit(args, data, "\n".join(lines))
    failed = "error" in data or not all(entry["aligned"] for entry in data.get("alignment", []))
    return 1 if failed else 0


# --- the parser -----------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symconv", description="Convolution arithmetic, derived, proved and verified.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str,
                within: Optional[Any] = None) -> argparse.ArgumentParser:
        p = (within or sub).add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(run=run)
        return p

    command("list", _cmd_list, "list the guide's relationships")

    show = command("show", _cmd_show, "show one relationship, its conditions and equivalent convolution")
    show.add_argument("number", help="relationship number, 1 to 15")

    shape = command("shape", _cmd_shape, "output size of one layer")
    shape.add_argument("operation", choices=["conv", "pool", "transposed"])
    shape.add_argument("-i", "--input-size", required=True)
    shape.add_argument("-k", "--kernel-size", required=True)
    shape.add_argument("-s", "--stride", default=None, help="default 1 (pool: kernel size)")
    shape.add_argument("-p", "--padding", default="0", help="P or BEFORE,AFTER")
    shape.add_argument("-d", "--dilation", default="1")
    shape.add_argument("--output-padding", default="0")
    shape.add_argument("--ceil-mode", action="store_true")

    def conv_options(p: argparse.ArgumentParser, kernel_required: bool = True) -> None:
        p.add_argument("-k", "--kernel-size", required=kernel_required)
        p.add_argument("-s", "--stride", default="1")
        p.add_argument("-p", "--padding", default="0", help="P or BEFORE,AFTER")
        p.add_argument("-d", "--dilation", default="1")

    transpose = command("transpose", _cmd_transpose,
                        "the direct convolution equivalent to a convolution's transpose")
    conv_options(transpose)
    transpose.add_argument("-i", "--input-size", default=None, help="the direct convolution's input size (fixes a)")

    def export_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--export", nargs=2, metavar=("coq", "DIR"), default=None,
                       help="write each proved theorem as a Coq file to DIR, and compile it if coqc is installed")

    prove = command("prove", _cmd_prove, "prove the theorems for all integers (and check them against the oracle)")
    prove.add_argument("names", nargs="*", help="theorem names (default: all)")
    export_option(prove)

    solve = command("solve", _cmd_solve, "inverse queries: input sizes, paddings, output_padding")
    solve.add_argument("question", choices=["inputs", "padding", "output-padding"])
    conv_options(solve)
    solve.add_argument("-i", "--input-size", default=None)
    solve.add_argument("-o", "--output-size", default=None)
    solve.add_argument("--same", action="store_true", help="padding: o = i")
    solve.add_argument("--ceil", action="store_true", help="padding: o = ceil(i / s), like SAME")

    net = command("net", _cmd_net, "a stack of layers: symbolic size, receptive field, input sizes that align")
    net.add_argument("spec", help='e.g. "conv k=3 p=1 @e1; pool k=2; tconv k=2 s=2 @d1 | e1=d1"')
    net.add_argument("-i", "--input-size", default=None, help="I, or H,W: every layer's size")
    net.add_argument("--render", metavar="DIR", default=None, help="write the stack's derivation document to DIR")
    net.add_argument("--format", choices=["latex", "markdown", "all"], default="markdown")

    render = command("render", _cmd_render,
                     "write the derivation documents: LaTeX, Markdown, SVG figures, and the proofs in Coq")
    render.add_argument("--format", choices=["latex", "markdown", "coq", "all"], default="all")
    render.add_argument("--output", default="derivations", help="directory (default: derivations)")
    render.add_argument("--template-dir", default=None, help="your templates, searched before symconv's")

    scheme = sub.add_parser("scheme", help="padding schemes: list, check, compare, render",
                            description="padding schemes: list, check, compare, render")
    scheme_actions = scheme.add_subparsers(dest="action", required=True, parser_class=_Parser)
    command("list", _cmd_scheme_list, "list the built-in padding schemes", within=scheme_actions)
    check = command("check", _cmd_scheme_check, "derive a scheme's output size and prove or check its claims",
                    within=scheme_actions)
    check.add_argument("scheme", metavar="NAME|FILE", help="a built-in scheme or a TOML file")
    check.add_argument("--bound", default="16", help="largest input size i enumerated where no proof closes (default 16)")
    export_option(check)
    scheme_render = command("render", _cmd_scheme_render, "write one scheme's derivation and proofs (LaTeX, Markdown)",
                            within=scheme_actions)
    scheme_render.add_argument("scheme", metavar="NAME|FILE", help="a built-in scheme or a TOML file")
    scheme_render.add_argument("--format", choices=["latex", "markdown", "all"], default="markdown")
    scheme_render.add_argument("--output", default=".", help="directory (default: the current one)")
    compare = command("compare", _cmd_scheme_compare, "schemes side by side: paddings, output sizes, worked sizes",
                      within=scheme_actions)
    compare.add_argument("names", nargs="*", metavar="NAME|FILE", help="schemes (default: the built-ins)")
    compare.add_argument("-k", "--kernel-size", default="4")
    compare.add_argument("-s", "--stride", default="1")
    compare.add_argument("-d", "--dilation", default="1")
    compare.add_argument("-i", "--input-sizes", default="5..10", help="A..B or A,B,C (default 5..10)")
    compare.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                         help="a declared parameter's value (default 0)")

    verify = command("verify", _cmd_verify, "check every relationship against the brute-force oracle")
    verify.add_argument("--bound", default="16", help="largest input size i (default 16)")
    verify.add_argument("--max-kernel-size", default="6")
    verify.add_argument("--max-stride", default="4")
    verify.add_argument("--max-dilation", default="3")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
        return args.run(args)
    except _UsageError as error:
        print(error, file=sys.stderr)
        return 2
    except SymconvError as error:
        print(f"symconv: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symconv: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`symconv list | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("SYMCONV_DEBUG"):
            raise
        print(f"symconv: internal error ({type(error).__name__}: {error}); "
              "set SYMCONV_DEBUG=1 for the traceback and please report it", file=sys.stderr)
        return 3
