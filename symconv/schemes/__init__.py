"""Padding schemes: what a framework's padding convention does, derived and proved.

A scheme says how many zeros go before and after the input, as expressions in
the guide's letters ``i, k, s, d`` (and any parameters it declares). From that
alone symconv derives the output size, proves the scheme's claims for all
integers (or, where the prover cannot, checks them on every case up to a bound
and says so), reports the smallest counterexample of a false claim, and derives
the transposed convolution with the output_padding that gives back each input
size.

Schemes are TOML files, read by one loader for users' files and for the
built-ins in ``symconv/schemes/builtin``::

    name = "half"
    description = "Half padding: the output keeps the input size"
    before = "d * (k - 1) // 2"
    after = "d * (k - 1) // 2"
    where = ["s == 1", "k % 2 == 1"]
    claims = ["o == i"]
    transposable = true

The modules, in the order a check runs through them:

- :mod:`.model`: the :class:`Scheme` and a claim's standing (:class:`ClaimResult`);
- :mod:`.load`: TOML files, TOML text and :func:`declare`, all through the whitelist parser;
- :mod:`.builtin`: the registry of built-in schemes, by name, in display order;
- :mod:`.domain`: where a scheme applies, and the box of cases a check enumerates;
- :mod:`.oracle`: the ground truth, windows counted by :mod:`symconv.core.oracle`;
- :mod:`.simplify`: the output size, substituted and then in its shortest proved form;
- :mod:`.transpose`: the transposed convolution and the output_padding that recovers ``i``;
- :mod:`.check`: :func:`check_scheme`, every claim proved or enumerated;
- :mod:`.compare`: schemes side by side at one kernel, stride and dilation.

Their text and JSON are built in :mod:`symconv.present` (``scheme_report_text``, ``scheme_report_data``, ...).

>>> from symconv.core.printing import text
>>> half = scheme("half")
>>> half.before
floor(d*(k - 1)/2)
>>> report = check_scheme(half)
>>> [(text(c.claim), c.status) for c in report.claims]
[('o = i', 'proved'), ('transposable', 'proved')]
>>> scheme("tf-same").padding(input_size=6, kernel_size=4, stride=1)   # the extra zero goes after
(1, 2)
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from symconv.schemes.builtin import ORDER, builtin_schemes, resolve, scheme
from symconv.schemes.compare import Cell, Comparison, Row, compare  # the function, not the module, at this name
from symconv.schemes.domain import DEFAULT_BOUND, MAX_BOUND, MAX_PARAMETERS
from symconv.schemes.load import MAX_FILE_SIZE, declare, load_scheme, scheme_from_toml
from symconv.schemes.model import ClaimResult, Scheme, Status

# What proves (check, simplify, transpose) loads the proof kernel: imported on first use, so that
# reading and listing schemes never loads it.
_LAZY = {
    "SchemeReport": "symconv.schemes.check", "check_scheme": "symconv.schemes.check",
    "MAX_ORACLE_WINDOWS": "symconv.schemes.oracle", "ORACLE_BUDGET": "symconv.schemes.oracle",
    "output_size": "symconv.schemes.simplify", "TransposedReport": "symconv.schemes.transpose",
}
if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from symconv.schemes.check import SchemeReport, check_scheme
    from symconv.schemes.oracle import MAX_ORACLE_WINDOWS, ORACLE_BUDGET
    from symconv.schemes.simplify import output_size
    from symconv.schemes.transpose import TransposedReport


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'symconv.schemes' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Scheme", "ClaimResult", "Status", "SchemeReport", "TransposedReport", "Cell", "Row", "Comparison",
    "declare", "load_scheme", "scheme_from_toml", "builtin_schemes", "scheme", "resolve", "ORDER",
    "check_scheme", "output_size", "compare",
    "DEFAULT_BOUND", "MAX_BOUND", "MAX_PARAMETERS", "MAX_FILE_SIZE", "MAX_ORACLE_WINDOWS", "ORACLE_BUDGET",
]
