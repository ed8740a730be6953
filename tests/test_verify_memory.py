"""Streamed, vectorised verification against the one-case-at-a-time path it replaced.

``verify`` streams its cases in chunks sized to a memory budget and checks each chunk with numpy. Here every
result (counts, failures, the smallest counterexample) is compared with a plain reference written the old way:
each case of the box enumerated with itertools, each formula evaluated by ``compile_expr``, each truth taken from
the scalar oracle (``count_positions``, ``connectivity`` and ``connectivity_2d`` as dense matrices). Wrong
formulas of every kind must be caught the same way, whatever the budget and however small the chunks.
"""

import dataclasses
import itertools
import json

import numpy as np
import pytest
import sympy
from sympy import Eq, Max, Mod, Piecewise, floor

from symconv.cli import main
from symconv.core import oracle
from symconv.core import symbols as S
from symconv.core.errors import ParameterError
from symconv.core.numeric import compile_expr
from symconv.core.symbols import d, i, k, n, o, p, s
from symconv.guide import derive, verification
from symconv.guide.catalogue import relationship, relationships
from symconv.guide.model import Relationship
from symconv.guide.verification import Box, check_gradient, check_kronecker, check_relationship, verify

BASE = (i, k, s, p, d)


# --- the reference: one case at a time ----------------------------------------------------------------------------

def reference_cases(rel, box):
    substitutions = rel.substitutions
    free = sorted({*BASE, *itertools.chain.from_iterable(
        sympy.sympify(v).free_symbols for v in substitutions.values())} - set(substitutions), key=str)
    value_of = [compile_expr(substitutions.get(symbol, symbol), free) for symbol in BASE]
    holds = [compile_expr(predicate, BASE) for predicate in rel.predicates]
    ranges = box.ranges()
    found = set()
    for point in itertools.product(*(ranges[symbol] for symbol in free)):
        case = tuple(value(*point) for value in value_of)
        ci, ck, cs, cp, cd = case
        if (box.contains(*case) and ci + 2 * cp >= cd * (ck - 1) + 1 and all(h(*case) for h in holds)):
            found.add(case)
    return sorted(found, key=lambda case: (sum(case), case))


def reference_problem(rel, case):
    """What is wrong at ``case``, as (quantity, oracle, formula), or None."""
    ci, ck, cs, cp, cd = case
    if rel.kind != "transposed":
        count = oracle.count_pool_windows if rel.kind == "pool" else oracle.count_positions
        truth, got = count(ci, ck, cs, (cp, cp), cd), compile_expr(rel.rhs, BASE)(*case)
        return None if got == truth else ("o", truth, got)
    eq = rel.equivalent
    inputs = (*BASE, S.i_prime)
    direct = oracle.connectivity(ci, ck, cs, (cp, cp), cd)
    values = (*case, direct.shape[0])
    extra = compile_expr(eq.a, inputs)(*values)
    size = compile_expr(rel.rhs, (*inputs, S.a))(*values, extra)
    if size != ci:
        return ("o'", ci, size)
    stretched = compile_expr(eq.stretched_input, inputs)(*values)
    if stretched != oracle.stretched_length(direct.shape[0], cs - 1):
        return ("ĩ'", oracle.stretched_length(direct.shape[0], cs - 1), stretched)
    kernel, stride, before, after = (compile_expr(v, inputs)(*values)
                                     for v in (eq.kernel_size, eq.stride, *eq.padding))
    equivalent = oracle.connectivity(direct.shape[0], kernel, stride, (before, after + extra), cd,
                                     zeros_between=cs - 1, flip=True)
    if equivalent.shape != direct.T.shape or not np.array_equal(equivalent, direct.T):
        return ("connectivity", "Cᵀ", "a different matrix")
    return None


def reference_check(rel, box):
    cases = reference_cases(rel, box)
    problems = [(case, problem) for case in cases if (problem := reference_problem(rel, case)) is not None]
    first = problems[0] if problems else None
    return len(cases), len(problems), first


def summary(check):
    c = check.counterexample
    if c is None:
        return check.cases, check.failures, None
    case = tuple(c.values[name] for name in "ikspd")
    return check.cases, check.failures, (case, (c.quantity, c.expected, c.got))


R13, R14, R15 = relationship(13), relationship(14), relationship(15)
EQ = R14.equivalent
WRONG = [  # formulas and equivalents that are wrong somewhere, each in its own way
    Relationship(99, "13 without its condition", "x", "transposed", (Eq(d, 1),), R13.equation, R13.equivalent),
    Relationship(98, "off by one", "x", "convolution", (Eq(d, 1), Eq(p, 0)), Eq(o, (i - k) // s)),
    Relationship(97, "pooling, off by one", "x", "pool", (Eq(p, 0),), Eq(o, floor((i - k + 1) / s) + 1)),
    Relationship(96, "14 with any dilation", "x", "transposed", (), R14.equation, EQ),
    Relationship(95, "padding shifted", "x", "transposed", (), R14.equation,
                 dataclasses.replace(EQ, padding=(EQ.padding[0] + 1, EQ.padding[1] - 1))),
    Relationship(94, "a larger kernel", "x", "transposed", (), R14.equation,
                 dataclasses.replace(EQ, kernel_size=EQ.kernel_size + 1, padding=(EQ.padding[0] + 1, EQ.padding[1]))),
    Relationship(93, "a stride of 2 at odd i", "x", "transposed", (), R14.equation,
                 dataclasses.replace(EQ, stride=EQ.stride + Mod(i, 2))),
    Relationship(92, "no kernel at even i", "x", "transposed", (), R14.equation,
                 dataclasses.replace(EQ, kernel_size=EQ.kernel_size * Mod(i, 2))),
    Relationship(91, "a Piecewise", "x", "convolution", (), Eq(o, Piecewise((R15.rhs, i > 2), (0, True)))),
    Relationship(90, "stretched too far", "x", "transposed", (), R14.equation,
                 dataclasses.replace(EQ, stretched_input=EQ.stretched_input + floor(i / 7))),
    Relationship(89, "never crops", "x", "transposed", (), R14.equation,
                 dataclasses.replace(EQ, padding=(Max(EQ.padding[0], 0), EQ.padding[1]))),
]
RIGHT = [  # right, but enumerated in unusual ways: two points give one case; a condition to test
    Relationship(88, "k = max(n, 1)", "x", "convolution", (Eq(k, Max(n, 1)),), R15.equation),
    Relationship(87, "i a multiple of s", "x", "convolution", (Eq(Mod(i, s), 0),), R15.equation),
]
BOXES = [Box(1, 1, 1, 1), Box(3, 2, 1, 1), Box(7, 3, 2, 2), Box(10, 4, 3, 2)]


@pytest.mark.parametrize("box", BOXES, ids=str)
@pytest.mark.parametrize("rel", [*relationships().values(), *WRONG, *RIGHT], ids=lambda r: str(r.number))
def test_each_check_equals_the_one_case_at_a_time_reference(rel, box):
    assert summary(check_relationship(rel, box)) == reference_check(rel, box)


def test_wrong_formulas_are_caught():
    box = Box(10, 4, 3, 2)
    found = {rel.number: check_relationship(rel, box) for rel in WRONG}
    assert all(check.failures > 0 for check in found.values())
    quantities = {check.counterexample.quantity for check in found.values()}
    assert quantities == {"o", "o'", "connectivity"}
    assert 0 < found[94].failures < found[94].cases  # a larger kernel is right where its extra tap reads nothing


def tiny_chunks(monkeypatch):
    """One point per enumeration chunk, one case per checked piece."""
    monkeypatch.setattr(verification, "_POINT_BYTES", 2**26)
    monkeypatch.setattr(verification, "_CELL_BYTES", 2**32)


@pytest.mark.parametrize("rel", [relationship(6), R14, *WRONG[:2], WRONG[4], *RIGHT], ids=lambda r: str(r.number))
def test_chunks_of_any_size_give_the_same_results(rel, monkeypatch):
    box = Box(7, 3, 3, 2)
    results = {budget: summary(check_relationship(rel, box, memory_budget=budget)) for budget in (64, 256, 65536)}
    tiny_chunks(monkeypatch)
    results["tiny"] = summary(check_relationship(rel, box, memory_budget=64))
    assert len(set(results.values())) == 1, results


def test_verify_is_the_same_with_any_budget(monkeypatch):
    box = Box(6, 3, 2, 2)
    report = verify(box)
    for budget in (64, 1024):
        assert verify(box, memory_budget=budget) == report
    tiny_chunks(monkeypatch)
    assert verify(box, memory_budget=64) == report


@pytest.mark.parametrize("value", [0, 63, 65537, -1, 2.5, "256", True, None])
def test_bad_budgets_are_refused(value):
    with pytest.raises(ParameterError, match="memory_budget=.* is invalid: the memory budget must be an integer"):
        verify(Box(2, 1, 1, 1), memory_budget=value)
    with pytest.raises(ParameterError, match="memory_budget"):
        check_gradient(Box(2, 1, 1, 1), memory_budget=value)


@pytest.mark.parametrize("text, rule", [("0", "must be an integer number of MiB from 64 to 65536"),
                                        ("70000", "must be an integer number of MiB from 64 to 65536"),
                                        ("lots", "memory_budget must be an integer")])
def test_the_command_refuses_a_bad_budget_in_one_line(capsys, text, rule):
    assert main(["verify", "--bound", "2", "--memory-budget", text]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "memory_budget=" in err and rule in err and "Traceback" not in err


def test_the_command_reports_time_throughput_and_memory(capsys):
    assert main(["verify", "--bound", "5", "--max-kernel-size", "3", "--memory-budget", "64", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    performance = data["performance"]
    assert performance["memory_budget_mib"] == 64 and performance["seconds"] >= 0
    assert performance["cases_per_second"] >= 0 and set(performance) == {
        "seconds", "cases_per_second", "peak_memory_mib", "memory_budget_mib"}
    assert main(["verify", "--bound", "5", "--max-kernel-size", "3"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert "cases/s" in last and "memory budget 256 MiB" in last


# --- the 2-D sample and the gradient ------------------------------------------------------------------------------

def reference_kronecker(box, samples=400):
    axis_cases = reference_cases(R15, box)
    pairs = len(axis_cases) ** 2
    step = max(1, pairs // samples)
    count, failures = 0, 0
    for m in range(0, pairs, step):
        h, w = axis_cases[m // len(axis_cases)], axis_cases[(m * 7919) % len(axis_cases)]
        count += 1
        (ih, kh, sh, ph, dh), (iw, kw, sw, pw, dw) = h, w
        direct = oracle.connectivity_2d((ih, iw), (kh, kw), (sh, sw), ((ph, ph), (pw, pw)), (dh, dw))
        rows, cols = oracle.connectivity(ih, kh, sh, (ph, ph), dh), oracle.connectivity(iw, kw, sw, (pw, pw), dw)
        joined = np.kron(rows >= 0, cols >= 0)
        taps = np.where(joined, np.kron(rows, np.ones_like(cols)) * kw + np.kron(np.ones_like(rows), cols), -1)
        failures += not np.array_equal(direct, taps)
    return count, failures


@pytest.mark.parametrize("box", [Box(1, 1, 1, 1), Box(3, 2, 1, 1), Box(8, 3, 2, 2), Box(12, 4, 3, 2)], ids=str)
def test_the_kronecker_sample_equals_the_dense_reference(box, monkeypatch):
    check = check_kronecker(box)
    assert (check.cases, check.failures) == reference_kronecker(box)
    tiny_chunks(monkeypatch)
    assert check_kronecker(box, memory_budget=64) == check


def test_the_kronecker_sample_picks_the_same_pairs(monkeypatch):
    box = Box(9, 3, 2, 2)
    seen = []
    real = oracle.connectivity_2d_reads
    def spy(*args, output_rows):
        if output_rows[0] == 0:
            seen.append(args)
        return real(*args, output_rows=output_rows)

    monkeypatch.setattr(oracle, "connectivity_2d_reads", spy)
    check_kronecker(box)
    axis_cases = reference_cases(R15, box)
    pairs = len(axis_cases) ** 2
    expected = [(axis_cases[m // len(axis_cases)], axis_cases[(m * 7919) % len(axis_cases)])
                for m in range(0, pairs, max(1, pairs // 400))]
    assert [((a[0][0], a[1][0], a[2][0], a[3][0][0], a[4][0]), (a[0][1], a[1][1], a[2][1], a[3][1][0], a[4][1]))
            for a in seen] == expected


def reference_gradient(box, equivalent):
    inputs = (S.i, S.k, S.s, S.p_l, S.p_r, S.d, S.i_prime)
    a_of, kernel_of, stride_of, before_of, after_of = (
        compile_expr(value, inputs) for value in (equivalent.a, equivalent.kernel_size, equivalent.stride,
                                                   *equivalent.padding))
    count, failures, first = 0, 0, None
    for case in verification.gradient_cases(box):
        ci, ck, cs, pl, pr, cd = case
        direct = oracle.connectivity(ci, ck, cs, (pl, pr), cd)
        values = (*case, direct.shape[0])
        backward = oracle.connectivity(direct.shape[0], kernel_of(*values), stride_of(*values),
                                       (before_of(*values), after_of(*values) + a_of(*values)), cd,
                                       zeros_between=cs - 1, flip=True)
        count += 1
        if backward.shape != direct.T.shape or not np.array_equal(backward, direct.T):
            failures += 1
            first = first or (case, backward.shape)
    return count, failures, first


def gradient_summary(check):
    c = check.counterexample
    if c is None:
        return check.cases, check.failures, None
    shape = tuple(int(v) for v in c.got.split()[1].split("×"))
    return check.cases, check.failures, (tuple(c.values.values()), shape)


@pytest.mark.parametrize("box", [Box(1, 1, 1, 1), Box(5, 3, 2, 2), Box(7, 4, 3, 2)], ids=str)
def test_the_gradient_check_equals_the_reference(box, monkeypatch):
    right = derive.transposed().equivalent
    assert gradient_summary(check_gradient(box)) == reference_gradient(box, right) and check_gradient(box).failures == 0
    t = derive.transposed()
    for wrong in (dataclasses.replace(right, a=right.a + 1),
                  dataclasses.replace(right, padding=(right.padding[0] + 1, right.padding[1] - 1)),
                  dataclasses.replace(right, kernel_size=right.kernel_size + Mod(S.i, 2))):
        monkeypatch.setattr(derive, "transposed", lambda wrong=wrong: dataclasses.replace(t, equivalent=wrong))
        check = check_gradient(box)
        assert gradient_summary(check) == reference_gradient(box, wrong)
        assert check.failures > 0 or box.input_size == 1
        if box.input_size <= 5:  # one case at a time: slow
            tiny_chunks(monkeypatch)
            assert check_gradient(box, memory_budget=64) == check
        monkeypatch.undo()


# --- the oracle's batch forms equal its one-case forms ------------------------------------------------------------

def dense(reads, rows, taps, inputs, flip=False):
    matrix = np.full((rows, inputs), -1, dtype=np.int64)
    for j, t in itertools.product(range(rows), range(taps)):
        if reads[j, t] >= 0:
            assert matrix[j, reads[j, t]] == -1  # each tap on its own unit
            matrix[j, reads[j, t]] = taps - 1 - t if flip else t
    return matrix


@pytest.mark.parametrize("ordered", [False, True])
def test_connectivity_batch_is_connectivity(ordered):
    rng = np.random.default_rng(7)
    for _ in range(60):
        m = int(rng.integers(1, 25))
        size, kernel, stride = rng.integers(1, 30, m), rng.integers(1, 6, m), rng.integers(1, 5, m)
        before, after = rng.integers(-6, 8, m), rng.integers(-6, 8, m)
        dilation, zeros = rng.integers(1, 4, m), rng.integers(0, 3, m)
        columns = [size, kernel, stride, before, after, dilation, zeros]
        if ordered:
            order = np.lexsort((zeros, kernel))
            columns = [column[order] for column in columns]
        size, kernel, stride, before, after, dilation, zeros = columns
        outputs, reads = oracle.connectivity_batch(size, kernel, stride, (before, after), dilation, zeros)
        start = 0
        for c in range(m):
            args = [int(column[c]) for column in columns]
            expected = oracle.connectivity(*args[:3], (args[3], args[4]), args[5], zeros_between=args[6], flip=True)
            block = reads[start:start + outputs[c] * kernel[c]].reshape(outputs[c], kernel[c])
            start += outputs[c] * kernel[c]
            assert np.array_equal(dense(block, outputs[c], kernel[c], args[0], flip=True), expected)
        assert start == len(reads)


def test_count_pool_windows_batch_is_count_pool_windows():
    cases = np.array([case for case in itertools.product(range(1, 12), range(1, 5), range(1, 4), range(0, 3),
                                                         range(0, 3), range(1, 3))]).T
    size, kernel, stride, before, after, dilation = cases
    for ceil_mode in (False, True):
        got = oracle.count_pool_windows_batch(size, kernel, stride, (before, after), dilation, ceil_mode)
        assert got.tolist() == [oracle.count_pool_windows(*case[:3], (case[3], case[4]), case[5], ceil_mode)
                                for case in cases.T.tolist()]


def test_connectivity_2d_reads_is_each_tap_where_it_lands_and_connectivity_2d_its_dense_form():
    rng = np.random.default_rng(3)
    for _ in range(80):
        (ih, iw), (kh, kw), (sh, sw), (dh, dw) = (tuple(int(v) for v in rng.integers(1, top, 2))
                                                  for top in (10, 4, 4, 3))
        padding = tuple(tuple(int(v) for v in rng.integers(0, 4, 2)) for _ in range(2))
        args = ((ih, iw), (kh, kw), (sh, sw), padding, (dh, dw))
        reads = oracle.connectivity_2d_reads(*args)
        assert np.array_equal(dense(reads, reads.shape[0], kh * kw, ih * iw), oracle.connectivity_2d(*args))
        # one output and one tap at a time, on the padded grid: where each tap lands
        (top, bottom), (left, right) = padding
        expected = []
        for y0 in range(0, ih + top + bottom - dh * (kh - 1), sh):
            for x0 in range(0, iw + left + right - dw * (kw - 1), sw):
                row = []
                for th in range(kh):
                    for tw in range(kw):
                        y, x = y0 + dh * th - top, x0 + dw * tw - left
                        row.append(y * iw + x if 0 <= y < ih and 0 <= x < iw else -1)
                expected.append(row)
        assert reads.tolist() == expected, args


def test_batch_forms_refuse_what_they_cannot_walk():
    one = np.array([1])
    with pytest.raises(ValueError, match="at least 1"):
        oracle.connectivity_batch(one, one, np.array([0]), (one, one), one)
    with pytest.raises(ValueError, match="at least 1"):
        oracle.count_pool_windows_batch(one, one, np.array([0]), (one, one), one)


def test_the_budget_bounds_what_is_allocated():
    # Unchunked, the Kronecker sample of this box needs hundreds of MiB (the dense 2-D matrix of its largest pair).
    import tracemalloc

    box = Box(100, 8, 4, 3)
    for check in (lambda: check_kronecker(box, memory_budget=64),
                  lambda: check_relationship(R14, Box(60, 8, 4, 3), memory_budget=64),
                  lambda: check_gradient(Box(20, 6, 3, 2), memory_budget=64)):
        tracemalloc.start()
        try:
            check()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 64 * 2**20
