"""What symconv's caches share: where they live, whether they are on, one warning, and atomic writes.

The proof cache (:mod:`symconv.proof.cache`) and the render cache (:mod:`symconv.present.render_cache`) both use
this module. It imports nothing heavy, so the render cache's fast path, which loads no sympy, can use it too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

NO_CACHE = "SYMCONV_NO_CACHE"  #: set to 1 (or true, yes, on) to turn the caches off
CACHE_DIR = "SYMCONV_CACHE_DIR"  #: the caches' directory, instead of the user's cache directory

_MAIN = os.getpid()  # a forked worker does not warn: its parent says it once
_warned = False


def cache_enabled() -> bool:
    """Whether the caches are on: they are unless ``SYMCONV_NO_CACHE`` says otherwise."""
    return os.environ.get(NO_CACHE, "").strip().lower() not in ("1", "true", "yes", "on")


def cache_directory() -> Path:
    """``$SYMCONV_CACHE_DIR``, else ``$XDG_CACHE_HOME/symconv``, else ``~/.cache/symconv``."""
    chosen = os.environ.get(CACHE_DIR)
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "symconv"


def warn_once(line: str) -> None:
    """Print ``line`` on stderr, once a process and only in the main one (an unwritable directory fails both
    caches: one line says so)."""
    global _warned
    if not _warned and os.getpid() == _MAIN:
        _warned = True
        print(line, file=sys.stderr)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (creating its directory): readers see the old file or the new one, never a part.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a" / "b.txt"
    >>> write_atomically(target, b"done")
    >>> target.read_bytes()
    b'done'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(scratch)
        raise
