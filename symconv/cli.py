# PYTHON_ARGCOMPLETE_OK
"""The ``symconv`` command: argument parsing and dispatch, nothing else.

Each command calls the library and prints its answer: text from :mod:`symconv.present.text`, or with
``--json`` JSON from :mod:`symconv.present.serialise` (the schema is in docs/json.md). Exit codes mean
one thing each: 0 ok; 1 a finding (a false claim, a failed check, a misalignment, a padding that
cannot exist); 2 bad input, one line on stderr naming the parameter, its value and the rule (a JSON
object with ``--json``); 3 a bug in symconv.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from typing import Any, Callable, Optional, Sequence, Union

from symconv.core.errors import ParameterError, SymconvError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: error: {message}")


class UsageError(Exception):
    pass


def _int(name: str, text: Optional[str]) -> int:
    if text is None:
        raise ParameterError(name, None, f"{name} is required here (--{name.replace('_', '-')})")
    try:
        return int(text)
    except ValueError:
        raise ParameterError(name, text, f"{name} must be an integer") from None


def _ints(name: str, text: Optional[str]) -> Union[int, tuple[int, ...]]:
    """``N``, or one integer per axis: ``224,160``."""
    if text is None or "," not in text:
        return _int(name, text)
    parts = text.split(",")
    if not all(part.strip() for part in parts):
        raise ParameterError(name, text, f"{name} must be an integer, or one integer per axis like 224,160")
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise ParameterError(name, text, f"{name} must be an integer, or one integer per axis like 224,160") from None


def _axes(*values: Any) -> Optional[int]:
    """How many axes the per-axis values give (the library checks that they agree), or None."""
    return next((len(value) for value in values if isinstance(value, tuple)), None)


def _padding(text: Optional[str], axes: Optional[int] = None) -> Any:
    """``P`` or ``BEFORE,AFTER``; with several axes, ``P`` or one ``P`` or ``BEFORE:AFTER`` per axis."""
    if text is None:
        return 0
    if axes is None and ":" not in text:
        parts = text.split(",")
        if len(parts) == 1:
            return _int("padding", text)
        if len(parts) == 2:
            return (_int("padding", parts[0]), _int("padding", parts[1]))
        raise ParameterError("padding", text, "padding must be an integer P or a pair BEFORE,AFTER")

    def one(item: str) -> Any:
        before, colon, after = item.partition(":")
        return (_int("padding", before), _int("padding", after)) if colon else _int("padding", item)

    items = [one(item) for item in text.split(",")]
    if len(items) == 1:
        return items[0] if axes is None or isinstance(items[0], int) else tuple(items * axes)
    if len(items) != axes:
        raise ParameterError("padding", text, f"padding must be P, or one P or BEFORE:AFTER per axis ({axes or 1})")
    return tuple(items)


def _emit(args: argparse.Namespace, data: Any, text: Union[str, Callable[[], str]],
          input_size: Any = None) -> None:
    """The JSON, or the text (built only when it is shown: a callable defers the work)."""
    if args.json:
        from symconv.present.serialise import dumps

        print(dumps(data, input_size=input_size))
    else:
        print(text if isinstance(text, str) else text())


def _progress(args: argparse.Namespace) -> Any:
    """A context giving the callback that draws a progress bar on stderr, or None: only on a terminal, never with
    ``--json`` or ``--quiet``, and only when tqdm is installed (docs/cli.md#progress)."""
    from symconv.present.progress import progress_display

    return progress_display(enabled=not args.json and not args.quiet)


def _each(value: Any, axes: int) -> tuple:
    return value if isinstance(value, tuple) else (value,) * axes


# --- commands -----------------------------------------------------------------

def _cmd_list(args: argparse.Namespace) -> int:
    from symconv.guide.catalogue import relationships
    from symconv.present.data import relationship_data
    from symconv.present.text import relationships_text

    rels = list(relationships().values())
    _emit(args, {"relationships": [relationship_data(r, full=False) for r in rels]},
          lambda: relationships_text(rels))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from symconv.guide.catalogue import relationship
    from symconv.present.data import relationship_data
    from symconv.present.text import relationship_text

    r = relationship(_int("number", args.number))
    _emit(args, relationship_data(r), lambda: relationship_text(r))
    return 0


def _cmd_shape(args: argparse.Namespace) -> int:
    from symconv.guide import shapes
    from symconv.present.text import shape_text

    size, kernel, dilation = (_ints(name, getattr(args, name)) for name in ("input_size", "kernel_size", "dilation"))
    stride = None if args.stride is None else _ints("stride", args.stride)
    extra = None if args.output_padding is None else _ints("output_padding", args.output_padding)
    params: dict[str, Any] = dict(input_size=size, kernel_size=kernel,
                                  padding=_padding(args.padding, _axes(size, kernel, stride, dilation, extra)),
                                  dilation=dilation)
    if args.operation != "transposed" and extra is not None:
        raise ParameterError("output_padding", extra, "output_padding applies to transposed only")
    if args.operation == "pool":
        output = shapes.pool_output_size(stride=stride, ceil_mode=args.ceil_mode, **params)
    elif args.ceil_mode:
        raise ParameterError("ceil_mode", True, "ceil_mode applies to pool only")
    elif args.operation == "conv":
        output = shapes.conv_output_size(stride=1 if stride is None else stride, **params)
    else:
        params["output_padding"] = 0 if extra is None else extra
        output = shapes.transposed_output_size(stride=1 if stride is None else stride, **params)
    _emit(args, {"output_size": output}, shape_text(args.operation, {**params, "stride": stride}, output))
    return 0


def _cmd_figure(args: argparse.Namespace) -> int:
    """``symconv figure OPERATION``: one layer's figure or animation, to a file (``-o``) or to stdout."""
    from symconv.present.figures import format_named, layer_figure
    from symconv.present.text import written_text

    size, kernel, dilation = (_ints(name, getattr(args, name)) for name in ("input_size", "kernel_size", "dilation"))
    stride = None if args.stride is None else _ints("stride", args.stride)
    extra = 0 if args.output_padding is None else _ints("output_padding", args.output_padding)
    axes = _axes(size, kernel, stride, dilation, extra)
    kind = format_named(args.format, args.output)
    step = None if args.step is None else _int("step", args.step)
    if step is not None and kind.animated:
        raise ParameterError("step", step, f"--step draws one position, in svg, tikz or png, not {kind.name}")
    if args.json and args.output is None:
        raise ParameterError("output", None, "--json describes the figure it writes: give -o FILE")
    if kind.binary and args.output is None and sys.stdout.isatty():
        raise ParameterError("output", None, f"{kind.name} is binary: give -o FILE, or redirect stdout")
    figure = layer_figure(args.operation, size, kernel, stride, _padding(args.padding, axes), dilation, extra,
                          args.ceil_mode, axes=None if args.axes is None else _int("axes", args.axes), step=step)
    content = kind.write(figure)
    data = content if kind.binary else content.encode("utf-8")  # SVG and TikZ files are UTF-8, whatever the locale
    if args.output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        return 0
    from symconv.core.errors import OutputError

    try:
        with open(args.output, "wb") as file:
            file.write(data)
    except OSError as error:
        raise OutputError(f"output={args.output!r} is invalid: cannot write it ({error.strerror})") from None
    _emit(args, {"written": [args.output], "format": kind.name, "title": figure.title, "caption": figure.caption,
                 "positions": figure.positions, "shown": [n + 1 for n in figure.shown]}, written_text([args.output]))
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    import time

    from symconv.core.validation import positive
    from symconv.guide.verification import Box, verify
    from symconv.present.data import verification_data
    from symconv.present.text import verification_text

    box = Box(input_size=positive("bound", _int("bound", args.bound)),
              kernel_size=positive("max_kernel_size", _int("max_kernel_size", args.max_kernel_size)),
              stride=positive("max_stride", _int("max_stride", args.max_stride)),
              dilation=positive("max_dilation", _int("max_dilation", args.max_dilation)))
    budget = _int("memory_budget", args.memory_budget)
    started = time.perf_counter()
    with _progress(args) as progress:
        report = verify(box, progress=progress, memory_budget=budget)
    seconds = time.perf_counter() - started
    try:
        import resource

        # ru_maxrss is in KiB on Linux and in bytes on macOS; the whole process, interpreter and sympy included.
        peak: Optional[float] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin"
                                                                                     else 2**10)
    except ImportError:  # no resource module (Windows)
        peak = None
    performance = {"seconds": round(seconds, 3), "cases_per_second": round(report.cases / max(seconds, 1e-9)),
                   "peak_memory_mib": None if peak is None else round(peak), "memory_budget_mib": budget}
    summary = (f"{seconds:.2f} s, {performance['cases_per_second']:,} cases/s (sizes and connectivity), peak memory "
               + ("unknown" if peak is None else f"{peak:.0f} MiB") + f" (memory budget {budget} MiB)")
    _emit(args, {**verification_data(box, report), "performance": performance},
          lambda: verification_text(box, report) + "\n" + summary)
    return 1 if report.failures else 0


def _conv_args(args: argparse.Namespace) -> dict[str, Any]:
    return dict(kernel_size=_int("kernel_size", args.kernel_size), stride=_int("stride", args.stride),
                padding=_padding(args.padding), dilation=_int("dilation", args.dilation))


def _cmd_transpose(args: argparse.Namespace) -> int:
    from symconv.guide.queries import transpose
    from symconv.present.text import transpose_text

    size = None if args.input_size is None else _int("input_size", args.input_size)
    eq = transpose(input_size=size, **_conv_args(args))
    _emit(args, eq, lambda: transpose_text(eq), input_size=size)
    return 0


def _export(args: argparse.Namespace, proofs: list) -> dict[str, Any]:
    """``--export coq DIR``: write the proved theorems' Coq files, and compile them when ``coqc`` is installed.

    Returns what was written and what Coq said ({} without ``--export``).
    """
    if args.export is None:
        return {}
    from pathlib import Path

    from symconv.present.render import prepare_output, write_files
    from symconv.proof.coq import coqc, export_proofs, project_file

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
    entries = []
    for f in exported:
        verdict = verdicts.get(f.stem)
        entries.append({"name": f.theorem, "file": str(Path(directory) / f"{f.stem}.v"),
                        "checked": None if verdict is None else verdict.accepted,
                        "error": verdict.error if verdict is not None and not verdict.accepted else None,
                        "follows_certificate": f.follows_certificate})
    done = {f.theorem for f in exported}
    skipped = [{"name": p.name, "status": p.status,
                "reason": refused.get(p.name, f"it is {p.status}, not proved")} for p in proofs if p.name not in done]
    return {"directory": directory, "coq_version": version, "files": entries, "not_exported": skipped}


def _rejected(export: dict) -> bool:
    return any(entry["checked"] is False for entry in export.get("files", []))


def _cmd_prove(args: argparse.Namespace) -> int:
    from symconv.guide.theorems import prove_all
    from symconv.present.data import proof_data
    from symconv.present.text import coq_labels, proofs_text

    with _progress(args) as progress:
        proofs = prove_all(args.names or None, progress=progress)
    export = _export(args, proofs)
    labels = coq_labels(export) if export else {}
    counts = {status: sum(p.status == status for p in proofs)
              for status in ("proved", "unproved", "disproved", "conflict")}
    data = {"proofs": [{**proof_data(p), **({"coq": labels.get(p.name)} if export else {})} for p in proofs],
            **counts, **({"coq": export} if export else {})}
    _emit(args, data, lambda: proofs_text(proofs, counts, export))
    if counts["conflict"] or _rejected(export):
        return 3  # a checked proof with a counterexample, or one Coq rejects, is a bug in symconv
    return 1 if counts["disproved"] or counts["unproved"] else 0


def _refuse(args: argparse.Namespace, question: str, *options: str) -> None:
    """Options that the question does not use are refused, not ignored."""
    for option in options:
        value = getattr(args, option)
        if value not in (None, False):
            raise ParameterError(option, value, f"solve {question} does not take --{option.replace('_', '-')}")


def _cmd_solve(args: argparse.Namespace) -> int:
    from symconv.guide import queries
    from symconv.present import data
    from symconv.present import text as show

    kernel, stride, dilation = (_ints(name, getattr(args, name)) for name in ("kernel_size", "stride", "dilation"))
    conv: dict[str, Any] = dict(kernel_size=kernel, stride=stride, dilation=dilation)
    found: Any
    if args.question == "inputs":
        _refuse(args, "inputs", "input_size", "same", "ceil")
        if args.output_size is None:
            raise ParameterError("output_size", None, "solve inputs needs -o/--output-size")
        target = _ints("output_size", args.output_size)
        axes = _axes(target, kernel, stride, dilation)
        found = queries.input_sizes(target, padding=_padding(args.padding, axes), **conv)
        pairs = list(zip(_each(target, axes or 1), found if axes else [found]))
        _answer(args, axes, [{"output_size": o, "input_sizes": list(sizes)} for o, sizes in pairs],
                [show.inputs_text(o, sizes) for o, sizes in pairs])
        return 0
    if args.question == "padding":
        _refuse(args, "padding", "padding")
        given = [option for option in ("output_size", "same", "ceil") if getattr(args, option) not in (None, False)]
        if not given:
            raise ParameterError("output_size", None, "solve padding needs -o/--output-size, --same or --ceil")
        if len(given) > 1:
            first = given[0].replace("_", "-")
            raise ParameterError(given[1], getattr(args, given[1]),
                                 f"give one of -o/--output-size, --same and --ceil, not --{first} as well")
        if args.same and any(s > 1 for s in _each(stride, 1)):
            raise ParameterError("stride", stride, "--same (o = i) is only possible at stride 1, as in PyTorch's "
                                 "padding='same'; TensorFlow's 'SAME' means o = ⌈i/s⌉: use --ceil (the tf-same scheme)")
        goal: Any = "same" if args.same else "ceil" if args.ceil else _ints("output_size", args.output_size)
        size = _ints("input_size", args.input_size)
        found = queries.paddings(size, output_size=goal, **conv)
        axes = _axes(size, goal, kernel, stride, dilation)
        answers = list(zip(found if axes else [found], _each(size, axes or 1)))
        _answer(args, axes, [data.paddings_data(one, i) for one, i in answers],
                [show.paddings_text(one) for one, _ in answers])
        return 0 if all(one.exists is not False for one, _ in answers) else 1
    _refuse(args, "output-padding", "output_size", "same", "ceil")
    size = _ints("input_size", args.input_size)
    axes = _axes(size, kernel, stride, dilation)
    found = queries.output_padding(size, padding=_padding(args.padding, axes), **conv)
    answers = list(found) if axes else [found]
    _answer(args, axes, [data.output_padding_data(one) for one in answers],
            [show.output_padding_text(one) for one in answers])
    return 0


def _answer(args: argparse.Namespace, axes: Optional[int], data: list, lines: list[str]) -> None:
    """One answer, or with several axes ``{"axes": [...]}`` and one line per axis."""
    from symconv.present.text import per_axis

    if axes is None:
        _emit(args, data[0], lines[0])
    else:
        _emit(args, {"axes": data}, per_axis(lines))


def _cmd_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from symconv.present import render_cache
    from symconv.present.output import prepare_output, write_files
    from symconv.present.text import render_text, written_text

    formats = ["latex", "markdown", "coq", "html"] if args.format == "all" else [args.format]
    template_dir = None if args.template_dir is None else Path(args.template_dir)
    output = prepare_output(Path(args.output))
    # Nothing changed since a render wrote these files (docs/cli.md#the-render-cache): they are checked, not rendered.
    cached = render_cache.key("render", {"formats": formats}, template_dir)
    entry = render_cache.lookup(cached)
    written = None if entry is None else render_cache.restore(entry, output)
    if entry is not None and written is not None:
        summary = entry.summary
    else:
        from symconv.present.render import check_templates, planned_files, render_html_page

        if template_dir is not None:  # a mistake in a user's template is found before the build, not after
            check_templates(template_dir)
        if formats == ["html"]:  # the interactive page needs no proofs, so none are run for it
            files, summary = {"index.html": render_html_page(template_dir)}, {}
        else:
            from symconv.present.document import build_document

            with _progress(args) as progress:
                document = build_document(progress=progress, coq="coq" in formats)
            files = planned_files(document, formats, template_dir)
            summary = {"cases": document.cases, "failures": document.failures}
        written = write_files(files, output)
        render_cache.record(cached, files, summary)
    if formats == ["html"]:
        _emit(args, {"output": args.output, "written": [str(path) for path in written]}, written_text(written))
        return 0
    data = {"output": args.output, "written": [str(path) for path in written],
            "cases": summary["cases"], "failures": summary["failures"]}
    _emit(args, data, render_text(args.output, written, summary["cases"], summary["failures"]))
    return 1 if summary["failures"] else 0


def _cmd_scheme_list(args: argparse.Namespace) -> int:
    from symconv.present.data import schemes_data
    from symconv.present.text import schemes_text
    from symconv.schemes import builtin_schemes

    known = list(builtin_schemes(checked=False).values())  # the tests load every built-in with every check
    _emit(args, schemes_data(known), schemes_text(known))
    return 0


def _cmd_scheme_check(args: argparse.Namespace) -> int:
    from symconv.present.data import scheme_report_data
    from symconv.present.text import export_text, scheme_report_text
    from symconv.schemes import check_scheme, resolve

    checked, bound = resolve(args.scheme), _int("bound", args.bound)
    with _progress(args) as progress:
        report = check_scheme(checked, bound=bound, progress=progress)
    results = [result for _, result in report.padding] + list(report.claims)
    results += [report.transposed.recovers] if report.transposed is not None else []
    export = _export(args, list({r.proof.name: r.proof for r in results}.values()))
    _emit(args, scheme_report_data(report, export),
          lambda: "\n".join([scheme_report_text(report)] + (export_text(export) if export else [])))
    if any(claim.status == "conflict" for claim in report.claims) or _rejected(export):
        return 3  # a checked proof with a counterexample, or one Coq rejects, is a bug in symconv
    return 0 if report.holds else 1


MAX_SIZES = 200  # columns in a comparison table


def _sizes(text: str) -> list[int]:
    """``A..B`` or ``A,B,C``."""
    if ".." in text:
        low, _, high = text.partition("..")
        low_, high_ = _int("input_sizes", low), _int("input_sizes", high)
        if low_ > high_:
            raise ParameterError("input_sizes", text, "a range A..B needs A <= B")
        if high_ - low_ + 1 > MAX_SIZES:
            raise ParameterError("input_sizes", text, f"compare at most {MAX_SIZES} input sizes")
        return list(range(low_, high_ + 1))
    parts = text.split(",")
    if len(parts) > MAX_SIZES:
        raise ParameterError("input_sizes", text[:40], f"compare at most {MAX_SIZES} input sizes")
    return [_int("input_sizes", part) for part in parts]


def _cmd_scheme_compare(args: argparse.Namespace) -> int:
    from symconv.present.data import comparison_data
    from symconv.present.text import comparison_text
    from symconv.schemes import builtin_schemes, compare, resolve

    parameters = {}
    for item in args.param:
        name, equals, value = item.partition("=")
        if not equals:
            raise ParameterError("param", item, "a parameter is NAME=VALUE, as in --param p=1")
        parameters[name] = _int(name, value)
    schemes = [resolve(name) for name in args.names or builtin_schemes()]
    sizes = _sizes(args.input_sizes)
    with _progress(args) as progress:
        table = compare(schemes, _int("kernel_size", args.kernel_size), _int("stride", args.stride),
                        _int("dilation", args.dilation), sizes, parameters, progress=progress)
    _emit(args, comparison_data(table), lambda: comparison_text(table))
    return 0


def _cmd_scheme_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from symconv.present.render import (file_stem, prepare_output, render_scheme_latex, render_scheme_markdown,
                                        write_files)
    from symconv.present.text import written_text
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
    _emit(args, {"name": report.scheme.name, "written": written}, written_text(written))
    return 0 if report.holds else 1


def _cmd_net(args: argparse.Namespace) -> int:
    from symconv.layers import parse_stack
    from symconv.present.data import stack_data
    from symconv.present.text import stack_text

    net = parse_stack(args.spec)
    size = None if args.input_size is None else _ints("input_size", args.input_size)
    data = stack_data(net, size)
    if args.render is not None:
        from pathlib import Path

        from symconv.present.document import build_stack_document
        from symconv.present.render import render_stack_latex, render_stack_markdown, write_files

        files = {}
        # One document per axis of a stack with per-axis layers: stack-axis0.md, stack-axis1.md, ...
        axes: list[Optional[int]] = [None] if net.axes is None else list(range(net.axes))
        for axis in axes:
            document = build_stack_document(net if axis is None else net.along(axis))
            stem = "stack" if axis is None else f"stack-axis{axis}"
            if args.format in ("markdown", "all"):
                files[f"{stem}.md"] = render_stack_markdown(document)
            if args.format in ("latex", "all"):
                files[f"{stem}.tex"] = render_stack_latex(document)
        data["written"] = [str(path) for path in write_files(files, Path(args.render))]
    failed = "error" in data
    # Each formula's value at the input size, unless the stack does not run there.
    _emit(args, data, lambda: stack_text(net, data, size), input_size=None if failed else size)
    return 1 if failed or not all(entry["aligned"] for entry in data.get("alignment", [])) else 0



def _cmd_graph(args: argparse.Namespace) -> int:
    """``symconv graph SPEC_OR_FILE``: a graph's text, a file holding it, or a model file (``.onnx``) that its
    importer reads."""
    from pathlib import Path

    from symconv.graphs.parse import MAX_GRAPH_TEXT, parse_graph
    from symconv.graphs.report import analyse_graph
    from symconv.importers import IMPORTERS, import_graph
    from symconv.present.graph_text import graph_data, graph_text

    spec = args.spec
    size: Any = None
    if args.input_size is not None:
        items = args.input_size.split(",")
        if all("=" in item for item in items):  # H=89,W=96
            size = {name.strip(): _int("input_size", value) for name, _, value in (i.partition("=") for i in items)}
        else:
            size = _ints("input_size", args.input_size)
    suffix = Path(spec).suffix.lower() if "\n" not in spec and len(spec) < 4096 else ""
    if any(suffix in importer.suffixes for importer in IMPORTERS.values()):  # a model file: its importer reads it
        graph = import_graph(spec)
    else:
        try:
            is_file = Path(spec).is_file()
        except (OSError, ValueError):  # a graph's text, longer than a file name can be
            is_file = False
        if is_file:
            with open(spec, "rb") as file:
                raw = file.read(4 * MAX_GRAPH_TEXT + 1)
            if len(raw) > 4 * MAX_GRAPH_TEXT:
                raise ParameterError("spec", args.spec, f"a graph's text is at most {MAX_GRAPH_TEXT} characters")
            try:
                spec = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ParameterError("spec", args.spec, "a graph file holds the graph's text, in UTF-8") from None
        elif not any(char in spec for char in "=; ") and any(char in spec for char in "./\\"):
            raise ParameterError("spec", spec,
                                 "no such file, and not a graph's text like 'x = input [H, W]; a = conv k=3'")
        graph = parse_graph(spec)
    with _progress(args) as progress:
        report = analyse_graph(graph, size, fixes=False if args.no_fixes else True if args.fixes else None,
                               prove=args.prove, progress=progress)
    _emit(args, graph_data(report), lambda: graph_text(report, all_tensors=args.all_tensors))
    failed = report.run is not None and not report.run.ok
    return 1 if failed or not report.runs else 0

# --- the parser -----------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    from symconv import __version__

    parser = _Parser(prog="symconv", description="Convolution arithmetic, derived, proved and verified.")
    parser.add_argument("--version", action="version", version=f"symconv {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str,
                within: Optional[Any] = None) -> argparse.ArgumentParser:
        p = (within or sub).add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print JSON (docs/json.md)")
        p.add_argument("--quiet", action="store_true",
                       help="no progress bar (shown on stderr only when it is a terminal, never with --json)")
        p.set_defaults(run=run)
        return p

    command("list", _cmd_list, "list the guide's relationships")

    show = command("show", _cmd_show, "show one relationship, its conditions and equivalent convolution")
    show.add_argument("number", help="relationship number, 1 to 15")

    per_axis = "N, or one per axis: N,M"

    def layer_options(p: argparse.ArgumentParser, input_help: str = per_axis) -> None:
        """One layer's options, under the same names for every command that takes a layer (shape, figure)."""
        p.add_argument("operation", choices=["conv", "pool", "transposed"])
        p.add_argument("-i", "--input-size", required=True, help=input_help)
        p.add_argument("-k", "--kernel-size", required=True, help=per_axis)
        p.add_argument("-s", "--stride", default=None, help="default 1 (pool: kernel size); " + per_axis)
        p.add_argument("-p", "--padding", default="0",
                       help="P or BEFORE,AFTER; with several axes P, or one P or BEFORE:AFTER per axis")
        p.add_argument("-d", "--dilation", default="1", help=per_axis)
        p.add_argument("--output-padding", default=None, help="transposed only; " + per_axis)
        p.add_argument("--ceil-mode", action="store_true", help="pool only")

    layer_options(command("shape", _cmd_shape, "output size of one layer"))

    figure = command("figure", _cmd_figure, "one layer's figure (svg, tikz, png) or animation (animated-svg, gif), "
                     "from the brute-force oracle; docs/figures.md")
    layer_options(figure, per_axis + " (transposed: its own input i')")
    figure.add_argument("--axes", default=None, help="1 (a row) or 2 (a grid, the default unless values per axis)")
    figure.add_argument("--step", default=None, help="draw the kernel at its N-th position alone (from 1)")
    figure.add_argument("--format", default=None,
                        help="svg, tikz, png, animated-svg or gif (default: from -o's suffix, else svg)")
    figure.add_argument("-o", "--output", default=None, help="file to write (default: stdout)")

    def conv_options(p: argparse.ArgumentParser, per_axis_help: str = "", padding: Optional[str] = "0") -> None:
        p.add_argument("-k", "--kernel-size", required=True, help=per_axis_help or None)
        p.add_argument("-s", "--stride", default="1", help=per_axis_help or None)
        p.add_argument("-p", "--padding", default=padding, help="P or BEFORE,AFTER" + (
            "; with several axes P, or one P or BEFORE:AFTER per axis" if per_axis_help else ""))
        p.add_argument("-d", "--dilation", default="1", help=per_axis_help or None)

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
    conv_options(solve, per_axis, padding=None)
    solve.add_argument("-i", "--input-size", default=None, help=per_axis)
    solve.add_argument("-o", "--output-size", default=None, help=per_axis)
    solve.add_argument("--same", action="store_true", help="padding: o = i (stride 1 only)")
    solve.add_argument("--ceil", action="store_true", help="padding: o = ceil(i / s), like TensorFlow's SAME")

    net = command("net", _cmd_net, "a stack of layers: symbolic size, receptive field, input sizes that align")
    net.add_argument("spec", help='e.g. "conv k=3 p=1 @e1; pool k=2; tconv k=2 s=2 @d1 | e1=d1"')
    net.add_argument("-i", "--input-size", default=None,
                     help="I (every axis), or one size per axis like 224,160: every layer's size")
    net.add_argument("--render", metavar="DIR", default=None, help="write the stack's derivation document to DIR")
    net.add_argument("--format", choices=["latex", "markdown", "all"], default="markdown")

    graph = command("graph", _cmd_graph, "a graph of layers: every tensor's size, the input sizes it runs on, "
                    "receptive fields, and where it fails")
    graph.add_argument("spec", metavar="SPEC_OR_FILE",
                       help='e.g. "x = input [H, W]; a = conv k=3 p=1 (x); b = pool k=2; u = tconv k=2 s=2; '
                            'c = cat (a, u)", a file holding such a text, or a model: MODEL.onnx '
                            "(pip install 'symconv[onnx]')")
    graph.add_argument("-i", "--input-size", default=None,
                       help="N (every axis), one size per input axis like 96,128, or H=96,W=128")
    fixes = graph.add_mutually_exclusive_group()
    fixes.add_argument("--fixes", action="store_true",
                       help="search for checked single-parameter fixes where a join misaligns (by default only when"
                            " the run at --input-size fails)")
    fixes.add_argument("--no-fixes", action="store_true", help="never search for fixes")
    graph.add_argument("--all-tensors", action="store_true",
                       help="list shape-preserving ops (activations, normalisation) in the table too")
    graph.add_argument("--prove", action="store_true",
                       help="also prove each residue class's verdict and each simplified size with the proof kernel")

    render = command("render", _cmd_render,
                     "write the derivation documents: LaTeX, Markdown, SVG figures, and the proofs in Coq")
    render.add_argument("--format", choices=["latex", "markdown", "coq", "html", "all"], default="all")
    render.add_argument("--output", default="derivations", help="directory (default: derivations)")
    render.add_argument("--template-dir", default=None, help="your templates, searched before symconv's")

    scheme = sub.add_parser("scheme", help="padding schemes: list, check, compare, render",
                            description="padding schemes: list, check, compare, render")
    scheme_actions = scheme.add_subparsers(dest="action", required=True, parser_class=_Parser)
    command("list", _cmd_scheme_list, "list the built-in padding schemes", within=scheme_actions)
    check = command("check", _cmd_scheme_check, "derive a scheme's output size and prove or check its claims",
                    within=scheme_actions)
    check.add_argument("scheme", metavar="NAME|FILE", help="a built-in scheme or a TOML file")
    check.add_argument("--bound", default="16",
                       help="largest input size i enumerated where no proof closes (default 16)")
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
    verify.add_argument("--memory-budget", default="256", metavar="MIB",
                        help="MiB of cases in flight at once, from 64 to 65536 (default 256); the interpreter and "
                             "sympy come on top")
    for proving in (prove, render, graph, check, scheme_render):
        proving.add_argument("--no-cache", action="store_true",
                             help="search for every proof again instead of re-checking the certificates stored in "
                                  "the proof cache (also SYMCONV_NO_CACHE=1; docs/proofs.md#the-proof-cache)")
    return parser


def _fail(message: str, error: Optional[BaseException], as_json: bool) -> None:
    """One line on stderr, or with ``--json`` one JSON object carrying the same line."""
    if as_json:
        from symconv.present.serialise import error as error_data

        print(json.dumps(error_data(message, error), ensure_ascii=False), file=sys.stderr)
    else:
        print(" ".join(line.strip() for line in message.splitlines()), file=sys.stderr)


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit, through argcomplete (``pip install 'symconv[completion]'``).

    Only called when the shell sets ``_ARGCOMPLETE``, so a plain run never imports it; without argcomplete the
    request is ignored.
    """
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)


def _run(args: argparse.Namespace) -> int:
    """The command, with the proof cache off for it (and its workers) under ``--no-cache``."""
    if not getattr(args, "no_cache", False):
        return args.run(args)
    from symconv.proof.cache import using

    with using(on=False):
        return args.run(args)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 a finding, 2 bad input, 3 a bug in symconv)."""
    from_shell = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv
    try:
        parser = _parser()
        if from_shell and "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (argcomplete's protocol)
            _complete(parser)
        args = parser.parse_args(argv)
        return _run(args)
    except UsageError as error:
        _fail(str(error), error, as_json)
        return 2
    except SymconvError as error:
        _fail(f"symconv: error: {error}", error, as_json)
        return 2
    except SystemExit as error:  # --help and --version: argparse has printed them
        return error.code if isinstance(error.code, int) else 0
    except KeyboardInterrupt:
        print("symconv: interrupted", file=sys.stderr)
        if from_shell:  # an object the interrupt left half-built (a z3 Context) must not print from its __del__
            sys.unraisablehook = lambda unraisable: None
        return 130
    except BrokenPipeError:  # the reader went away (`symconv list | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("SYMCONV_DEBUG"):
            raise
        _fail(f"symconv: internal error, a bug in symconv ({type(error).__name__}: {error}); "
              "please report it (SYMCONV_DEBUG=1 shows the traceback)", error, as_json)
        return 3
    finally:
        if from_shell:
            # The process ends next, and the interpreter's last collections would walk every object the command
            # built (about 0.1 s after `prove`). Frozen, they are left for the operating system to take back.
            gc.freeze()
