"""The built-in schemes: a registry from name to :class:`~symconv.schemes.model.Scheme`.

Each built-in is one TOML file in ``symconv/schemes/builtin/``, named after the
scheme, and is read by the same loader as users' files. :data:`ORDER` is the
order in which they are listed (``symconv scheme list``, ``compare`` without
names, the derivation documents). Adding a built-in is adding a file and its
name to :data:`ORDER`; a file missing from it is listed last.

>>> list(builtin_schemes())  # doctest: +NORMALIZE_WHITESPACE
['valid', 'half', 'full', 'causal', 'torch-same', 'tf-same', 'onnx-same-lower', 'pool-ceil',
 'transposed-output-padding']
>>> scheme("half") is builtin_schemes()["half"]
True
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from symconv.core.errors import ParameterError, SchemeError
from symconv.schemes.load import load_scheme, scheme_from_toml
from symconv.schemes.model import Scheme

#: The order people meet them in: no padding, the guide's, the frameworks', pooling, transposed.
ORDER = ("valid", "half", "full", "causal", "torch-same", "tf-same", "onnx-same-lower", "pool-ceil",
         "transposed-output-padding")
FOLDER = "builtin"  #: inside the package symconv.schemes


@lru_cache(maxsize=1)
def builtin_schemes() -> Mapping[str, Scheme]:
    """The schemes shipped with symconv, by name in :data:`ORDER`, loaded as users' files are (read-only)."""
    found: dict[str, Scheme] = {}
    folder = resources.files("symconv.schemes") / FOLDER
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".toml")), key=lambda e: e.name)
    for entry in files:
        loaded = scheme_from_toml(entry.read_text(encoding="utf-8"), f"symconv/schemes/{FOLDER}/{entry.name}")
        if loaded.name in found:
            raise SchemeError(loaded.source, f"name: {loaded.name!r} is the name of another built-in, "
                              f"{found[loaded.name].source}")
        found[loaded.name] = loaded
    ranked = sorted(found, key=lambda name: (ORDER.index(name) if name in ORDER else len(ORDER), name))
    return MappingProxyType({name: found[name] for name in ranked})


def scheme(name: str) -> Scheme:
    """The built-in scheme called ``name``.

    >>> scheme("same")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.core.errors.SchemeError: 'same': no built-in scheme has that name; the built-ins are valid, half, ...
    """
    known = builtin_schemes()
    if name not in known:
        raise SchemeError(repr(name), f"no built-in scheme has that name; the built-ins are {', '.join(known)}")
    return known[name]


def resolve(name_or_path: str) -> Scheme:
    """A built-in by name, or else a scheme file (what the CLI accepts).

    >>> resolve("tf-same").source
    'symconv/schemes/builtin/tf-same.toml'
    """
    if not isinstance(name_or_path, str):
        raise ParameterError("name_or_path", type(name_or_path).__name__, "expected a string")
    if name_or_path in builtin_schemes():
        return builtin_schemes()[name_or_path]
    if Path(name_or_path).is_file():
        return load_scheme(name_or_path)
    raise SchemeError(repr(name_or_path), "neither a built-in scheme nor an existing file; the built-ins are "
                      + ", ".join(builtin_schemes()))
