"""A content-addressed cache of what ``symconv render`` writes: rendering again, when nothing changed, costs a hash.

An entry is keyed by everything the documents depend on (:func:`key`): symconv's version and a hash of every file of
the package (its source, templates and built-in schemes, so that editing the engine invalidates it), the versions
of the libraries that compute or print them (sympy, mpmath, numpy, z3, jinja2, markupsafe) and of Python, the
command's options, and the content of every file in a ``--template-dir``. It is a manifest (each written file's
path and the SHA-256 of its bytes, and the command's summary) in ``render/`` and each file's bytes once in
``render/blobs/``, named by their hash, in the proof cache's directory (``$SYMCONV_CACHE_DIR``, else
``$XDG_CACHE_HOME/symconv``, else ``~/.cache/symconv``).

When the key has an entry, :func:`restore` compares the output directory with it: a file that is there with the
recorded hash is left alone, a missing or edited one is written again from its blob. A blob is hashed before it is
used, so a corrupt one is never written; then the entry is not used and the documents are rendered (and the entry
written again). Nothing here imports sympy or jinja2: an answered render loads neither.

``SYMCONV_NO_CACHE=1`` (or ``--no-cache``) turns it off, like the proof cache; a directory that cannot be read or
written means no cache, with one warning line at most.

>>> import tempfile
>>> from symconv.present.output import MARKER
>>> from symconv.proof.cache import using
>>> with tempfile.TemporaryDirectory() as scratch, using(scratch):
...     name = key("render", {"formats": ["markdown"]})
...     record(name, {"a.md": f"<!-- {MARKER} -->\\n"}, {"cases": 1})
...     found = lookup(name)
...     [path.name for path in restore(found, Path(scratch) / "out")], found.summary
True
(['a.md'], {'cases': 1})
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping, Optional, Union

from symconv.core.files import NO_CACHE, cache_directory, cache_enabled, warn_once, write_atomically
from symconv.present.output import ours, prepare_output, replace

#: Bumped whenever what an entry means changes.
RENDER_VERSION = "1"
#: The distributions whose versions an entry depends on, by the module each one installs.
DEPENDENCIES = {"sympy": "sympy", "mpmath": "mpmath", "numpy": "numpy", "z3": "z3_solver", "jinja2": "jinja2",
                "markupsafe": "markupsafe"}
MAX_MANIFEST_BYTES = 2**20  #: a larger manifest is not read
MAX_FILES = 10_000  #: a manifest naming more files is not used
_FORMAT = "symconv-render-cache"
_HASH = re.compile(r"[0-9a-f]{64}")
_RELATIVE = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
_PACKAGE = Path(__file__).resolve().parent.parent

#: On unless ``SYMCONV_NO_CACHE`` says otherwise, as for the proof cache (:mod:`symconv.core.files`).
enabled = cache_enabled


def directory() -> Path:
    """Where entries live: ``render/`` in the proof cache's directory."""
    return cache_directory() / "render"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tree_digest(root: Path) -> str:
    """A hash of every file under ``root``: its path and its bytes (compiled bytecode left out)."""
    digest = hashlib.sha256()
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        found += [os.path.join(folder, name) for name in names if not name.endswith((".pyc", ".pyo"))]
    for path in sorted(found):
        with open(path, "rb") as file:
            content = file.read()
        digest.update(f"{os.path.relpath(path, root)}\0{len(content)}\0".encode("utf-8", "surrogateescape"))
        digest.update(content)
    return digest.hexdigest()


def package_digest() -> str:
    """A hash of symconv's own files: source, templates, built-in schemes."""
    return _tree_digest(_PACKAGE)


def _version(module: str, distribution: str) -> str:
    """An installed distribution's version, read from its ``.dist-info`` folder's name (no import, no scan)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return "absent"
    folder = Path(spec.origin).parent
    site = folder.parent if folder.name == module else folder
    prefix = distribution.lower()
    with contextlib.suppress(OSError):
        for name in os.listdir(site):
            stem, dot, suffix = name.rpartition(".")
            found, _, version = stem.partition("-")
            if suffix in ("dist-info", "egg-info") and found.lower().replace("-", "_") == prefix:
                return version
    from importlib import metadata  # slower: scans every distribution

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return f"at {spec.origin}"


def key(command: str, options: Mapping[str, Any], template_dir: Optional[Path] = None) -> Optional[str]:
    """The entry's name: a hash of everything the command's output depends on; None when it cannot be told.

    >>> import tempfile
    >>> a, b = key("render", {"formats": ["latex"]}), key("render", {"formats": ["markdown"]})
    >>> a != b and len(a) == 64
    True
    >>> with tempfile.TemporaryDirectory() as ours:
    ...     empty = key("render", {"formats": ["latex"]}, Path(ours))
    ...     _ = (Path(ours) / "document.tex.j2").write_text("x")
    ...     empty != key("render", {"formats": ["latex"]}, Path(ours)) != a
    True
    """
    from symconv import __version__

    content: dict[str, Any] = {
        "format": _FORMAT, "version": RENDER_VERSION, "symconv": __version__, "package": package_digest(),
        "python": sys.version, "libraries": {name: _version(name, dist) for name, dist in DEPENDENCIES.items()},
        "command": command, "options": options, "templates": None}
    if template_dir is not None:
        if not Path(template_dir).is_dir():
            return None  # the render says why
        try:
            content["templates"] = _tree_digest(Path(template_dir))
        except OSError:
            return None
    return _digest(json.dumps(content, sort_keys=True, default=str).encode("utf-8"))


@dataclass(frozen=True)
class Entry:
    """What a render wrote: each file's path (relative to the output) and hash, in order, and its summary."""

    key: str
    files: tuple[tuple[str, str], ...]
    summary: Mapping[str, Any]


def _manifest(key: str) -> Path:
    return directory() / f"{key}.json"


def _blob(digest: str) -> Path:
    return directory() / "blobs" / digest[:2] / digest


def lookup(key: Optional[str]) -> Optional[Entry]:
    """The entry for ``key``; None when there is none, the cache is off, or the entry is not one this writes."""
    if key is None or not enabled():
        return None
    try:
        with open(_manifest(key), "rb") as file:
            raw = file.read(MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES:
            return None
        entry = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != _FORMAT or entry.get("key") != key:
        return None
    files, summary = entry.get("files"), entry.get("summary")
    if not isinstance(files, list) or not 0 < len(files) <= MAX_FILES or not isinstance(summary, dict):
        return None
    if not all(isinstance(name, str) and type(value) is int for name, value in summary.items()):
        return None
    for item in files:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)
                and _safe(item[0]) and _HASH.fullmatch(item[1])):
            return None
    return Entry(key, tuple((path, digest) for path, digest in files), summary)


def _safe(relative: str) -> bool:
    """A path inside the output directory: relative, no ``..``, plain characters."""
    parts = PurePosixPath(relative).parts
    return bool(_RELATIVE.fullmatch(relative)) and all(part not in (".", "..") for part in parts)


def _read_verified(digest: str) -> Optional[bytes]:
    try:
        with open(_blob(digest), "rb") as file:
            content = file.read()
    except OSError:
        return None
    if _digest(content) != digest:
        with contextlib.suppress(OSError):
            _blob(digest).unlink()  # corrupt: written again by the render that follows
        return None
    return content


def restore(entry: Entry, output: Path) -> Optional[list[Path]]:
    """Make ``output`` hold the entry's files; the paths, as a render reports them, or None when it cannot.

    Files already there with the recorded bytes are not touched; missing or edited ones are written from their
    blobs, each hashed first. None (and nothing written) when a blob is missing or corrupt, or when a file to
    write is there and was not written by symconv: then the documents are rendered, which says why if need be.
    """
    output = prepare_output(output)
    missing: dict[str, bytes] = {}
    for relative, digest in entry.files:
        target = output / relative
        try:
            with open(target, "rb") as file:
                if _digest(file.read()) == digest:
                    continue
        except OSError:
            pass
        content = _read_verified(digest)
        if content is None or target.is_dir() or not ours(target):
            return None
        missing[relative] = content
    for relative, content in missing.items():
        target = output / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            replace(target, content)
        except OSError:
            return None
    return [output / relative for relative, _ in entry.files]


def record(key: Optional[str], files: Mapping[str, Union[str, bytes]], summary: Mapping[str, Any]) -> bool:
    """Store what a render wrote under ``key``: the blobs first, then the manifest; whether it was stored."""
    if key is None or not enabled():
        return False
    listed = []
    try:
        for relative, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            digest = _digest(data)
            if not _safe(relative):
                return False
            if _read_verified(digest) is None:
                write_atomically(_blob(digest), data)
            listed.append([relative, digest])
        text = json.dumps({"format": _FORMAT, "key": key, "files": listed, "summary": dict(summary)},
                          ensure_ascii=False, separators=(",", ":"))
        write_atomically(_manifest(key), text.encode("utf-8"))
    except OSError as error:
        warn_once(f"symconv: warning: the render cache at {directory()} cannot be written ({error.strerror}); "
                  f"going on without it (set {NO_CACHE}=1 to silence this)")
        return False
    return True

