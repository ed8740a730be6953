"""The backward pass: ∂L/∂x = Cᵀ ∂L/∂y is the transposed convolution, checked against finite differences.

The convolution is the oracle's matrix C filled with random weights; the loss is a random function of its
output. The gradient by central finite differences (numpy, float64) must equal the transposed convolution
applied to ∂L/∂y, where the transposed convolution is built as its equivalent direct convolution (kernel
flipped, s - 1 zeros between inputs, padding p' before and p' + a after with the derived a), also by the
oracle: no framework, and no copy of the formula under test beyond evaluating the derived a and p'.
"""

import itertools

import numpy as np
import pytest

from symconv.core import oracle
from symconv.core import symbols as S
from symconv.core.errors import ParameterError
from symconv.core.numeric import compile_expr
from symconv.guide.derive import transposed
from symconv.guide.gradient import gradient
from symconv.guide.theorems import prove, theorem
from symconv.guide.verification import Box, check_gradient, gradient_cases
from symconv.present import matrix

EQ = transposed().equivalent
ARGS = (S.i, S.k, S.s, S.p_l, S.p_r, S.d, S.i_prime)
A_OF, BEFORE_OF, AFTER_OF = (compile_expr(value, ARGS) for value in (EQ.a, *EQ.padding))


def weighted(taps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A connectivity matrix (tap index or -1) with the weights put in."""
    return np.where(taps >= 0, weights[np.clip(taps, 0, None)], 0.0)


def transposed_convolution(grad_y: np.ndarray, weights: np.ndarray, i, k, s, p_l, p_r, d) -> np.ndarray:
    """The transposed convolution of ``grad_y``, as its equivalent direct convolution built by the oracle."""
    values = (i, k, s, p_l, p_r, d, len(grad_y))
    taps = oracle.connectivity(len(grad_y), k, 1, (BEFORE_OF(*values), AFTER_OF(*values) + A_OF(*values)), d,
                               zeros_between=s - 1, flip=True)
    return weighted(taps, weights) @ grad_y


def numerical_gradient(loss, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    grad = np.zeros_like(x)
    for n in range(len(x)):
        step = np.zeros_like(x)
        step[n] = h
        grad[n] = (loss(x + step) - loss(x - step)) / (2 * h)
    return grad


def random_loss(rng: np.random.Generator, outputs: int):
    """A smooth loss of y and its gradient: L = Σ a_j y_j + b_j y_j² + sin(c_j y_j)."""
    a, b, c = rng.normal(size=(3, outputs))

    def loss(y):
        return float(np.sum(a * y + b * y**2 + np.sin(c * y)))

    def grad(y):
        return a + 2 * b * y + c * np.cos(c * y)

    return loss, grad


CASES_1D = [  # (i, k, s, p_l, p_r, d): strides, dilation, asymmetric padding, padding past the kernel
    (5, 3, 1, 0, 0, 1), (5, 3, 2, 1, 1, 1), (6, 3, 2, 1, 1, 1), (7, 3, 2, 0, 2, 2), (9, 4, 3, 2, 0, 1),
    (10, 3, 3, 1, 2, 2), (4, 2, 2, 3, 1, 3), (8, 5, 4, 0, 3, 1), (1, 1, 1, 0, 0, 1), (3, 3, 2, 2, 2, 2),
]


@pytest.mark.parametrize("case", CASES_1D)
def test_input_gradient_is_the_transposed_convolution_1d(case):
    i, k, s, p_l, p_r, d = case
    rng = np.random.default_rng(sum(case))
    weights = rng.normal(size=k)
    forward = weighted(oracle.connectivity(i, k, s, (p_l, p_r), d), weights)
    loss_of_y, grad_of_y = random_loss(rng, forward.shape[0])
    x = rng.normal(size=i)
    numerical = numerical_gradient(lambda v: loss_of_y(forward @ v), x)
    backward = transposed_convolution(grad_of_y(forward @ x), weights, *case)
    assert backward.shape == (i,)  # the derived a restores the input's size
    np.testing.assert_allclose(backward, numerical, rtol=1e-6, atol=1e-6)


def test_every_small_case_against_finite_differences():
    rng = np.random.default_rng(0)
    count = 0
    for case in gradient_cases(Box(input_size=7, kernel_size=3, stride=3, dilation=2)):
        i, k, s, p_l, p_r, d = case
        weights = rng.normal(size=k)
        forward = weighted(oracle.connectivity(i, k, s, (p_l, p_r), d), weights)
        loss_of_y, grad_of_y = random_loss(rng, forward.shape[0])
        x = rng.normal(size=i)
        numerical = numerical_gradient(lambda v, f=forward, loss=loss_of_y: loss(f @ v), x)
        np.testing.assert_allclose(transposed_convolution(grad_of_y(forward @ x), weights, *case), numerical,
                                   rtol=1e-6, atol=1e-6, err_msg=str(case))
        count += 1
    assert count > 300


@pytest.mark.parametrize("sizes", [((4, 4), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1)),
                                   ((5, 6), (3, 2), (2, 3), ((1, 0), (0, 2)), (1, 2))])
def test_input_gradient_2d(sizes):
    (ih, iw), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = sizes
    rng = np.random.default_rng(7)
    weights = rng.normal(size=(kh, kw))
    forward = weighted(oracle.connectivity_2d((ih, iw), (kh, kw), (sh, sw), (ph, pw), (dh, dw)), weights.ravel())
    loss_of_y, grad_of_y = random_loss(rng, forward.shape[0])
    x = rng.normal(size=ih * iw)
    numerical = numerical_gradient(lambda v: loss_of_y(forward @ v), x)
    # The transposed convolution along each axis, joined as the 2-D matrix of its equivalent direct convolution.
    axes = []
    for i, k, s, (p_l, p_r), d in ((ih, kh, sh, ph, dh), (iw, kw, sw, pw, dw)):
        o = oracle.count_positions(i, k, s, (p_l, p_r), d)
        values = (i, k, s, p_l, p_r, d, o)
        axes.append(oracle.connectivity(o, k, 1, (BEFORE_OF(*values), AFTER_OF(*values) + A_OF(*values)), d,
                                        zeros_between=s - 1, flip=True))
    rows, cols = axes
    taps = np.where(np.kron(rows >= 0, cols >= 0),
                    np.kron(rows, np.ones_like(cols)) * kw + np.kron(np.ones_like(rows), cols), -1)
    backward = weighted(taps, weights.ravel()) @ grad_of_y(forward @ x)
    assert backward.shape == (ih * iw,)
    np.testing.assert_allclose(backward, numerical, rtol=1e-6, atol=1e-6)


def test_the_printed_matrices_are_the_ones_differentiated():
    view = matrix.connectivity_matrix(4, 3)
    taps = oracle.connectivity_2d((4, 4), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1))
    names = np.array([["0" if t < 0 else "w_{%d,%d}" % divmod(t, 3) for t in row] for row in taps])
    assert view.rows == tuple(map(tuple, names)) and matrix.transpose(view).rows == tuple(map(tuple, names.T))
    assert matrix.equivalent_matrix(4, 3).rows == matrix.transpose(view).rows
    for values in [dict(input_size=5, kernel_size=3, stride=2, padding=((1, 0), (0, 2)), dilation=(1, 2)),
                   dict(input_size=7, kernel_size=2, stride=3, padding=(2, 1), axes=1)]:
        assert matrix.equivalent_matrix(**values).rows == matrix.transpose(matrix.connectivity_matrix(**values)).rows


def test_matrix_budget_and_bad_input():
    with pytest.raises(ParameterError, match=r"input_size=\(20, 20\) is invalid: C would have .* at most 400"):
        matrix.connectivity_matrix((20, 20), 3)
    with pytest.raises(ParameterError, match="kernel_size=0 is invalid: kernel_size must be a positive integer"):
        matrix.connectivity_matrix(4, 0)
    with pytest.raises(ParameterError, match="the kernel fits nowhere"):
        matrix.connectivity_matrix(2, 3)
    with pytest.raises(ParameterError, match="axes=3 is invalid"):
        matrix.connectivity_matrix(4, 3, axes=3)


def test_the_gradient_theorem_is_proved_by_the_kernel():
    proof = prove(theorem("gradient"))
    assert (proof.status, proof.checked, proof.counterexample) == ("proved", True, None)
    assert proof.cases > 10_000 and proof.smt is not None and proof.smt.verdict == "unsat"
    assert gradient().steps[-1].statement.lhs == S.o_prime


def test_the_check_finds_a_wrong_a():
    assert check_gradient(Box(input_size=8, kernel_size=3, stride=3, dilation=2)).failures == 0
    # One zero too many after the stretched input, where a stride leaves room: a matrix with one row more.
    direct = oracle.connectivity(7, 3, 3, (1, 0), 2)
    values = (7, 3, 3, 1, 0, 2, direct.shape[0])
    wrong = oracle.connectivity(direct.shape[0], 3, 1, (BEFORE_OF(*values), AFTER_OF(*values) + A_OF(*values) + 1),
                                2, zeros_between=2, flip=True)
    assert wrong.shape != direct.T.shape


def test_gradient_cases_cover_asymmetric_padding_and_dilation():
    cases = list(gradient_cases(Box(input_size=6, kernel_size=3, stride=2, dilation=2)))
    assert any(p_l != p_r for _, _, _, p_l, p_r, _ in cases) and any(d == 2 for *_, d in cases)
    assert all(i + p_l + p_r >= d * (k - 1) + 1 for i, k, _, p_l, p_r, d in cases)
    assert len(cases) == len(set(cases)) and set(itertools.islice(cases, 3)) <= set(cases)
