"""A content-addressed store of proof certificates: a proof found once is checked, not searched for, again.

An entry is keyed by a hash of what the certificate is about (the theorem's statement, hypotheses,
definitions and variables, never its name) and of the versions it was made under (symconv's, the rules'
and :data:`KERNEL_VERSION`). It is a JSON file holding the certificate's tree, written atomically (a
temporary file, then ``os.replace``) to ``$SYMCONV_CACHE_DIR``, else ``$XDG_CACHE_HOME/symconv``, else
``~/.cache/symconv``, under ``proofs/``.

Nothing read from the cache is believed: :func:`load` returns a certificate, and :func:`symconv.proof.prove`
hands it to the independent checker like any other; a certificate the checker rejects is dropped and the
proof is searched for again. The decoder builds only the certificate's own node types and a fixed list of
sympy classes (it never evaluates or parses text), so a corrupt, stale or hand-edited entry is ignored, not
executed. ``SYMCONV_NO_CACHE=1`` (or ``--no-cache`` on the command line) turns the cache off; a directory
that cannot be read or written means no cache, with one warning line at most.

>>> import tempfile
>>> from symconv.guide.theorems import theorem
>>> from symconv.proof.prover import search
>>> thm = theorem("round-trip")
>>> with tempfile.TemporaryDirectory() as scratch, using(scratch):
...     store(thm, search(thm))
...     load(thm) == search(thm)
True
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterator, Optional

import sympy
from sympy.core.assumptions import _assume_defined

from symconv.core.files import CACHE_DIR, NO_CACHE, cache_directory, cache_enabled, warn_once, write_atomically
from symconv.proof import certificate as C
from symconv.proof.theorem import Theorem

#: Bumped whenever the prover, the checker or this encoding changes in a way that old entries should not be
#: offered to it (they would only be rejected by the checker, at the cost of a check).
KERNEL_VERSION = "1"
MAX_ENTRY_BYTES = 8 * 2**20  #: a larger entry is not read
_FORMAT = "symconv-proof-cache"

#: The switches and the directory, shared with the render cache (:mod:`symconv.core.files`).
enabled, directory, warn = cache_enabled, cache_directory, warn_once


class _Unreadable(Exception):
    """An entry, or a certificate, outside what this encoding writes."""


def _versions() -> dict[str, str]:
    from symconv import __version__

    return {"symconv": __version__, "kernel": KERNEL_VERSION, "rules": C.RULES_VERSION}


@contextlib.contextmanager
def using(path: Optional[str] = None, *, on: bool = True) -> Iterator[None]:
    """Within the block, the cache is at ``path`` (when given) and on or off (``on``); for tests and the CLI.

    It sets the environment variables, so worker processes started inside the block agree.
    """
    saved = {name: os.environ.get(name) for name in (CACHE_DIR, NO_CACHE)}
    try:
        if path is not None:
            os.environ[CACHE_DIR] = str(path)
        if on:
            os.environ.pop(NO_CACHE, None)
        else:
            os.environ[NO_CACHE] = "1"
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def key(theorem: Theorem) -> str:
    """The entry's name: a hash of the theorem's content and of the versions (its name and title left out).

    >>> from symconv.guide.theorems import theorem
    >>> import dataclasses
    >>> thm = theorem("round-trip")
    >>> key(thm) == key(dataclasses.replace(thm, name="another", title="the same claim"))
    True
    >>> key(thm) == key(dataclasses.replace(thm, hypotheses=()))
    False
    """
    return _key(theorem, json.dumps(_versions(), sort_keys=True))


@functools.lru_cache(maxsize=1024)  # an entry is looked up, then stored under the same key: srepr is the slow part
def _key(theorem: Theorem, versions: str) -> str:
    content = {"statement": sympy.srepr(theorem.statement),
               "hypotheses": [sympy.srepr(h) for h in theorem.hypotheses],
               "definitions": [[sympy.srepr(symbol), sympy.srepr(value)] for symbol, value in theorem.definitions],
               "variables": [sympy.srepr(v) for v in theorem.variables], "versions": versions}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()


def _path(theorem: Theorem) -> Path:
    return directory() / "proofs" / f"{key(theorem)}.json"


def load(theorem: Theorem) -> Optional[C.Certificate]:
    """The stored certificate for ``theorem``, unchecked; None when there is none, or it is corrupt or stale."""
    if not enabled():
        return None
    path = _path(theorem)
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None  # no entry, or a directory that cannot be read: no cache
    try:
        if len(raw) > MAX_ENTRY_BYTES:
            raise _Unreadable("too large")
        entry = json.loads(raw.decode("utf-8"))
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT or entry.get("key") != path.stem:
            raise _Unreadable("not an entry for this key")
        if entry.get("versions") != _versions():
            raise _Unreadable("stale: made by another version")
        certificate = _decode(entry.get("certificate"), "certificate")
        if not isinstance(certificate, C.Certificate):
            raise _Unreadable("not a certificate")
        return certificate
    except (_Unreadable, ValueError, TypeError, KeyError, RecursionError, AttributeError):
        return None  # ignored: the proof is searched for and the entry rewritten


def store(theorem: Theorem, certificate: C.Certificate) -> bool:
    """Write ``certificate`` (which the checker accepted) as the entry for ``theorem``; whether it was written."""
    if not enabled():
        return False
    try:
        encoded = _encode(certificate)
        if _decode(json.loads(json.dumps(encoded)), "certificate") != certificate:
            return False  # it would not read back as itself: not worth keeping
    except (_Unreadable, ValueError, TypeError, RecursionError):
        return False
    path = _path(theorem)
    text = json.dumps({"format": _FORMAT, "key": path.stem, "versions": _versions(), "certificate": encoded},
                      ensure_ascii=False, separators=(",", ":"))
    try:
        write_atomically(path, text.encode("utf-8"))
    except OSError as error:
        warn_once(f"symconv: warning: the proof cache at {path.parent} cannot be written ({error.strerror}); "
                  f"going on without it (set {NO_CACHE}=1 to silence this)")
        return False
    return True


def discard(theorem: Theorem) -> None:
    """Remove the entry for ``theorem`` (the checker rejected it), if there is one and it can be removed."""
    with contextlib.suppress(OSError):
        _path(theorem).unlink()


# --- the encoding: certificate nodes by name, sympy trees by class, nothing parsed or evaluated -----------

_NODE_TYPES = {cls.__name__: cls for cls in (*C._NODES, C.Fact, C.Relation, C.Conjunction, C.Certificate)}
_TEXT_FIELDS = {"source", "kind", "version"}  # every other field holds numbers, sympy values or nodes
_KINDS = {"ge", "eq", "ne"}
_SYMPY = {cls.__name__: cls for cls in (
    sympy.Add, sympy.Mul, sympy.Pow, sympy.floor, sympy.ceiling, sympy.Mod, sympy.Max, sympy.Min, sympy.Abs,
    sympy.Piecewise, sympy.functions.elementary.piecewise.ExprCondPair, sympy.Eq, sympy.Ne, sympy.Ge, sympy.Gt,
    sympy.Le, sympy.Lt, sympy.And, sympy.Or, sympy.Not, sympy.Tuple)}
_CONSTANTS = {"true": sympy.true, "false": sympy.false}
_PLAIN = {"Tuple", "ExprCondPair"}  # built without evaluate=False: they evaluate nothing
MAX_DIGITS = 200  #: a larger number in an entry is refused: certificates hold small ones
MAX_EXPONENT = 64  #: likewise a larger power


def _encode(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if type(value).__name__ in _NODE_TYPES and dataclasses.is_dataclass(value):
        return {"@": type(value).__name__,
                **{f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, sympy.Basic):
        return {"$": _tree(value)}
    raise _Unreadable(f"cannot store a {type(value).__name__}")


def _tree(expr: sympy.Basic) -> Any:
    if isinstance(expr, sympy.Integer):
        return ["Integer", int(expr)]
    if isinstance(expr, sympy.Rational):
        return ["Rational", int(expr.p), int(expr.q)]
    if isinstance(expr, sympy.Symbol) and type(expr) is sympy.Symbol:
        assumptions = getattr(expr, "_assumptions_orig", None) or expr.assumptions0
        return ["Symbol", expr.name, {name: bool(value) for name, value in assumptions.items()}]
    if expr is sympy.true or expr is sympy.false:
        return ["Boolean", str(expr).lower()]
    name = type(expr).__name__
    if _SYMPY.get(name) is not type(expr):
        raise _Unreadable(f"cannot store a {name}")
    return [name, *(_tree(arg) for arg in expr.args)]


def _decode(value: Any, field: str) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if field not in _TEXT_FIELDS or (field == "kind" and value not in _KINDS):
            raise _Unreadable(f"text where {field} holds none")
        return value
    if isinstance(value, list):
        return tuple(_decode(item, field) for item in value)
    if isinstance(value, dict) and set(value) == {"$"}:
        return _untree(value["$"])
    if isinstance(value, dict) and value.get("@") in _NODE_TYPES:
        cls = _NODE_TYPES[value["@"]]
        names = {f.name for f in dataclasses.fields(cls)}
        if set(value) - {"@"} != names:
            raise _Unreadable(f"{cls.__name__} with other fields")
        return cls(**{name: _decode(value[name], name) for name in names})
    raise _Unreadable("an unknown value")


def _untree(tree: Any) -> sympy.Basic:
    if not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
        raise _Unreadable("not an expression")
    name, *args = tree
    if name in ("Integer", "Rational") and all(type(a) is int and len(str(abs(a))) <= MAX_DIGITS for a in args):
        if name == "Integer" and len(args) == 1:
            return sympy.Integer(args[0])
        if name == "Rational" and len(args) == 2 and args[1] > 0:
            return sympy.Rational(args[0], args[1])
    if name == "Symbol" and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], dict):
        assumptions = args[1]
        if not all(isinstance(v, bool) and k in _assume_defined for k, v in assumptions.items()):
            raise _Unreadable("an unknown assumption")
        return sympy.Symbol(args[0], **assumptions)
    if name == "Boolean" and len(args) == 1 and args[0] in _CONSTANTS:
        return _CONSTANTS[args[0]]
    if name in _SYMPY:
        parts = [_untree(arg) for arg in args]
        if name == "Pow" and not (len(parts) == 2 and parts[1].is_Integer and abs(parts[1]) <= MAX_EXPONENT):
            raise _Unreadable("a power outside what a certificate holds")
        # Unevaluated: each node exactly as stored (store() checks that it reads back as written), and no
        # arithmetic on what a file says until the checker does it.
        return _SYMPY[name](*parts) if name in _PLAIN else _SYMPY[name](*parts, evaluate=False)
    raise _Unreadable(f"an unknown expression {name!r}")
