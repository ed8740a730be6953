"""Progress of long commands on a terminal, drawn by tqdm (``pip install 'symconv[progress]'``).

The models know nothing of this: a long loop takes a plain callback, ``progress(task, item, done, total)``,
None by default, and calls it before each item (``done`` of ``total`` finished, ``item`` the one starting:
a relationship, a theorem, a node) and once at the end (``done == total``). :func:`progress_display` turns
those calls into one tqdm bar on stderr, which shows the task, the item, how far along it is and the rate::

    scheme check tf-same:  43%|████▎     | 3/7 [00:02<00:03, 1.41 steps/s, claim 1: o = ⌈i/s⌉]

It gives None (no callback at all, so the models do no work for it) unless it is asked for and stderr is a
terminal, and when tqdm is not installed. The bar is cleared when the work ends or is interrupted, so a
command's output and its one-line messages are all that stay on the screen.

>>> import io
>>> with progress_display(enabled=True, stream=io.StringIO()) as hook:  # not a terminal
...     hook is None
True
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, TextIO

#: The callback the models take: ``progress(task, item, done, total)``.
Hook = Callable[[str, str, int, int], None]


def shown(stream: Optional[TextIO] = None) -> bool:
    """Whether progress can be shown on ``stream`` (stderr by default): a terminal, and tqdm installed."""
    stream = sys.stderr if stream is None else stream
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False
    if not terminal:
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def _sized(stream: TextIO) -> bool:
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return size.columns > 0 and size.lines > 0


def _width(stream: TextIO) -> int:
    return os.get_terminal_size(stream.fileno()).columns if _sized(stream) else 80


def _printable(text: str, width: int = 60) -> str:
    """One line that a terminal shows as it is: a name from a user's file could hold control characters."""
    text = "".join(char if char.isprintable() else "?" for char in text)
    return text if len(text) <= width else text[:width - 1] + "…"


@contextmanager
def progress_display(enabled: bool = True, stream: Optional[TextIO] = None) -> Iterator[Optional[Hook]]:
    """A callback that draws a progress bar on ``stream`` (stderr), or None where none is shown."""
    stream = sys.stderr if stream is None else stream
    if not enabled or not shown(stream):
        yield None
        return
    from tqdm import tqdm

    bar: Optional[Any] = None
    current: Optional[str] = None
    drawing = False

    def hook(task: str, item: str, done: int, total: int) -> None:
        nonlocal bar, current, drawing
        if bar is None or task != current:  # a new task: a new bar, and a rate of its own
            if bar is not None:
                bar.close()
                bar = None
            drawing = True
            sized = _sized(stream)  # a terminal that reports no size (0 × 0) still gets a bar, 80 wide
            bar = tqdm(total=total, initial=done, desc=_printable(task), postfix=_printable(item), unit="step",
                       leave=False, file=stream, dynamic_ncols=sized, ncols=None if sized else 80,
                       nrows=None if sized else 24, mininterval=0.2)
            current = task
        if bar.total != total:
            bar.total = total
        bar.set_postfix_str(_printable(item), refresh=False)
        bar.update(done - bar.n)

    try:
        yield hook
    finally:
        if bar is not None:
            bar.close()
        if drawing:  # cleared again: an interrupt can land while tqdm draws or closes, before it clears its line
            stream.write("\r" + " " * (_width(stream) - 1) + "\r")
            stream.flush()


__all__ = ["Hook", "progress_display", "shown"]
