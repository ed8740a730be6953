"""Questions asked backwards: which inputs, which paddings, which output_padding.

Each answer comes from a derived and proved result, not from a search:

- ``input_sizes``: the ``s`` sizes ``s(o - 1) + d(k - 1) + 1 - p_l - p_r + a``,
  ``a = 0..s-1`` (theorems ``ambiguity-same-output`` and ``ambiguity-only-these``);
- ``paddings``: ``o`` is reached exactly when the total padding ``P`` has
  ``s(o - 1) <= i + P - d(k - 1) - 1 <= s(o - 1) + s - 1``;
- ``output_padding``: ``a = (i + p_l + p_r - d(k - 1) - 1) mod s`` (theorem ``round-trip``);
- ``transpose``: the equivalent direct convolution, from ``derive.transposed``.

>>> input_sizes(3, kernel_size=3, stride=2, padding=1)
(5, 6)
>>> paddings(224, kernel_size=7, stride=2, output_size="ceil").smallest
(2, 3)
>>> output_padding(6, kernel_size=3, stride=2, padding=1).output_padding
1

``input_sizes``, ``paddings`` and ``output_padding`` also take one value per axis, as the size
functions of :mod:`symconv.guide.shapes` do, and answer with one result per axis:

>>> input_sizes((112, 80), kernel_size=(7, 5), stride=2, padding=(3, 2))
((223, 224), (159, 160))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

import sympy

from symconv.core import symbols as S
from symconv.core import validation as check
from symconv.core.errors import ParameterError
from symconv.core.guards import evaluated
from symconv.guide.model import Equivalent
from symconv.guide.shapes import Int, Padding, conv_output_size, each_axis, output_padding_rule


def _conv_params(kernel_size, stride, padding, dilation):
    kernel_size = check.positive("kernel_size", kernel_size)
    stride = check.positive("stride", stride)
    dilation = check.positive("dilation", dilation)
    return kernel_size, stride, check.padding_pair("padding", padding), dilation


def _numeric(*values) -> bool:
    return all(check.known(v) for v in values)


def _smallest_input(output_size, kernel_size, stride, dilation, total_padding):
    """The least ``i + P`` that gives ``output_size``: ``s(o - 1) + d(k - 1) + 1`` (theorem ambiguity-same-output)."""
    return stride * (output_size - 1) + dilation * (kernel_size - 1) + 1 - total_padding


def transpose(kernel_size: Int, stride: Int = 1, padding: Padding = 0, dilation: Int = 1,
              input_size: Optional[Int] = None) -> Equivalent:
    """The direct convolution equivalent to the transpose of this convolution.

    ``input_size`` is the direct convolution's input ``i``; it fixes ``a``.
    Without it, ``a`` is an expression in ``i`` and ``output_size`` one in
    ``i'`` and ``a``.

    >>> eq = transpose(3, stride=2, padding=1, input_size=6)
    >>> eq.zeros_between, eq.padding, eq.a, eq.input_size, eq.output_size
    (1, (1, 1), 1, 3, 6)
    >>> transpose(3, padding=3).padding      # p > d(k - 1): the equivalent convolution crops
    (-1, -1)
    """
    from symconv.guide.derive import transposed

    kernel_size, stride, (before, after), dilation = _conv_params(kernel_size, stride, padding, dilation)
    values = {S.k: kernel_size, S.s: stride, S.d: dilation, S.p_l: before, S.p_r: after}
    general = transposed().equivalent
    if general is None:
        raise RuntimeError("the transposed derivation has no equivalent convolution (a bug in symconv)")
    if input_size is None:
        i_prime: Any = conv_output_size(S.i, kernel_size, stride, (before, after), dilation)
    else:
        values[S.i] = check.positive("input_size", input_size)
        i_prime = conv_output_size(input_size, kernel_size, stride, (before, after), dilation)
    a = evaluated(sympy.Mod, (general.a.args[0].subs(values), stride))
    if input_size is not None:
        values.update({S.a: a, S.i_prime: i_prime})

    numbers = {symbol: sympy.sympify(number) for symbol, number in values.items()}
    # Numbers for symbols: xreplace does what subs would, without subs's search. A symbolic parameter may name
    # another symbol of the formula, which subs's sequential replacement follows: keep subs for those.
    numeric = all(number.is_Number for number in numbers.values())

    def value(expr: Any) -> Any:
        result = sympy.sympify(expr).xreplace(numbers) if numeric else sympy.sympify(expr).subs(values)
        return int(result) if result.is_Integer else result

    return Equivalent(
        kernel_size=value(general.kernel_size), stride=value(general.stride), dilation=value(general.dilation),
        zeros_between=value(general.zeros_between), padding=(value(general.padding[0]), value(general.padding[1])),
        a=value(a), input_size=value(i_prime), stretched_input=value(general.stretched_input),
        output_size=value(general.output_size))


def input_sizes(output_size: Any, kernel_size: Any, stride: Any = 1, padding: Padding = 0,
                dilation: Any = 1) -> Union[tuple, sympy.Set]:
    """Every input size whose convolution has ``output_size`` outputs.

    With numbers, a tuple of ints (empty when none); with symbols, a sympy set; per axis, one of
    those per axis.

    >>> input_sizes(112, kernel_size=7, stride=2, padding=3)
    (223, 224)
    >>> input_sizes(1, kernel_size=3, padding=2)   # i + 4 - 2 = 1 has no positive solution
    ()
    """
    return each_axis(_input_sizes, output_size=output_size, kernel_size=kernel_size, stride=stride,
                      padding=padding, dilation=dilation)


def _input_sizes(output_size, kernel_size, stride, padding, dilation):
    output_size = check.positive("output_size", output_size)
    kernel_size, stride, (before, after), dilation = _conv_params(kernel_size, stride, padding, dilation)
    smallest = _smallest_input(output_size, kernel_size, stride, dilation, before + after)
    if _numeric(smallest, stride):
        return tuple(size for size in range(smallest, smallest + stride) if size >= 1)
    return sympy.ImageSet(sympy.Lambda(S.a, smallest + S.a), sympy.Range(0, stride))


@dataclass(frozen=True)
class Paddings:
    """The paddings that give a target output size.

    Totals ``P = p_l + p_r`` from ``total_min`` to ``total_max`` all work and no
    other does. A symmetric padding ``p`` works when ``2p`` is such a total.
    ``smallest`` is the least total split as TF/JAX/ONNX SAME_UPPER split it
    (the extra unit after); ``None`` when no padding works, and ``reason`` says why.
    """

    output_size: Any
    total_min: Any
    total_max: Any
    symmetric: tuple
    smallest: Optional[tuple]
    reason: str

    @property
    def exists(self) -> Optional[bool]:
        if _numeric(self.total_max):
            return self.total_max >= self.total_min
        return None


def paddings(input_size: Any, kernel_size: Any, stride: Any = 1, dilation: Any = 1,
             output_size: Any = "same") -> Union[Paddings, tuple[Paddings, ...]]:
    """The paddings that make the output ``output_size``: an int, ``"same"`` (o = i) or ``"ceil"`` (o = ⌈i/s⌉).

    Per axis, one :class:`Paddings` per axis.

    >>> paddings(5, kernel_size=3).symmetric
    (1,)
    >>> paddings(6, kernel_size=4).smallest, paddings(6, kernel_size=4).symmetric
    ((1, 2), ())
    >>> from symconv.core.symbols import i, k, d
    >>> paddings(i, kernel_size=k, dilation=d).total_min      # stride 1: P = d(k - 1), symbolically
    d*(k - 1)
    >>> [found.smallest for found in paddings((224, 160), kernel_size=(7, 3), stride=2, output_size="ceil")]
    [(2, 3), (0, 1)]
    """
    return each_axis(_paddings, input_size=input_size, kernel_size=kernel_size, stride=stride,
                      dilation=dilation, output_size=output_size)


def _paddings(input_size, kernel_size, stride, dilation, output_size) -> Paddings:
    input_size = check.positive("input_size", input_size)
    kernel_size, stride, _, dilation = _conv_params(kernel_size, stride, 0, dilation)
    if output_size == "same":
        target = input_size
    elif output_size == "ceil":
        target = (-(-input_size // stride) if _numeric(input_size, stride)
                  else evaluated(sympy.ceiling, (input_size / stride,)))
    elif isinstance(output_size, str):
        raise ParameterError("output_size", output_size, "output_size must be an integer, 'same' or 'ceil'")
    else:
        target = check.positive("output_size", output_size)
    low = _smallest_input(target, kernel_size, stride, dilation, 0) - input_size  # the least total padding
    high = low + stride - 1
    if not _numeric(low, high):
        return Paddings(target, evaluated(sympy.Max, (low, 0)), high, (), None,
                        "totals from max(s(o - 1) + d(k - 1) + 1 - i, 0) to s(o - 1) + d(k - 1) + s - i")
    if high < 0:
        natural = conv_output_size(input_size, kernel_size, stride, 0, dilation)
        return Paddings(target, max(low, 0), high, (), None,
                        f"none: with no padding the output is already {natural} > {target},"
                        " and padding never makes it smaller")
    low = max(low, 0)
    symmetric = tuple(total // 2 for total in range(low, high + 1) if total % 2 == 0)
    reason = (f"totals {low}..{high}" if low < high else f"total {low}") + (
        "" if symmetric else f"; no symmetric padding: the only total, {low}, is odd")
    return Paddings(target, low, high, symmetric, (low // 2, low - low // 2), reason)


@dataclass(frozen=True)
class OutputPadding:
    """The ``output_padding`` that makes the transposed convolution give back ``input_size``."""

    output_padding: Any
    transposed_input_size: Any
    input_size: Any
    allowed: str


def output_padding(input_size: Any, kernel_size: Any, stride: Any = 1, padding: Padding = 0,
                   dilation: Any = 1) -> Union[OutputPadding, tuple[OutputPadding, ...]]:
    """``a = (i + p_l + p_r - d(k - 1) - 1) mod s``: always less than ``s``. Per axis, one answer per axis.

    >>> output_padding(89, kernel_size=2, stride=2).output_padding   # 89 -> 44 -> 88 without it
    1
    >>> [answer.output_padding for answer in output_padding((89, 64), kernel_size=2, stride=2)]
    [1, 0]
    """
    return each_axis(_output_padding, input_size=input_size, kernel_size=kernel_size, stride=stride,
                      padding=padding, dilation=dilation)


def _output_padding(input_size, kernel_size, stride, padding, dilation) -> OutputPadding:
    equivalent = transpose(kernel_size, stride, padding, dilation, input_size=input_size)
    return OutputPadding(equivalent.a, equivalent.input_size, check.positive("input_size", input_size),
                         f"0 <= a < stride recovers an input size; {output_padding_rule(stride, dilation)} in PyTorch")
