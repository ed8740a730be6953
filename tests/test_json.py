"""Every command's --json: valid against the schema of docs/json.md, every expression read back by both parsers.

The schema is written here as small Python values (jsonschema is not a dependency):

- a type name: "int", "number", "str", "bool", "null", "expr" (an expression object), "fraction",
  "sizes" (a set of input sizes), "any";
- a tuple: any one of its specs;
- a list of one spec: a list whose items all match it;
- a dict: an object with exactly these keys; a key ending in "?" may be missing;
- Map(spec): an object with any string keys, every value matching spec.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

import symconv
from symconv.cli import main
from symconv.core.errors import ParameterError, ParseError
from symconv.core.parsing import parse_claim, parse_expression
from symconv.core.printing import text
from symconv.present import serialise
from symconv.present.serialise import dumps, encode, expression, names


@dataclass(frozen=True)
class Map:
    value: Any


QUANTITY = ("int", "fraction", "expr")
CLAIM = ("bool", "expr")
EQUIVALENT = {"kernel_size": QUANTITY, "stride": QUANTITY, "dilation": QUANTITY, "zeros_between": QUANTITY,
              "padding": [QUANTITY], "a": QUANTITY, "input_size": QUANTITY, "stretched_input": QUANTITY,
              "output_size": QUANTITY}
COUNTEREXAMPLE = ("null", {"values": Map("int"), "quantity": "str", "oracle": ("int", "str"),
                           "formula": ("int", "str")})
CHECK = {"number": ("int", "null"), "title": "str", "cases": "int", "failures": "int", "counterexample": COUNTEREXAMPLE}
EXPORT = {"directory": "str", "coq_version": ("str", "null"),
          "files": [{"name": "str", "file": "str", "checked": ("bool", "null"), "error": ("str", "null"),
                     "follows_certificate": "bool"}],
          "not_exported": [{"name": "str", "status": "str", "reason": "str"}]}
PROOF = {"name": "str", "title": "str", "status": "str", "statement": CLAIM, "hypotheses": [CLAIM],
         "checked": "bool", "vacuous": "bool",
         "smt": ("null", {"backend": "str", "verdict": "str", "seconds": "number"}),
         "reason": ("str", "null"), "cases": "int", "counterexample": ("null", Map("int")),
         "found_by": ("str", "null"), "steps": "int",
         "derivation": [{"statement": (CLAIM, [CLAIM]), "justification": "str"}], "coq?": ("str", "null")}
INPUTS = {"output_size": "int", "input_sizes": ["int"]}
PADDINGS = {"input_size": "int", "output_size": "int", "total_min": "int", "total_max": "int", "symmetric": ["int"],
            "smallest": ("null", ["int"]), "exists": "bool", "reason": "str"}
OUTPUT_PADDING = {"input_size": "int", "transposed_input_size": "int", "output_padding": "int", "allowed": "str"}
CLAIM_RESULT = {"name": "str", "claim": CLAIM, "status": "str", "cases": "int", "counterexample": ("null", Map("int")),
                "reason": ("str", "null"), "coq?": ("str", "null")}
SCHEME_REPORT = {"name": "str", "description": "str", "framework": "str", "source": "str", "parameters": ["str"],
                 "before": QUANTITY, "after": QUANTITY, "ceil_mode": "bool", "where": [CLAIM], "domain": CLAIM,
                 "output_size": QUANTITY, "output_size_general": QUANTITY,
                 "derivation": [{"statement": (CLAIM, [CLAIM]), "justification": "str"}],
                 "padding": Map(CLAIM_RESULT), "claims": [CLAIM_RESULT],
                 "transposed": ("null", {**EQUIVALENT, "recovers_input": CLAIM_RESULT}), "bound": "int",
                 "holds": "bool", "coq?": EXPORT}
CELL = {"input_size": "int", "before": ("int", "null"), "after": ("int", "null"), "output_size": ("int", "null"),
        "output_padding": ("int", "null"), "note": ("str", "null")}
COMPARISON = {"kernel_size": "int", "stride": "int", "dilation": "int", "parameters": Map("int"),
              "input_sizes": ["int"],
              "schemes": [{"name": "str", "description": "str", "framework": "str", "before": QUANTITY,
                           "after": QUANTITY, "output_size": QUANTITY, "output_padding": ("null", *QUANTITY),
                           "applicable": "bool", "cells": [CELL]}]}
AXIS = {"output_size": QUANTITY, "receptive_field": ("int", "null"), "effective_stride": ("int", "fraction", "null"),
        "effective_padding": ("int", "null", "expr"), "reason": ("str", "null"), "valid_input_sizes": "sizes",
        "aligned_input_sizes?": "sizes"}
SIZE = ("int", ["int"])
NET = {"sizes?": [SIZE], "alignment?": [{"taps": ["str"], "sizes": [SIZE], "aligned": "bool"}],
       "next_aligned_input_size?": ("int", "null", [("int", "null")]), "error?": "str", "written?": ["str"],
       "unread_units?": ("null", ["int"], [("null", ["int"])])}

GRAPH_FIELD = {"output": "str", "input": "str", "axis": "str", "receptive_field": ("int", "null"),
               "effective_stride": ("int", "fraction", "null"), "effective_padding": ("int", "null", "expr"),
               "not_fixed": ("str", "null"), "unread_units?": ("null", ["int"])}
GRAPH = {"graph": "str", "axes": ["str"], "outputs": ["str"],
         "tensors": [{"name": "str", "op": "str", "inputs": ["str"], "sizes": [("expr", "null")],
                      "label": ("str", "null"), "op_type": ("str", "null")}],
         "valid_input_sizes": Map("sizes"),
         "decisions": Map({"modulus": "int", "minimum": ("int", "null"), "below_minimum": ("str", "null"),
                           "conditions": [("expr", "null")], "joins": ["str"], "checked": ["int"],
                           "identities": "int"}),
         "joint": ("null", {"conditions": ["expr"], "nodes": ["str"],
                            "boxes": [Map({"min": "int", "max": ("int", "null"), "sizes": "sizes"})]}),
         "runs": "bool", "receptive_fields": [GRAPH_FIELD],
         "fixes": ("null", {"tried": "int", "candidates": "int", "exhausted": ("null", "str"),
                            "suggestions": [{"node": "str", "shown": "str", "op": "str", "parameter": "str",
                                             "old": "any", "new": "any", "text": "str",
                                             "valid_input_sizes": Map("sizes"), "density": "number"}]}),
         "proofs": ("null", {"proved": "bool", "budget": "bool",
                             "claims": [{"kind": "str", "axis": "str", "where": "str", "statement": "str",
                                         "status": "str", "reason": ("str", "null")}]}),
         "input_size?": Map("int"), "sizes?": Map(["int"]),
         "error?": ("null", {"node": "str", "op": "str", "axis": "str", "message": "str"}),
         "next_valid_input_size?": ("null", Map(("int", "null")))}

#: one entry per command of docs/json.md
SCHEMA: dict[str, Any] = {
    "list": {"relationships": [{"number": "int", "title": "str", "section": "str", "kind": "str", "equation": "expr"}]},
    "show": {"number": "int", "title": "str", "section": "str", "kind": "str", "figure": "str", "equation": "expr",
             "conditions": [CLAIM], "domain": CLAIM, "example": Map("int"), "equivalent": ("null", EQUIVALENT)},
    "shape": {"output_size": ("int", ["int"])},
    "verify": {"box": {"input_size": "int", "kernel_size": "int", "stride": "int", "dilation": "int"},
               "relationships": [CHECK], "kronecker": ("null", CHECK), "cases": "int", "failures": "int",
               "performance": {"seconds": "number", "cases_per_second": "int", "peak_memory_mib": ("int", "null"),
                               "memory_budget_mib": "int"}},
    "transpose": EQUIVALENT,
    "prove": {"proofs": [PROOF], "proved": "int", "unproved": "int", "disproved": "int", "conflict": "int",
              "coq?": EXPORT},
    "solve inputs": (INPUTS, {"axes": [INPUTS]}),
    "solve padding": (PADDINGS, {"axes": [PADDINGS]}),
    "solve output-padding": (OUTPUT_PADDING, {"axes": [OUTPUT_PADDING]}),
    "render": {"output": "str", "written": ["str"], "cases": "int", "failures": "int"},
    "scheme list": {"schemes": [{"name": "str", "description": "str", "framework": "str"}]},
    "scheme render": {"name": "str", "written": ["str"]},
    "scheme check": SCHEME_REPORT,
    "scheme compare": COMPARISON,
    "net": ({**AXIS, **NET}, {"axes": [AXIS], **NET}),
    "graph": GRAPH,
    "figure": {"written": ["str"], "format": "str", "title": "str", "caption": "str", "positions": "int",
               "shown": ["int"]},
    "error": {"error": "str", "type": ("str", "null"), "parameter": ("str", "null"), "value": "any",
              "rule": ("str", "null"), "column?": "int", "token?": "str", "where?": "str"},
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read(obj: dict) -> sympy.Basic:
    """An expression object's ``expr`` read by both parsers, which must agree; returns what they read."""
    local = names(obj.get("symbols"))
    by_sympy = sympy.parse_expr(obj["expr"], local_dict=local)
    claim = isinstance(by_sympy, (bool, Relational, BooleanFunction, BooleanAtom))
    by_symconv = (parse_claim if claim else parse_expression)(obj["expr"], local)
    assert by_sympy == by_symconv or (not claim and sympy.simplify(by_sympy - by_symconv) == 0), obj
    return by_symconv


def _check_expression(obj: Any, path: str) -> None:
    assert isinstance(obj, dict), f"{path}: expected an expression object, got {obj!r}"
    assert {"expr", "text", "latex"} <= set(obj) <= {"expr", "text", "latex", "symbols", "value"}, path
    assert all(isinstance(obj[key], str) for key in ("expr", "text", "latex")), path
    for entry in obj.get("symbols", {}).values():
        assert set(entry) == {"name", "domain"} and entry["domain"] in serialise.DOMAINS, path
    _read(obj)
    if "value" in obj:
        values = obj["value"] if isinstance(obj["value"], list) else [obj["value"]]
        for value in values:
            if isinstance(value, dict) and "expr" in value:
                _check_expression(value, path + ".value")
            else:
                assert _is_int(value) or isinstance(value, bool) or _is_fraction(value), path


def _is_fraction(value: Any) -> bool:
    return (isinstance(value, dict) and set(value) == {"numerator", "denominator"}
            and _is_int(value["numerator"]) and _is_int(value["denominator"]) and value["denominator"] > 1
            and math.gcd(value["numerator"], value["denominator"]) == 1)


def _fails(value: Any, spec: Any, path: str) -> str:
    """'' when ``value`` matches ``spec``, else why not."""
    if isinstance(spec, tuple):
        reasons = [_fails(value, option, path) for option in spec]
        return "" if "" in reasons else f"{path}: matches none of {spec!r}: " + "; ".join(reasons)
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"{path}: expected a list, got {value!r}"
        return next((reason for n, item in enumerate(value) if (reason := _fails(item, spec[0], f"{path}[{n}]"))), "")
    if isinstance(spec, Map):
        if not isinstance(value, dict):
            return f"{path}: expected an object, got {value!r}"
        return next((reason for key, item in value.items()
                     if (reason := _fails(item, spec.value, f"{path}.{key}"))), "")
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{path}: expected an object, got {value!r}"
        required = {key for key in spec if not key.endswith("?")}
        allowed = {key.rstrip("?") for key in spec}
        if not required <= set(value) <= allowed:
            return f"{path}: keys {sorted(value)}, expected {sorted(required)} (and maybe {sorted(allowed - required)})"
        return next((reason for key, item in value.items()
                     if (reason := _fails(item, spec.get(key, spec.get(key + "?")), f"{path}.{key}"))), "")
    checks = {"int": _is_int, "number": lambda v: _is_int(v) or isinstance(v, float),
              "str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool), "null": lambda v: v is None,
              "fraction": _is_fraction, "any": lambda v: True,
              "expr": lambda v: isinstance(v, dict) and {"expr", "text", "latex"} <= set(v),
              "sizes": lambda v: isinstance(v, dict) and set(v) == {"modulus", "residues", "min", "also", "except",
                                                                   "text"}}
    return "" if checks[spec](value) else f"{path}: expected {spec}, got {value!r}"


def _expressions(value: Any, path: str = "$"):
    """Every expression object anywhere in a JSON value."""
    if isinstance(value, dict):
        if {"expr", "text", "latex"} <= set(value):
            yield path, value
            return
        for key, item in value.items():
            yield from _expressions(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _expressions(item, f"{path}[{n}]")


def _never_a_number_as_text(value: Any, path: str = "$") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("text", "latex", "expr", "section", "figure", "coq_version", "version"):
                _never_a_number_as_text(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _never_a_number_as_text(item, f"{path}[{n}]")
    elif isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return
        raise AssertionError(f"{path}: the number {value!r} is written as a string")


def run_json(capsys, *argv: str) -> tuple[int, Any]:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert err == "", err
    return code, json.loads(out)


COMMANDS = [
    ("list", ["list"], 0),
    ("show", ["show", "14"], 0),
    ("show", ["show", "1"], 0),
    ("shape", ["shape", "conv", "-i", "224", "-k", "7", "-s", "2", "-p", "3"], 0),
    ("shape", ["shape", "pool", "-i", "224,160", "-k", "3,2", "-s", "2"], 0),
    ("verify", ["verify", "--bound", "4", "--max-kernel-size", "3", "--max-stride", "2", "--max-dilation", "2"], 0),
    ("transpose", ["transpose", "-k", "3", "-s", "2", "-p", "1"], 0),
    ("transpose", ["transpose", "-k", "3", "-s", "2", "-p", "1", "-i", "6"], 0),
    ("prove", ["prove", "a-range", "ambiguity-same-output"], 0),
    ("solve inputs", ["solve", "inputs", "-o", "112", "-k", "7", "-s", "2", "-p", "3"], 0),
    ("solve inputs", ["solve", "inputs", "-o", "112,80", "-k", "7,5", "-s", "2", "-p", "3,2"], 0),
    ("solve padding", ["solve", "padding", "-i", "224", "-k", "7", "-s", "2", "--ceil"], 0),
    ("solve padding", ["solve", "padding", "-i", "10", "-k", "3", "-o", "2"], 1),
    ("solve padding", ["solve", "padding", "-i", "224,160", "-k", "7,3", "-s", "2", "--ceil"], 0),
    ("solve output-padding", ["solve", "output-padding", "-i", "89", "-k", "2", "-s", "2"], 0),
    ("solve output-padding", ["solve", "output-padding", "-i", "89,64", "-k", "2", "-s", "2"], 0),
    ("scheme list", ["scheme", "list"], 0),
    ("scheme check", ["scheme", "check", "tf-same", "--bound", "8"], 0),
    ("scheme check", ["scheme", "check", "pool-ceil", "--bound", "6"], 0),
    ("scheme check", ["scheme", "check", "transposed-output-padding", "--bound", "6"], 0),
    ("scheme compare", ["scheme", "compare", "tf-same", "torch-same", "-k", "4", "-i", "5..7"], 0),
    ("scheme compare", ["scheme", "compare", "pool-ceil", "transposed-output-padding", "-k", "3", "-s", "2",
                        "-i", "1,6", "--param", "p=1"], 0),
    ("net", ["net", "conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1"], 0),
    ("net", ["net", "conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1", "-i", "89"], 1),
    ("net", ["net", "conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1", "-i", "88,89"], 1),
    ("net", ["net", "conv k=7,5 s=2 p=3:3,2:2 @a; pool k=3 s=2 p=1; upsample f=2 @b | a=b", "-i", "224,161"], 1),
    ("net", ["net", "tconv k=2 s=2; conv k=3 scheme=tf-same", "-i", "9"], 0),
    ("net", ["net", "conv k=7; pool k=2", "-i", "3"], 1),
    ("graph", ["graph", "x = input [H, W]; a = conv k=3 p=1 (x); b = pool k=2; u = tconv k=2 s=2; c = cat (a, u)"], 0),
    ("graph", ["graph", "x = input [H, W]; a = conv k=3 p=1 (x); b = pool k=2; u = tconv k=2 s=2; c = cat (a, u)",
               "-i", "89,96", "--prove"], 1),
    ("graph", ["graph", "x = input [H]; a = pool k=3 s=2 ceil; u = tconv k=3 s=2; c = add (x, u)", "--fixes"], 0),
    ("graph", ["graph", "x = input [H, W]; a = conv k=3 s=2 scheme=tf-same; b = pool k=8; f = flatten c=4;"
               " l = linear in=16", "-i", "40"], 0),
    ("graph", ["graph", "x = input [H, W]; a = conv k=3 s=2 scheme=tf-same; b = pool k=8; f = flatten c=4;"
               " l = linear in=16", "-i", "100,64"], 1),
]


def _validate(command: str, data: Any) -> None:
    reason = _fails(data, SCHEMA[command], "$")
    assert not reason, reason
    for path, obj in _expressions(data):
        _check_expression(obj, path)
    _never_a_number_as_text(data)


@pytest.mark.parametrize("command, argv, code", COMMANDS, ids=[" ".join(argv[:3]) for _, argv, _ in COMMANDS])
def test_every_command_matches_its_schema_and_reads_back(capsys, command, argv, code):
    got, data = run_json(capsys, *argv)
    assert got == code
    _validate(command, data)


def test_writing_commands_match_their_schema(capsys, tmp_path, monkeypatch, built_document):
    monkeypatch.setattr("symconv.proof.coq.coqc.version", lambda: None)  # export without compiling
    monkeypatch.setattr("symconv.present.document.build_document", lambda **options: built_document)
    code, data = run_json(capsys, "prove", "round-trip", "--export", "coq", str(tmp_path / "coq"))
    assert code == 0 and data["coq"]["files"][0]["checked"] is None and data["proofs"][0]["coq"] is None
    _validate("prove", data)
    code, data = run_json(capsys, "scheme", "render", "half", "--output", str(tmp_path / "scheme"))
    assert code == 0 and data["name"] == "half"
    _validate("scheme render", data)
    code, data = run_json(capsys, "render", "--format", "markdown", "--output", str(tmp_path / "render"))
    assert code == 0 and data["failures"] == 0 and data["written"]
    _validate("render", data)


@pytest.mark.parametrize("argv", [["conv", "-i", "5", "-k", "3"], ["pool", "-i", "6", "-k", "2", "--ceil-mode"],
                                  ["transposed", "-i", "3", "-k", "3", "-s", "2", "-p", "1", "--format",
                                   "animated-svg"]])
def test_figure_matches_its_schema(capsys, tmp_path, argv):
    code, data = run_json(capsys, "figure", *argv, "-o", str(tmp_path / "figure.svg"))
    assert code == 0 and data["written"] == [str(tmp_path / "figure.svg")]
    _validate("figure", data)


def test_one_name_per_concept(capsys):
    _, listed = run_json(capsys, "list")
    _, shown = run_json(capsys, "show", "14")
    _, checked = run_json(capsys, "verify", "--bound", "3", "--max-kernel-size", "2", "--max-stride", "1",
                          "--max-dilation", "1")
    _, transposed = run_json(capsys, "transpose", "-k", "3", "-s", "2", "-p", "1")
    titles = {r["number"]: r["title"] for r in listed["relationships"]}
    assert shown["title"] == titles[14]
    assert all(c["title"] == titles[c["number"]] for c in checked["relationships"])
    assert set(shown["equivalent"]) == set(transposed)  # one shape for an equivalent convolution
    assert shown["equivalent"]["stride"] == transposed["stride"] == 1  # a stride is a number
    # A scheme is selected by its name in every scheme command; its transpose has the same shape as any other.
    _, listed = run_json(capsys, "scheme", "list")
    _, checked = run_json(capsys, "scheme", "check", "causal", "--bound", "4")
    _, compared = run_json(capsys, "scheme", "compare", "causal", "-i", "5")
    assert listed["schemes"][3]["name"] == checked["name"] == compared["schemes"][0]["name"] == "causal"
    assert set(checked["transposed"]) == set(transposed) | {"recovers_input"}
    assert checked["transposed"]["stride"] == 1 and compared["stride"] == 1


# --- the encoder ----------------------------------------------------------------------

def test_numbers_are_numbers_and_unknown_leaves_are_bugs():
    from fractions import Fraction

    assert encode({"a": sympy.Integer(3), "b": sympy.Rational(-1, 16), "c": Fraction(4, 2), "d": sympy.true,
                   "e": (1, 2), "f": None}) == {
        "a": 3, "b": {"numerator": -1, "denominator": 16}, "c": 2, "d": True, "e": [1, 2], "f": None}
    for leaf in (object(), {1, 2}, sympy.Interval(0, 1), float("nan"), sympy.Float(1.5)):
        with pytest.raises(TypeError, match="a bug in symconv"):
            dumps({"x": leaf})


def test_input_sizes_are_structured():
    from symconv.layers import InputSizes

    data = encode({"aligned": InputSizes(16, (0, 8), 16, (3,))})["aligned"]
    assert data == {"modulus": 16, "residues": [0, 8], "min": 16, "also": [3], "except": [],
                    "text": str(InputSizes(16, (0, 8), 16, (3,)))}
    assert not _fails(data, "sizes", "$")


def test_value_at_the_input_size():
    from symconv.core.symbols import i, k

    data = encode({"o": sympy.floor(i / 2) + 1, "n": 5, "both": sympy.floor((i - k) / 2)}, input_size=160)
    assert data["o"]["value"] == 81 and data["n"] == 5
    assert data["both"]["value"]["expr"] == "floor(-k/2) + 80"
    assert encode(sympy.ceiling(i / 32), input_size=(224, 160))["value"] == [7, 5]
    assert encode(sympy.Ge(i, 2), input_size=1)["value"] is False


def test_symbols_of_their_own_are_listed_and_read_back():
    q = sympy.Symbol("q", integer=True, nonnegative=True)
    o_of_i = sympy.Symbol("o(i)", integer=True)
    data = expression(sympy.Eq(o_of_i, 2 * q + 1))
    assert data["symbols"] == {"o_of_i": {"name": "o(i)", "domain": "integer"},
                               "q": {"name": "q", "domain": "nonnegative"}}
    assert _read(data) == sympy.Eq(o_of_i, 2 * q + 1)


def test_a_schemes_claim_symbols_are_its_own_and_read_back():
    """A claim's o, a and o' have no sign (symconv.core.symbols says why): listed as integers, read back equal."""
    from symconv.core import symbols
    from symconv.schemes import builtin_schemes
    from symconv.schemes.transpose import recovery

    own = {symbols.o_claimed: "o", symbols.a_claimed: "a", symbols.o_prime_claimed: "o_prime"}
    seen = set()
    for sch in builtin_schemes().values():
        for claim in (*sch.claims, *([] if sch.ceil_mode else [recovery(sch)[0]])):
            data = expression(claim)
            listed = {own[symbol] for symbol in claim.free_symbols if symbol in own}
            assert {key: entry["domain"] for key, entry in data.get("symbols", {}).items()} == dict.fromkeys(
                listed, "integer"), data
            seen |= listed
            local = names(data.get("symbols"))
            assert sympy.parse_expr(data["expr"], local_dict=local) == claim
            assert parse_claim(data["expr"], local) == claim
    assert seen == {"o", "a", "o_prime"}
    # The guide's o (positive) and a claim's o in one expression would print alike: a bug, not a guess.
    with pytest.raises(TypeError, match="would both be written o"):
        expression(sympy.Eq(symbols.o, symbols.o_claimed))


def test_a_symbol_that_shares_a_name_with_symconvs_is_listed():
    i_integer = sympy.Symbol("i", integer=True)
    data = expression(sympy.Ge(i_integer, 2))
    assert data["symbols"] == {"i": {"name": "i", "domain": "integer"}} and _read(data) == sympy.Ge(i_integer, 2)


def test_small_powers_are_written_as_products():
    from symconv.core.symbols import i, k

    for expr in (sympy.Ne(sympy.Mod(i**2, 4), 2), sympy.floor(i / k**2), sympy.floor((i + 1) ** 3 / (k + 1) ** 2),
                 3 * i**2 + (i + k) ** 2):
        data = expression(expr)
        assert "**" not in data["expr"] and _read(data) == expr


def test_per_axis_items_take_their_axis_input_size():
    from symconv.core.symbols import i

    data = encode({"axes": serialise.PerAxis([{"o": i}, {"o": 2 * i}]), "o": sympy.ceiling(i / 4)},
                  input_size=(224, 160))
    assert [axis["o"]["value"] for axis in data["axes"]] == [224, 320] and data["o"]["value"] == [56, 40]
    assert encode(serialise.PerAxis([i, i]), input_size=7) == [encode(i, input_size=7)] * 2
    with pytest.raises(TypeError, match="2 axes but 3 input sizes"):
        encode(serialise.PerAxis([i, i]), input_size=(1, 2, 3))


@pytest.mark.parametrize("expr, reason", [
    (sympy.Symbol("i", integer=True) + sympy.Symbol("i", integer=True, positive=True),
     "would both be written i: two different symbols"),
    (sympy.Symbol("q", integer=True) + sympy.Symbol("q", integer=True, positive=True), "would both be written q"),
    (sympy.Symbol("x", real=True), "cannot write the symbol"),
    (sympy.Symbol("floor", integer=True), "cannot write the symbol"),
    (sympy.Symbol("i", integer=True, positive=True) ** sympy.Symbol("k", integer=True, positive=True), "a power"),
    (sympy.Symbol("i", integer=True, positive=True) ** (serialise.MAX_POWER + 1), "a power"),
    (sympy.Symbol("i", integer=True, positive=True) / 2, "'/' outside floor and ceiling"),
    (sympy.Piecewise((1, sympy.Symbol("i", integer=True, positive=True) > 2), (0, True)), "not in the grammar"),
])
def test_what_would_not_read_back_is_a_bug(expr, reason):
    with pytest.raises(TypeError, match=reason):
        expression(expr)


def _evaluated(expr: sympy.Basic) -> sympy.Basic:
    """``expr`` built again with evaluation, as a parser builds what it reads (a step kept unevaluated
    for display, such as ``0 <= a`` with a nonnegative, evaluates to True)."""
    if not expr.args or isinstance(expr, sympy.Symbol):
        return expr
    return expr.func(*(_evaluated(arg) for arg in expr.args))


def _round_trip(expr: sympy.Basic) -> None:
    if isinstance(expr, sympy.Tuple):
        for item in expr:
            _round_trip(item)
        return
    if expr in (sympy.true, sympy.false) or expr.is_Number:
        return
    data = expression(expr)
    local = names(data.get("symbols"))
    claim = isinstance(expr, (Relational, BooleanFunction, BooleanAtom))
    wanted = _evaluated(expr)
    for got in (sympy.parse_expr(data["expr"], local_dict=local),
                (parse_claim if claim else parse_expression)(data["expr"], local)):
        assert got == wanted or (not claim and sympy.simplify(got - wanted) == 0), (data["expr"], got, wanted)


def test_the_catalogue_theorems_and_proof_steps_read_back():
    from symconv.guide.catalogue import relationships
    from symconv.guide.theorems import prove_all, theorems

    for r in relationships().values():
        for expr in (r.equation, r.domain, *r.conditions):
            _round_trip(expr)
        if r.equivalent is not None:
            for value in encode_fields(r.equivalent):
                _round_trip(sympy.sympify(value))
    for theorem in theorems().values():
        for expr in (theorem.statement, *theorem.hypotheses):
            _round_trip(expr)
    for proof in prove_all(["round-trip", "a-range", "ambiguity-same-output", "relationship-14"]):
        for step in proof.steps:
            _round_trip(step.statement)


def encode_fields(equivalent: Any) -> list:
    return [equivalent.kernel_size, equivalent.stride, equivalent.dilation, equivalent.zeros_between,
            *equivalent.padding, equivalent.a, equivalent.input_size, equivalent.stretched_input,
            equivalent.output_size]


# Random expressions from the JSON grammar: symbols, integers, + and *, floor and ceiling of quotients,
# Mod, Max and Min.
SYMBOLS = [names()[name] for name in ("i", "k", "s", "p", "d", "a", "p_l", "i_prime")]
POSITIVE = [symbol for symbol in SYMBOLS if symbol.is_positive]
leaves = st.one_of(st.integers(-20, 20).map(sympy.Integer), st.sampled_from(SYMBOLS))
divisors = st.one_of(st.integers(1, 9).map(sympy.Integer), st.sampled_from(POSITIVE),
                     st.tuples(st.sampled_from(POSITIVE), st.integers(0, 3)).map(lambda pair: pair[0] + pair[1]))


def _mod(pair):
    try:
        return sympy.Mod(*pair)
    except RecursionError:  # sympy's rewriting of some remainders never ends (see test_parsing)
        return pair[0]


def _build(children):
    return st.one_of(
        st.tuples(children, children).map(lambda pair: pair[0] + pair[1]),
        st.tuples(children, children).map(lambda pair: pair[0] * pair[1]),
        st.tuples(children, divisors).map(lambda pair: sympy.floor(pair[0] / pair[1])),
        st.tuples(children, divisors).map(lambda pair: sympy.ceiling(pair[0] / pair[1])),
        st.tuples(children, divisors).map(_mod),
        st.lists(children, min_size=2, max_size=3).map(lambda args: sympy.Max(*args)),
        st.lists(children, min_size=2, max_size=3).map(lambda args: sympy.Min(*args)),
    )


expressions = st.recursive(leaves, _build, max_leaves=6)
relations = st.tuples(expressions, st.sampled_from([sympy.Eq, sympy.Ne, sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt]),
                      expressions).map(lambda triple: triple[1](triple[0], triple[2]))


def _same(got: sympy.Basic, wanted: sympy.Basic) -> bool:
    """Equal, or equal sides of the same relation: sympy's str() does not always give back its tree, since
    2*(i + 1)*floor(i/k) reads as (2*i + 2)*floor(i/k)."""
    if got == wanted:
        return True
    if isinstance(got, Relational) and type(got) is type(wanted):
        return _same(got.lhs, wanted.lhs) and _same(got.rhs, wanted.rhs)
    return isinstance(got, sympy.Expr) and isinstance(wanted, sympy.Expr) and sympy.simplify(got - wanted) == 0


@settings(max_examples=200, deadline=None)
@given(expr=st.one_of(expressions, relations))
def test_random_expressions_read_back_through_both_parsers(expr):
    try:
        data = expression(expr)
    except TypeError as error:  # a large power or a rational outside floor: out of the grammar
        assume("power" not in str(error) and "outside floor" not in str(error))
        raise
    if expr in (sympy.true, sympy.false):
        return
    local = names(data.get("symbols"))
    claim = isinstance(expr, (Relational, BooleanFunction, BooleanAtom))
    by_sympy = sympy.parse_expr(data["expr"], local_dict=local)
    try:
        by_symconv = (parse_claim if claim else parse_expression)(data["expr"], local)
    except ParseError as error:
        assume("sympy cannot simplify this remainder" not in error.reason and "a constant may be at most"
               not in error.reason)
        raise
    # sympy leaves some of what it builds unevaluated (Min(Max(s, 2), Max(s, 3)) is Max(s, Min(2, 3))); a parser
    # evaluates what it reads.
    wanted = _evaluated(expr)
    for got in (by_sympy, by_symconv):
        assert _same(got, wanted), (data["expr"], got)
    if by_symconv == expr:
        assert text(by_symconv) == data["text"]


# --- errors, exit codes, --version ------------------------------------------------------

ERRORS = [
    (["shape", "conv", "-i", "5", "-k", "0"], {"type": "ParameterError", "parameter": "kernel_size", "value": 0,
                                               "rule": "kernel_size must be a positive integer"}),
    (["shape", "conv", "-i", "224,160", "-k", "3", "-p", "1,2,3"], {"parameter": "padding", "value": "1,2,3"}),
    (["shape", "conv", "-i", "5", "-k", "3", "--output-padding", "1"],
     {"parameter": "output_padding", "value": 1, "rule": "output_padding applies to transposed only"}),
    (["solve", "padding", "-i", "10", "-k", "3", "-s", "2", "--same"], {"parameter": "stride", "value": 2}),
    (["scheme", "compare", "-i", "10..5"], {"parameter": "input_sizes", "value": "10..5"}),
    (["net", "conv k=x"], {"type": "ParseError", "value": "conv k=x", "token": "k=x", "column": 6}),
    (["shape", "conv", "-k", "3"], {"type": "UsageError", "parameter": None}),
]


@pytest.mark.parametrize("argv, fields", ERRORS)
def test_errors_under_json_are_one_object_on_stderr_with_exit_2(capsys, argv, fields):
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    data = json.loads(err)
    assert not _fails(data, SCHEMA["error"], "$")
    assert {key: data[key] for key in fields} == fields
    main(argv)
    plain = capsys.readouterr().err
    assert data["error"] == plain.strip()  # the same line as without --json


def _broken(args):
    raise RuntimeError("an unexpected\nfailure")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_bug_is_exit_3_in_one_line_without_traceback(capsys, monkeypatch, as_json):
    monkeypatch.delenv("SYMCONV_DEBUG", raising=False)
    monkeypatch.setattr("symconv.cli._cmd_list", _broken)
    code = main(["list"] + ["--json"] * as_json)
    out, err = capsys.readouterr()
    assert code == 3 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    message = json.loads(err)["error"] if as_json else err
    assert "a bug in symconv" in message and "RuntimeError: an unexpected failure" in message
    if as_json:
        assert json.loads(err)["type"] == "RuntimeError"


def test_symconv_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("SYMCONV_DEBUG", "1")
    monkeypatch.setattr("symconv.cli._cmd_list", _broken)
    with pytest.raises(RuntimeError, match="an unexpected"):
        main(["list"])


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"symconv {symconv.__version__}\n"
    run = subprocess.run([sys.executable, "-m", "symconv", "--version"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert run.returncode == 0 and run.stdout.strip() == f"symconv {symconv.__version__}"


def test_error_object_for_each_kind_of_error():
    data = serialise.error("symconv: error: ...", ParameterError("padding", (1, 2, 3), "padding must be a pair"))
    assert data["value"] == [1, 2, 3] and data["parameter"] == "padding"
    data = serialise.error("line one\nline two")
    assert data["error"] == "line one line two" and data["type"] is None
