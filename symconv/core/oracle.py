"""Ground truth by brute force: kernel positions counted, connections listed.

Nothing here calls a formula that symconv checks. Sizes come from walking the
kernel along the padded input and counting where it fits; connectivity comes
from listing, for every kernel position and every tap, which input unit the tap
lands on. A transposed convolution is the transpose of a connectivity matrix.

One function covers the direct convolution and the equivalent convolution of a
transposed one: the latter inserts ``zeros_between`` zeros between input units,
may crop (negative padding), and uses the kernel flipped.

>>> count_positions(5, 3, stride=2, padding=(1, 1))
3
>>> connectivity(4, 3).tolist()
[[0, 1, 2, -1], [-1, 0, 1, 2]]
"""

from __future__ import annotations

from typing import Optional

import numpy as np


def _starts(length: int, kernel_size: int, stride: int, dilation: int) -> np.ndarray:
    """Start positions of every kernel placement that lies within ``length`` cells."""
    starts = np.arange(0, max(length, 0), stride)
    return starts[starts + dilation * (kernel_size - 1) <= length - 1]


def stretched_length(input_size: int, zeros_between: int) -> int:
    """Length of the input once ``zeros_between`` zeros sit between its units."""
    positions = np.arange(input_size) * (zeros_between + 1)
    return int(positions[-1]) + 1


def count_positions(
    input_size: int, kernel_size: int, stride: int = 1, padding: tuple[int, int] = (0, 0), dilation: int = 1
) -> int:
    """How many times the kernel fits on the padded input."""
    return len(_starts(input_size + padding[0] + padding[1], kernel_size, stride, dilation))


def count_pool_windows(
    input_size: int,
    kernel_size: int,
    stride: int,
    padding: tuple[int, int] = (0, 0),
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Pooling windows, walking one window at a time as PyTorch and ONNX do.

    Floor mode keeps the windows that fit. Ceil mode keeps adding a window
    while the one before it leaves the end of the padded input uncovered, but
    never one that starts in the right padding.
    """
    length = input_size + padding[0] + padding[1]
    span = dilation * (kernel_size - 1) + 1
    count, start = 0, 0
    while True:
        if ceil_mode:
            needed = start - stride + span < length
            if not (needed and start < padding[0] + input_size):
                return count
        elif start + span > length:
            return count
        count, start = count + 1, start + stride


def connectivity(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: tuple[int, int] = (0, 0),
    dilation: int = 1,
    zeros_between: int = 0,
    flip: bool = False,
) -> np.ndarray:
    """The matrix C (outputs x inputs) of a 1-D convolution.

    Entry ``C[j, x]`` is the tap of the kernel that joins output ``j`` to input
    ``x`` (``k - 1 - t`` when ``flip``), or -1 where they are not joined.
    ``zeros_between`` zeros are inserted between input units first, and a
    negative padding crops the (stretched) input.
    """
    step = zeros_between + 1
    stretched = step * (input_size - 1) + 1
    before, after = padding
    starts = _starts(stretched + before + after, kernel_size, stride, dilation)
    taps = np.arange(kernel_size)
    position = starts[:, None] + dilation * taps[None, :] - before  # in the stretched input
    real = (position >= 0) & (position < stretched) & (position % step == 0)
    matrix = np.full((len(starts), input_size), -1, dtype=np.int64)
    rows, cols = np.nonzero(real)
    matrix[rows, position[rows, cols] // step] = (kernel_size - 1 - cols) if flip else cols
    return matrix


def count_pool_windows_batch(
    input_size: np.ndarray, kernel_size: np.ndarray, stride: np.ndarray,
    padding: tuple[np.ndarray, np.ndarray], dilation: np.ndarray, ceil_mode: bool = False,
) -> np.ndarray:
    """:func:`count_pool_windows` at every case of equal-length int64 arrays, by the same walk: one window
    at a time, on the cases still walking.

    >>> count_pool_windows_batch(np.array([4, 5]), np.array([2, 2]), np.array([2, 2]),
    ...                          (np.array([0, 0]), np.array([0, 0])), np.array([1, 1]), ceil_mode=True).tolist()
    [2, 3]
    """
    i, k, s, before, after, d = (np.asarray(value, dtype=np.int64) for value in
                                 (input_size, kernel_size, stride, *padding, dilation))
    if len(s) and s.min() < 1:
        raise ValueError("count_pool_windows_batch needs strides of at least 1")
    length, span = i + before + after, d * (k - 1) + 1
    counts = np.zeros(len(i), dtype=np.int64)
    walking = np.arange(len(i))
    while len(walking):
        start = counts[walking] * s[walking]
        if ceil_mode:
            more = (start - s[walking] + span[walking] < length[walking]) & (start < before[walking] + i[walking])
        else:
            more = start + span[walking] <= length[walking]
        walking = walking[more]
        counts[walking] += 1
    return counts


def connectivity_batch(
    input_size: np.ndarray, kernel_size: np.ndarray, stride: np.ndarray,
    padding: tuple[np.ndarray, np.ndarray], dilation: np.ndarray, zeros_between: np.ndarray | int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`connectivity` at every case of equal-length int64 arrays, as the list of what each tap reads.

    Returns ``(outputs, reads)``. ``outputs[c]`` is case c's number of kernel positions (its matrix's rows).
    ``reads`` holds the cases one after the other, case c as an ``outputs[c] x kernel_size[c]`` block (row
    major) whose entry ``[j, t]`` is the input unit that tap ``t`` of output ``j`` lands on, or -1 where it
    lands on padding or an inserted zero. That is the matrix: ``C[j, reads[j, t]] = t`` (``k - 1 - t``
    flipped), -1 elsewhere; each tap lands on its own unit (``dilation >= 1``), so nothing is lost.

    >>> outputs, reads = connectivity_batch(np.array([4, 3]), np.array([3, 2]), np.array([1, 2]),
    ...                                     (np.array([0, 1]), np.array([0, 0])), np.array([1, 1]))
    >>> outputs.tolist(), reads.tolist()
    ([2, 2], [0, 1, 2, 1, 2, 3, -1, 0, 1, 2])
    >>> connectivity(4, 3).tolist(), connectivity(3, 2, 2, (1, 0)).tolist()
    ([[0, 1, 2, -1], [-1, 0, 1, 2]], [[1, -1, -1], [-1, 0, 1]])
    """
    i, k, s, before, after, d = (np.asarray(value, dtype=np.int64) for value in
                                 (input_size, kernel_size, stride, *padding, dilation))
    step = np.broadcast_to(np.asarray(zeros_between, dtype=np.int64) + 1, i.shape)
    if len(i) and (s.min() < 1 or k.min() < 1 or d.min() < 1 or step.min() < 1 or i.min() < 1):
        raise ValueError("connectivity_batch needs sizes, kernel sizes, strides and dilations of at least 1")
    stretched = step * (i - 1) + 1
    outputs = count_positions_batch(stretched, k, s, (before, after), d)
    cells = outputs * k
    key = k * (int(step.max(initial=0)) + 1) + step
    if len(key) > 1 and np.any(key[1:] < key[:-1]):
        # Cases of one kernel size and step next to each other; then each case's block back in its place.
        order = np.argsort(key, kind="stable")
        _, shuffled = connectivity_batch(i[order], k[order], s[order], (before[order], after[order]), d[order],
                                         step[order] - 1)
        start = np.empty(len(k), dtype=np.int64)
        start[order] = np.cumsum(cells[order]) - cells[order]
        shift = np.repeat(start - (np.cumsum(cells) - cells), cells)
        return outputs, shuffled[np.arange(len(shift), dtype=np.int64) + shift]
    # Every position below 2**30 in size: int32 is exact, and twice as fast.
    small = len(i) == 0 or int((s * outputs + np.abs(before) + d * k + stretched).max()) < 2**30
    kind = np.int32 if small else np.int64
    reads = np.empty(int(cells.sum()), dtype=np.int64)
    first_cell = 0
    bounds = np.flatnonzero(np.diff(key)) + 1
    for run_start, run_stop in zip([0, *bounds.tolist()], [*bounds.tolist(), len(key)]):
        # One kernel size and one step: a (rows x taps) block, and a division by one number.
        run = np.arange(run_start, run_stop)
        size, where = int(k[run_start]), int(step[run_start])
        case = np.repeat(run, outputs[run])  # one entry per output (row) of the run's cases
        row = np.arange(len(case), dtype=np.int64) - np.repeat(np.cumsum(outputs[run]) - outputs[run], outputs[run])
        position = ((s[case] * row - before[case]).astype(kind)[:, None]
                    + d[case].astype(kind)[:, None] * np.arange(size, dtype=kind)[None, :])
        inside = (position >= 0) & (position < stretched[case].astype(kind)[:, None])
        if where != 1:
            unit = position // where
            inside &= unit * where == position
            position = unit
        block = np.where(inside, position, -1)
        reads[first_cell:first_cell + block.size] = block.ravel()
        first_cell += block.size
    return outputs, reads


def connectivity_2d_reads(
    input_size: tuple[int, int],
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[tuple[int, int], tuple[int, int]],
    dilation: tuple[int, int],
    output_rows: Optional[tuple[int, int]] = None,
) -> np.ndarray:
    """What each tap of a 2-D convolution reads, built on the 2-D grid directly: entry ``[out, t_h * k_w + t_w]``
    is the flattened input unit (row major) that the tap lands on, or -1 on padding. The matrix of
    :func:`connectivity_2d` has ``C[out, reads[out, tap]] = tap`` and -1 elsewhere, with far fewer entries.
    ``output_rows=(start, stop)`` keeps the outputs of those rows of the output grid only (a slice of the result).

    >>> reads = connectivity_2d_reads((4, 4), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1))
    >>> reads.shape, reads[0].tolist()
    ((4, 9), [0, 1, 2, 4, 5, 6, 8, 9, 10])
    >>> connectivity_2d_reads((4, 4), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), output_rows=(1, 2)).tolist() == (
    ...     reads[2:].tolist())
    True
    """
    (ih, iw), (kh, kw) = input_size, kernel_size
    rows_h = _starts(ih + sum(padding[0]), kh, stride[0], dilation[0])
    if output_rows is not None:
        rows_h = rows_h[output_rows[0]:output_rows[1]]
    rows_w = _starts(iw + sum(padding[1]), kw, stride[1], dilation[1])
    kind = np.int32 if (ih + 1) * (iw + 1) + sum(padding[0]) * iw + sum(padding[1]) < 2**30 else np.int64
    # Axes: output row, output column, tap row, tap column; the 2-D position of each tap of each output.
    y = (rows_h[:, None, None, None] + dilation[0] * np.arange(kh)[None, None, :, None] - padding[0][0]).astype(kind)
    x = (rows_w[None, :, None, None] + dilation[1] * np.arange(kw)[None, None, None, :] - padding[1][0]).astype(kind)
    inside = (y >= 0) & (y < ih) & (x >= 0) & (x < iw)
    reads = np.where(inside, y * iw + x, -1).astype(np.int64)
    return reads.reshape(len(rows_h) * len(rows_w), kh * kw)


def connectivity_2d(
    input_size: tuple[int, int],
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[tuple[int, int], tuple[int, int]],
    dilation: tuple[int, int],
) -> np.ndarray:
    """The matrix C of a 2-D convolution: :func:`connectivity_2d_reads` written out densely.

    Rows and columns are row-major flattenings of the output and input grids;
    entries are the flattened tap index ``t_h * k_w + t_w``, or -1.

    >>> connectivity_2d((2, 2), (2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1)).tolist()
    [[0, 1, 2, 3]]
    """
    reads = connectivity_2d_reads(input_size, kernel_size, stride, padding, dilation)
    matrix = np.full((reads.shape[0], input_size[0] * input_size[1]), -1, dtype=np.int64)
    rows, taps = np.nonzero(reads >= 0)
    matrix[rows, reads[rows, taps]] = taps
    return matrix


#: Cells of the (cases x starts) grid that ``count_positions_batch`` builds at once: about 8 MiB per int64 array.
_GRID_CELLS = 2**20
#: Values below this in size stay in int64 (``stride * start`` cannot wrap); larger ones go one case at a time.
_SMALL = 2**31


def count_positions_batch(
    input_size: np.typing.ArrayLike, kernel_size: np.typing.ArrayLike, stride: np.typing.ArrayLike = 1,
    padding: tuple[np.typing.ArrayLike, np.typing.ArrayLike] = (0, 0), dilation: np.typing.ArrayLike = 1,
) -> np.ndarray:
    """:func:`count_positions` at every case of equal-length arrays (scalars broadcast), by the same walk.

    Every start ``stride * j`` of a grid of ``j`` is tried on every case at once, and the starts that
    lie on the padded input with the kernel inside it are counted. Cases the grid cannot hold exactly
    (a stride below 1, values of 2**31 or more, Python ints) are counted one at a time by
    :func:`count_positions` itself.

    >>> count_positions_batch(np.array([5, 4, 1]), np.array([3, 2, 3]), np.array([2, 1, 1]),
    ...                       (np.array([1, 0, 0]), np.array([1, 0, 0]))).tolist()
    [3, 3, 0]
    """
    columns = np.broadcast_arrays(*(np.asarray(value) for value in
                                    (input_size, kernel_size, stride, padding[0], padding[1], dilation)))
    shape = columns[0].shape
    flat = [column.ravel() for column in columns]
    counts = np.zeros(flat[0].shape, dtype=np.int64)
    if counts.size == 0:
        return counts.reshape(shape)
    if any(column.dtype.kind not in "iu" for column in flat):
        small = np.zeros(counts.shape, dtype=bool)
    else:
        small = np.all([np.abs(column.astype(np.int64)) < _SMALL for column in flat], axis=0) & (flat[2] >= 1)
    for n in np.flatnonzero(~small).tolist():
        one = [int(column[n]) for column in flat]
        counts[n] = count_positions(one[0], one[1], one[2], (one[3], one[4]), one[5])
    cases = np.flatnonzero(small)
    if len(cases):
        size, kernel, step, before, after, dilated = (column[cases].astype(np.int64) for column in flat)
        length = size + before + after
        reach = dilated * (kernel - 1)  # the kernel's last tap, from its start
        starts = max(int(length.max()), 0)  # stride >= 1: start = stride*j < length needs j < length
        rows = max(1, _GRID_CELLS // max(starts, 1))
        j = np.arange(starts, dtype=np.int64)[None, :]
        for first in range(0, len(cases), rows):
            part = slice(first, first + rows)
            start = step[part, None] * j
            fits = (start < length[part, None]) & (start + reach[part, None] <= length[part, None] - 1)
            counts[cases[part]] = np.count_nonzero(fits, axis=1)
    return counts.reshape(shape)
