"""Checking a scheme: derive its output size, settle every claim, and derive its transpose.

Each claim is a theorem with the scheme's domain as hypotheses, the output size
``o`` (and the output_padding ``a``) as definitions, and the brute-force oracle
as ground truth; :func:`symconv.proof.prove` proves it for all integers or
enumerates the box, and the result is a :class:`~symconv.schemes.model.ClaimResult`.

>>> from symconv.core.printing import text
>>> from symconv.schemes import scheme
>>> report = check_scheme(scheme("half"))
>>> [(text(c.claim), c.status) for c in report.claims]
[('o = i', 'proved'), ('transposable', 'proved')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import sympy
from sympy import Eq, Ge, Symbol, Tuple
from sympy.logic.boolalg import Boolean

from symconv.core import symbols as S
from symconv.core.errors import ParameterError, SchemeError
from symconv.core.printing import text
from symconv.core.steps import Step
from symconv.core.validation import positive
from symconv.proof import Theorem, prove
from symconv.schemes.domain import DEFAULT_BOUND, MAX_BOUND, domain
from symconv.schemes.model import ClaimResult, Scheme, a, claim_result, o, show_case, sides
from symconv.schemes.oracle import Oracle
from symconv.schemes.simplify import hints, output_size, output_steps, raw_output_size, simplest, terminating
from symconv.schemes.transpose import TransposedReport, equivalent, output_padding, recovery, transposable


@dataclass(frozen=True)
class SchemeReport:
    """What ``check_scheme`` found: the output size with its derivation, and every claim's standing."""

    scheme: Scheme
    output_size: sympy.Expr
    output_size_general: sympy.Expr
    steps: tuple[Step, ...]
    padding: tuple[tuple[str, ClaimResult], ...]  # ("before", before >= 0), ("after", ...), ...
    claims: tuple[ClaimResult, ...]
    transposed: Optional[TransposedReport]
    bound: int
    domain: Boolean

    @property
    def holds(self) -> bool:
        """Every claim is proved or holds on every enumerated case: none is false, in conflict, or unchecked."""
        return all(result.status in ("proved", "holds-enumerated") for result in self.claims)


def check_scheme(scheme: Scheme, bound: int = DEFAULT_BOUND,
                 progress: Optional[Callable[[str, str, int, int], None]] = None) -> SchemeReport:
    """Derive the output size, prove or check every claim, and derive the transpose.

    Claims the prover cannot close are checked against the oracle on every case
    with ``i <= bound`` (and small ``k, s, d``) and come out ``holds-enumerated``.
    ``progress(task, item, done, total)``, if given, is called before each step and once at the end.

    >>> from symconv.core.printing import text
    >>> from symconv.schemes import scheme
    >>> report = check_scheme(scheme("tf-same"))
    >>> text(report.output_size), [c.status for c in report.claims]
    ('⌈i/s⌉', ['proved', 'proved'])
    """
    if not isinstance(scheme, Scheme):
        raise ParameterError("scheme", type(scheme).__name__,
                             "expected a Scheme: use scheme(name), load_scheme(path) or declare(...)")
    bound = positive("bound", bound)
    if bound > MAX_BOUND:
        raise ParameterError("bound", bound, f"bound must be at most {MAX_BOUND}")
    return terminating(scheme.source, lambda: _check(scheme, bound, progress))


def _check(scheme: Scheme, bound: int, progress: Optional[Callable[[str, str, int, int], None]]) -> SchemeReport:
    task = f"scheme check {scheme.name}"
    total = len(sides(scheme)) + len(scheme.claims) + (1 if scheme.ceil_mode else 3)
    done = 0

    def step(item: str) -> None:
        nonlocal done
        if progress is not None:
            progress(task, item, done, total)
        done += 1

    scope = domain(scheme, {S.i: range(1, bound + 1)})
    truth = Oracle(scheme, scope.variables)
    raw = raw_output_size(scheme)
    definitions: list[tuple[Symbol, sympy.Expr]] = [(o, raw)]
    if not scheme.ceil_mode:
        definitions.append((a, output_padding(scheme)))

    def settle(name: str, title: str, statement: Boolean, extra: Sequence = ()) -> ClaimResult:
        chain = [*definitions, *extra]
        needed = set(statement.free_symbols)
        for symbol, value in reversed(chain):
            if symbol in needed:
                needed |= value.free_symbols
        used = tuple((symbol, value) for symbol, value in chain if symbol in needed)
        theorem = Theorem(f"{scheme.name}: {name}", title, statement, scope.hypotheses, used,
                          scope.variables, truth)
        step(f"{name}: {title}")
        return claim_result(statement, prove(theorem, scope.ranges))

    found: list[tuple[str, ClaimResult]] = []
    for key, side in sides(scheme):
        step(f"{key} >= 0")
        found.append((key, claim_result(Ge(side, 0, evaluate=False), prove(Theorem(
            f"{scheme.name}: {key} >= 0", f"{key} >= 0", Ge(side, 0), scope.where, (), scope.variables),
            scope.ranges))))
    padding = tuple(found)
    for key, result in padding:
        if result.status == "false":
            raise SchemeError(scheme.source, f"{key}: {text(result.claim.lhs)} is negative at "
                              f"{show_case(result.counterexample or {}, scheme)}; restrict the scheme with 'where'")
    claims = [settle(f"claim {n + 1}", text(claim), claim) for n, claim in enumerate(scheme.claims)]

    step("the output size's shortest form")
    simplest_size = output_size(scheme)
    steps = output_steps(scheme)
    if scheme.where:
        steps.append(Step(Tuple(*scheme.where), "where the scheme applies"))
    if simplest_size != raw:
        steps.append(Step(Eq(o, simplest_size), "the shortest form proved equal to it there"))

    report_transposed = None
    if not scheme.ceil_mode:
        statement, extra = recovery(scheme)
        recovers = settle("transposable", "the transpose with a gives back i", statement, extra)
        step("the output_padding's shortest form")
        shown_a = simplest(output_padding(scheme), scheme, domain(scheme, {}), hints(scheme, a))
        report_transposed = TransposedReport(equivalent(scheme), shown_a, recovers)
        if scheme.transposable is not None:
            claims.append(transposable(scheme.transposable, recovers))
    if progress is not None:
        progress(task, "", total, total)
    return SchemeReport(scheme, simplest_size, raw, tuple(steps), padding, tuple(claims), report_transposed, bound,
                        scope.fits)
