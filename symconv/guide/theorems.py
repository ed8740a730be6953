"""The theorems symconv proves: the guide's relationships and the facts behind them.

Each is a :class:`~symconv.proof.Theorem` in the guide's letters, with the
oracle's sizes as its ground truth, proved by :func:`symconv.proof.prove`: a
certificate found by the prover, re-checked by the independent checker, and
confirmed by an SMT solver and by enumeration against the oracle.

>>> proof = prove(theorem("round-trip"))
>>> proof.status, proof.checked, proof.counterexample
('proved', True, None)
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from functools import lru_cache
from typing import Callable, Optional, Sequence

import sympy
from sympy import And, Eq, Ge, Le, Mod

from symconv.core import oracle
from symconv.core import symbols as S
from symconv.guide.catalogue import relationship
from symconv.guide.derive import general_output_size, transposed
from symconv.guide.gradient import gradient_theorem_parts
from symconv.core.errors import ParameterError, SymconvError
from symconv.guide.model import Equivalent
from symconv.proof import Proof, Theorem, enumerate_cases, prove

__all__ = ["Proof", "Theorem", "enumerate_cases", "prove", "prove_all", "theorem", "theorems"]

o_of_i = sympy.Symbol("o(i)", integer=True)  #: the output size of a named input size


# --- the theorems -------------------------------------------------------------------

def _conv_truth(env):
    i, k, s, d = env[S.i], env[S.k], env[S.s], env[S.d]
    before = env.get(S.p_l, env.get(S.p, 0))
    after = env.get(S.p_r, env.get(S.p, 0))
    return {S.o: oracle.count_positions(i, k, s, (before, after), d)}


def _transposed_truth(env):
    (o,) = _conv_truth(env).values()
    return {S.i_prime: o}


def _domain(before=S.p, after=S.p):
    return Ge(S.i + before + after, S.d * (S.k - 1) + 1)


def _equivalent(equivalent: Optional[Equivalent]) -> Equivalent:
    if equivalent is None:
        raise SymconvError("a transposed relationship or derivation has no equivalent convolution (a bug)")
    return equivalent


def _relationship_theorem(number: int) -> Theorem:
    rel = relationship(number)
    general = general_output_size().subs({S.p_l: S.p, S.p_r: S.p})
    hypotheses = (*rel.conditions, _domain())
    variables = (S.i, S.k, S.s, S.p, S.d, *((S.n,) if rel.conditions and any(
        c.has(S.n) for c in rel.conditions) else ()))
    if rel.kind != "transposed":
        return Theorem(f"relationship-{number}", f"Relationship {number}: {rel.title}", rel.equation,
                       hypotheses, ((S.o, general),), variables, _conv_truth)
    eq = _equivalent(rel.equivalent)
    derived_p = transposed().equivalent.p_prime.subs(S.p_l, S.p)
    statement = And(Eq(S.o_prime, S.i), Eq(eq.p_prime, derived_p))
    definitions = ((S.i_prime, general), (S.a, eq.a), (S.o_prime, rel.rhs))
    return Theorem(f"relationship-{number}",
                   f"Relationship {number}: the transpose recovers i, with the guide's p'",
                   statement, hypotheses, definitions, variables, _transposed_truth)


@lru_cache(maxsize=1)
def theorems() -> dict[str, Theorem]:
    """Every theorem symconv proves, by name."""
    i, k, s, d, p_l, p_r, a, o = S.i, S.k, S.s, S.d, S.p_l, S.p_r, S.a, S.o
    general = general_output_size()
    E = i + p_l + p_r - d * (k - 1) - 1
    tr = transposed()
    asym = (i, k, s, p_l, p_r, d)
    found = {t.name: t for t in (_relationship_theorem(n) for n in range(1, 16))}
    sized = s * (o - 1) + d * (k - 1) + 1 - p_l - p_r + a
    extra = [
        Theorem("output-size", "The counted output size is Relationship 15",
                Eq(o, relationship(15).rhs),
                (_domain(),), ((o, general.subs({p_l: S.p, p_r: S.p})),), (i, k, s, S.p, d), _conv_truth),
        Theorem("half-padding-dilated", "Odd k, p = d(k - 1)/2, s = 1: o = i, with any dilation",
                Eq(o, i), (Eq(k, 2 * S.n + 1), Eq(s, 1), Eq(S.p, d * S.n)),
                ((o, general.subs({p_l: S.p, p_r: S.p})),), (i, k, s, S.p, d, S.n), _conv_truth),
        Theorem("round-trip", "The transposed convolution with a recovers every i (dilation, asymmetric padding)",
                Eq(S.o_prime, i), (_domain(p_l, p_r),),
                ((S.i_prime, general), (a, tr.equivalent.a), (S.o_prime, tr.result.rhs)), asym, _transposed_truth),
        Theorem("a-range", "The extra zeros a are always in 0..s-1",
                And(Le(0, a, evaluate=False), Le(a, s - 1)), (_domain(p_l, p_r),), ((a, tr.equivalent.a),), asym),
        Theorem("ambiguity-same-output",
                "The s input sizes s(o - 1) + d(k - 1) + 1 - p_l - p_r + a, a = 0..s-1, all give o",
                Eq(o_of_i, o), (Le(0, a, evaluate=False), Le(a, s - 1), Ge(sized, 1)),
                ((o_of_i, general.subs(i, sized)),), (o, a, k, s, p_l, p_r, d),
                lambda env: {o_of_i: oracle.count_positions(
                    env[S.s] * (env[S.o] - 1) + env[S.d] * (env[S.k] - 1) + 1 - env[S.p_l] - env[S.p_r] + env[S.a],
                    env[S.k], env[S.s], (env[S.p_l], env[S.p_r]), env[S.d])}),
        Theorem("ambiguity-only-these", "Every input size that gives o is one of those s sizes",
                And(Eq(i, sized), Le(0, a, evaluate=False), Le(a, s - 1)), (_domain(p_l, p_r),),
                ((a, Mod(E, s)), (o, general)), asym, _conv_truth),
        Theorem("transposed-pytorch",
                "The derived o' is PyTorch's (i' - 1)s - p_l - p_r + d(k - 1) + output_padding + 1",
                Eq(S.o_prime, (S.i_prime - 1) * s - p_l - p_r + d * (k - 1) + a + 1), (),
                ((S.o_prime, tr.result.rhs),), (S.i_prime, k, s, p_l, p_r, d, a)),
        Theorem("gradient", "The input gradient is the transposed convolution: it connects the pairs of the"
                " transpose of C and restores i (dilation, asymmetric padding)", *gradient_theorem_parts(),
                _transposed_truth),
    ]
    found.update({t.name: t for t in extra})
    return found


def theorem(name: str) -> Theorem:
    """The theorem called ``name``; ``symconv prove`` lists them."""
    known = theorems()
    if name not in known:
        raise ParameterError("name", name, f"no theorem has that name; known: {', '.join(known)}")
    return known[name]


def prove_all(names: Optional[Sequence[str]] = None,
              progress: Optional[Callable[[str, str, int, int], None]] = None) -> list[Proof]:
    """Every theorem (or those named), in order; spread over the cores when there are several.

    Workers are forked after the catalogue is built, so each finds its theorem,
    oracle hook included, already in memory. Ctrl-C is the caller's alone: the
    workers ignore SIGINT (a worker that took it would print a traceback) and are
    stopped at once. ``progress(task, item, done, total)``, if given, is called as
    each proof begins (one at a time) or arrives (in parallel), and once at the end.
    """
    chosen = [theorem(n).name for n in (names or list(theorems()))]
    total = len(chosen)
    proofs: list[Proof] = []

    def report(item: str) -> None:
        if progress is not None:
            progress("prove", item, len(proofs), total)

    workers = min(os.cpu_count() or 1, len(chosen) // 4)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for name in chosen:
            report(name)
            proofs.append(prove(theorem(name)))
    else:
        # SIGINT is blocked while the workers are forked, so none of them can take it before it ignores it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        try:
            report(chosen[0])
            for name, proof in zip(chosen[1:] + [""], pool.imap(_prove_named, chosen)):
                proofs.append(proof)
                if name:
                    report(name)
        finally:
            pool.terminate()
            pool.join()
    if progress is not None:
        progress("prove", "", total, total)
    return proofs


def _worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _prove_named(name: str) -> Proof:
    return prove(theorem(name))
