"""Forked worker processes, made one way wherever symconv spreads work over the cores (theorems, scheme checks,
the Coq export).

Workers are forked, so each finds its work in memory without pickling it. They are forked with SIGINT blocked,
so none can take a Ctrl-C before it ignores it (Ctrl-C is the parent's alone), and with the garbage collector
frozen, so a worker never collects its parent's objects.

What a worker sends back goes through :func:`send` and :func:`receive`. sympy pickles an expression as its class
called on its arguments, which evaluates it again: that costs the parent the assumption queries the worker already
paid (about 0.9 s for the nine built-in schemes' reports), and it changes what was built unevaluated on purpose
(``Mod(i - 1, s, evaluate=False)`` comes back as ``(i + s - 1) mod s``). :func:`send` pickles sympy's evaluating
classes as built, and checks that the bytes read back equal to what was sent.
"""

from __future__ import annotations

import functools
import gc
import io
import multiprocessing
import multiprocessing.pool
import pickle
import signal
import sys
from typing import Any, Optional, Sequence

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


def send(value: Any) -> Optional[bytes]:
    """``value`` pickled so that :func:`receive` gives back an equal object, built as it was; None if it would not
    (the caller then computes ``value`` where it is needed).

    >>> import sympy
    >>> i, s = sympy.symbols("i s", integer=True, positive=True)
    >>> kept = sympy.Mod(i - 1, s, evaluate=False)
    >>> receive(send(kept)) == kept, pickle.loads(pickle.dumps(kept)) == kept
    (True, False)
    """
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    sent = buffer.getvalue()
    return sent if receive(sent) == value else None


def receive(sent: bytes) -> Any:
    """What :func:`send` pickled (bytes from our own forked worker)."""
    return pickle.loads(sent)  # noqa: S301 - our own bytes, from our own fork


@functools.lru_cache(maxsize=1)
def _evaluating() -> frozenset:
    """sympy's classes that evaluate when called on their arguments (sympy is imported only when one is sent)."""
    import sympy

    return frozenset({sympy.Add, sympy.Mul, sympy.Pow, sympy.Mod, sympy.floor, sympy.ceiling, sympy.Max, sympy.Min,
                      sympy.Abs, sympy.Eq, sympy.Ne, sympy.Ge, sympy.Gt, sympy.Le, sympy.Lt, sympy.And, sympy.Or,
                      sympy.Not, sympy.Piecewise})


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in _evaluating():
            return _unevaluated, (type(obj), obj.args)
        return NotImplemented


def _unevaluated(cls: Any, args: tuple) -> Any:
    return cls(*args, evaluate=False)
