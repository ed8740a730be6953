"""symconv: convolution arithmetic, derived, proved and verified.

The pipeline, one module a stage: ``symbols`` (the guide's letters) →
``catalogue`` (Relationships 1–15, on the ``model``) → ``derive`` (solve the
constraints) → ``proofs`` / ``verification`` (symbolic proofs; exhaustive
checks against ``oracle``) → ``document`` / ``render`` (jinja2) → ``cli``.
``shapes`` holds the output-size formulas for everyday use, ``queries`` the
inverse questions.

Names are loaded on first use, so ``symconv shape`` answers without building
any sympy expression.

>>> import symconv
>>> symconv.conv_output_size(224, kernel_size=7, stride=2, padding=3)
112
>>> symconv.relationship(14).rhs
a + k - 2*p + s*(i' - 1)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from symconv.core.errors import OutputError, ParameterError, ParseError, SchemeError, SymconvError, TemplateError
from symconv.guide.shapes import conv_output_size, pool_output_size, transposed_output_size

__version__ = "0.1.0"

_LAZY = {
    "symbols": ("symconv.core.symbols", None),
    "Relationship": ("symconv.guide.model", "Relationship"),
    "Equivalent": ("symconv.guide.model", "Equivalent"),
    "relationship": ("symconv.guide.catalogue", "relationship"),
    "relationships": ("symconv.guide.catalogue", "relationships"),
    "verify": ("symconv.guide.verification", "verify"),
    "Box": ("symconv.guide.verification", "Box"),
    "prove": ("symconv.proof", "prove"),
    "theorem": ("symconv.guide.theorems", "theorem"),
    "Theorem": ("symconv.proof", "Theorem"),
    "transpose": ("symconv.guide.queries", "transpose"),
    "from_onnx": ("symconv.importers.from_onnx", "from_onnx"),
    "from_torch": ("symconv.importers.from_torch", "from_torch"),
    "input_sizes": ("symconv.guide.queries", "input_sizes"),
    "paddings": ("symconv.guide.queries", "paddings"),
    "output_padding": ("symconv.guide.queries", "output_padding"),
    **{name: ("symconv.core.symbols", name) for name in (
        "i", "k", "s", "d", "o", "p", "p_l", "p_r", "a", "n",
        "i_prime", "o_prime", "k_prime", "s_prime", "d_prime", "p_prime", "i_tilde")},
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from symconv.guide.catalogue import relationship, relationships
    from symconv.guide.model import Equivalent, Relationship
    from symconv.core.symbols import (a, d, d_prime, i, i_prime, i_tilde, k, k_prime, n, o,
                          o_prime, p, p_l, p_prime, p_r, s, s_prime)
    from symconv.guide.verification import Box, verify


def __getattr__(name: str) -> Any:
    if name == "RELATIONSHIPS":
        return import_module("symconv.guide.catalogue").relationships()
    if name not in _LAZY:
        raise AttributeError(f"module 'symconv' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = import_module(module) if attribute is None else getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, "RELATIONSHIPS"})


__all__ = [
    "SymconvError", "ParameterError", "ParseError", "SchemeError", "OutputError", "TemplateError",
    "conv_output_size", "pool_output_size", "transposed_output_size",
    "RELATIONSHIPS", *_LAZY,
]
