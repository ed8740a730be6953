"""The oracle and exhaustive verification: formulas against brute force."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Eq

from symconv import ParameterError, conv_output_size, pool_output_size, relationship, transposed_output_size
from symconv.core import oracle
from symconv.guide.model import Relationship
from symconv.core.symbols import d, i, k, o, p, s
from symconv.guide.verification import Box, check_kronecker, check_relationship, verify


def test_default_box_reaches_the_required_size():
    box = Box()
    assert (box.input_size, box.kernel_size, box.stride, box.dilation) >= (16, 6, 4, 3)


def test_everything_verifies_on_the_default_box():
    report = verify()
    assert report.failures == 0
    assert {c.number for c in report.checks} == {*range(1, 16), None}
    assert all(c.cases > 0 for c in report.checks)
    assert report.cases > 10_000


def test_transposed_checks_include_connectivity():
    check = check_relationship(relationship(14), Box())
    assert check.failures == 0 and check.cases > 1000


def test_a_wrong_formula_is_caught_with_the_smallest_counterexample():
    # Relationship 13's formula used without its condition (i + 2p - k) mod s = 0.
    r13 = relationship(13)
    careless = Relationship(99, "13 without its condition", "4.6", "transposed",
                            (Eq(d, 1),), r13.equation, r13.equivalent)
    check = check_relationship(careless, Box(input_size=8, kernel_size=3, stride=2, dilation=1))
    assert check.failures > 0
    assert dict(check.counterexample.values) == {"i": 2, "k": 1, "s": 2, "p": 0, "d": 1, "i'": 1}
    assert check.counterexample.quantity == "o'"


def test_a_wrong_conv_formula_is_caught():
    wrong = Relationship(98, "off by one", "x", "convolution", (Eq(d, 1), Eq(p, 0)), Eq(o, (i - k) // s))
    check = check_relationship(wrong, Box(input_size=6, kernel_size=3, stride=2, dilation=1))
    assert check.failures == check.cases
    assert check.counterexample.values == {"i": 1, "k": 1, "s": 1, "p": 0, "d": 1}


def test_kronecker_sample():
    check = check_kronecker(Box(input_size=8, kernel_size=3, stride=2, dilation=2))
    assert check.failures == 0 and check.cases > 100


def test_box_rejects_bad_bounds():
    with pytest.raises(ParameterError, match="input_size=0 is invalid"):
        Box(input_size=0)


def test_oracle_matches_the_guide_matrix():
    # Section 4.1: the 3x3 kernel on a 4x4 input, unit stride, no padding.
    c = oracle.connectivity_2d((4, 4), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1))
    assert c.shape == (4, 16)
    assert c[0].tolist() == [0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, -1, -1, -1, -1]
    assert c[3].tolist() == [-1] * 5 + [0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8]


def test_negative_padding_crops():
    # p = 3 > d(k - 1) = 2: the equivalent convolution pads p' = -1, i.e. crops.
    direct = oracle.connectivity(7, 3, 1, (3, 3), 1)
    equivalent = oracle.connectivity(direct.shape[0], 3, 1, (-1, -1), 1, flip=True)
    assert np.array_equal(equivalent, direct.T)


sizes = st.integers(1, 200)
small = st.integers(1, 12)


@settings(max_examples=400, deadline=None)
@given(i_=sizes, k_=small, s_=small, pl=st.integers(0, 12), pr=st.integers(0, 12), d_=st.integers(1, 5))
def test_conv_formula_equals_oracle(i_, k_, s_, pl, pr, d_):
    if i_ + pl + pr < d_ * (k_ - 1) + 1:
        return
    assert conv_output_size(i_, k_, s_, (pl, pr), d_) == oracle.count_positions(i_, k_, s_, (pl, pr), d_)


@settings(max_examples=400, deadline=None)
@given(i_=sizes, k_=small, s_=small, pad=st.integers(0, 6), d_=st.integers(1, 3), ceil=st.booleans())
def test_pool_formula_equals_oracle(i_, k_, s_, pad, d_, ceil):
    truth = oracle.count_pool_windows(i_, k_, s_, (pad, pad), d_, ceil)
    if 2 * pad > k_ or truth == 0:
        with pytest.raises(ParameterError):
            pool_output_size(i_, k_, s_, pad, d_, ceil)
    else:
        assert pool_output_size(i_, k_, s_, pad, d_, ceil) == truth


@settings(max_examples=300, deadline=None)
@given(i_=st.integers(1, 80), k_=st.integers(1, 8), s_=st.integers(1, 6), pl=st.integers(0, 8),
       pr=st.integers(0, 8), d_=st.integers(1, 4))
def test_transposed_size_is_the_transpose_of_the_convolution(i_, k_, s_, pl, pr, d_):
    if i_ + pl + pr < d_ * (k_ - 1) + 1:
        return
    c = oracle.connectivity(i_, k_, s_, (pl, pr), d_)
    o_ = c.shape[0]
    extra = (i_ + pl + pr - d_ * (k_ - 1) - 1) % s_
    assert transposed_output_size(o_, k_, s_, (pl, pr), d_, extra) == i_ == c.T.shape[0]
