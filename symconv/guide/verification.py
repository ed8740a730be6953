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

The cases are streamed, a chunk sized to a memory budget at a time, so memory does
not grow with the box, and each chunk is checked at once with numpy: the oracle's
batch forms (``count_positions_batch``, ``connectivity_batch``, which lists what
each tap reads instead of filling a matrix) and each formula evaluated exactly on
the whole chunk (``evaluate_array``, with ``compile_expr`` one case at a time where
numpy cannot be exact). The smallest failure is then checked again, and reported,
the one-case-at-a-time way. Counts, failures and counterexamples do not depend on
the budget.

>>> report = verify(Box(input_size=6, kernel_size=3, stride=2, dilation=2))
>>> report.failures, report.checks[0].number, report.checks[0].cases > 0
(0, 1, True)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

import numpy as np
import sympy

from symconv.core import oracle
from symconv.core import symbols as S
from symconv.guide.catalogue import relationship, relationships
from symconv.core.errors import ParameterError, SymconvError
from symconv.core.numeric import NotVectorised, compile_expr, evaluate_array, magnitude
from symconv.guide.model import Relationship

_BASE = (S.i, S.k, S.s, S.p, S.d)

#: MiB of working memory for the cases in flight, by default (the interpreter, numpy and sympy come on top).
DEFAULT_MEMORY_BUDGET = 256
#: Bytes per enumerated point while the cases are generated and filtered, temporaries included.
_POINT_BYTES = 512
#: Bytes per connectivity cell (what one tap of one output reads) while it is checked, temporaries included.
_CELL_BYTES = 160


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


def _budget(memory_budget: int) -> int:
    """The budget in bytes, checked."""
    if isinstance(memory_budget, bool) or not isinstance(memory_budget, int) or not 64 <= memory_budget <= 65536:
        raise ParameterError("memory_budget", memory_budget,
                             "the memory budget must be an integer number of MiB from 64 to 65536")
    return memory_budget * 2**20


def _evaluate(expr: Any, symbols: Sequence[sympy.Symbol], columns: Sequence[np.ndarray]) -> np.ndarray:
    """``expr`` at every case, with the values ``compile_expr`` gives one case at a time: numpy where it is exact,
    ``compile_expr`` itself on the cases where it is not (a division by zero met, a Piecewise, a Fraction)."""
    size = len(columns[0])
    try:
        values, unsure = evaluate_array(expr, dict(zip(symbols, columns)))
    except NotVectorised:
        values, unsure = np.zeros(size, dtype=np.int64), np.ones(size, dtype=bool)
    values = np.broadcast_to(values, (size,))
    if unsure is None or not unsure.any():
        return values
    compiled = compile_expr(expr, symbols)
    exact = values.astype(object)
    for n in np.flatnonzero(unsure).tolist():
        exact[n] = compiled(*(column[n] if column.dtype == object else int(column[n]) for column in columns))
    return _integers(exact)


def _integers(values: np.ndarray) -> np.ndarray:
    """Python ints as int64 when they all fit; anything else (a Fraction, a huge int) stays as it is."""
    if values.dtype == object and all(type(v) in (int, bool) for v in values.flat) and magnitude(values) < 2**62:
        return values.astype(np.int64)
    return values


def _mask(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=bool)


@dataclass(frozen=True)
class _Plan:
    """How a relationship's cases are enumerated: the free symbols, each of ``i, k, s, p, d`` in them, the
    conditions left to test, and whether two points can give the same case."""

    free: tuple[sympy.Symbol, ...]
    values: tuple[Any, ...]
    predicates: tuple[Any, ...]
    injective: bool


def _plan(rel: Relationship) -> _Plan:
    substitutions = rel.substitutions
    free = sorted({*_BASE, *itertools.chain.from_iterable(
        sympy.sympify(v).free_symbols for v in substitutions.values())} - set(substitutions), key=str)
    # A free symbol is read back from the case when it is one of its letters, or a letter's whole value (p = n).
    recovered = {symbol for symbol in _BASE if symbol not in substitutions} | set(substitutions.values())
    return _Plan(tuple(free), tuple(sympy.sympify(substitutions.get(symbol, symbol)) for symbol in _BASE),
                 rel.predicates, set(free) <= recovered)


class _Seen:
    """One bit per case of the box, for relationships where two points can give the same case."""

    def __init__(self, box: Box) -> None:
        self.radix = (box.input_size + 1, box.kernel_size + 1, box.stride + 1, box.kernel_size + 1, box.dilation + 1)
        self.bits = np.zeros(math.prod(self.radix) // 8 + 1, dtype=np.uint8)

    def first_time(self, cases: np.ndarray) -> np.ndarray:
        keys = np.ravel_multi_index(tuple(cases), self.radix)
        unique, where = np.unique(keys, return_index=True)
        new = (self.bits[unique >> 3] >> (unique & 7)) & 1 == 0
        np.bitwise_or.at(self.bits, unique[new] >> 3, (1 << (unique[new] & 7)).astype(np.uint8))
        mask = np.zeros(len(keys), dtype=bool)
        mask[where[new]] = True
        return mask


def _case_chunks(rel: Relationship, box: Box, points: int) -> Iterator[np.ndarray]:
    """The cases where ``rel`` is claimed to hold, ``points`` points of the enumeration at a time, as ``5 x n``
    int64 arrays of ``i, k, s, p, d``; in no particular order, and no case twice."""
    plan = _plan(rel)
    ranges = box.ranges()
    axes = [np.arange(ranges[symbol].start, ranges[symbol].stop, dtype=np.int64) for symbol in plan.free]
    shape = tuple(len(axis) for axis in axes)
    total = math.prod(shape)
    seen = None if plan.injective else _Seen(box)
    for first in range(0, total, points):
        index = np.unravel_index(np.arange(first, min(total, first + points)), shape)
        point = [axis[n] for axis, n in zip(axes, index)]
        i, k, s, p, d = (_evaluate(value, plan.free, point) for value in plan.values)
        keep = _mask((1 <= i) & (i <= box.input_size) & (1 <= k) & (k <= box.kernel_size) & (1 <= s)
                     & (s <= box.stride) & (0 <= p) & (p <= k) & (1 <= d) & (d <= box.dilation))
        cases = [column[keep] for column in (i, k, s, p, d)]
        cases = [column[_mask(cases[0] + 2 * cases[3] >= cases[4] * (cases[1] - 1) + 1)] for column in cases]
        for predicate in plan.predicates:
            cases = [column[_mask(_evaluate(predicate, _BASE, cases))] for column in cases]
        if any(column.dtype == object for column in cases):
            cases = [_integers(column) for column in cases]
            if any(column.dtype == object for column in cases):
                raise SymconvError(f"Relationship {rel.number}: its conditions give a case that is not integers")
        chunk = np.stack(cases).astype(np.int64, copy=False)
        if seen is not None:
            chunk = chunk[:, seen.first_time(chunk)]
        if chunk.shape[1]:
            yield chunk


def _points(budget: int) -> int:
    return max(1, budget // _POINT_BYTES)


def _pieces(cells: np.ndarray, limit: int) -> Iterator[slice]:
    """Consecutive slices whose cells add up to at most ``limit`` (one case at least)."""
    ends = np.cumsum(cells)
    start = 0
    while start < len(cells):
        before = int(ends[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, before + limit, side="right")))
        yield slice(start, stop)
        start = stop


def cases(rel: Relationship, box: Box) -> Iterator[tuple[int, int, int, int, int]]:
    """Every ``(i, k, s, p, d)`` in the box where ``rel`` is claimed to hold, smallest first (by their sum, then
    in order). This holds them all at once: :func:`verify` streams them instead."""
    chunks = list(_case_chunks(rel, box, _points(_budget(DEFAULT_MEMORY_BUDGET))))
    if not chunks:
        return
    every = np.concatenate(chunks, axis=1)
    for n in np.lexsort((*every[::-1], every.sum(axis=0))).tolist():
        yield tuple(int(value) for value in every[:, n])  # type: ignore[misc]


def _order(case: Sequence[int]) -> tuple:
    return (sum(case), tuple(case))


def _smallest(cases: np.ndarray) -> tuple[int, ...]:
    """The smallest of ``5 x n`` cases in :func:`cases`' order."""
    n = np.lexsort((*cases[::-1], cases.sum(axis=0)))[0]
    return tuple(int(value) for value in cases[:, n])


def _conv_checker(rel: Relationship) -> Callable[[tuple], Optional[Counterexample]]:
    formula = compile_expr(rel.rhs, _BASE)
    count = oracle.count_pool_windows if rel.kind == "pool" else oracle.count_positions

    def check(case: tuple) -> Optional[Counterexample]:
        i, k, s, p, d = case
        truth = count(i, k, s, (p, p), d)
        got = formula(*case)
        return None if got == truth else Counterexample(_named(case), "o", truth, got)

    return check


def _conv_failures(rel: Relationship) -> Callable[[np.ndarray], np.ndarray]:
    """Which cases ``_conv_checker`` fails, for many at once."""

    def failures(cases: np.ndarray) -> np.ndarray:
        i, k, s, p, d = cases
        if rel.kind == "pool":
            truth = oracle.count_pool_windows_batch(i, k, s, (p, p), d)
        else:
            truth = oracle.count_positions_batch(i, k, s, (p, p), d)
        return _mask(_evaluate(rel.rhs, _BASE, list(cases)) != truth)

    return failures


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


def _stretched_lengths(inputs: np.ndarray, zeros: np.ndarray) -> np.ndarray:
    """``oracle.stretched_length`` of every case, asked once per distinct pair."""
    pairs, where = np.unique(np.stack([inputs, zeros]), axis=1, return_inverse=True)
    lengths = np.array([oracle.stretched_length(int(n), int(z)) for n, z in pairs.T.tolist()], dtype=np.int64)
    return lengths[where.ravel()]


def _transposed_failures(rel: Relationship) -> Callable[[np.ndarray], np.ndarray]:
    """Which cases ``_transposed_checker`` fails, for many at once."""
    eq = rel.equivalent
    assert eq is not None
    inputs = (*_BASE, S.i_prime)
    scalar = _transposed_checker(rel)

    def failures(cases: np.ndarray) -> np.ndarray:
        i, k, s, p, d = cases
        outputs, reads = oracle.connectivity_batch(i, k, s, (p, p), d)
        columns = [*cases, outputs]
        extra = _evaluate(eq.a, inputs, columns)
        wrong = _mask(_evaluate(rel.rhs, (*inputs, S.a), [*columns, extra]) != i)
        wrong |= _mask(_evaluate(eq.stretched_input, inputs, columns) != _stretched_lengths(outputs, s - 1))
        kernel, stride, before, after = (_evaluate(value, inputs, columns)
                                         for value in (eq.kernel_size, eq.stride, *eq.padding))
        mismatch, unusual = _not_transposed(i, k, outputs, reads, kernel, stride, before, after + extra, d, s - 1)
        wrong |= mismatch
        for n in np.flatnonzero(unusual & ~wrong).tolist():
            wrong[n] = scalar(tuple(int(v) for v in cases[:, n])) is not None
        return wrong

    return failures


def _not_transposed(size: np.ndarray, kernel_size: np.ndarray, outputs: np.ndarray, reads: np.ndarray,
                    kernel: np.ndarray, stride: np.ndarray, before: np.ndarray, after: np.ndarray,
                    dilation: np.ndarray, zeros: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For convolutions C given as ``oracle.connectivity_batch`` gives them (``size`` inputs, ``outputs`` outputs),
    which equivalent convolutions (kernel flipped, ``zeros`` zeros between the ``outputs`` inputs) do not have the
    matrix Cᵀ; and which are unusual enough (a kernel or stride below 1, a huge kernel or padding, values that are
    not int64) to be left to the one-case checker.

    The matrices are equal when the equivalent has ``size`` outputs, holds as many taps as C, and every tap
    ``t`` of C's output ``j`` on input ``x`` is, in the equivalent, the flipped tap ``k - 1 - t`` of output ``x``
    on input ``j``: that maps C's entries one to one into the equivalent's, which hold no more.
    """
    n = len(size)
    mismatch = np.zeros(n, dtype=bool)
    if any(column.dtype == object for column in (kernel, stride, before, after)):
        return mismatch, np.ones(n, dtype=bool)
    kernel, stride, before, after = (np.asarray(column, dtype=np.int64) for column in (kernel, stride, before, after))
    stretched = (zeros + 1) * (outputs - 1) + 1
    reach = 4 * (int(stretched.max(initial=0)) + int((dilation * kernel_size).max(initial=0))) + 16
    unusual = ((kernel < 1) | (stride < 1) | (kernel > 4 * kernel_size + 4) | (np.abs(before) > reach)
               | (np.abs(after) > reach))
    usual = np.flatnonzero(~unusual)
    rows = np.zeros(n, dtype=np.int64)
    rows[usual] = oracle.count_positions_batch(stretched[usual], kernel[usual], stride[usual],
                                               (before[usual], after[usual]), dilation[usual])
    candidate = ~unusual & (rows == size)
    mismatch[~unusual & ~candidate] = True
    chosen = np.flatnonzero(candidate)
    if not len(chosen):
        return mismatch, unusual
    _, back = oracle.connectivity_batch(outputs[chosen], kernel[chosen], stride[chosen],
                                        (before[chosen], after[chosen]), dilation[chosen], zeros[chosen])
    cells = size[chosen] * kernel[chosen]
    start = np.cumsum(cells) - cells
    held = _per_case(back >= 0, start, cells)
    slot = np.full(n, -1, dtype=np.int64)
    slot[chosen] = np.arange(len(chosen))
    entries = np.zeros(len(chosen), dtype=np.int64)
    missing = np.zeros(len(chosen), dtype=np.int64)
    cells_c = outputs * kernel_size
    first_cell = np.cumsum(cells_c) - cells_c
    for taps in np.unique(kernel_size).tolist():
        # C's cases of one kernel size, one row per output: its block of reads is (rows x taps).
        run = np.flatnonzero(kernel_size == taps)
        case = np.repeat(run, outputs[run])
        row = np.arange(len(case), dtype=np.int64) - np.repeat(np.cumsum(outputs[run]) - outputs[run], outputs[run])
        if run[-1] - run[0] + 1 == len(run):  # the cases sorted by kernel size: the run's cells are together
            block = reads[first_cell[run[0]]:first_cell[run[-1]] + cells_c[run[-1]]].reshape(len(case), taps)
        else:
            block = reads[np.repeat(first_cell[case] + row * taps, taps)
                          + np.tile(np.arange(taps), len(case))].reshape(len(case), taps)
        keep = np.flatnonzero(candidate[case])
        if not len(keep):
            continue
        case, row, block = case[keep], row[keep], block[keep]
        which = slot[case]
        width = kernel[case][:, None]
        flipped = width - 1 - np.arange(taps)[None, :]
        real = block >= 0
        look = np.where(real & (flipped >= 0), start[which][:, None] + block * width + flipped, -1)
        found = (look >= 0) & (back[np.maximum(look, 0)] == row[:, None])
        entries += np.bincount(which, weights=np.count_nonzero(real, axis=1), minlength=len(chosen)).astype(np.int64)
        missing += np.bincount(which, weights=np.count_nonzero(real & ~found, axis=1),
                               minlength=len(chosen)).astype(np.int64)
    mismatch[chosen] = (entries != held) | (missing > 0)
    return mismatch, unusual


def _per_case(mask: np.ndarray, start: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """How many cells are set in each case's run of ``cells`` cells from ``start`` (runs one after the other)."""
    if len(start) and cells.min() > 0:
        return np.add.reduceat(mask, start, dtype=np.int64)
    total = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    return total[start + cells] - total[start]


def _named(case: Sequence[int]) -> dict[str, int]:
    return dict(zip("ikspd", case))


def _cells(cases: np.ndarray, transposed: bool) -> np.ndarray:
    """An upper bound on the connectivity cells a case needs in flight."""
    i, k, _, p, _ = cases
    return (2 * i + 2 * p + 1) * k * 2 if transposed else np.full(cases.shape[1], 8)


def check_relationship(rel: Relationship, box: Box, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> Check:
    """Every case of ``rel`` in ``box`` against the oracle, ``memory_budget`` MiB of cases at a time."""
    budget = _budget(memory_budget)
    transposed = rel.kind == "transposed"
    failures_of = _transposed_failures(rel) if transposed else _conv_failures(rel)
    count, failures, smallest = 0, 0, None
    for chunk in _case_chunks(rel, box, _points(budget)):
        for piece in _pieces(_cells(chunk, transposed), budget // _CELL_BYTES):
            part = chunk[:, piece]
            part = part[:, np.lexsort((part[2], part[1]))]  # by kernel size, then stride: see connectivity_batch
            wrong = failures_of(part)
            count += part.shape[1]
            if wrong.any():
                failures += int(np.count_nonzero(wrong))
                found = _smallest(part[:, wrong])
                smallest = found if smallest is None else min(smallest, found, key=_order)
    first = None
    if smallest is not None:
        first = (_transposed_checker(rel) if transposed else _conv_checker(rel))(smallest)
        if first is None:
            raise RuntimeError(f"Relationship {rel.number} at {smallest}: the batch and one-case checks disagree")
    return Check(rel.number, rel.title, count, failures, first)


def _ranked(rel: Relationship, box: Box, ranks: Sequence[int], points: int) -> dict[int, tuple[int, ...]]:
    """The cases of ``rel`` at the given ranks of :func:`cases`' order, found in two passes over the chunks: one
    counts the cases of each (sum, i) group, which that order visits one after the other; the other keeps the
    groups that hold a wanted rank."""
    width = box.input_size + 1
    groups = np.zeros((box.input_size + 2 * box.kernel_size + box.stride + box.dilation + 1) * width, dtype=np.int64)
    for chunk in _case_chunks(rel, box, points):
        groups += np.bincount(chunk.sum(axis=0) * width + chunk[0], minlength=len(groups))
    ends = np.cumsum(groups)
    wanted = np.unique(np.searchsorted(ends, np.asarray(ranks, dtype=np.int64), side="right"))
    kept = [chunk[:, np.isin(chunk.sum(axis=0) * width + chunk[0], wanted)]
            for chunk in _case_chunks(rel, box, points)]
    held = np.concatenate(kept, axis=1) if kept else np.zeros((5, 0), dtype=np.int64)
    held = held[:, np.lexsort((*held[::-1], held.sum(axis=0)))]
    # held is the wanted groups, in order: rank r sits in group g at r - (cases before g) + (held before g).
    before = ends[wanted] - groups[wanted]
    held_before = np.cumsum(groups[wanted]) - groups[wanted]
    found = {}
    for rank in ranks:
        g = int(np.searchsorted(wanted, np.searchsorted(ends, rank, side="right")))
        found[rank] = tuple(int(v) for v in held[:, rank - int(before[g]) + int(held_before[g])])
    return found


def _axis_reads(axis_cases: Sequence[tuple[int, ...]]) -> dict[tuple[int, ...], np.ndarray]:
    """Each 1-D case's (outputs x taps) reads, from one ``oracle.connectivity_batch`` call."""
    unique = sorted(set(axis_cases), key=lambda case: (case[1], case))
    if not unique:
        return {}
    i, k, s, p, d = np.array(unique, dtype=np.int64).T
    outputs, reads = oracle.connectivity_batch(i, k, s, (p, p), d)
    ends = np.cumsum(outputs * k)
    return {case: block.reshape(int(rows), case[1])
            for case, block, rows in zip(unique, np.split(reads, ends[:-1]), outputs.tolist())}


def _kronecker_holds(h: tuple[int, ...], w: tuple[int, ...], rows: np.ndarray, cols: np.ndarray, cells: int) -> bool:
    """The 2-D convolution of axes ``h`` and ``w`` reads what the product of the axes' reads gives, a block of
    output rows at a time (``cells`` cells at most, one row at least)."""
    (ih, kh, sh, ph, dh), (iw, kw, sw, pw, dw) = h, w
    if ih * iw < 2**30:  # exact in int32, and faster
        rows, cols = rows.astype(np.int32), cols.astype(np.int32)
    block = max(1, cells // max(1, len(cols) * kh * kw))
    for start in range(0, max(len(rows), 1), block):
        direct = oracle.connectivity_2d_reads((ih, iw), (kh, kw), (sh, sw), ((ph, ph), (pw, pw)), (dh, dw),
                                              output_rows=(start, start + block))
        top, side = rows[start:start + block, None, :, None], cols[None, :, None, :]
        joined = np.where((top >= 0) & (side >= 0), top * iw + side, -1)
        if not np.array_equal(direct, joined.reshape(joined.shape[0] * joined.shape[1], kh * kw)):
            return False
    beyond = oracle.connectivity_2d_reads((ih, iw), (kh, kw), (sh, sw), ((ph, ph), (pw, pw)), (dh, dw),
                                          output_rows=(len(rows), len(rows) + 1))
    return len(beyond) == 0  # and no more output rows than the axis has


def check_kronecker(box: Box, samples: int = 400, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> Check:
    """A sample of 2-D convolutions: their matrix is the Kronecker product of the axes'.

    Both sides are compared as what each tap reads (``oracle.connectivity_2d_reads`` on the 2-D grid, and the
    product of the axes' lists), which is the matrix without its -1 entries: the memory of a sample is its taps,
    not its outputs times its inputs.
    """
    budget = _budget(memory_budget)
    rel, points, cells = relationship(15), _points(budget), budget // _CELL_BYTES
    size = sum(chunk.shape[1] for chunk in _case_chunks(rel, box, points))
    pairs = size**2
    step = max(1, pairs // samples)
    # A stride through the pairs coprime-ish with the axis count mixes both axes.
    chosen = [(n // size, (n * 7919) % size) for n in range(0, pairs, step)]
    axis_cases = _ranked(rel, box, sorted({rank for pair in chosen for rank in pair}), points) if chosen else {}
    axis_reads = _axis_reads(list(axis_cases.values()))
    count, failures, first = 0, 0, None
    for rank_h, rank_w in chosen:
        h, w = axis_cases[rank_h], axis_cases[rank_w]
        count += 1
        if not _kronecker_holds(h, w, axis_reads[h], axis_reads[w], cells):
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


def _gradient_chunks(box: Box, points: int) -> Iterator[np.ndarray]:
    """:func:`gradient_cases` as ``6 x n`` int64 arrays, a block of input sizes at a time."""
    axes = [np.arange(1, box.kernel_size + 1), np.arange(1, box.stride + 1), np.arange(0, box.kernel_size + 1),
            np.arange(0, box.kernel_size + 1), np.arange(1, box.dilation + 1)]
    per_size = math.prod(len(axis) for axis in axes)
    block = max(1, points // per_size)
    for first in range(1, box.input_size + 1, block):
        grid = np.meshgrid(np.arange(first, min(box.input_size, first + block - 1) + 1), *axes, indexing="ij")
        i, k, s, p_l, p_r, d = (values.ravel().astype(np.int64) for values in grid)
        keep = (p_l <= k) & (p_r <= k) & (i + p_l + p_r >= d * (k - 1) + 1)
        yield np.stack([i, k, s, p_l, p_r, d])[:, keep]


def _gradient_checker() -> Callable[[tuple], Optional[Counterexample]]:
    from symconv.guide.derive import transposed

    eq = transposed().equivalent
    inputs = (S.i, S.k, S.s, S.p_l, S.p_r, S.d, S.i_prime)
    a_of, kernel_of, stride_of, before_of, after_of = (
        compile_expr(value, inputs) for value in (eq.a, eq.kernel_size, eq.stride, *eq.padding))

    def check(case: tuple) -> Optional[Counterexample]:
        i, k, s, p_l, p_r, d = case
        direct = oracle.connectivity(i, k, s, (p_l, p_r), d)
        values = (*case, direct.shape[0])
        backward = oracle.connectivity(
            direct.shape[0], kernel_of(*values), stride_of(*values),
            (before_of(*values), after_of(*values) + a_of(*values)), d, zeros_between=s - 1, flip=True)
        if backward.shape != direct.T.shape or not np.array_equal(backward, direct.T):
            return Counterexample(dict(zip(("i", "k", "s", "p_l", "p_r", "d"), case)), "gradient",
                                  f"Cᵀ ({direct.shape[1]}×{direct.shape[0]})",
                                  f"a {backward.shape[0]}×{backward.shape[1]} matrix that differs")
        return None

    return check


def check_gradient(box: Box, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> Check:
    """``∂L/∂x = Cᵀ ∂L/∂y`` is the transposed convolution: on every case, the oracle's ``Cᵀ`` equals the
    connectivity of the transposed convolution's equivalent direct convolution, built with the derived
    ``a``, ``p'`` and stride (kernel flipped, ``s - 1`` zeros between inputs), which has ``i`` outputs.

    >>> check = check_gradient(Box(input_size=5, kernel_size=3, stride=2, dilation=2))
    >>> check.cases, check.failures
    (522, 0)
    """
    from symconv.guide.derive import transposed

    budget = _budget(memory_budget)
    eq = transposed().equivalent
    inputs = (S.i, S.k, S.s, S.p_l, S.p_r, S.d, S.i_prime)
    scalar = _gradient_checker()
    count, failures, smallest = 0, 0, None
    for chunk in _gradient_chunks(box, _points(budget)):
        i, k, _, p_l, p_r, _ = chunk
        for piece in _pieces((2 * i + p_l + p_r + 1) * k * 2, budget // _CELL_BYTES):
            cases = chunk[:, piece]
            cases = cases[:, np.lexsort((cases[2], cases[1]))]  # by kernel size, then stride
            i, k, s, p_l, p_r, d = cases
            outputs, reads = oracle.connectivity_batch(i, k, s, (p_l, p_r), d)
            columns = [*cases, outputs]
            a, kernel, stride, before, after = (_evaluate(value, inputs, columns)
                                                for value in (eq.a, eq.kernel_size, eq.stride, *eq.padding))
            wrong, unusual = _not_transposed(i, k, outputs, reads, kernel, stride, before, after + a, d, s - 1)
            for n in np.flatnonzero(unusual).tolist():
                wrong[n] = scalar(tuple(int(v) for v in cases[:, n])) is not None
            count += cases.shape[1]
            if wrong.any():
                failures += int(np.count_nonzero(wrong))
                bad = cases[:, wrong]
                # gradient_cases' order: i, k, s, d, then p_l, p_r
                found = tuple(int(v) for v in bad[:, np.lexsort(bad[[4, 3, 5, 2, 1, 0]])[0]])
                smallest = found if smallest is None else min(smallest, found, key=_gradient_order)
    first = None
    if smallest is not None:
        first = scalar(smallest)
        if first is None:
            raise RuntimeError(f"the gradient at {smallest}: the batch and one-case checks disagree")
    return Check(None, "the input gradient is the transposed convolution", count, failures, first)


def _gradient_order(case: Sequence[int]) -> tuple:
    i, k, s, p_l, p_r, d = case
    return (i, k, s, d, p_l, p_r)


def verify(box: Box = Box(), numbers: Optional[Sequence[int]] = None,
           progress: Optional[Callable[[str, str, int, int], None]] = None,
           memory_budget: int = DEFAULT_MEMORY_BUDGET) -> Report:
    """Check relationships (all by default) on every case in ``box``, ``memory_budget`` MiB of cases at a time
    (the interpreter comes on top). ``progress(task, item, done, total)``, if given, is called before each
    relationship and once at the end."""
    _budget(memory_budget)
    chosen = [relationship(n) for n in numbers] if numbers else list(relationships().values())
    total = len(chosen) + (0 if numbers else 1)
    checks = []
    for done, rel in enumerate(chosen):
        if progress is not None:
            progress("verify", f"Relationship {rel.number}", done, total)
        checks.append(check_relationship(rel, box, memory_budget))
    if not numbers:
        if progress is not None:
            progress("verify", "the Kronecker form", len(chosen), total)
        checks.append(check_kronecker(box, memory_budget=memory_budget))
    if progress is not None:
        progress("verify", "", total, total)
    return Report(box, tuple(checks))
