"""Output sizes of convolution, pooling and transposed convolution.

This module holds the general formulas, each written once, in the form that
works for ints and for sympy expressions alike (``//`` on sympy is ``floor``):

- convolution and pooling: ``o = ⌊(i + p_l + p_r - d(k - 1) - 1)/s⌋ + 1``,
  which is the guide's Relationship 15 with asymmetric padding;
- transposed convolution: ``o' = s(i' - 1) - p_l - p_r + d(k - 1) + a + 1``,
  which is Relationship 14 with dilation, asymmetric padding and
  ``a = output_padding``.

Numbers in give numbers out, with no sympy import. Tuples in give tuples out,
one entry per axis.

>>> conv_output_size(224, kernel_size=7, stride=2, padding=3)
112
>>> conv_output_size((224, 160), kernel_size=(7, 5), stride=2, padding=((3, 3), (2, 2)))
(112, 80)
>>> from symconv.core.symbols import i
>>> conv_output_size(i, kernel_size=3, stride=2, padding=1)
floor(i/2 - 1/2) + 1
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

from symconv.core import rules
from symconv.core import validation as check
from symconv.core.validation import Int
from symconv.core.errors import ParameterError

PerAxis = Union[Int, Sequence[Int]]  #: one value, or one per axis
Padding = Union[Int, tuple[Int, Int], Sequence[Union[Int, tuple[Int, Int]]]]  #: p, (before, after), or per axis
Size = Union[Int, tuple[Int, ...]]


def _require_window(input_size: Any, kernel_size: Any, padding: tuple[Any, Any], dilation: Any) -> None:
    before, after = padding
    if all(check.known(v) for v in (input_size, kernel_size, before, after, dilation)):
        if not rules.fits(input_size, kernel_size, 1, dilation, before, after):
            raise ParameterError(
                "input_size",
                input_size,
                f"no kernel position fits: i + p_l + p_r = {input_size + before + after}"
                f" < d(k - 1) + 1 = {rules.span(kernel_size, dilation)}",
            )


def _conv_1d(input_size, kernel_size, stride=1, padding=0, dilation=1):
    input_size = check.positive("input_size", input_size)
    kernel_size = check.positive("kernel_size", kernel_size)
    stride = check.positive("stride", stride)
    dilation = check.positive("dilation", dilation)
    pad = check.padding_pair("padding", padding)
    _require_window(input_size, kernel_size, pad, dilation)
    return rules.floor_count(input_size, kernel_size, stride, dilation, pad[0], pad[1])


def _pool_1d(input_size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    kernel_size = check.positive("kernel_size", kernel_size)
    stride = kernel_size if stride is None else stride
    if not isinstance(ceil_mode, bool):
        raise ParameterError("ceil_mode", ceil_mode, "ceil_mode must be True or False")
    pad = check.padding_pair("padding", padding)
    for side, amount in zip(("padding[0]", "padding[1]") if pad[0] != pad[1] else ("padding",) * 2, pad):
        if check.known(amount) and check.known(kernel_size) and 2 * amount > kernel_size:
            raise ParameterError(side, amount, f"pooling padding must be at most half the kernel size ({kernel_size}),"
                                 " as PyTorch requires")
    if not ceil_mode:
        return _conv_1d(input_size, kernel_size, stride, pad, dilation)
    input_size = check.positive("input_size", input_size)
    stride = check.positive("stride", stride)
    dilation = check.positive("dilation", dilation)
    values = (input_size, kernel_size, stride, dilation, pad[0], pad[1])
    if all(check.known(v) for v in values) and not rules.fits(*values, ceil_mode=True):
        raise ParameterError(
            "input_size", input_size,
            "no pooling window fits: ceil mode needs i + p_l + p_r + s > d(k - 1) + 1, but"
            f" i + p_l + p_r + s = {input_size + pad[0] + pad[1] + stride}"
            f" and d(k - 1) + 1 = {rules.span(kernel_size, dilation)}")
    # Ceil mode keeps a last, partial window, but (PyTorch, ONNX) only when it
    # starts inside the input or the left padding, never in the right padding.
    # The count is exact here since the half-kernel limit above gives p_r <= d(k - 1) + 1.
    return rules.ceil_count(*values)


def output_padding_rule(stride: Any, dilation: Any) -> str:
    return f"output_padding must be at least 0 and smaller than max(stride, dilation) = {max(stride, dilation)}"


def _transposed_1d(input_size, kernel_size, stride=1, padding=0, dilation=1, output_padding=0):
    input_size = check.positive("input_size", input_size)
    kernel_size = check.positive("kernel_size", kernel_size)
    stride = check.positive("stride", stride)
    dilation = check.positive("dilation", dilation)
    pad = check.padding_pair("padding", padding)
    extra = check.nonnegative("output_padding", output_padding)
    if all(check.known(v) for v in (extra, stride, dilation)) and extra >= max(stride, dilation):
        # PyTorch's rule. Only extra < stride makes this the transpose of a
        # convolution; see symconv.transpose for the guide's a in 0..s-1.
        raise ParameterError("output_padding", extra, output_padding_rule(stride, dilation))
    size = stride * (input_size - 1) - pad[0] - pad[1] + dilation * (kernel_size - 1) + extra + 1
    if check.known(size) and size < 1:
        raise ParameterError(
            "padding", padding,
            f"the transposed output size s(i' - 1) - p_l - p_r + d(k - 1) + a + 1 = {size} must be at least 1"
        )
    return size


def each_axis(one_axis: Callable[..., Any], **params: Any) -> Any:
    """``one_axis(**params)``, or a tuple of its answers, one per axis, when any parameter is a tuple.

    ``padding`` does not decide the number of axes, since ``(before, after)`` is one axis's padding;
    with parameters per axis, a ``padding`` tuple has one entry per axis (an int or a pair).

    >>> each_axis(lambda input_size, kernel_size, padding: input_size - kernel_size + 1,
    ...           input_size=(5, 7), kernel_size=3, padding=0)
    (3, 5)
    """
    axes: Optional[int] = None
    for name, value in params.items():
        if name == "padding" or not isinstance(value, (tuple, list)):
            continue
        if not value:
            raise ParameterError(name, (), f"{name} must have at least one axis")
        if axes is None:
            axes = len(value)
        elif len(value) != axes:
            raise ParameterError(name, tuple(value), f"{name} must have one entry per axis ({axes})")
    if axes is None:
        return one_axis(**params)
    padding = params.get("padding")
    if isinstance(padding, (tuple, list)) and len(padding) != axes:
        raise ParameterError("padding", tuple(padding), f"padding must have one entry per axis ({axes})")
    return tuple(one_axis(**{name: value[axis] if isinstance(value, (tuple, list)) else value
                             for name, value in params.items()}) for axis in range(axes))


def conv_output_size(input_size: PerAxis, kernel_size: PerAxis, stride: PerAxis = 1, padding: Padding = 0,
                     dilation: PerAxis = 1) -> Size:
    """Output size of a convolution (Relationship 15, with asymmetric padding).

    ``padding`` is an int or a ``(before, after)`` pair; with tuples of sizes,
    one entry per axis.

    >>> conv_output_size(5, kernel_size=3, stride=2, padding=1)
    3
    >>> conv_output_size(7, kernel_size=3, dilation=2)
    3
    """
    return each_axis(_conv_1d, input_size=input_size, padding=padding, kernel_size=kernel_size, stride=stride,
                     dilation=dilation)


def pool_output_size(input_size: PerAxis, kernel_size: PerAxis, stride: Optional[PerAxis] = None,
                     padding: Padding = 0, dilation: PerAxis = 1, ceil_mode: bool = False) -> Size:
    """Output size of pooling (Relationship 7), with PyTorch's ``ceil_mode`` rule.

    ``stride=None`` means ``stride = kernel_size``, as in the frameworks. In
    ceil mode the last window is kept only if it starts inside the input or the
    left padding.

    >>> pool_output_size(5, kernel_size=2)
    2
    >>> pool_output_size(5, kernel_size=2, ceil_mode=True)
    3
    >>> pool_output_size(6, kernel_size=2, stride=2, padding=1, ceil_mode=True)
    4
    """
    return each_axis(
        _pool_1d, input_size=input_size, padding=padding,
        kernel_size=kernel_size, stride=stride, dilation=dilation, ceil_mode=ceil_mode,
    )


def transposed_output_size(input_size: PerAxis, kernel_size: PerAxis, stride: PerAxis = 1, padding: Padding = 0,
                           dilation: PerAxis = 1, output_padding: PerAxis = 0) -> Size:
    """Output size of a transposed convolution, as PyTorch computes it.

    ``o' = s(i' - 1) - p_l - p_r + d(k - 1) + output_padding + 1``, which is
    the guide's Relationship 14 with ``a = output_padding``.

    >>> transposed_output_size(3, kernel_size=3, stride=2, padding=1)
    5
    >>> transposed_output_size(3, kernel_size=3, stride=2, padding=1, output_padding=1)
    6
    """
    return each_axis(
        _transposed_1d, input_size=input_size, padding=padding,
        kernel_size=kernel_size, stride=stride, dilation=dilation, output_padding=output_padding,
    )
