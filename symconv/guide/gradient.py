"""The backward pass: the input gradient of a convolution is a transposed convolution.

One of the guide's source texts derives it: write the convolution as ``y = C x``
(the guide's section 4.1); then, by the chain rule, ``∂L/∂x = Cᵀ ∂L/∂y``, and
multiplying by ``Cᵀ`` is the transposed convolution with the same ``k, s, p, d``
(section 4): the same pairs are connected, and with the extra zeros
``a = (i + p_l + p_r - d(k - 1) - 1) mod s`` its output has the input's size.

The two claims that make it so are one theorem (:func:`gradient_theorem`, proved
by the kernel in :mod:`symconv.guide.theorems`): the transposed convolution
connects exactly the pairs of ``Cᵀ`` (a polynomial identity in ``j`` and ``t``),
and it restores ``i``. :func:`symconv.guide.verification.check_gradient`
compares the matrices themselves, built by the oracle, on every case of a box.

>>> from symconv.core.printing import text
>>> text(gradient().result)
'\\\\frac{\\\\partial L}{\\\\partial x} = C.T*\\\\frac{\\\\partial L}{\\\\partial y}'
>>> len(gradient().steps)
6
"""

from __future__ import annotations

from functools import lru_cache

import sympy
from sympy import And, Eq, Ge, IndexedBase, KroneckerDelta, Le, Sum

from symconv.core import symbols as S
from symconv.core.steps import Step
from symconv.guide.derive import Derivation, general_output_size, transposed

x = sympy.Symbol("x", integer=True)  #: the input unit that output j's tap t reads
n = sympy.Symbol("n", integer=True)  #: an input unit
tap = sympy.Symbol("u", integer=True, nonnegative=True)  #: a kernel tap, in the gradient theorem


@lru_cache(maxsize=1)
def gradient() -> Derivation:
    """``∂L/∂x = Cᵀ ∂L/∂y``, and ``Cᵀ`` is the transposed convolution that restores ``i``."""
    i, k, s, d, p_l, j, t, o = S.i, S.k, S.s, S.d, S.p_l, S.j, S.t, S.o
    y, w, inputs, g, C = (IndexedBase(name) for name in ("y", "w", "x", "g", "C"))
    read = s * j + d * t - p_l
    grad_x = sympy.MatrixSymbol(r"\frac{\partial L}{\partial x}", i, 1)
    grad_y = sympy.MatrixSymbol(r"\frac{\partial L}{\partial y}", o, 1)
    matrix = sympy.MatrixSymbol("C", o, i)
    partial = sympy.Symbol(r"\frac{\partial L}{\partial x_{n}}")
    result = Eq(grad_x, matrix.T * grad_y)
    steps = (
        Step(Eq(y[j], Sum(w[t] * inputs[read], (t, 0, k - 1))),
             "output j sums each tap t times the input it reads, at x = s j + d t - p_l (nothing where that is"
             " padding)"),
        Step(Eq(partial, Sum(Sum(g[j] * w[t] * KroneckerDelta(read, n), (t, 0, k - 1)), (j, 0, o - 1))),
             "chain rule, with g_j = ∂L/∂y_j: input n reaches the loss only through the outputs whose taps read it"),
        Step(Eq(partial, Sum(C[j, n] * g[j], (j, 0, o - 1))),
             "C_{j,n} is the weight w_t of the tap t of output j that reads input n, and 0 if none does"),
        Step(result, "in matrix form: the input gradient is C transposed times the output gradient"),
        Step(Eq(x + d * (k - 1 - t) - S.p_prime, s * j),
             "the transposed convolution connects the same pairs: its equivalent direct convolution (unit stride,"
             " p' = d(k - 1) - p_l, kernel flipped) reads, at output x = s j + d t - p_l and flipped tap k - 1 - t,"
             " unit j of the stretched input"),
        Step(Eq(S.o_prime, i),
             "with a = (i + p_l + p_r - d(k - 1) - 1) mod s, its output o' = s(i' - 1) + a + d(k - 1) - p_l - p_r + 1,"
             " for i' = o inputs, is the input's size"),
    )
    return Derivation("gradient", "The input gradient is the transposed convolution", steps, result)


def gradient_theorem_parts() -> tuple[sympy.Basic, tuple, tuple, tuple]:
    """The gradient theorem's statement, hypotheses, definitions and variables (the Theorem is built in
    :mod:`symconv.guide.theorems`, with the oracle's sizes as its ground truth)."""
    i, k, s, d, p_l, p_r, j = S.i, S.k, S.s, S.d, S.p_l, S.p_r, S.j
    t = tap  # the proof exports to Coq, where t is one of the exporter's own names
    tr = transposed()
    statement = And(Eq(S.o_prime, i, evaluate=False), Eq(x + d * (k - 1 - t) - S.p_prime, s * j, evaluate=False))
    hypotheses = (Ge(i + p_l + p_r, d * (k - 1) + 1, evaluate=False), Le(t, k - 1, evaluate=False))
    definitions = ((S.i_prime, general_output_size()), (S.a, tr.equivalent.a), (S.o_prime, tr.result.rhs),
                   (S.p_prime, tr.equivalent.p_prime), (x, s * j + d * t - p_l))
    return statement, hypotheses, definitions, (i, k, s, p_l, p_r, d, j, t)
