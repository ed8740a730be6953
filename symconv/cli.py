"""The ``symconv`` command: argument parsing only, no arithmetic of its own.

Every command takes ``--json``. Errors are one line on stderr: exit 2 for bad
input, 1 when a check fails, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Optional, Sequence

from .errors import ParameterError, SymconvError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


def _int(name: str, text: str) -> int:
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


def _emit(args: argparse.Namespace, data: dict, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else text)


# --- commands -----------------------------------------------------------------

def _cmd_list(args: argparse.Namespace) -> int:
    from .catalogue import relationships
    from .printing import text

    rels = relationships().values()
    data = {"relationships": [
        {"number": r.number, "title": r.title, "section": r.section, "kind": r.kind,
         "equation": text(r.equation)} for r in rels]}
    lines = [f"{r.number:>2}  {r.title:<58} {text(r.equation)}" for r in rels]
    _emit(args, data, "\n".join(lines))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from .catalogue import relationship
    from .printing import text

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
        data["equivalent"] = {"k'": text(eq.kernel_size), "s'": text(eq.stride), "p'": text(eq.padding),
                              "ĩ'": text(eq.stretched_input), "a": text(eq.a)}
        lines += ["  equivalent direct convolution (kernel flipped):",
                  f"    k' = {text(eq.kernel_size)}, s' = {text(eq.stride)}, p' = {text(eq.padding)}"
                  f" before and p' + a after, a = {text(eq.a)}",
                  f"    on the stretched input ĩ' = {text(eq.stretched_input)}"
                  " (s - 1 zeros between the units of i')"]
    lines.append("  example: " + ", ".join(f"{key}={value}" for key, value in r.example.items()))
    _emit(args, data, "\n".join(lines))
    return 0


def _cmd_shape(args: argparse.Namespace) -> int:
    from . import shapes

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
        size = shapes.transposed_output_size(
            stride=1 if stride is None else stride,
            output_padding=_int("output_padding", args.output_padding), **params)
    shown = ", ".join(f"{key}={value}" for key, value in {**params, "stride": stride}.items()
                      if value is not None)
    _emit(args, {"output_size": size}, f"{args.operation}({shown}) -> output_size = {size}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from .verify import Box, verify

    box = Box(input_size=_int("bound", args.bound), kernel_size=_int("max_kernel_size", args.max_kernel_size),
              stride=_int("max_stride", args.max_stride), dilation=_int("max_dilation", args.max_dilation))
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


# --- the parser -----------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symconv", description="Convolution arithmetic, derived, proved and verified.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
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
    except Exception as error:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("SYMCONV_DEBUG"):
            raise
        print(f"symconv: internal error ({type(error).__name__}: {error}); "
              "set SYMCONV_DEBUG=1 for the traceback and please report it", file=sys.stderr)
        return 3
