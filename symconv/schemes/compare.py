"""Schemes side by side: at one kernel, stride and dilation, their formulas in ``i`` and a few worked sizes.

>>> from symconv.schemes import scheme
>>> table = compare([scheme("tf-same"), scheme("onnx-same-lower")], 4, sizes=[7])
>>> [(row.scheme.name, row.cells[0].before, row.cells[0].after) for row in table.rows]
[('tf-same', 1, 2), ('onnx-same-lower', 2, 1)]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Mapping, Optional, Sequence

import sympy

from symconv.core import symbols as S
from symconv.core.errors import SchemeError
from symconv.core.numeric import compile_expr
from symconv.core.printing import text
from symconv.core.rebuild import xreplace
from symconv.core.validation import nonnegative, positive
from symconv.schemes.domain import domain
from symconv.schemes.model import Scheme, terminating


@dataclass(frozen=True)
class Cell:
    """One scheme at one input size; ``note`` says why a value is missing."""

    input_size: int
    before: Optional[int]
    after: Optional[int]
    output_size: Optional[int]
    output_padding: Optional[int]
    note: str = ""


@dataclass(frozen=True)
class Row:
    """One scheme at fixed ``k, s, d``: its formulas in ``i`` and its cells."""

    scheme: Scheme
    before: sympy.Expr
    after: sympy.Expr
    output_size: sympy.Expr
    output_padding: Optional[sympy.Expr]
    cells: tuple[Cell, ...]

    @property
    def applicable(self) -> bool:
        return any(cell.output_size is not None for cell in self.cells)


@dataclass(frozen=True)
class Comparison:
    kernel_size: int
    stride: int
    dilation: int
    parameters: Mapping[str, int]
    sizes: tuple[int, ...]
    rows: tuple[Row, ...]


def compare(schemes: Sequence[Scheme], kernel_size: int, stride: int = 1, dilation: int = 1,
            sizes: Sequence[int] = range(5, 11), parameters: Optional[Mapping[str, int]] = None,
            progress: Optional[Callable[[str, str, int, int], None]] = None) -> Comparison:
    """The schemes side by side at one ``kernel_size, stride, dilation``, on a few input sizes.

    Declared parameters take their value from ``parameters`` (0 when not given). ``progress(task, item, done,
    total)``, if given, is called before each scheme and once at the end.

    >>> from symconv.schemes import scheme
    >>> table = compare([scheme(n) for n in ("tf-same", "onnx-same-lower", "torch-same")], 4, stride=2, sizes=[5, 6])
    >>> for row in table.rows:
    ...     print(row.scheme.name, [(c.before, c.after, c.output_size) for c in row.cells])
    tf-same [(1, 2, 3), (1, 1, 3)]
    onnx-same-lower [(2, 1, 3), (1, 1, 3)]
    torch-same [(None, None, None), (None, None, None)]
    >>> table.rows[2].cells[0].note
    'needs s = 1'
    """
    k, s, d = (positive(name, value) for name, value in
               (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)))
    sizes = tuple(positive("input_size", size) for size in sizes)
    parameters = {name: nonnegative(name, value) for name, value in (parameters or {}).items()}
    declared = {str(p) for sch in schemes for p in sch.parameters}
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise SchemeError("compare", f"no scheme declares a parameter {unknown[0]!r}")
    rows = []
    for done, sch in enumerate(schemes):
        if progress is not None:
            progress("scheme compare", sch.name, done, len(schemes))
        rows.append(terminating(sch.source, partial(_row, sch, k, s, d, sizes, parameters)))
    if progress is not None:
        progress("scheme compare", "", len(schemes), len(schemes))
    return Comparison(k, s, d, {p: parameters.get(p, 0) for p in sorted(declared)}, sizes, tuple(rows))


def _row(scheme: Scheme, k: int, s: int, d: int, sizes: Sequence[int], parameters: Mapping[str, int]) -> Row:
    # What simplifies loads the proof kernel: imported here, so that importing symconv.schemes does not.
    from symconv.schemes.simplify import output_size, raw_output_size
    from symconv.schemes.transpose import output_padding as recovering_output_padding

    fixed = {S.k: k, S.s: s, S.d: d, **{p: parameters.get(str(p), 0) for p in scheme.parameters}}
    variables = scheme.variables
    output_padding = None if scheme.ceil_mode else recovering_output_padding(scheme)
    raw = raw_output_size(scheme)
    fits = domain(scheme, {}).fits
    formulas = {name: compile_expr(expr, variables) for name, expr in
                (("before", scheme.before), ("after", scheme.after), ("o", raw), ("fits", fits),
                 *((("a", output_padding),) if output_padding is not None else ()))}
    conditions = [(condition, compile_expr(condition, variables)) for condition in scheme.where]
    cells = []
    for size in sizes:
        values = [size, k, s, d, *(fixed[p] for p in scheme.parameters)]
        failed = [condition for condition, holds in conditions if not holds(*values)]
        if failed:
            shown = " and ".join(text(xreplace(c, fixed)) if xreplace(c, fixed) not in (sympy.true, sympy.false)
                                 else text(c) for c in failed)
            cells.append(Cell(size, None, None, None, None, f"needs {shown}"))
        elif not formulas["fits"](*values):
            cells.append(Cell(size, formulas["before"](*values), formulas["after"](*values), None, None,
                              "no window fits"))
        else:
            cells.append(Cell(size, formulas["before"](*values), formulas["after"](*values), formulas["o"](*values),
                              formulas["a"](*values) if "a" in formulas else None))
    # The simplest form holds where the scheme applies; elsewhere only the substituted one does.
    applicable = any(cell.output_size is not None for cell in cells)
    size = xreplace(output_size(scheme) if applicable else raw, fixed)
    return Row(scheme, xreplace(scheme.before, fixed), xreplace(scheme.after, fixed), size,
               None if output_padding is None else xreplace(output_padding, fixed), tuple(cells))
