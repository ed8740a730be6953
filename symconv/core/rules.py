"""The rules that every sliding window obeys, written once.

Convolution, pooling and the layers built from them (schemes, stacks, graphs)
all slide a window of ``k`` taps, ``d`` apart, over an input of ``i`` units
padded by ``p_l`` before and ``p_r`` after, ``s`` units a step. Each function
here takes plain integers or sympy expressions, and gives an integer (or
``bool``) for integers and a sympy expression (or relational) otherwise, so
the numeric path (``symconv shape``) never imports sympy.

The rules:

- the window spans ``d(k - 1) + 1`` units (:func:`span`);
- window ``j`` starts at ``s j`` and fits while ``s j + d(k - 1) <= i + p_l + p_r - 1``
  (:func:`fits`, :func:`floor_count`);
- ceil mode (PyTorch, ONNX) keeps one more, partial window when the last full
  one leaves the end uncovered, but only if it starts inside the input or the
  left padding (:func:`ceil_count`, :func:`ceil_mode_is_ceiling`);
- for an integer ``a`` and a positive integer ``c``, ``⌈a/c⌉ = ⌊(a + c - 1)/c⌋``
  (:func:`ceiling_as_floor`).

>>> floor_count(5, 3, 2, 1, 1, 1), ceil_count(5, 3, 2, 1, 0, 0)
(3, 2)
>>> from symconv.core.symbols import i, k, s, d, p_l, p_r
>>> fits(i, k, s, d, p_l, p_r)
i + p_l + p_r >= d*(k - 1) + 1
>>> floor_count(i, k, s, d, p_l, p_r)
floor((-d*(k - 1) + i + p_l + p_r - 1)/s) + 1
"""

from __future__ import annotations

from typing import Any


def _symbolic(*values: Any) -> bool:
    return any(hasattr(v, "free_symbols") and v.free_symbols for v in values)


def span(kernel_size: Any, dilation: Any = 1) -> Any:
    """The units a window covers, first tap to last: ``d(k - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1


def fits(input_size: Any, kernel_size: Any, stride: Any, dilation: Any, before: Any, after: Any,
         ceil_mode: bool = False) -> Any:
    """Whether at least one window is kept.

    Floor mode: ``i + p_l + p_r >= d(k - 1) + 1``. Ceil mode also keeps a first
    window that sticks out past the end when it starts inside, which needs only
    ``i + p_l + p_r + s > d(k - 1) + 1``.
    """
    padded = input_size + before + after
    if ceil_mode:
        return padded + stride > span(kernel_size, dilation)
    return padded >= span(kernel_size, dilation)


def floor_count(input_size: Any, kernel_size: Any, stride: Any, dilation: Any, before: Any, after: Any) -> Any:
    """The windows that fit: ``⌊(i + p_l + p_r - d(k - 1) - 1)/s⌋ + 1``."""
    reach = input_size + before + after - dilation * (kernel_size - 1) - 1
    if _symbolic(reach, stride):
        from sympy import floor

        from symconv.core.guards import evaluated

        return evaluated(floor, (reach / stride,)) + 1
    return reach // stride + 1


def ceil_count(input_size: Any, kernel_size: Any, stride: Any, dilation: Any, before: Any, after: Any) -> Any:
    """Ceil mode's windows: ``min(⌈(i + p_l + p_r - d(k - 1) - 1)/s⌉, ⌊(i + p_l - 1)/s⌋) + 1``.

    Window ``j`` is kept while ``j <= ⌈reach/s⌉`` (the window before it leaves the
    end uncovered) and ``s j <= i + p_l - 1`` (it starts inside the input or the
    left padding). The expression is exact whenever ``p_r <= d(k - 1) + 1``,
    which the half-kernel limit on pooling padding guarantees.
    """
    reach = input_size + before + after - dilation * (kernel_size - 1) - 1
    start_limit = input_size + before - 1
    if _symbolic(reach, stride, start_limit):
        from sympy import Min, ceiling, floor

        from symconv.core.guards import evaluated

        return evaluated(Min, (evaluated(ceiling, (reach / stride,)), evaluated(floor, (start_limit / stride,)))) + 1
    last = -(-reach // stride)
    return min(last, start_limit // stride) + 1


def ceil_mode_is_ceiling(kernel_size: Any, stride: Any, dilation: Any, after: Any) -> Any:
    """When ceil mode's last-window rule never applies, so its count is ``⌈reach/s⌉ + 1``.

    The last window starts at most ``s - 1`` past ``i + p_l + p_r - d(k - 1) - 1``,
    so it always starts inside the input or the left padding when
    ``p_r + s - 1 <= d(k - 1)``: every pool whose stride is at most its kernel.
    """
    return after + stride - 1 <= dilation * (kernel_size - 1)


def ceiling_as_floor(numerator: Any, denominator: Any) -> Any:
    """``⌈a/c⌉`` as ``⌊(a + c - 1)/c⌋``, for an integer ``a`` and a positive integer ``c``."""
    shifted = numerator + denominator - 1
    if _symbolic(shifted, denominator):
        from sympy import floor

        from symconv.core.guards import evaluated

        return evaluated(floor, (shifted / denominator,))
    return shifted // denominator
