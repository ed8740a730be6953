"""Timing shared by the benchmarks: the median of several runs after a warm-up. No benchmark asserts on time."""

from __future__ import annotations

import statistics
import subprocess
import time
from typing import Any, Callable


def median_seconds(run: Callable[[], Any], repeat: int = 5, warm_up: bool = True) -> float:
    """The median wall-clock time of ``repeat`` calls of ``run``, after one call that is not timed."""
    if warm_up:
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command_seconds(command: list[str], repeat: int = 5, check: bool = True) -> float:
    """The median time of a command run as a subprocess (``check``: a failing run stops the benchmark)."""
    return median_seconds(lambda: subprocess.run(command, check=check, capture_output=True), repeat)
