"""Forked worker processes, made one way wherever symconv spreads work over the cores (theorems, scheme checks,
the Coq export).

Workers are forked, so each finds its work in memory without pickling it. They are forked with SIGINT blocked,
so none can take a Ctrl-C before it ignores it (Ctrl-C is the parent's alone), and with the garbage collector
frozen, so a worker never collects its parent's objects.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.pool
import signal
import sys
from typing import Sequence

#: Runtimes whose thread pools a forked copy cannot use or even free (onnxruntime's destructor waits for threads
#: that were not copied): with one of them loaded, a caller that passes them to :func:`can_fork` stays on one core.
FORK_UNSAFE = ("onnxruntime", "torch")


def can_fork(workers: int, avoid: Sequence[str] = ()) -> bool:
    """Whether ``workers`` forked workers are worth starting: at least two, ``fork`` available, not inside a
    worker already (the cores are in use), and none of the modules ``avoid`` loaded."""
    return (workers >= 2 and "fork" in multiprocessing.get_all_start_methods()
            and multiprocessing.parent_process() is None and not any(name in sys.modules for name in avoid))


def forked_pool(workers: int) -> multiprocessing.pool.Pool:
    """A pool of ``workers`` forked workers that ignore Ctrl-C; the caller terminates it."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    gc.freeze()
    try:
        return multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts)
    finally:
        gc.unfreeze()
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
