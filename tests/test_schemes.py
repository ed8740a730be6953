"""Padding schemes: the built-ins against the frameworks, claims, bad files, the CLI."""

import dataclasses
import json
import re
import time
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv.guide import queries
from symconv.guide import shapes
from symconv import schemes as schemes_module
from symconv.schemes import check as check_module
from symconv.cli import main
from symconv.core.errors import SchemeError, SymconvError
from symconv.core.numeric import compile_expr
from symconv.core.printing import text
from symconv.schemes import (
    Scheme, builtin_schemes, check_scheme, compare, declare, load_scheme, output_size, resolve, scheme,
    scheme_from_toml,
)
from symconv.present.data import scheme_report_data
from symconv.present.serialise import dumps
from symconv.present.text import comparison_text, scheme_report_text

CONVENTIONS = json.loads((Path(__file__).parent / "data" / "framework_conventions.json").read_text())


@lru_cache(maxsize=None)
def report(name):
    return check_scheme(scheme(name))


def rows(framework, table):
    section = CONVENTIONS[framework][table]
    return [dict(zip(section["columns"], row)) for row in section["rows"]]


# --- the built-ins: claims and output sizes ---------------------------------------------------

# The claims that need floor to be monotone, or k odd from k mod 2 = 1: the division-algorithm
# prover left them to enumeration, and the certificate prover proves them. Either way each is
# proved or holds on every case, never false; no other claim may fall back to enumeration.
MAY_BE_ENUMERATED = {
    ("valid", "o ≤ i"),
    ("half", "o = i"),
    ("full", "o ≥ ⌈i/s⌉"),
    ("pool-ceil", "o ≥ ⌊(i + 2p - d(k - 1) - 1)/s⌋ + 1"),
    ("pool-ceil", "s(o - 1) < i + p"),
}
# True, but no prover of linear facts about quotients proves it: i² is 0 or 1 mod 4.
SQUARES = 'name = "squares"\nbefore = "0"\nafter = "0"\nclaims = ["(i * i) % 4 != 2"]\n'


@pytest.mark.parametrize("name", list(builtin_schemes()))
def test_builtin_claims_are_proved(name):
    found = report(name)
    assert found.claims, "every built-in makes a claim"
    for result in found.claims:
        allowed = {"proved", "holds-enumerated"} if (name, text(result.claim)) in MAY_BE_ENUMERATED else {"proved"}
        assert result.status in allowed, text(result.claim)
        assert result.counterexample is None and result.cases > 0
    assert all(result.status == "proved" for _, result in found.padding)
    assert found.holds


def test_enumerated_claims_are_the_known_ones():
    seen = {(name, text(r.claim)) for name in builtin_schemes() for r in report(name).claims
            if r.status == "holds-enumerated"}
    assert seen <= MAY_BE_ENUMERATED


@pytest.mark.parametrize("name, size", [
    ("valid", "⌈(i - d(k - 1))/s⌉"),
    ("half", "i"),
    ("full", "⌈(i + d(k - 1))/s⌉"),
    ("causal", "⌈i/s⌉"),
    ("torch-same", "i"),
    ("tf-same", "⌈i/s⌉"),
    ("onnx-same-lower", "⌈i/s⌉"),
    ("pool-ceil", "min(⌊(i + p - 1)/s⌋, ⌈(i + 2p - d(k - 1) - 1)/s⌉) + 1"),
    ("transposed-output-padding", "⌈(i + 2p - d(k - 1))/s⌉"),
])
def test_builtin_output_sizes(name, size):
    assert text(report(name).output_size) == size
    assert text(output_size(scheme(name))) == size


def test_builtins_load_through_the_user_loader(tmp_path):
    source = Path(__import__("symconv.schemes").schemes.__file__).parent / "builtin" / "tf-same.toml"
    copy = tmp_path / "copy.toml"
    copy.write_text(source.read_text())
    loaded = load_scheme(copy)
    assert (loaded.before, loaded.after, loaded.claims) == (scheme("tf-same").before, scheme("tf-same").after,
                                                            scheme("tf-same").claims)
    assert loaded.source == str(copy) and scheme("tf-same").source.endswith("tf-same.toml")


def test_transposed_derivation():
    found = report("transposed-output-padding").transposed
    assert text(found.output_padding) == "(i + 2p - d(k - 1) - 1) mod s"
    assert [text(side) for side in found.equivalent.padding] == ["d(k - 1) - p", "d(k - 1) - p"]
    assert found.recovers.status == "proved"
    assert text(report("half").transposed.output_padding) == "0"
    assert report("pool-ceil").transposed is None


# --- the built-ins against the frameworks (tests/data/record_conventions.py) -------------------

def padding_and_size(sch, row, **parameters):
    before, after = sch.padding(row["i"], row["k"], row["s"], row["d"], **parameters)
    return before, after, shapes.conv_output_size(row["i"], row["k"], row["s"], (before, after), row["d"])


@pytest.mark.parametrize("framework, table, name", [
    ("tensorflow", "same", "tf-same"),
    ("jax", "same", "tf-same"),
    ("onnxruntime", "same_upper", "tf-same"),
    ("jax", "same_lower", "onnx-same-lower"),
    ("onnxruntime", "same_lower", "onnx-same-lower"),
    ("torch", "conv1d_same", "torch-same"),
])
def test_same_schemes_match_the_frameworks(framework, table, name):
    sch, compared = scheme(name), 0
    for row in rows(framework, table):
        if row["output_size"] is None:  # the framework refused; torch-same refuses too
            if name == "torch-same":
                with pytest.raises(SchemeError, match="needs s = 1"):
                    sch.padding(row["i"], row["k"], row["s"], row["d"])
            continue
        before, after, size = padding_and_size(sch, row)
        assert size == row["output_size"], row
        if row["before"] is not None:  # observable: some tap read the input
            assert (before, after) == (row["before"], row["after"]), row
            compared += 1
    assert compared >= 78  # torch: stride 1 only; the rest: all but a few taps between input units


@pytest.mark.parametrize("framework, table, refused", [
    ("torch", "conv1d_same", lambda row: row["s"] > 1),
    ("tensorflow", "same", lambda row: row["s"] > 1 and row["d"] > 1),
    ("onnxruntime", "same_upper", lambda row: row["d"] > 1),
    ("onnxruntime", "same_lower", lambda row: row["d"] > 1),
    ("jax", "same", lambda row: False),
])
def test_what_the_frameworks_refuse(framework, table, refused):
    assert all((row["output_size"] is None) == refused(row) for row in rows(framework, table))


def test_uneven_split_side_for_an_even_kernel():
    row = {"i": 6, "k": 4, "s": 1, "d": 1}
    observed = {(f, t): next((r["before"], r["after"]) for r in rows(f, t) if all(r[x] == row[x] for x in row))
                for f, t in [("torch", "conv1d_same"), ("tensorflow", "same"), ("onnxruntime", "same_lower")]}
    assert observed == {("torch", "conv1d_same"): (1, 2), ("tensorflow", "same"): (1, 2),
                        ("onnxruntime", "same_lower"): (2, 1)}
    assert [scheme(n).padding(6, 4) for n in ("torch-same", "tf-same", "onnx-same-lower")] == [(1, 2), (1, 2), (2, 1)]


@pytest.mark.parametrize("framework, table, empty", [
    ("torch", "max_pool1d_ceil", {None}),  # PyTorch refuses when no window fits
    ("onnxruntime", "max_pool_ceil", {None, 0}),  # ONNX Runtime refuses or returns an empty output
])
def test_pool_ceil_matches_the_frameworks(framework, table, empty):
    sch = scheme("pool-ceil")
    formula = compile_expr(output_size(sch), sch.variables)
    for row in rows(framework, table):
        values = (row["i"], row["k"], row["s"], row["d"], row["p"])
        fits = row["i"] + 2 * row["p"] + row["s"] > row["d"] * (row["k"] - 1) + 1
        assert (row["output_size"] not in empty) == fits, row
        if fits:
            assert formula(*values) == row["output_size"], row
            assert formula(*values) == shapes.pool_output_size(row["i"], row["k"], row["s"], row["p"], row["d"],
                                                              ceil_mode=True)


def recovering_output_padding(framework, table, i, k, s, d, p):
    """The output_paddings the framework accepts that give back i, from the recorded sizes."""
    o = shapes.conv_output_size(i, k, s, p, d)
    return [row["output_padding"] for row in rows(framework, table)
            if (row["i'"], row["k"], row["s"], row["d"], row.get("p", 0)) == (o, k, s, d, p)
            and row["accepted"] and row["output_size"] == i]


def test_output_padding_matches_pytorch():
    sch = scheme("transposed-output-padding")
    a = compile_expr(sch.output_padding, sch.variables)
    checked = 0
    for row in rows("torch", "conv_transpose1d"):
        assert row["accepted"] == (row["output_padding"] < max(row["s"], row["d"])), row
    for i in range(1, 11):
        for k in range(1, 5):
            for s in range(1, 4):
                for d in range(1, 4):
                    for p in range(0, 2):
                        if i + 2 * p < d * (k - 1) + 1 or shapes.conv_output_size(i, k, s, p, d) > 4:
                            continue  # no window, or i' outside what was recorded
                        assert recovering_output_padding("torch", "conv_transpose1d", i, k, s, d, p) == \
                            [a(i, k, s, d, p)], (i, k, s, d, p)
                        checked += 1
    assert checked > 300


def test_output_padding_matches_keras():
    sch = scheme("transposed-output-padding")
    a = compile_expr(sch.output_padding, sch.variables)
    for row in rows("keras", "conv1d_transpose"):
        assert row["accepted"] == (row["output_padding"] < row["s"] and not (row["s"] > 1 and row["d"] > 1)), row
    for i in range(1, 11):
        for k in range(1, 5):
            for s, d in [(1, 1), (1, 2), (1, 3), (2, 1), (3, 1)]:  # Keras refuses s > 1 with d > 1
                if i < d * (k - 1) + 1 or shapes.conv_output_size(i, k, s, 0, d) > 4:
                    continue
                assert recovering_output_padding("keras", "conv1d_transpose", i, k, s, d, 0) == [a(i, k, s, d, 0)]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.integers(1, 9), st.integers(1, 5), st.integers(1, 4))
def test_tf_same_is_the_smallest_padding_for_ceil(i, k, s, d):
    """The smallest total that gives ceil(i/s), split after: queries.paddings agrees."""
    before, after = scheme("tf-same").padding(i, k, s, d)
    assert (before, after) == queries.paddings(i, k, s, d, output_size="ceil").smallest
    assert scheme("onnx-same-lower").padding(i, k, s, d) == (after, before)
    assert shapes.conv_output_size(i, k, s, (before, after), d) == -(-i // s)


# --- users' schemes: false claims, transposability ------------------------------------------------

WRONG = '''
name = "wrong"
description = "k // 2 on both sides: the output keeps its size only for odd k and s = 1"
before = "k // 2"
after = "k // 2"
claims = ["o == i", "o == (i + 2 * (k // 2) - d * (k - 1) - 1) // s + 1"]
'''


def test_false_claim_gives_the_smallest_counterexample():
    found = check_scheme(scheme_from_toml(WRONG, "wrong.toml"))
    first, second = found.claims
    assert first.status == "false"
    assert first.counterexample == {"i": 1, "k": 2, "s": 1, "d": 1, "o": 2}
    assert second.status == "proved" and not found.holds


def test_a_proved_claim_o_equals_x_is_the_shortest_form_without_a_second_search(monkeypatch):
    # tf-same claims o == ceil(i/s), the first form worth trying: its proof is the form's proof
    monkeypatch.setattr(check_module, "output_size", lambda *_: pytest.fail("searched for the form again"))
    found = check_scheme(scheme("tf-same"))
    assert found.claims[0].status == "proved" and text(found.output_size) == "⌈i/s⌉"


def test_a_false_claim_o_equals_x_leaves_the_shortest_form_to_the_search():
    # WRONG's first form worth trying is its false claim's side, i: the search finds the form instead
    wrong = scheme_from_toml(WRONG, "wrong.toml")
    found = check_scheme(wrong)
    assert found.claims[0].status == "false"
    assert found.output_size == output_size(wrong) and text(found.output_size) != "i"


@pytest.mark.parametrize("output_padding, claimed, status", [
    ("(i + 2 * p - d * (k - 1) - 1) % s", "true", "proved"),
    ("0", "true", "false"),    # stride 2 loses odd sizes
    ("0", "false", "proved"),  # ... and one such size proves it is not transposable
    ("(i + 2 * p - d * (k - 1) - 1) % s", "false", "false"),
])
def test_transposable(output_padding, claimed, status):
    sch = scheme_from_toml(f'name = "t"\nparameters = ["p"]\nbefore = "p"\nafter = "p"\n'
                           f'output_padding = "{output_padding}"\ntransposable = {claimed}\n')
    (result,) = check_scheme(sch, bound=8).claims
    assert result.status == status


def test_claims_about_the_derived_output_padding():
    sch = declare("pairs", "0", "0", claims=["a == (i - d * (k - 1) - 1) % s", "a == 0"])
    exact, zero = check_scheme(sch, bound=8).claims
    assert exact.status == "proved"
    assert zero.status == "false" and zero.counterexample["a"] == 1


def test_bound_sets_the_enumeration():
    squares = scheme_from_toml(SQUARES)
    small, large = (check_scheme(squares, bound=b).claims[0] for b in (6, 12))
    assert small.status == large.status == "holds-enumerated" and small.cases < large.cases
    # every case with i <= bound and a window, each one evaluated: sum over k, s, d of the i that fit
    assert large.cases == sum(1 for i in range(1, 13) for k in range(1, 6) for s in range(1, 5)
                              for d in range(1, 4) if i >= d * (k - 1) + 1)


def test_python_declaration_and_padding():
    causal = declare("my-causal", "d * (k - 1)", 0, claims=["o == ceil(i / s)"], where=["d <= 2"])
    assert isinstance(causal, Scheme) and causal.source == "<python>"
    assert causal.padding(10, kernel_size=3, dilation=2) == (4, 0)
    with pytest.raises(SchemeError, match="needs d ≤ 2"):
        causal.padding(10, kernel_size=3, dilation=3)
    assert scheme("pool-ceil").padding(5, 2, 2, p=1) == (1, 1)
    with pytest.raises(SchemeError, match="no parameter 'q'"):
        scheme("pool-ceil").padding(5, 2, 2, q=1)


def test_compare_makes_the_differences_visible():
    table = compare([scheme(n) for n in ("tf-same", "onnx-same-lower", "torch-same", "pool-ceil")],
                    kernel_size=4, stride=2, sizes=[5, 6], parameters={"p": 1})
    cells = {row.scheme.name: [(c.before, c.after, c.output_size) for c in row.cells] for row in table.rows}
    assert cells == {"tf-same": [(1, 2, 3), (1, 1, 3)], "onnx-same-lower": [(2, 1, 3), (1, 1, 3)],
                     "torch-same": [(None, None, None)] * 2, "pool-ceil": [(1, 1, 3), (1, 1, 3)]}
    assert [text(row.output_size) for row in table.rows[:2]] == ["⌈i/2⌉", "⌈i/2⌉"]
    assert not table.rows[2].applicable and table.rows[2].cells[0].note == "needs s = 1"
    shown = comparison_text(table)
    assert "n/a: needs s = 1" in shown and "2+1→3" in shown and "1+2→3" in shown
    with pytest.raises(SchemeError, match="no scheme declares a parameter 'q'"):
        compare([scheme("valid")], 3, parameters={"q": 1})


def test_no_window_is_a_note_not_an_error():
    (row,) = compare([scheme("valid")], kernel_size=5, sizes=[3, 5]).rows
    assert [(c.output_size, c.note) for c in row.cells] == [(None, "no window fits"), (1, "")]


# --- domains: the whole box, filtered by the where as written ------------------------------------

BOX = [(i, k, s, d) for i in range(1, 257) for k in range(1, 6) for s in range(1, 5) for d in range(1, 4)]

# (where, parameters, the where in Python, claim, bound, smallest counterexample or None). Each row
# was once wrong: the first enumerated only i = 1, 3, 5 (k % 2 == 1 rewritten as a multiple plus a
# remainder, with three multiples), the next kept only the last "symbol == value" hypothesis (k = 1
# came out as a counterexample of k == 3, i = 0 as one of q >= 1), and the last could not evaluate at all.
DOMAINS = [
    (["i % 2 == 1"], (), lambda i, k, s, d, q: i % 2 == 1, "i <= 5", 200, {"i": 7, "k": 1, "s": 1, "d": 1}),
    (["i % 2 == 1"], (), lambda i, k, s, d, q: i % 2 == 1, "o <= 5", 200,
     {"i": 7, "k": 1, "s": 1, "d": 1, "o": 7}),
    (["k == 3", "k % 2 == 1"], (), lambda i, k, s, d, q: k == 3, "k == 3", 16, None),
    (["k == 3", "k % 2 == 1"], (), lambda i, k, s, d, q: k == 3, "i >= 4", 16, {"i": 3, "k": 3, "s": 1, "d": 1}),
    (["i == q"], ("q",), lambda i, k, s, d, q: i == q, "q >= 1", 16, None),
    (["i == q"], ("q",), lambda i, k, s, d, q: i == q, "q >= 2", 16, {"i": 1, "k": 1, "s": 1, "d": 1, "q": 1}),
    (["k == s + 1", "s == 2"], (), lambda i, k, s, d, q: (k, s) == (3, 2), "k == 3", 16, None),
    (["k == s + 1", "s == 2"], (), lambda i, k, s, d, q: (k, s) == (3, 2), "i >= 4", 16,
     {"i": 3, "k": 3, "s": 2, "d": 1}),
]


@pytest.mark.parametrize("where, parameters, inside, claim, bound, counterexample", DOMAINS)
def test_the_domain_is_enumerated_as_written(where, parameters, inside, claim, bound, counterexample):
    sch = declare("domain", "0", "0", where=where, claims=[claim], parameters=list(parameters))
    (result,) = check_scheme(sch, bound=bound).claims
    # every case of the box that satisfies the where and has a window, each one evaluated
    expected = sum(1 for i, k, s, d in BOX for q in (range(0, 4) if parameters else [0])
                   if i <= bound and inside(i, k, s, d, q) and i >= d * (k - 1) + 1)
    assert result.cases == expected > 0
    if counterexample is None:
        assert result.status in ("proved", "holds-enumerated") and result.counterexample is None
    else:
        assert result.status == "false" and result.counterexample == counterexample
        values = {name: counterexample.get(name, 0) for name in ("i", "k", "s", "d", "q")}
        assert inside(**values), "a counterexample lies inside the domain"


def test_the_cli_reports_the_odd_input_sizes_beyond_five(capsys, tmp_path):
    path = tmp_path / "odd.toml"
    path.write_text('name = "odd"\nbefore = "0"\nafter = "0"\nwhere = ["i % 2 == 1"]\nclaims = ["i <= 5"]\n')
    code, out, _ = run(capsys, "scheme", "check", str(path), "--bound", "200")
    assert code == 1 and "false             i ≤ 5: smallest counterexample: i=7, k=1, s=1, d=1" in out


# Each was once "proved", exit 0: a max in the where, and six splits of max in the where.
FALSE_BEYOND_THE_BOX = [
    ('where = ["i + max(k - 2 * 1000000, s - 2 * 1000000) <= 999999"]\nclaims = ["i // 1000000 == 0"]\n',
     {"i": 1000000, "k": 1, "s": 1, "d": 1}),
    ('where = [' + ", ".join(f'"max({a}, {b}) != 7"' for a, b in
                             [("i", "k"), ("i", "s"), ("i", "d"), ("k", "s"), ("k", "d"), ("s", "d")])
     + ']\nclaims = ["max(1000000 - i, 1000000 - k) >= 0"]\n', {"i": 1000001, "k": 1000001, "s": 1, "d": 1}),
]


@pytest.mark.parametrize("declared, counterexample", FALSE_BEYOND_THE_BOX)
def test_a_false_claim_beyond_the_box_is_false_not_proved(declared, counterexample, capsys, tmp_path):
    path = tmp_path / "beyond.toml"
    path.write_text('name = "beyond"\nbefore = 0\nafter = 0\n' + declared)
    code, out, _ = run(capsys, "scheme", "check", str(path), "--json")
    (claim,) = json.loads(out)["claims"]
    assert code == 1 and claim["status"] == "false"
    assert {key: claim["counterexample"][key] for key in counterexample} == counterexample


# A where that no case satisfies was once "holds-enumerated, all 0 cases agree", exit 0, for any claim.
EMPTY = [
    (["k % 2 == 1", "k % 2 == 0"], "contradictory: k mod 2 = 1 and k mod 2 = 0 cannot both hold"),
    (["k % 4 == 1", "k % 6 == 2"], "contradictory: k mod 4 = 1 and k mod 6 = 2 cannot both hold"),
    (["k % 2 == 2"], "contradictory: k mod 2 = 2 is never true: a remainder mod 2 is 0 to 1"),
    (["k == 3", "k == 4"], "contradictory: k = 3 and k = 4 cannot both hold"),
    (["k == 3", "k % 2 == 0"], "contradictory: k = 3 and k mod 2 = 0 cannot both hold"),
    (["i <= 3", "5 <= i"], "contradictory: i ≤ 3 and 5 ≤ i cannot both hold"),
    (["k >= 3", "i <= 1"], "contradictory: no integers satisfy it with a window that fits (proved)"),
]


@pytest.mark.parametrize("where, message", EMPTY)
def test_an_empty_domain_is_refused(where, message, capsys, tmp_path):
    with pytest.raises(SchemeError, match=r"^<python>: where: " + re.escape(message)):
        declare("empty", "0", "0", where=where, claims=["o == 77"])
    path = tmp_path / "empty.toml"
    path.write_text(f'name = "empty"\nbefore = "0"\nafter = "0"\nwhere = {json.dumps(where)}\nclaims = ["o == 77"]\n')
    code, out, err = run(capsys, "scheme", "check", str(path))
    assert code == 2 and out == "" and f"{path}:4: where: " in err and err.count("\n") == 1


def test_a_domain_empty_only_on_the_box_is_accepted_and_its_claims_proved_or_not_enumerated():
    # i >= 100 lies beyond the default box (i <= 16), but a claim about it can still be proved for all integers.
    large = declare("large", "0", "0", where=["i >= 100"], claims=["s * (o - 1) <= i", "o <= 5"])
    proved, unproved = check_scheme(large).claims
    assert (proved.status, proved.cases) == ("proved", 0)
    assert unproved.status == "false"  # z3 finds i = 100 beyond the box: a counterexample is still shown
    assert check_scheme(large, bound=120).claims[1].counterexample["i"] == 100


def test_a_claim_checked_on_no_case_is_not_called_enumerated(capsys, tmp_path):
    # The domain is not empty (i = 10..16), but a bound of 4 leaves no case in it.
    content = SQUARES + 'where = ["i >= 10"]\n'
    report_ = check_scheme(scheme_from_toml(content), bound=4)
    (result,) = report_.claims
    assert (result.status, result.cases) == ("unproved", 0) and not report_.holds
    assert "no case with i <= 4, k <= 5, s <= 4, d <= 3 lies in the domain, so nothing was checked" in \
        scheme_report_text(report_)
    path = tmp_path / "late.toml"
    path.write_text(content)
    code, out, _ = run(capsys, "scheme", "check", str(path), "--bound", "4", "--json")
    assert code == 1 and json.loads(out)["claims"][0]["status"] == "unproved"


def test_a_conflict_is_reported_as_a_bug(monkeypatch, capsys):
    real = check_module.prove

    def conflicted(theorem, ranges=None):
        proof = real(theorem, ranges)
        if not theorem.name.endswith("claim 1"):
            return proof
        return dataclasses.replace(proof, status="conflict", counterexample={"i": 1, "k": 1, "s": 1, "d": 1, "o": 1})

    monkeypatch.setattr(check_module, "prove", conflicted)
    found = check_scheme(scheme("causal"), bound=4)
    assert found.claims[0].status == "conflict" and not found.holds
    assert ("conflict          o = ⌈i/s⌉: the prover's checked proof and the counterexample "
            "i=1, k=1, s=1, d=1, o=1 disagree: a bug in symconv") in scheme_report_text(found)
    assert scheme_report_data(found)["claims"][0]["status"] == "conflict"


# --- budgets: each of these once ran for minutes, died, or ran out of memory ----------------------

BLOWUPS = [
    (dict(parameters=["q", "r", "t2"], before="q + r + t2"),
     r"^<python>:\d*:? ?parameters: 3 parameters are declared; at most 2 are allowed, as each multiplies"),
    (dict(where=["i <= 1000000 * 1000000"]),
     r"where: item 1: cannot parse .*'1000000 \* 1000000' at column 6: this folds to a constant of 1000000000000"),
    (dict(parameters=["p"], before="mod(-p - 2, k + 1)"),
     r"before: cannot parse .*sympy cannot simplify this remainder .*; write the same number as "
     r"\(-p - 2\) - \(k \+ 1\) \* \(\(-p - 2\) // \(k \+ 1\)\)"),
]


@pytest.mark.parametrize("options, message", BLOWUPS)
def test_blowups_are_refused_when_declared(options, message):
    options = {"before": "0", "after": "0", **options}
    with pytest.raises(SchemeError, match=message) as caught:
        declare("blowup", options.pop("before"), options.pop("after"), **options)
    assert "\n" not in str(caught.value)


def test_the_suggested_remainder_is_the_same_number():
    sch = declare("remainder", "(-p - 2) - (k + 1) * ((-p - 2) // (k + 1))", "0", parameters=["p"])
    assert all(sch.padding(5, k, p=p)[0] == (-p - 2) % (k + 1) for k in range(1, 6) for p in range(4))


def test_a_padding_too_large_for_the_oracle_is_refused_quickly():
    start = time.perf_counter()
    huge = declare("huge", "1000000", "0", ceil_mode=True, claims=["o >= 1"])
    with pytest.raises(SchemeError, match=r"^<python>: before, after: the paddings are too large for the "
                                          r"brute-force oracle, which walks every window: at i=1, k=1, s=1, d=1 "
                                          r"they are 1000000 and 0, so 1000002 windows; it walks at most 100000 "
                                          r"for one case"):
        check_scheme(huge)
    assert time.perf_counter() - start < 30


def test_the_oracle_has_a_budget_for_the_whole_check(monkeypatch):
    monkeypatch.setitem(schemes_module.ORACLE_BUDGET, True, 1000)
    pooling = declare("pooling", "p", "p", parameters=["p"], ceil_mode=True, where=["2 * p <= k"], claims=["o >= 1"])
    with pytest.raises(SchemeError, match=r"^<python>: before, after: the brute-force oracle walks every window of "
                                          r"every case, and the cases up to i=\d+, k=\d+, s=\d+, d=\d+, p=\d+ already "
                                          r"need more than 1000 windows, its budget for one check; lower the bound$"):
        check_scheme(pooling, bound=16)


def test_a_remainder_that_sympy_rewrites_forever_after_a_substitution():
    # (i - 2) mod (k + s) is fine, but s = k + 1 makes it (i - 2) mod (2k + 1), which sympy cannot settle.
    sch = declare("loops", "(i - 2) % (k + s)", "0", where=["s == k + 1"], claims=["o >= 1"])
    try:
        found = check_scheme(sch, bound=4)
    except SchemeError as error:
        assert "never ends" in str(error) and "\n" not in str(error)
    else:
        assert found.claims[0].status in ("proved", "holds-enumerated")


def test_two_parameters_are_enumerated_in_full():
    sch = declare("two", "q", "r", parameters=["q", "r"], claims=["o >= 1"])
    (result,) = check_scheme(sch, bound=8).claims
    assert result.cases == sum(1 for i, k, s, d in BOX for q in range(4) for r in range(4)
                               if i <= 8 and i + q + r >= d * (k - 1) + 1)


# --- bad scheme files ----------------------------------------------------------------------------

GOOD = 'name = "ok"\nbefore = "1"\nafter = "1"\n'


@pytest.mark.parametrize("content, match", [
    ('name = "x"\nbefore = "1"\nafter = \n', r"^bad\.toml:3: invalid TOML: .*\(at line 3, column \d+\)"),
    ('name = "x"\nbefore = "1"\nbefore = "2"\nafter = "0"\n', r"^bad\.toml:3: invalid TOML"),
    (GOOD + "colour = 'red'\n", r"^bad\.toml:4: colour: unknown key; the keys are name, "),
    (GOOD + "[extra]\nx = 1\n", r"^bad\.toml: extra: unknown key"),
    ('name = "x"\nafter = "1"\n', r"^bad\.toml: missing key 'before'"),
    (GOOD + 'claims = [\n  "o == i",\n  "o == i +",\n]\n', r"^bad\.toml:6: claims: item 2: cannot parse 'o == i \+'"),
    (GOOD + 'claims = ["o = i"]\n', r"^bad\.toml:4: claims: item 1: cannot parse"),
    (GOOD + 'claims = ["o + i"]\n', r"^bad\.toml:4: claims: item 1: .*a claim must be a comparison"),
    (GOOD + 'where = "s == 1"\n', r"^bad\.toml:4: where: must be a list of strings"),
    (GOOD + 'where = ["o == 1"]\n', r"^bad\.toml:4: where: item 1: .*unknown name"),
    (GOOD + 'where = ["k < 1"]\n', r"^bad\.toml:4: where: a condition is never true"),
    ('name = "x"\nbefore = "k - 3"\nafter = "0"\n',
     r"^bad\.toml:2: before: k - 3 is negative at i=1, k=1, s=1, d=1 \(the smallest such case\)"),
    ('name = "x"\nbefore = "0"\nafter = "i - 2 * k"\nwhere = ["i >= k"]\n',
     r"^bad\.toml:3: after: i - 2k is negative at i=1, k=1, s=1, d=1"),
    ('name = "x"\nbefore = "0"\nafter = "0"\noutput_padding = "s - 2"\n',
     r"^bad\.toml:4: output_padding: s - 2 is negative"),
    ('name = "x"\nbefore = "q"\nafter = "0"\n', r"^bad\.toml:2: before: cannot parse 'q'.*unknown name"),
    ('name = "x"\nbefore = "k / 2"\nafter = "0"\n', r"^bad\.toml:2: before: .*true division"),
    ('name = "x"\nbefore = true\nafter = "0"\n', r"^bad\.toml:2: before: must be a string holding an expression"),
    ('name = "x"\nbefore = 1.5\nafter = "0"\n', r"^bad\.toml:2: before: .*not a float"),
    (GOOD + 'transposable = "yes"\n', r"^bad\.toml:4: transposable: must be true or false, not a string"),
    (GOOD + 'ceil_mode = true\ntransposable = true\n', r"^bad\.toml:5: transposable: a ceil-mode scheme is pooling"),
    (GOOD + 'ceil_mode = true\noutput_padding = "0"\n', r"^bad\.toml:5: output_padding: a ceil-mode scheme"),
    (GOOD + 'ceil_mode = true\nclaims = ["a == 0"]\n', r"^bad\.toml:5: claims: item 1: .*unknown name"),
    (GOOD + 'parameters = ["i"]\n', r"^bad\.toml:4: parameters: 'i' cannot be a parameter"),
    (GOOD + 'parameters = ["__class__"]\n', r"^bad\.toml:4: parameters: '__class__' cannot be a parameter"),
    (GOOD + 'parameters = ["q", "q"]\n', r"^bad\.toml:4: parameters: a parameter is declared twice"),
    ('name = 3\nbefore = "0"\nafter = "0"\n', r"^bad\.toml:1: name: must be a string, not an integer"),
    (GOOD + 'description = "two\\nlines"\n', r"^bad\.toml:4: description: must be one line"),
])
def test_bad_files(tmp_path, monkeypatch, content, match):
    monkeypatch.chdir(tmp_path)
    Path("bad.toml").write_text(content)
    with pytest.raises(SchemeError, match=match) as caught:
        load_scheme("bad.toml")
    assert "\n" not in str(caught.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(SchemeError, match="cannot read the file"):
        load_scheme(tmp_path / "missing.toml")
    (tmp_path / "binary.toml").write_bytes(b"name = \"\xff\"\n")
    with pytest.raises(SchemeError, match="not UTF-8"):
        load_scheme(tmp_path / "binary.toml")
    (tmp_path / "huge.toml").write_text("# " + "x" * 70000)
    with pytest.raises(SchemeError, match="larger than"):
        load_scheme(tmp_path / "huge.toml")


def test_unknown_names():
    with pytest.raises(SchemeError, match="no built-in scheme has that name; the built-ins are valid, half"):
        scheme("same")
    with pytest.raises(SchemeError, match="neither a built-in scheme nor an existing file; the built-ins are valid"):
        resolve("no/such/file.toml")


def test_malicious_file_stays_inert(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "system", lambda *args: pytest.fail("user text was executed"))
    path = tmp_path / "evil.toml"
    path.write_text('name = "evil"\nbefore = "__import__(\'os\').system(\'x\')"\nafter = "0"\n')
    with pytest.raises(SchemeError, match=r"evil\.toml:2: before: cannot parse"):
        load_scheme(path)
    path.write_text('name = "evil\\u0007bell"\nbefore = "0"\nafter = "0"\n')
    with pytest.raises(SchemeError, match=r"evil\.toml:1: name: must be one line of printable text"):
        load_scheme(path)
    # Free text is kept as it is, never run: escaping it is the renderer's job.
    path.write_text('name = "evil"\ndescription = "\\\\input{/etc/passwd} $(rm -rf /)"\nbefore = "0"\nafter = "0"\n'
                    'claims = ["o <= i"]\n')
    loaded = load_scheme(path)
    assert loaded.description == "\\input{/etc/passwd} $(rm -rf /)"
    assert loaded.description in scheme_report_text(check_scheme(loaded, bound=4))


def test_python_declarations_are_checked_too():
    with pytest.raises(SchemeError, match=r"^<python>: before: k - 2 is negative"):
        declare("neg", "k - 2", "0")
    with pytest.raises(SchemeError, match=r"^<python>: colour: unknown key"):
        declare("x", "0", "0", colour="red")
    assert issubclass(SchemeError, SymconvError)


# --- the command line ---------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_list(capsys):
    code, out, _ = run(capsys, "scheme", "list", "--json")
    assert code == 0 and [s["name"] for s in json.loads(out)["schemes"]] == list(builtin_schemes())
    code, out, _ = run(capsys, "scheme", "list")
    assert code == 0 and out.startswith("valid ") and "torch-same" in out


def test_cli_check_json(capsys):
    code, out, err = run(capsys, "scheme", "check", "tf-same", "--json")
    data = json.loads(out)
    assert code == 0 and err == ""
    assert {"name", "output_size", "claims", "before", "after", "where", "transposed", "padding"} <= set(data)
    assert data["name"] == "tf-same" and data["output_size"]["text"] == "⌈i/s⌉"
    own = {"name": "o", "domain": "integer"}
    assert [(c["name"], c["claim"]["expr"], c["claim"].get("symbols"), c["status"], c["cases"]) for c in data["claims"]] == [
        ("tf-same: claim 1", "Eq(o, ceiling(i/s))", {"o": own}, "proved", 960),
        # "transposable" is the claim that the transpose with a gives back i: JSON gives what it states
        ("tf-same: transposable", "Eq(o_prime, i) & (Le(0, a)) & (Le(a, s - 1))",
         {"a": {**own, "name": "a"}, "o_prime": {**own, "name": "o'"}}, "proved", 960)]
    assert all(c["counterexample"] is None and c["reason"] is None for c in data["claims"])
    assert data["transposed"]["recovers_input"]["status"] == "proved"
    assert data["transposed"]["stride"] == 1 and data["transposed"]["a"]["text"].endswith("mod s")


def test_cli_check_text_says_enumerated_is_not_a_proof(capsys, tmp_path):
    path = tmp_path / "squares.toml"
    path.write_text(SQUARES)
    code, out, _ = run(capsys, "scheme", "check", str(path), "--bound", "8")
    assert code == 0
    cases = check_scheme(scheme_from_toml(SQUARES), bound=8).claims[0].cases
    assert (f"holds-enumerated  i^2 mod 4 ≠ 2: not proved: the prover cannot close it, but all {cases} cases with "
            "i <= 8, k <= 5, s <= 4, d <= 3 that lie in the domain agree with the oracle") in out
    code, out, _ = run(capsys, "scheme", "check", str(path), "--bound", "8", "--json")
    (claim,) = json.loads(out)["claims"]
    assert (claim["status"], claim["cases"], claim["counterexample"]) == ("holds-enumerated", cases, None)


def test_cli_check_false_claim_exits_1(capsys, tmp_path):
    path = tmp_path / "wrong.toml"
    path.write_text(WRONG)
    code, out, _ = run(capsys, "scheme", "check", str(path), "--json", "--bound", "6")
    data = json.loads(out)
    assert code == 1 and data["claims"][0]["status"] == "false"
    assert data["claims"][0]["counterexample"] == {"i": 1, "k": 2, "s": 1, "d": 1, "o": 2}
    code, out, _ = run(capsys, "scheme", "check", str(path), "--bound", "6")
    assert code == 1 and "smallest counterexample: i=1, k=2, s=1, d=1, o=2" in out


@pytest.mark.parametrize("argv, message", [
    (["scheme", "check", "nope"], "'nope': neither a built-in scheme nor an existing file; the built-ins are valid,"),
    (["scheme", "check", "half", "--bound", "0"], "bound=0 is invalid"),
    (["scheme", "compare", "-k", "x"], "kernel_size='x' is invalid"),
    (["scheme", "compare", "pool-ceil", "--param", "p"], "a parameter is NAME=VALUE"),
    (["scheme", "compare", "valid", "--param", "q=1"], "no scheme declares a parameter 'q'"),
    (["scheme"], "the following arguments are required"),
])
def test_cli_errors_are_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_cli_bad_file_names_file_and_line(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD + "colour = 'red'\n")
    code, _, err = run(capsys, "scheme", "check", str(path))
    assert code == 2 and f"{path}:4: colour: unknown key" in err and err.count("\n") == 1


def test_cli_compare(capsys):
    code, out, _ = run(capsys, "scheme", "compare", "tf-same", "onnx-same-lower", "torch-same", "-k", "4", "-s",
                       "2", "-i", "5,6", "--json")
    data = json.loads(out)
    assert code == 0 and (data["kernel_size"], data["stride"], data["input_sizes"]) == (4, 2, [5, 6])
    by_name = {row["name"]: row for row in data["schemes"]}
    assert by_name["tf-same"]["output_size"]["text"] == "⌈i/2⌉" and by_name["torch-same"]["before"] == 1
    assert [(c["before"], c["after"]) for c in by_name["tf-same"]["cells"]] == [(1, 2), (1, 1)]
    assert [(c["before"], c["after"]) for c in by_name["onnx-same-lower"]["cells"]] == [(2, 1), (1, 1)]
    assert not by_name["torch-same"]["applicable"]
    assert by_name["torch-same"]["cells"][0]["note"] == "needs s = 1"
    code, out, _ = run(capsys, "scheme", "compare", "-k", "4", "--param", "p=1")
    assert code == 0 and "p = 1" in out and "half" in out and "n/a: needs k mod 2 = 1" in out
    assert "torch-same                 1+2→5" in out and "onnx-same-lower            2+1→5" in out


def test_report_data_is_json_ready():
    data = json.loads(dumps(scheme_report_data(report("pool-ceil"))))
    assert data["ceil_mode"] is True and data["parameters"] == ["p"] and data["transposed"] is None
