"""How a model shows itself in Jupyter, without importing a renderer.

A relationship, a derivation or a proof has ``_repr_markdown_`` and
``_repr_latex_``, which ask this registry for the formatter of their type. The
present layer registers those formatters; the registry loads it by name
(:data:`PROVIDER`) the first time a formatter is asked for. So models never
import the present layer, and the present layer imports the models freely.

A type without a formatter of its own uses its nearest base class's. A type
with none at all has no such representation (``None``), which Jupyter skips.

>>> class Note:
...     def _repr_markdown_(self):
...         return markdown(self)
>>> register(Note, markdown=lambda note: "**a note**")
>>> Note()._repr_markdown_()
'**a note**'
>>> latex(Note()) is None
True
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Optional

from symconv.core.errors import ParameterError

Formatter = Callable[[Any], str]

#: The module that registers the formatters of the package's own types when it is imported.
PROVIDER = "symconv.present.notebook"
FORMATS = ("markdown", "latex")

_formatters: dict[tuple[type, str], Formatter] = {}
_loaded = False


def register(kind: type, *, markdown: Optional[Formatter] = None, latex: Optional[Formatter] = None) -> None:
    """Show instances of ``kind`` (and of its subclasses) with these formatters.

    >>> register("Proof", markdown=str)
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: kind='Proof' is invalid: kind must be a class
    """
    if not isinstance(kind, type):
        raise ParameterError("kind", kind, "kind must be a class")
    for name, formatter in (("markdown", markdown), ("latex", latex)):
        if formatter is not None:
            if not callable(formatter):
                raise ParameterError(name, formatter, f"the {name} formatter must be callable")
            _formatters[kind, name] = formatter


def formatter(obj: Any, format: str) -> Optional[Formatter]:
    """The formatter registered for ``obj``'s type or its nearest base class, or None.

    >>> formatter(1, "html")
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: format='html' is invalid: format must be one of markdown, latex
    """
    global _loaded
    if format not in FORMATS:
        raise ParameterError("format", format, f"format must be one of {', '.join(FORMATS)}")
    if not _loaded:
        importlib.import_module(PROVIDER)
        _loaded = True
    for kind in type(obj).__mro__:
        if (kind, format) in _formatters:
            return _formatters[kind, format]
    return None


def markdown(obj: Any) -> Optional[str]:
    """``obj`` as Markdown, for a ``_repr_markdown_`` method (None when no formatter is registered)."""
    found = formatter(obj, "markdown")
    return None if found is None else found(obj)


def latex(obj: Any) -> Optional[str]:
    """``obj`` as LaTeX math, for a ``_repr_latex_`` method (None when no formatter is registered)."""
    found = formatter(obj, "latex")
    return None if found is None else found(obj)
