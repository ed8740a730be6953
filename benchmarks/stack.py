"""Time the symbolic output size and receptive field of a 50-layer stack.

The stack: five stages of five (conv k=3 p=1; conv k=1) pairs, the last 1x1 of
each stage replaced by a down-sampling layer (a stride-2 conv or a pool): 25
3x3 convs, 20 1x1 convs, 5 stride-2 layers. The target is under 2 s.

    python benchmarks/stack.py
"""

from __future__ import annotations

import time

from symconv.core.printing import text
from symconv.layers import output_size, parse_stack, receptive_field
from symconv.layers.simplify import _expressions


def fifty_layers() -> str:
    layers = []
    for stage in range(5):
        for block in range(5):
            layers.append("conv k=3 p=1")
            last = block == 4
            layers.append(("conv k=3 s=2 p=1" if stage % 2 else "pool k=2") if last else "conv k=1")
    return "; ".join(layers)


def main() -> None:
    stack = parse_stack(fifty_layers())
    assert len(stack.layers) == 50
    _expressions.cache_clear()  # time the composition, not the cache
    start = time.perf_counter()
    size = output_size(stack)
    field = receptive_field(stack)
    elapsed = time.perf_counter() - start
    print(f"50 layers: o = {text(size)}; r = {field.size}, j = {field.stride}, P = {field.padding}")
    print(f"symbolic output size and receptive field: {elapsed:.3f} s (target < 2 s)")


if __name__ == "__main__":
    main()
