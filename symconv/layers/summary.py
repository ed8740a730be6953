"""A JSON-serialisable digest of a stack, for the command line."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from symconv.core import symbols
from symconv.core.errors import ParameterError
from symconv.core.printing import text
from symconv.layers.alignment import aligned_inputs, valid_input_sizes
from symconv.layers.layer import Stack, as_stack
from symconv.layers.receptive import Exact, receptive_field
from symconv.layers.simplify import _expressions
from symconv.layers.sizes import as_input, per_axis, sizes


def _plain(value: Optional[Exact]) -> Union[int, str]:
    return value if isinstance(value, int) else "none" if value is None else str(value)


def _one_axis(stack: Stack) -> dict:
    result: dict = {"output_size": text(_expressions(stack, symbols.i)[-1])}
    try:
        field_ = receptive_field(stack)
        result.update(receptive_field=field_.size, effective_stride=_plain(field_.stride),
                      effective_padding=_plain(field_.padding))
    except ParameterError as error:  # a padding scheme that follows the input size
        result.update(dict.fromkeys(("receptive_field", "effective_stride", "effective_padding"),
                                    f"not fixed: {error}"))
    result["valid_input_sizes"] = str(valid_input_sizes(stack))
    if stack.pairs:
        result["aligned_input_sizes"] = str(aligned_inputs(stack))
    return result


def summary(stack: Stack, input_size: Union[int, Sequence[int], None] = None) -> dict:
    """A JSON-serialisable digest of a stack, for the command line.

    A stack with per-axis layers gives every symbolic entry as a list, one per axis.

    >>> from symconv.layers.parse import parse_stack
    >>> summary(parse_stack("conv k=7 s=2 p=3; pool k=3 s=2 p=1"), 224)["sizes"]
    [112, 56]
    >>> summary(parse_stack("conv k=3,1"))["output_size"]
    ['i - 2', 'i']
    """
    stack = as_stack(stack)
    if input_size is not None:
        # A bad size is the caller's error, not a finding about the stack.
        input_size = per_axis(stack, as_input(input_size))
    if stack.axes is None:
        result = _one_axis(stack)
    else:
        axes = [_one_axis(stack.along(n)) for n in range(stack.axes)]
        result = {key: [entry[key] for entry in axes] for key in axes[0]}
    if input_size is not None:
        try:
            per_layer = sizes(stack, input_size)
        except ParameterError as error:
            result["error"] = str(error)
            return result
        result["sizes"] = [list(s) if isinstance(s, tuple) else s for s in per_layer]
        if stack.pairs:
            result["alignment"] = [
                {"pair": f"{a}={b}", "sizes": [per_layer[stack.tap_index(a)], per_layer[stack.tap_index(b)]],
                 "aligned": per_layer[stack.tap_index(a)] == per_layer[stack.tap_index(b)]}
                for a, b in stack.pairs]
            if not all(entry["aligned"] for entry in result["alignment"]):
                if isinstance(input_size, int):
                    result["next_aligned_input_size"] = aligned_inputs(stack).answer.smallest_at_least(input_size)
                elif stack.axes is not None:
                    result["next_aligned_input_size"] = [aligned_inputs(stack.along(n)).answer.smallest_at_least(size)
                                                         for n, size in enumerate(input_size)]
    return result
