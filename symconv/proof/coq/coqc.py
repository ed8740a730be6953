"""Running ``coqc`` on exported files, when Coq is installed.

Files are compiled in a temporary directory, so no ``.vo`` or ``.glob`` lands
next to them. Nothing here decides a status: ``proved`` comes from symconv's
checker; Coq's verdict is reported beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from symconv.proof.coq.export import LIBRARY

#: Seconds one file may take; the exported proofs take about a second each.
TIMEOUT = 600


@dataclass(frozen=True)
class CoqCheck:
    """Coq's verdict on one file: ``accepted``, or the first lines of its error."""

    stem: str
    accepted: bool
    error: str = ""


def coqc() -> Optional[str]:
    """The ``coqc`` on PATH, or None."""
    return shutil.which("coqc")


def version() -> Optional[str]:
    """Coq's version (``8.16.1``), or None without ``coqc``."""
    program = coqc()
    if program is None:
        return None
    run = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=60)
    found = re.search(r"version (\S+)", run.stdout)
    return found.group(1) if found else run.stdout.strip() or None


def check(files: Mapping[str, str], jobs: Optional[int] = None) -> dict[str, CoqCheck]:
    """Compile each ``stem -> text`` with ``coqc`` (as the library ``Symconv``); one verdict per stem.

    Raises ``FileNotFoundError`` when ``coqc`` is not installed: ask :func:`coqc` first.
    """
    program = coqc()
    if program is None:
        raise FileNotFoundError("coqc")
    with tempfile.TemporaryDirectory(prefix="symconv-coq-") as folder:
        for stem, text in files.items():
            (Path(folder) / f"{stem}.v").write_text(text, encoding="utf-8")

        def one(stem: str) -> CoqCheck:
            try:
                run = subprocess.run([program, "-q", "-Q", ".", LIBRARY, f"{stem}.v"], cwd=folder,
                                     capture_output=True, text=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                return CoqCheck(stem, False, f"coqc took more than {TIMEOUT} s")
            message = " ".join((run.stdout + run.stderr).split())
            return CoqCheck(stem, run.returncode == 0, "" if run.returncode == 0 else message[:500])

        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            return dict(zip(files, pool.map(one, files)))
