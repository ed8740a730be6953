"""Suggested fixes: each one's claimed valid sizes against a brute-force run of the changed graph."""

from __future__ import annotations

import json

import pytest

from symconv.core.errors import ParameterError
from symconv.graphs.decide import valid_sizes
from symconv.graphs.fixes import contains, suggest_fixes
from symconv.graphs.graph import Graph
from symconv.graphs.parse import parse_graph
from symconv.graphs.report import analyse_graph
from symconv.graphs.sizes import oracle_run
from symconv.layers import InputSizes
from symconv.present.graph_text import graph_data, graph_text
from symconv.present.serialise import dumps

# Two-level U-Nets, each misaligned on odd sizes (or on every size) in its own way.
POOL_K3 = ("x = input [L]; e1 = conv k=3 p=1; p1 = pool k=3 s=2; e2 = conv k=3 p=1; p2 = pool k=2;"
           " m = conv k=3 p=1; u2 = tconv k=2 s=2; c2 = cat (e2, u2); d2 = conv k=3 p=1;"
           " u1 = upsample f=2; c1 = cat (e1, u1); out = conv k=1")
TCONV_K3 = ("x = input [L]; e1 = conv k=3 p=1; p1 = pool k=2; e2 = conv k=3 p=1; p2 = pool k=2;"
            " m = conv k=3 p=1; u2 = tconv k=3 s=2 p=1; c2 = cat (e2, u2); d2 = conv k=3 p=1;"
            " u1 = tconv k=2 s=2; c1 = cat (e1, u1); out = conv k=1")
VALID_CONV = ("x = input [L]; e1 = conv k=3 p=1; p1 = conv k=3 s=2; e2 = conv k=3 p=1;"
              " u1 = upsample f=2; c1 = cat (e1, u1); out = conv k=1")

SIZES = range(1, 90)


def brute(graph: Graph, axis: str = "L") -> set[int]:
    return {n for n in SIZES if oracle_run(graph, {axis: n}).ok}


def in_range(sizes: InputSizes) -> set[int]:
    return {n for n in SIZES if n in sizes}


@pytest.mark.parametrize("text, expected", [
    (POOL_K3, {("ceil_mode", "p1"), ("padding", "p1")}),
    (TCONV_K3, {("output_padding", "u2"), ("padding", "u2")}),
    (VALID_CONV, {("padding", "p1")}),
])
def test_fixes_of_misaligned_unets_hold_by_brute_force(text, expected):
    graph = parse_graph(text)
    old = brute(graph)
    assert old == in_range(valid_sizes(graph)["L"].answer) and old != set(range(min(old or {1}), 90))
    search = suggest_fixes(graph)
    assert search.fixes and search.exhausted is None
    assert expected <= {(fix.parameter, fix.node) for fix in search.fixes}
    for fix in search.fixes:
        assert fix.valid == {axis: d.answer for axis, d in valid_sizes(fix.graph).items()}  # from valid_sizes
        found = brute(fix.graph)
        assert found == in_range(fix.valid["L"]), fix.text
        assert old < found, fix.text  # strictly more sizes run (in this range too)
        assert [node.name for node in fix.graph.nodes] == [node.name for node in graph.nodes]
    densities = [fix.density for fix in search.fixes]
    assert densities == sorted(densities, reverse=True)


def test_fixes_speak_the_frameworks_words():
    g = Graph.builder()
    x = g.input("x", ("H", "W"))
    a = g.node("a", parse_graph("x = input [H, W]; a = conv k=3 p=1").node("a").op, (x,), label="enc1", op_type="Conv")
    p = g.node("p", parse_graph("x = input [H, W]; p = pool k=2").node("p").op, (a,), label="pool2",
               op_type="MaxPool")
    u = g.node("u", parse_graph("x = input [H, W]; u = tconv k=3 s=2 p=1").node("u").op, (p,), label="up3",
               op_type="ConvTranspose")
    g.cat("c", [a, u])
    graph = g.build()
    texts = [fix.text for fix in suggest_fixes(graph).fixes]
    assert "output_padding=1 on ConvTranspose 'up3'" in texts
    assert "ceil_mode=True on MaxPool 'pool2'" in texts
    assert "padding=1 instead of 0 on MaxPool 'pool2'" in texts
    for fix in suggest_fixes(graph).fixes:
        width = fix.valid["W"].smallest_at_least(1)
        assert {n for n in range(1, 40) if oracle_run(fix.graph, {"H": n, "W": width}).ok} == \
            {n for n in range(1, 40) if n in fix.valid["H"]}, fix.text


def test_report_text_and_json():
    report = analyse_graph(parse_graph(TCONV_K3), 9)
    assert report.fixes is not None and report.fixes.fixes
    text = graph_text(report)
    assert "fixes (each checked: the changed graph's valid input sizes):" in text
    assert "  output_padding=1 on ConvTranspose 'u2': L " in text
    data = json.loads(dumps(graph_data(report)))
    first = data["fixes"]["suggestions"][0]
    assert set(first) == {"node", "shown", "op", "parameter", "old", "new", "text", "valid_input_sizes", "density"}
    assert first["valid_input_sizes"]["L"]["modulus"] >= 1 and "residues" in first["valid_input_sizes"]["L"]
    assert data["fixes"]["exhausted"] is None and data["fixes"]["tried"] == data["fixes"]["candidates"]
    aligned = analyse_graph(parse_graph("x = input [L]; a = conv k=3 p=1; b = add (x, a)"))
    assert aligned.fixes is None and graph_data(aligned)["fixes"] is None and "fixes" not in graph_text(aligned)
    assert analyse_graph(parse_graph(TCONV_K3), fixes=False).fixes is None


def test_the_search_says_when_its_budget_ran_out():
    graph = parse_graph(TCONV_K3)
    short = suggest_fixes(graph, max_candidates=1)
    assert short.exhausted == "candidates" and short.tried == 1 and short.candidates > 1
    assert suggest_fixes(graph, seconds=0).exhausted == "time"
    report = analyse_graph(graph)
    text = graph_text(type(report)(report.graph, report.sizes, report.valid, report.fields, fixes=short))
    assert f"the search's budget of candidates ran out after 1 of {short.candidates} edits" in text


def test_containment_is_exact():
    evens, fours = InputSizes(2, (0,), 2), InputSizes(4, (0,), 4)
    assert contains(evens, fours) and not contains(fours, evens)
    assert contains(InputSizes(1, (0,), 3, (1,)), InputSizes(2, (1,), 1))
    assert not contains(InputSizes(1, (0,), 3), InputSizes(2, (1,), 1))
    assert contains(evens, InputSizes(1, (), 1)) and not contains(InputSizes(1, (), 1), evens)


@pytest.mark.parametrize("call, match", [
    (lambda: suggest_fixes("x = input"), "graph='str' is invalid: expected a Graph"),
    (lambda: suggest_fixes(parse_graph(POOL_K3), max_candidates=-1), "max_candidates=-1 is invalid"),
    (lambda: suggest_fixes(parse_graph(POOL_K3), seconds="1"), "seconds='1' is invalid"),
])
def test_bad_input(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
