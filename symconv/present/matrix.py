"""Convolution as a matrix operation (the guide's section 4.1): the matrix C, its transpose, printed.

A convolution of a flattened input ``x`` is ``y = C x``: row ``j`` of ``C`` holds
the kernel's weights ``w_{r,c}`` at the inputs that output ``j`` reads, and zeros
elsewhere. The entries come from the brute-force oracle that verification uses
(:func:`symconv.core.oracle.connectivity_2d`, and for the transposed
convolution's equivalent direct convolution :func:`symconv.core.oracle.connectivity`
along each axis, kernel flipped), never from a formula.

>>> view = connectivity_matrix(4, 3)  # the guide's example: 4×4 input, 3×3 kernel, 2×2 output
>>> view.shape, view.rows[0][:4], view.rows[1][:2]
((4, 16), ('w_{0,0}', 'w_{0,1}', 'w_{0,2}', '0'), ('0', 'w_{0,0}'))
>>> transposed = transpose(view)
>>> transposed.shape, transposed.rows == equivalent_matrix(4, 3).rows
((16, 4), True)
>>> connectivity_matrix(9, 3)
Traceback (most recent call last):
...
symconv.core.errors.ParameterError: input_size=9 is invalid: C would have 49×81 = 3969 entries; at most 400 are printed
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from symconv.core import oracle
from symconv.core import validation as check
from symconv.core.errors import ParameterError

MAX_ENTRIES = 400  #: the most entries a printed matrix may have


@dataclass(frozen=True)
class MatrixView:
    """A matrix to print: its name (LaTeX), entries (LaTeX: ``w_{r,c}`` or ``0``) and what its rows and columns are."""

    name: str
    rows: tuple[tuple[str, ...], ...]
    row_unit: str  #: the LaTeX letter of a row's unit (``y`` for C, ``x`` for Cᵀ)
    column_unit: str

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0]) if self.rows else 0


def _pairs(name: str, value: Any, axes: int, low: int) -> tuple[int, ...]:
    values = value if isinstance(value, (tuple, list)) else (value,) * axes
    if len(values) != axes:
        raise ParameterError(name, value, f"{name} must be one integer or {axes} of them, one per axis")
    return tuple(_int(name, v, low) for v in values)


def _int(name: str, value: Any, low: int) -> int:
    number = check.integer(name, value, low, "a positive integer" if low else "a nonnegative integer")
    if not isinstance(number, int):
        raise ParameterError(name, value, f"{name} must be a number to print a matrix, not a symbol")
    return number


def _paddings(value: Any, axes: int) -> tuple[tuple[int, int], ...]:
    per_axis = value if isinstance(value, (tuple, list)) and len(value) == axes and axes > 1 else (value,) * axes
    out = []
    for pad in per_axis:
        before, after = pad if isinstance(pad, (tuple, list)) else (pad, pad)
        out.append((_int("padding", before, 0), _int("padding", after, 0)))
    return tuple(out)


def _parameters(input_size: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, axes: int):
    if axes not in (1, 2):
        raise ParameterError("axes", axes, "axes must be 1 or 2")
    i = _pairs("input_size", input_size, axes, 1)
    k = _pairs("kernel_size", kernel_size, axes, 1)
    s = _pairs("stride", stride, axes, 1)
    d = _pairs("dilation", dilation, axes, 1)
    return i, k, s, _paddings(padding, axes), d


def _budget(outputs: int, inputs: int, input_size: Any) -> None:
    if outputs * inputs > MAX_ENTRIES:
        raise ParameterError("input_size", input_size, f"C would have {outputs}×{inputs} = {outputs * inputs}"
                                                       f" entries; at most {MAX_ENTRIES} are printed")
    if outputs == 0:
        raise ParameterError("input_size", input_size, "the kernel fits nowhere on the padded input: C is empty")


def _entries(taps: np.ndarray, kernel: tuple[int, ...]) -> tuple[tuple[str, ...], ...]:
    """Tap indices (``-1``: not joined) as the weights they stand for."""
    def weight(tap: int) -> str:
        if tap < 0:
            return "0"
        if len(kernel) == 1:
            return f"w_{{{tap}}}"
        return "w_{%d,%d}" % divmod(tap, kernel[1])

    return tuple(tuple(weight(int(tap)) for tap in row) for row in taps)


def _axis_sizes(i: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], pads, d: tuple[int, ...]) -> list[int]:
    return [oracle.count_positions(*along) for along in zip(i, k, s, pads, d)]


def connectivity_matrix(input_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                        axes: int = 2) -> MatrixView:
    """C of a convolution (2-D by default, as in the guide; ``axes=1`` for a row), from the oracle.

    Every size is an int (the same along every axis) or one per axis; ``padding`` is ``p`` or
    ``(before, after)`` (per axis in 2-D). At most :data:`MAX_ENTRIES` entries are printed.

    >>> connectivity_matrix(4, 3, padding=(1, 0), axes=1).rows
    (('w_{1}', 'w_{2}', '0', '0'), ('w_{0}', 'w_{1}', 'w_{2}', '0'), ('0', 'w_{0}', 'w_{1}', 'w_{2}'))
    """
    i, k, s, pads, d = _parameters(input_size, kernel_size, stride, padding, dilation, axes)
    _budget(math.prod(_axis_sizes(i, k, s, pads, d)), math.prod(i), input_size)
    if axes == 1:
        taps = oracle.connectivity(i[0], k[0], s[0], pads[0], d[0])
    else:
        taps = oracle.connectivity_2d((i[0], i[1]), (k[0], k[1]), (s[0], s[1]), (pads[0], pads[1]), (d[0], d[1]))
    return MatrixView("C", _entries(taps, k), "y", "x")


def transpose(view: MatrixView) -> MatrixView:
    """Cᵀ: the matrix of the transposed convolution (of the backward pass)."""
    columns = tuple(zip(*view.rows)) if view.rows else ()
    return MatrixView(f"{view.name}^{{T}}", columns, view.column_unit, view.row_unit)


def equivalent_matrix(input_size: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                      axes: int = 2) -> MatrixView:
    """The matrix of the direct convolution equivalent to the transpose of C, from the oracle.

    Its input is C's output, stretched by ``s - 1`` zeros, padded with ``p' = d(k - 1) - p_l`` before and
    ``d(k - 1) - p_r + a`` after, where ``a`` is the fewest extra zeros (found by counting positions) that
    bring its output back to ``i``; its kernel is flipped, so an entry is the original ``w_{r,c}``.
    """
    i, k, s, pads, d = _parameters(input_size, kernel_size, stride, padding, dilation, axes)
    outputs = _axis_sizes(i, k, s, pads, d)
    _budget(math.prod(outputs), math.prod(i), input_size)
    per_axis = []
    for size, inputs, kk, ss, (before, after), dd in zip(i, outputs, k, s, pads, d):
        reach = dd * (kk - 1)
        taps = next(m for extra in range(ss) for m in [oracle.connectivity(
            inputs, kk, 1, (reach - before, reach - after + extra), dd, zeros_between=ss - 1, flip=True)]
            if m.shape[0] == size)
        per_axis.append(taps)
    if axes == 1:
        return MatrixView("C'", _entries(per_axis[0], k), "x", "y")
    rows, cols = per_axis
    joined = np.kron(rows >= 0, cols >= 0)
    taps = np.where(joined, np.kron(rows, np.ones_like(cols)) * k[1] + np.kron(np.ones_like(rows), cols), -1)
    return MatrixView("C'", _entries(taps, k), "x", "y")


def to_latex(view: MatrixView) -> str:
    """The matrix as a LaTeX formula (for display math): ``C = \\left(\\begin{array}…``."""
    columns = view.shape[1]
    body = " \\\\\n".join(" & ".join(row) for row in view.rows)
    return f"{view.name} = \\left(\\begin{{array}}{{*{{{columns}}}{{c}}}}\n{body}\n\\end{{array}}\\right)"


def to_markdown(*views: MatrixView) -> str:
    """Matrices as one Markdown table, side by side, their rows and columns labelled with their units.

    >>> print(to_markdown(connectivity_matrix(3, 2, axes=1)))
    | $C$ | $x_{0}$ | $x_{1}$ | $x_{2}$ |
    |---|---|---|---|
    | $y_{0}$ | $w_{0}$ | $w_{1}$ | $0$ |
    | $y_{1}$ | $0$ | $w_{0}$ | $w_{1}$ |
    """
    if not views or len({view.shape[0] for view in views}) != 1:
        raise ParameterError("views", len(views), "matrices side by side need one or more, with as many rows")
    header: list[str] = []
    for view in views:
        header += [f"${view.name}$"] + [f"${view.column_unit}_{{{c}}}$" for c in range(view.shape[1])]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in range(views[0].shape[0]):
        cells: list[str] = []
        for view in views:
            cells += [f"${view.row_unit}_{{{r}}}$"] + [f"${entry}$" for entry in view.rows[r]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
