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

import os
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Optional, Sequence

import sympy
from sympy import Eq, Ge, Symbol, Tuple
from sympy.logic.boolalg import Boolean

from symconv.core import symbols as S
from symconv.core.errors import ParameterError, SchemeError
from symconv.core.printing import text
from symconv.core.steps import Step
from symconv.core.validation import positive
from symconv.core.workers import FORK_UNSAFE, can_fork, forked_pool, receive, send
from symconv.proof import Theorem, prove
from symconv.schemes.domain import DEFAULT_BOUND, MAX_BOUND, domain
from symconv.schemes.model import ClaimResult, Scheme, a, claim_result, o, show_case, sides, terminating
from symconv.schemes.oracle import Oracle
from symconv.schemes.simplify import candidates, hints, output_size, output_steps, raw_output_size, simplest
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
        return claim_result(statement, prove(theorem, scope.ranges))

    def side_result(key: str, side: sympy.Expr) -> ClaimResult:
        return claim_result(Ge(side, 0, evaluate=False), prove(Theorem(
            f"{scheme.name}: {key} >= 0", f"{key} >= 0", Ge(side, 0), scope.where, (), scope.variables),
            scope.ranges))

    # The work, in the order it is reported: each item independent of the others (one proof, or one search for
    # a shorter form), so that they can run in any order, on several cores, and give what they give in this one.
    work: list[tuple[str, Callable[[], Any]]] = [
        (f"{key} >= 0", partial(side_result, key, side)) for key, side in sides(scheme)]
    work += [(f"claim {n + 1}: {text(claim)}", partial(settle, f"claim {n + 1}", text(claim), claim))
             for n, claim in enumerate(scheme.claims)]
    # The output size's shortest form. A proved claim o = X whose side X is the first form worth trying is that
    # form's proof already (o is the raw size, under the same hypotheses), so the form is not searched for a
    # second time. The parent lists the forms while the workers prove; if X is not the first, or the claim is
    # not proved, the search runs here after them.
    claimed = [n for n, claim in enumerate(scheme.claims) if isinstance(claim, Eq) and o in (claim.lhs, claim.rhs)]
    if not claimed:
        work.append(("the output size's shortest form", partial(output_size, scheme)))
    if not scheme.ceil_mode:
        statement, extra = recovery(scheme)
        work.append(("transposable: the transpose with a gives back i",
                     partial(settle, "transposable", "the transpose with a gives back i", statement, extra)))
        work.append(("the output_padding's shortest form",
                     partial(simplest, output_padding(scheme), scheme, domain(scheme, {}), hints(scheme, a))))

    def never_negative(padding: Sequence[ClaimResult]) -> None:  # before the claims, which assume it
        for (key, _), result in zip(sides(scheme), padding):
            if result.status == "false":
                raise SchemeError(scheme.source, f"{key}: {text(result.claim.lhs)} is negative at "
                                  f"{show_case(result.counterexample or {}, scheme)}; restrict the scheme with "
                                  "'where'")

    # The derivation's steps and the transpose are the parent's to make, while the workers prove.
    found, (steps, equivalent_conv, size_forms) = _run(
        work, task, progress, gate=(len(sides(scheme)), never_negative),
        meanwhile=lambda: (output_steps(scheme), None if scheme.ceil_mode else equivalent(scheme),
                           candidates(raw, scheme, domain(scheme, {}), hints(scheme, o)) if claimed else []))
    results = iter(found)

    padding = tuple((key, next(results)) for key, _ in sides(scheme))
    claims = [next(results) for _ in scheme.claims]

    steps_taken = len(work)
    if not claimed:
        simplest_size = next(results)
    elif size_forms and any(claims[n].status == "proved" and {scheme.claims[n].lhs, scheme.claims[n].rhs}
                            == {o, size_forms[0]} for n in claimed):
        simplest_size = size_forms[0]
    else:  # one step more than the progress bar was told
        if progress is not None:
            progress(task, "the output size's shortest form", steps_taken, steps_taken + 1)
        simplest_size = output_size(scheme)
        steps_taken += 1
    if progress is not None:
        progress(task, "", steps_taken, steps_taken)
    if scheme.where:
        steps.append(Step(Tuple(*scheme.where), "where the scheme applies"))
    if simplest_size != raw:
        steps.append(Step(Eq(o, simplest_size, evaluate=False), "the shortest form proved equal to it there"))

    report_transposed = None
    if not scheme.ceil_mode:
        recovers, shown_a = next(results), next(results)
        report_transposed = TransposedReport(equivalent_conv, shown_a, recovers)
        if scheme.transposable is not None:
            claims.append(transposable(scheme.transposable, recovers))
    return SchemeReport(scheme, simplest_size, raw, tuple(steps), padding, tuple(claims), report_transposed, bound,
                        scope.fits)


#: The work of the check that forked workers run: set just before they are forked, so each finds it in memory.
_WORK: list[Callable[[], Any]] = []


def _run(work: Sequence[tuple[str, Callable[[], Any]]], task: str,
         progress: Optional[Callable[[str, str, int, int], None]],
         gate: tuple[int, Callable[[list[Any]], None]], meanwhile: Callable[[], Any]) -> tuple[list[Any], Any]:
    """Every item's result, in order, and ``meanwhile()``; the items spread over the cores when there are several,
    and ``meanwhile()`` run here while they work. ``gate = (n, judge)``: ``judge`` sees the first ``n`` results
    before any later one is taken, and may stop the work by raising.

    ``progress`` is called before each item (one at a time) or as each arrives (in parallel); the caller ends it.
    A worker's item that raised is run again here, in order, so an error is the one the serial check raises, at
    the same point.
    """
    total = len(work)
    found: list[Any] = []

    def report(item: str) -> None:
        if len(found) == gate[0]:
            gate[1](found)
        if progress is not None:
            progress(task, item, len(found), total)

    workers = min(os.cpu_count() or 1, total)
    if not can_fork(workers, avoid=FORK_UNSAFE):
        for item, job in work:
            report(item)
            found.append(job())
        extra = meanwhile()
    else:
        global _WORK
        _WORK = [job for _, job in work]
        try:
            pool = forked_pool(workers)
        finally:
            _WORK = []
        try:
            pending = [pool.apply_async(_do, (n,)) for n in range(total)]
            try:
                extra, failed = meanwhile(), None
            except Exception as error:  # raised after the items, as the serial check would
                extra, failed = None, error
            for n, (item, job) in enumerate(work):
                report(item)
                sent = pending[n].get()
                found.append(job() if sent is None else receive(sent))
            if failed is not None:
                raise failed
        finally:
            pool.terminate()
            pool.join()
    if total == gate[0]:
        gate[1](found)
    return found, extra


def _do(n: int) -> Optional[bytes]:
    """Item ``n``'s result, as :func:`~symconv.core.workers.send` packs it; None: the parent runs it itself."""
    try:
        return send(_WORK[n]())
    except BaseException:  # noqa: B036 - the parent runs it again and raises what it raises, where it would
        return None
