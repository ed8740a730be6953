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

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from symconv.core.errors import ParameterError, SchemeError
from symconv.schemes.load import check_loaded, load_scheme, scheme_from_toml
from symconv.schemes.model import Scheme

#: The order people meet them in: no padding, the guide's, the frameworks', pooling, transposed.
ORDER = ("valid", "half", "full", "causal", "torch-same", "tf-same", "onnx-same-lower", "pool-ceil",
         "transposed-output-padding")
FOLDER = "builtin"  #: inside the package symconv.schemes
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")  # a file name in the folder, nothing else


def builtin_schemes(checked: bool = True) -> Mapping[str, Scheme]:
    """The schemes shipped with symconv, by name in :data:`ORDER`, loaded as users' files are (read-only).

    ``checked=False`` skips the loader's checks that evaluate a scheme (and load the proof kernel):
    for listing them. The same :class:`Scheme` objects either way; the checks run once per scheme.
    """
    found = _parsed_all()
    if checked:
        for name in found:
            _checked(name)
    return found


@lru_cache(maxsize=1)
def _parsed_all() -> Mapping[str, Scheme]:
    found: dict[str, Scheme] = {}
    folder = resources.files("symconv.schemes") / FOLDER
    files = sorted((entry.name for entry in folder.iterdir() if entry.name.endswith(".toml")))
    for file in files:
        loaded = _parsed(file)
        if loaded.name in found:
            raise SchemeError(loaded.source, f"name: {loaded.name!r} is the name of another built-in, "
                              f"{found[loaded.name].source}")
        found[loaded.name] = loaded
    ranked = sorted(found, key=lambda name: (ORDER.index(name) if name in ORDER else len(ORDER), name))
    return MappingProxyType({name: found[name] for name in ranked})


def forget() -> None:
    """Forget the built-ins read so far (for tests that point the registry at another folder)."""
    for cached in (_parsed_all, _parsed, _checked):
        cached.cache_clear()


def _read(file: str) -> str:
    return (resources.files("symconv.schemes") / FOLDER / file).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _parsed(file: str) -> Scheme:
    """One built-in file, parsed; its name must be the file's (so one name is one file, and no two clash)."""
    source = f"symconv/schemes/{FOLDER}/{file}"
    loaded = scheme_from_toml(_read(file), source, checked=False)
    if f"{loaded.name}.toml" != file:
        raise SchemeError(source, f"name: {loaded.name!r}, but a built-in is named after its file")
    return loaded


@lru_cache(maxsize=None)
def _checked(name: str) -> Scheme:
    """The built-in called ``name``, read from its own file only, with every check of the loader."""
    file = f"{name}.toml"
    loaded = _parsed(file)
    check_loaded(loaded, _read(file))
    return loaded


def _known(name: str) -> bool:
    """Whether a built-in has this name: its file exists (a name that could be a path never is one)."""
    return (isinstance(name, str) and bool(_NAME_PATTERN.match(name))
            and (resources.files("symconv.schemes") / FOLDER / f"{name}.toml").is_file())


def scheme(name: str) -> Scheme:
    """The built-in scheme called ``name``.

    >>> scheme("same")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.core.errors.SchemeError: 'same': no built-in scheme has that name; the built-ins are valid, half, ...
    """
    if not _known(name):
        raise SchemeError(repr(name), f"no built-in scheme has that name; the built-ins are "
                          f"{', '.join(builtin_schemes(checked=False))}")
    return _checked(name)


def resolve(name_or_path: str) -> Scheme:
    """A built-in by name, or else a scheme file (what the CLI accepts).

    >>> resolve("tf-same").source
    'symconv/schemes/builtin/tf-same.toml'
    """
    if not isinstance(name_or_path, str):
        raise ParameterError("name_or_path", type(name_or_path).__name__, "expected a string")
    if _known(name_or_path):
        return _checked(name_or_path)
    if Path(name_or_path).is_file():
        return load_scheme(name_or_path)
    raise SchemeError(repr(name_or_path), "neither a built-in scheme nor an existing file; the built-ins are "
                      + ", ".join(builtin_schemes(checked=False)))
