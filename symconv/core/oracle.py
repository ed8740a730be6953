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


def connectivity_2d(
    input_size: tuple[int, int],
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[tuple[int, int], tuple[int, int]],
    dilation: tuple[int, int],
) -> np.ndarray:
    """The matrix C of a 2-D convolution, built on the 2-D grid directly.

    Rows and columns are row-major flattenings of the output and input grids;
    entries are the flattened tap index ``t_h * k_w + t_w``, or -1.
    """
    (ih, iw), (kh, kw) = input_size, kernel_size
    rows_h = _starts(ih + sum(padding[0]), kh, stride[0], dilation[0])
    rows_w = _starts(iw + sum(padding[1]), kw, stride[1], dilation[1])
    th, tw = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
    matrix = np.full((len(rows_h) * len(rows_w), ih * iw), -1, dtype=np.int64)
    for out, (uh, uw) in enumerate((uh, uw) for uh in rows_h for uw in rows_w):
        y = uh + dilation[0] * th - padding[0][0]
        x = uw + dilation[1] * tw - padding[1][0]
        inside = (y >= 0) & (y < ih) & (x >= 0) & (x < iw)
        matrix[out, (y * iw + x)[inside]] = (th * kw + tw)[inside]
    return matrix
