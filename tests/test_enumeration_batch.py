"""The oracle's batch walk and the theorems' batch truths against the one-case-at-a-time oracle.

``count_positions_batch`` counts kernel positions on every case of a box at once; each test compares it
with ``count_positions`` (the walk it repeats) on whole boxes, and enumeration with the batch truths with
enumeration asking the oracle one case at a time.
"""

import itertools

import numpy as np
import pytest
import sympy
from sympy import Eq, floor

from symconv.core import oracle
from symconv.core import symbols as S
from symconv.guide.theorems import Theorem, theorems
from symconv.proof import enumeration
from symconv.proof.enumeration import enumerate_cases


def _grid(*axes):
    return [column.ravel() for column in np.meshgrid(*(np.asarray(axis) for axis in axes), indexing="ij")]


def _one_at_a_time(i, k, s, before, after, d):
    return [oracle.count_positions(*(int(v) for v in case[:3]), (int(case[3]), int(case[4])), int(case[5]))
            for case in zip(i, k, s, before, after, d)]


def test_batch_counts_as_the_walk_on_a_whole_box_with_every_sign():
    # Negative sizes, paddings, kernels and dilations, and negative strides (which walk nowhere): every case.
    i, k, s, before, after, d = _grid(range(-2, 10), range(-1, 6), (-2, -1, 1, 2, 3, 4), range(-2, 5),
                                      range(-2, 4), range(-1, 3))
    batch = oracle.count_positions_batch(i, k, s, (before, after), d)
    assert batch.tolist() == _one_at_a_time(i, k, s, before, after, d)


def test_batch_counts_in_chunks_as_in_one_go(monkeypatch):
    i, k, s, before, after, d = _grid(range(1, 30), range(1, 5), range(1, 4), range(0, 3), range(0, 3), range(1, 3))
    whole = oracle.count_positions_batch(i, k, s, (before, after), d)
    monkeypatch.setattr(oracle, "_GRID_CELLS", 7)  # a few cases per chunk
    assert oracle.count_positions_batch(i, k, s, (before, after), d).tolist() == whole.tolist()
    assert whole.tolist() == _one_at_a_time(i, k, s, before, after, d)


def test_batch_takes_large_values_and_python_ints_one_at_a_time():
    big = 2**40
    cases = [(big, 3, big // 2, 0, 1, 1), (5, 3, 2, 1, 1, 1), (2**31, 2, 2**30, 0, 0, 2**29), (7, 1, 1, 0, 0, 1)]
    columns = [np.array(column, dtype=object) for column in zip(*cases)]
    expected = [oracle.count_positions(i, k, s, (pl, pr), d) for i, k, s, pl, pr, d in cases]
    assert oracle.count_positions_batch(*columns[:3], (columns[3], columns[4]), columns[5]).tolist() == expected
    as_int64 = [column.astype(np.int64) for column in columns]
    assert oracle.count_positions_batch(*as_int64[:3], (as_int64[3], as_int64[4]), as_int64[5]).tolist() == expected


def test_batch_broadcasts_scalars_and_refuses_a_zero_stride_like_the_walk():
    i = np.arange(1, 10)
    assert oracle.count_positions_batch(i, 3, 2).tolist() == [oracle.count_positions(int(n), 3, 2) for n in i]
    assert oracle.count_positions_batch(np.zeros(0, dtype=np.int64), 3, 1).tolist() == []
    with pytest.raises(ZeroDivisionError):
        oracle.count_positions(5, 3, 0)
    with pytest.raises(ZeroDivisionError):
        oracle.count_positions_batch(np.array([5, 6]), np.array([3, 3]), np.array([1, 0]))


BATCHED = [name for name, claim in theorems().items() if hasattr(claim.truth, "batch")]


def test_every_theorem_with_an_oracle_has_a_batch():
    assert BATCHED == [name for name, claim in theorems().items() if claim.truth is not None]
    assert {"gradient", "ambiguity-same-output", "round-trip", "relationship-15"} <= set(BATCHED)


@pytest.mark.parametrize("name", BATCHED)
def test_batch_truth_is_the_oracle_on_the_whole_box(name):
    claim = theorems()[name]
    read = [v for v in claim.variables if v in (S.i, S.k, S.s, S.p, S.p_l, S.p_r, S.d, S.o, S.a)]
    axes = enumeration.box(tuple(read))
    values = dict(zip(read, _grid(*axes)))
    batch = claim.truth.batch(values)
    cases = [dict(zip(read, (int(v) for v in case))) for case in zip(*values.values())]
    for symbol, answers in batch.items():
        assert np.asarray(answers).tolist() == [claim.truth(case)[symbol] for case in cases], (name, symbol)


def _without_batch(claim):
    return Theorem(claim.name, claim.title, claim.statement, claim.hypotheses, claim.definitions, claim.variables,
                   lambda env: claim.truth(env))


@pytest.mark.parametrize("name", BATCHED)
def test_enumeration_with_the_batch_is_enumeration_one_case_at_a_time(name):
    claim = theorems()[name]
    assert enumerate_cases(claim) == enumerate_cases(_without_batch(claim))


def test_a_false_claim_has_the_same_counterexample_either_way():
    # o is one more than the oracle counts: every case is a counterexample, the smallest first.
    wrong = Theorem("off-by-one", "o is one more", Eq(S.o, floor((S.i + 2 * S.p - S.d * (S.k - 1) - 1) / S.s) + 2),
                    theorems()["output-size"].hypotheses, theorems()["output-size"].definitions,
                    theorems()["output-size"].variables, theorems()["output-size"].truth)
    found = enumerate_cases(wrong)
    assert found == enumerate_cases(_without_batch(wrong))
    assert found[1] is not None and found[1]["o"] == oracle.count_positions(
        found[1]["i"], found[1]["k"], found[1]["s"], (found[1]["p"], found[1]["p"]), found[1]["d"])


def test_an_oracle_that_disagrees_with_the_definition_is_caught_by_the_batch():
    # A truth whose batch counts with a stride one larger: the statement (o as defined) fails, as it
    # must, and the counterexample is where the two walks differ.
    base = theorems()["relationship-15"]

    class Skewed:
        def __call__(self, env):
            return {S.o: oracle.count_positions(env[S.i], env[S.k], env[S.s] + 1, (env[S.p], env[S.p]), env[S.d])}

        def batch(self, env):
            return {S.o: oracle.count_positions_batch(env[S.i], env[S.k], env[S.s] + 1, (env[S.p], env[S.p]),
                                                      env[S.d])}

    skewed = Theorem("skewed", "a wrong oracle", base.statement, base.hypotheses, base.definitions, base.variables,
                     Skewed())
    count, counterexample = enumerate_cases(skewed)
    assert count == enumerate_cases(base)[0] and counterexample is not None
    assert counterexample == enumerate_cases(_without_batch(skewed))[1]


def test_numeric_magnitude_is_the_largest_absolute_value():
    from symconv.core.numeric import magnitude

    for values in ([0], [-5, 3], [5, -3], [-(2**63)], [2**63 - 1, -7], list(range(-4, 9))):
        array = np.array(values, dtype=np.int64)
        assert magnitude(array) == max(abs(v) for v in values)
    assert magnitude(np.zeros(0, dtype=np.int64)) == 0
    assert magnitude(np.array([sympy.Integer(3), -10**30], dtype=object)) == 10**30
    assert all(magnitude(np.array(c, dtype=np.int64)) == max(map(abs, c))
               for c in itertools.product(range(-3, 4), repeat=2))
