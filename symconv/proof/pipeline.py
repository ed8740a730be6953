"""``prove``: enumeration, a second opinion, the search, and the independent check, in that order.

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
SMT solver, whose model is re-evaluated exactly before it counts.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

import sympy
from sympy import Eq, Tuple

from ..derive import Step
from . import certificate as C
from .checker import CheckError, check
from .enumeration import enumerate_cases
from .prover import Budget, Unproved, refutes_hypotheses, search
from .smt import SmtResult, refute
from .theorem import Proof, Status, Theorem

#: Seconds the SMT solver may spend on one claim; its time-outs are reported, never an error.
SMT_TIMEOUT_MS = 2000
#: The search's budget once a counterexample is known: it still runs, so that a checked proof of a
#: false claim (a bug) shows up as ``conflict``, but it need not run long.
KNOWN_FALSE_SECONDS = 1.0


def prove(theorem: Theorem, ranges: Optional[Mapping[sympy.Symbol, range]] = None, *,
          budget: Optional[Budget] = None, smt: bool = True) -> Proof:
    """Prove ``theorem`` for all integers, and check it against the oracle on ``ranges``.

    >>> from symconv.proofs import theorem
    >>> proof = prove(theorem("round-trip"))
    >>> proof.status, proof.checked, proof.smt.verdict
    ('proved', True, 'unsat')
    """
    if not isinstance(theorem, Theorem):
        from ..errors import ParameterError

        raise ParameterError("theorem", type(theorem).__name__, "expected a Theorem")
    theorem.validate()
    cases, counterexample = enumerate_cases(theorem, ranges)
    opinion: Optional[SmtResult] = refute(theorem, timeout_ms=SMT_TIMEOUT_MS) if smt else None
    if counterexample is None and opinion is not None and opinion.verdict == "sat":
        counterexample = opinion.counterexample
    known_false = counterexample is not None
    budget = budget or Budget()
    if known_false:
        budget = dataclasses.replace(budget, seconds=min(budget.seconds, KNOWN_FALSE_SECONDS))

    header = [Step(Tuple(*theorem.hypotheses, theorem.statement) if theorem.hypotheses else theorem.statement,
                   "to prove, under the hypotheses")]
    if theorem.definitions:
        header.append(Step(Tuple(*(Eq(symbol, value) for symbol, value in theorem.definitions)), "where"))
    certificate: Optional[C.Certificate] = None
    try:
        certificate = search(theorem, budget)
        steps = tuple(header) + check(theorem, certificate)
        checked, reason, ran_out = True, "", False
    except Unproved as failure:
        steps, checked, reason, ran_out = tuple(header), False, failure.reason, failure.budget
    except CheckError as rejection:  # the prover is wrong somewhere: never believe it
        steps, checked, reason, ran_out = tuple(header), False, f"the checker rejected the certificate: {rejection}", False

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
                 checked, opinion, vacuous, ran_out)


def _vacuous(theorem: Theorem) -> bool:
    """Whether the hypotheses contradict each other, by a certificate checked like any other.

    Only tried when no case of the box satisfied them: a contradiction leaves none.
    """
    if not theorem.hypotheses:
        return False
    try:
        check(dataclasses.replace(theorem, statement=sympy.false), refutes_hypotheses(theorem, Budget(seconds=2.0)))
    except (Unproved, CheckError):
        return False
    return True
