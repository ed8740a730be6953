"""``prove``: enumeration, z3's second opinion, the search and the independent check, one after another.

The status is decided by evidence, and only the checker can give ``proved``:

============================  ===================  ===========================
checker accepted a proof       a counterexample     status
============================  ===================  ===========================
yes                            none                 ``proved``
yes                            yes                  ``conflict`` (a bug, never a result)
no                             yes                  ``disproved``
no                             none                 ``unproved``, with the reason
============================  ===================  ===========================

A counterexample comes from enumerating the box against the oracle, or from the
SMT solver, whose model is re-evaluated exactly before it counts. Either one,
found first, cuts the search's budget short (:data:`KNOWN_FALSE_SECONDS`).

The solver runs before the search, not beside it in a thread: z3's Python API
takes and leaves the interpreter lock at every call, and the two threads
handing it to each other cost more processor time than the overlap saved
(about a tenth of a scheme check's, measured on two cores, where the cores are
already busy with one check item each).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

import sympy
from sympy import Eq, Tuple

from symconv.core.steps import Step
from symconv.core.errors import ParameterError
from symconv.proof import cache as proof_cache
from symconv.proof import certificate as C
from symconv.proof.checker import CheckError, check
from symconv.proof.enumeration import enumerate_cases
from symconv.proof.prover import Budget, Unproved, refutes_hypotheses, search
from symconv.proof.smt import BACKENDS, SmtResult, refute
from symconv.proof.theorem import Proof, Status, Theorem

#: The SMT solver's budget for one claim, in milliseconds of work (a resource count, not the wall clock);
#: running out is reported as ``timeout``, never an error.
SMT_TIMEOUT_MS = 2000
#: The search's budget once a counterexample is known: it still runs, so that a checked proof of a
#: false claim (a bug) shows up as ``conflict``, but it need not run long.
KNOWN_FALSE_SECONDS = 1.0


def prove(theorem: Theorem, ranges: Optional[Mapping[sympy.Symbol, range]] = None, *,
          budget: Optional[Budget] = None, smt: bool = True, backend: str = "z3", cache: bool = True) -> Proof:
    """Prove ``theorem`` for all integers, and check it against the oracle on ``ranges``.

    ``backend`` names the second opinion (a key of :data:`symconv.proof.smt.BACKENDS`,
    as sympy's ``satisfiable(algorithm=...)`` names its solver); ``smt=False`` asks none.
    With ``cache`` (and unless ``SYMCONV_NO_CACHE`` is set), a certificate found before is
    taken from :mod:`.cache` instead of searched for, and re-checked by the checker like a new one.

    >>> from symconv.guide.theorems import theorem
    >>> proof = prove(theorem("round-trip"))
    >>> proof.status, proof.checked, proof.smt.verdict
    ('proved', True, 'unsat')
    """
    if not isinstance(theorem, Theorem):
        raise ParameterError("theorem", type(theorem).__name__, "expected a Theorem")
    if budget is not None and not isinstance(budget, Budget):
        raise ParameterError("budget", type(budget).__name__, "expected a symconv.proof.prover.Budget")
    if backend not in BACKENDS:
        raise ParameterError("backend", backend, f"the second opinion must be one of: {', '.join(BACKENDS)}")
    theorem.validate()
    cases, counterexample = enumerate_cases(theorem, ranges)
    budget = dataclasses.replace(budget or Budget())  # a copy: a counterexample shortens it
    if counterexample is not None:
        budget.shorten(KNOWN_FALSE_SECONDS)
    opinion: Optional[SmtResult] = None
    if smt:
        opinion = refute(theorem, backend=backend, timeout_ms=SMT_TIMEOUT_MS)
        if opinion.verdict == "sat":
            budget.shorten(KNOWN_FALSE_SECONDS)

    header = [Step(Tuple(*theorem.hypotheses, theorem.statement) if theorem.hypotheses else theorem.statement,
                   "to prove, under the hypotheses")]
    if theorem.definitions:
        # unevaluated: the definition as written (evaluating it asks sympy's assumptions, for nothing)
        header.append(Step(Tuple(*(Eq(symbol, value, evaluate=False) for symbol, value in theorem.definitions)),
                           "where"))
    certificate: Optional[C.Certificate] = None
    try:
        certificate, verified = _cached(theorem) if cache else (None, ())
        if certificate is None:
            certificate = search(theorem, budget)
            verified = check(theorem, certificate)
            if cache:
                proof_cache.store(theorem, certificate)
        steps = tuple(header) + verified
        checked, reason, ran_out = True, "", False
    except Unproved as failure:
        steps, checked, reason, ran_out = tuple(header), False, failure.reason, failure.budget
    except CheckError as rejection:  # the prover is wrong somewhere: never believe it
        reason = f"the checker rejected the certificate: {rejection}"
        steps, checked, ran_out = tuple(header), False, False
    found_by = "enumeration" if counterexample is not None else ""
    if counterexample is None and opinion is not None and opinion.verdict == "sat":
        counterexample, found_by = opinion.counterexample, "z3"
    known_false = counterexample is not None

    status: Status
    vacuous = False
    if checked and known_false:
        status, reason = "conflict", "a checked proof and a counterexample: a bug in symconv"
    elif checked:
        status = "proved"
        vacuous = cases == 0 and _vacuous(theorem)
    elif known_false:
        status = "disproved"
        reason = reason if not ran_out else f"{reason} (after a counterexample was found)"
    else:
        status = "unproved"
        if opinion is not None and opinion.verdict in ("unknown", "timeout", "unsupported"):
            reason += f"; the SMT solver: {opinion.verdict}" + (f" ({opinion.reason})" if opinion.reason else "")
        elif opinion is not None and opinion.verdict == "unsat":
            reason += "; the SMT solver finds no counterexample, but that alone is not a checked proof"
    if status == "unproved":
        steps = steps + (Step(sympy.false, f"unproved: {reason}"),)
    return Proof(theorem, status, steps, cases, counterexample, reason, certificate if checked else None,
                 checked, opinion, vacuous, ran_out, found_by)


def _cached(theorem: Theorem) -> tuple[Optional[C.Certificate], tuple[Step, ...]]:
    """A stored certificate that the checker accepts now, with the steps it verified; else (None, ())."""
    certificate = proof_cache.load(theorem)
    if certificate is None:
        return None, ()
    try:
        return certificate, check(theorem, certificate)
    except Exception:  # corrupt, stale or tampered with (anything the checker raises): searched for again
        proof_cache.discard(theorem)
        return None, ()


def _vacuous(theorem: Theorem) -> bool:
    """Whether the hypotheses contradict each other, by a certificate checked like any other.

    Only tried when no case of the box satisfied them: a contradiction leaves none.
    """
    if not theorem.hypotheses:
        return False
    try:
        check(dataclasses.replace(theorem, statement=sympy.false), refutes_hypotheses(theorem, Budget(programs=300)))
    except (Unproved, CheckError):
        return False
    return True
