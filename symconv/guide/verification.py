"""Exhaustive verification of the catalogue against the brute-force oracle.

For every relationship, every integer case in a box that satisfies the
relationship's conditions and the validity domain ``i + 2p >= d(k - 1) + 1``
is checked:

- convolution and pooling: the formula equals the oracle's count of kernel
  positions;
- transposed convolution: the formula gives back the direct convolution's
  input size, the stretched input has the stated size, and the equivalent
  direct convolution (zeros between the inputs, padding ``p'`` before and
  ``p' + a`` after, kernel flipped, stride ``s'``) has exactly the
  connectivity matrix Cᵀ.

A sample of 2-D cases also checks that the 2-D connectivity matrix is the
Kronecker product of its two axes, and :func:`check_gradient` that the input
gradient of every convolution in the box, ``Cᵀ``, is the connectivity of the
transposed convolution with the same ``k, s, p_l, p_r, d`` and the derived
``a``, which restores ``i`` (asymmetric padding and dilation included).

>>> report = verify(Box(input_size=6, kernel_size=3, stride=2, dilation=2))
>>> report.failures, report.checks[0].number, report.checks[0].cases > 0
(0, 1, True)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Optional, Sequence

import numpy as np
import sympy

from symconv.core import oracle
from symconv.core import symbols as S
from symconv.guide.catalogue import relationship, relationships
from symconv.core.errors import ParameterError
from symconv.core.numeric import compile_expr
from symconv.guide.model import Relationship

_BASE = (S.i, S.k, S.s, S.p, S.d)


@dataclass(frozen=True)
class Box:
    """The integer cases to enumerate: ``1 <= i <= input_size`` and so on, ``0 <= p <= k``."""

    input_size: int = 16
    kernel_size: int = 6
    stride: int = 4
    dilation: int = 3

    def __post_init__(self) -> None:
        # Caps keep a typo from enumerating for hours: the default box is far below them.
        for name, cap in (("input_size", 1024), ("kernel_size", 32), ("stride", 32), ("dilation", 16)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= cap:
                raise ParameterError(name, value, f"the box's {name} must be an integer from 1 to {cap}")

    def ranges(self) -> dict[sympy.Symbol, range]:
        return {
            S.i: range(1, self.input_size + 1),
            S.k: range(1, self.kernel_size + 1),
            S.s: range(1, self.stride + 1),
            S.p: range(0, self.kernel_size + 1),
            S.d: range(1, self.dilation + 1),
            S.n: range(0, (self.kernel_size - 1) // 2 + 1),
        }

    def contains(self, i: int, k: int, s: int, p: int, d: int) -> bool:
        return (1 <= i <= self.input_size and 1 <= k <= self.kernel_size and 1 <= s <= self.stride
                and 0 <= p <= k and 1 <= d <= self.dilation)


@dataclass(frozen=True)
class Counterexample:
    """The smallest case where a formula and the oracle disagree."""

    values: Mapping[str, object]
    quantity: str
    expected: object
    got: object

    def __str__(self) -> str:
        where = ", ".join(f"{name}={value}" for name, value in self.values.items())
        return f"{where}: {self.quantity} is {self.expected} by the oracle, {self.got} by the formula"


@dataclass(frozen=True)
class Check:
    """The outcome of checking one relationship (or the 2-D sample)."""

    number: Optional[int]
    name: str
    cases: int
    failures: int
    counterexample: Optional[Counterexample] = None


@dataclass(frozen=True)
class Report:
    box: Box
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def cases(self) -> int:
        return sum(check.cases for check in self.checks)

    @property
    def failures(self) -> int:
        return sum(check.failures for check in self.checks)


def cases(rel: Relationship, box: Box) -> Iterator[tuple[int, int, int, int, int]]:
    """Every ``(i, k, s, p, d)`` in the box where ``rel`` is claimed to hold, smallest first."""
    substitutions = rel.substitutions
    free = sorted({*_BASE, *itertools.chain.from_iterable(
        sympy.sympify(v).free_symbols for v in substitutions.values())} - set(substitutions), key=str)
    value_of = [compile_expr(substitutions.get(symbol, symbol), free) for symbol in _BASE]
    holds = [compile_expr(predicate, _BASE) for predicate in rel.predicates]
    ranges = box.ranges()
    found = set()
    for point in itertools.product(*(ranges[symbol] for symbol in free)):
        i, k, s, p, d = (value(*point) for value in value_of)
        if box.contains(i, k, s, p, d) and i + 2 * p >= d * (k - 1) + 1 and all(h(i, k, s, p, d) for h in holds):
            found.add((i, k, s, p, d))
    yield from sorted(found, key=lambda case: (sum(case), case))


def _conv_checker(rel: Relationship) -> Callable[[tuple], Optional[Counterexample]]:
    formula = compile_expr(rel.rhs, _BASE)
    count = oracle.count_pool_windows if rel.kind == "pool" else oracle.count_positions

    def check(case: tuple) -> Optional[Counterexample]:
        i, k, s, p, d = case
        truth = count(i, k, s, (p, p), d)
        got = formula(*case)
        return None if got == truth else Counterexample(_named(case), "o", truth, got)

    return check


def _transposed_checker(rel: Relationship) -> Callable[[tuple], Optional[Counterexample]]:
    eq = rel.equivalent
    assert eq is not None
    inputs = (*_BASE, S.i_prime)
    a_of = compile_expr(eq.a, inputs)
    size_of = compile_expr(rel.rhs, (*inputs, S.a))
    kernel_of, stride_of, before_of, after_of, stretched_of = (
        compile_expr(value, inputs)
        for value in (eq.kernel_size, eq.stride, *eq.padding, eq.stretched_input))

    def check(case: tuple) -> Optional[Counterexample]:
        i, k, s, p, d = case
        direct = oracle.connectivity(i, k, s, (p, p), d)
        i_prime = direct.shape[0]
        values = (*case, i_prime)
        extra = a_of(*values)
        named = {**_named(case), "i'": i_prime}
        size = size_of(*values, extra)
        if size != i:
            return Counterexample(named, "o'", i, size)
        stretched = stretched_of(*values)
        if stretched != oracle.stretched_length(i_prime, s - 1):
            return Counterexample(named, "ĩ'", oracle.stretched_length(i_prime, s - 1), stretched)
        equivalent = oracle.connectivity(
            i_prime, kernel_of(*values), stride_of(*values), (before_of(*values), after_of(*values) + extra), d,
            zeros_between=s - 1, flip=True)
        if equivalent.shape != direct.T.shape or not np.array_equal(equivalent, direct.T):
            return Counterexample(named, "connectivity", "Cᵀ", "a different matrix")
        return None

    return check


def _named(case: Sequence[int]) -> dict[str, int]:
    return dict(zip("ikspd", case))


def check_relationship(rel: Relationship, box: Box) -> Check:
    checker = _transposed_checker(rel) if rel.kind == "transposed" else _conv_checker(rel)
    count, failures, first = 0, 0, None
    for case in cases(rel, box):
        count += 1
        problem = checker(case)
        if problem is not None:
            failures += 1
            first = first or problem
    return Check(rel.number, rel.title, count, failures, first)


def check_kronecker(box: Box, samples: int = 400) -> Check:
    """A sample of 2-D convolutions: their matrix is the Kronecker product of the axes'."""
    axis_cases = list(cases(relationship(15), box))
    pairs = len(axis_cases) ** 2
    step = max(1, pairs // samples)
    count, failures, first = 0, 0, None
    # A stride through the pairs coprime-ish with the axis count mixes both axes.
    for n in range(0, pairs, step):
        h, w = axis_cases[n // len(axis_cases)], axis_cases[(n * 7919) % len(axis_cases)]
        count += 1
        (ih, kh, sh, ph, dh), (iw, kw, sw, pw, dw) = h, w
        direct = oracle.connectivity_2d((ih, iw), (kh, kw), (sh, sw), ((ph, ph), (pw, pw)), (dh, dw))
        rows = oracle.connectivity(ih, kh, sh, (ph, ph), dh)
        cols = oracle.connectivity(iw, kw, sw, (pw, pw), dw)
        joined = np.kron(rows >= 0, cols >= 0)
        taps = np.where(joined, np.kron(rows, np.ones_like(cols)) * kw + np.kron(np.ones_like(rows), cols), -1)
        if not np.array_equal(direct, taps):
            failures += 1
            first = first or Counterexample({"h": h, "w": w}, "2-D connectivity", "kron of axes", "different")
    return Check(None, "2-D connectivity is the Kronecker product of the axes", count, failures, first)


def gradient_cases(box: Box) -> Iterator[tuple[int, int, int, int, int, int]]:
    """Every ``(i, k, s, p_l, p_r, d)`` in the box (``0 <= p_l, p_r <= k``) where a kernel position fits."""
    for i, k, s, d in itertools.product(range(1, box.input_size + 1), range(1, box.kernel_size + 1),
                                        range(1, box.stride + 1), range(1, box.dilation + 1)):
        for p_l, p_r in itertools.product(range(k + 1), repeat=2):
            if i + p_l + p_r >= d * (k - 1) + 1:
                yield i, k, s, p_l, p_r, d


def check_gradient(box: Box) -> Check:
    """``∂L/∂x = Cᵀ ∂L/∂y`` is the transposed convolution: on every case, the oracle's ``Cᵀ`` equals the
    connectivity of the transposed convolution's equivalent direct convolution, built with the derived
    ``a``, ``p'`` and stride (kernel flipped, ``s - 1`` zeros between inputs), which has ``i`` outputs.

    >>> check = check_gradient(Box(input_size=5, kernel_size=3, stride=2, dilation=2))
    >>> check.cases, check.failures
    (522, 0)
    """
    from symconv.guide.derive import transposed

    eq = transposed().equivalent
    inputs = (S.i, S.k, S.s, S.p_l, S.p_r, S.d, S.i_prime)
    a_of, kernel_of, stride_of, before_of, after_of = (
        compile_expr(value, inputs) for value in (eq.a, eq.kernel_size, eq.stride, *eq.padding))
    count, failures, first = 0, 0, None
    for case in gradient_cases(box):
        i, k, s, p_l, p_r, d = case
        direct = oracle.connectivity(i, k, s, (p_l, p_r), d)
        values = (*case, direct.shape[0])
        backward = oracle.connectivity(
            direct.shape[0], kernel_of(*values), stride_of(*values),
            (before_of(*values), after_of(*values) + a_of(*values)), d, zeros_between=s - 1, flip=True)
        count += 1
        if backward.shape != direct.T.shape or not np.array_equal(backward, direct.T):
            failures += 1
            first = first or Counterexample(dict(zip(("i", "k", "s", "p_l", "p_r", "d"), case)), "gradient",
                                            f"Cᵀ ({direct.shape[1]}×{direct.shape[0]})",
                                            f"a {backward.shape[0]}×{backward.shape[1]} matrix that differs")
    return Check(None, "the input gradient is the transposed convolution", count, failures, first)


def verify(box: Box = Box(), numbers: Optional[Sequence[int]] = None,
           progress: Optional[Callable[[str, str, int, int], None]] = None) -> Report:
    """Check relationships (all by default) on every case in ``box``. ``progress(task, item, done, total)``,
    if given, is called before each relationship and once at the end."""
    chosen = [relationship(n) for n in numbers] if numbers else list(relationships().values())
    total = len(chosen) + (0 if numbers else 1)
    checks = []
    for done, rel in enumerate(chosen):
        if progress is not None:
            progress("verify", f"Relationship {rel.number}", done, total)
        checks.append(check_relationship(rel, box))
    if not numbers:
        if progress is not None:
            progress("verify", "the Kronecker form", len(chosen), total)
        checks.append(check_kronecker(box))
    if progress is not None:
        progress("verify", "", total, total)
    return Report(box, tuple(checks))
