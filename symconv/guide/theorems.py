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

import os
from functools import lru_cache
from typing import Callable, Mapping, Optional, Sequence

import numpy as np
import sympy
from sympy import And, Eq, Ge, Le, Mod

from symconv.core.workers import can_fork, forked_pool, receive, send
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

class _Truth:
    """The oracle's sizes at one case (a call) or at every case of a box at once (``batch``).

    ``sizes(env, count)`` reads the case's values from ``env`` and counts kernel positions with
    ``count``: :func:`~symconv.core.oracle.count_positions` for one case, its batch twin (the same
    brute-force walk, every case at once) for a box. Either way nothing here uses a formula that
    the theorems check.
    """

    def __init__(self, sizes: Callable[[Mapping, Callable], dict]) -> None:
        self.sizes = sizes

    def __call__(self, env: Mapping) -> dict:
        return self.sizes(env, oracle.count_positions)

    def batch(self, env: Mapping[sympy.Symbol, np.ndarray]) -> dict:
        return self.sizes(_Exact(env), oracle.count_positions_batch)


class _Exact(dict):
    """The box's columns, each (when read) in int64 while sums and products of a few of them cannot wrap,
    else as Python ints, which never do."""

    def __init__(self, columns: Mapping[sympy.Symbol, np.ndarray]) -> None:
        super().__init__()
        self.columns = columns

    def __missing__(self, symbol: sympy.Symbol) -> np.ndarray:
        values = np.asarray(self.columns[symbol])
        small = values.dtype.kind in "iu" and (values.size == 0 or int(np.abs(values).max()) < 2**31)
        self[symbol] = values.astype(np.int64 if small else object)
        return self[symbol]

    def get(self, symbol, default=None):
        return self[symbol] if symbol in self.columns else default


def _conv_sizes(env, count):
    i, k, s, d = env[S.i], env[S.k], env[S.s], env[S.d]
    before = env.get(S.p_l, env.get(S.p, 0))
    after = env.get(S.p_r, env.get(S.p, 0))
    return {S.o: count(i, k, s, (before, after), d)}


def _transposed_sizes(env, count):
    return {S.i_prime: _conv_sizes(env, count)[S.o]}


def _ambiguity_sizes(env, count):
    i = env[S.s] * (env[S.o] - 1) + env[S.d] * (env[S.k] - 1) + 1 - env[S.p_l] - env[S.p_r] + env[S.a]
    return {o_of_i: count(i, env[S.k], env[S.s], (env[S.p_l], env[S.p_r]), env[S.d])}


_conv_truth = _Truth(_conv_sizes)
_transposed_truth = _Truth(_transposed_sizes)


def _domain(before=S.p, after=S.p):
    return Ge(S.i + before + after, S.d * (S.k - 1) + 1, evaluate=False)


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
    statement = And(Eq(S.o_prime, S.i, evaluate=False), Eq(eq.p_prime, derived_p, evaluate=False))
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
    # Relations built unevaluated: sympy cannot decide them (they are the theorems), and asking costs its
    # assumptions system a query per relation; the objects are the same.
    a_range = (Le(0, a, evaluate=False), Le(a, s - 1, evaluate=False))
    extra = [
        Theorem("output-size", "The counted output size is Relationship 15",
                Eq(o, relationship(15).rhs, evaluate=False),
                (_domain(),), ((o, general.subs({p_l: S.p, p_r: S.p})),), (i, k, s, S.p, d), _conv_truth),
        Theorem("half-padding-dilated", "Odd k, p = d(k - 1)/2, s = 1: o = i, with any dilation",
                Eq(o, i, evaluate=False), (Eq(k, 2 * S.n + 1, evaluate=False), Eq(s, 1, evaluate=False),
                                            Eq(S.p, d * S.n, evaluate=False)),
                ((o, general.subs({p_l: S.p, p_r: S.p})),), (i, k, s, S.p, d, S.n), _conv_truth),
        Theorem("round-trip", "The transposed convolution with a recovers every i (dilation, asymmetric padding)",
                Eq(S.o_prime, i, evaluate=False), (_domain(p_l, p_r),),
                ((S.i_prime, general), (a, tr.equivalent.a), (S.o_prime, tr.result.rhs)), asym, _transposed_truth),
        Theorem("a-range", "The extra zeros a are always in 0..s-1",
                And(*a_range), (_domain(p_l, p_r),), ((a, tr.equivalent.a),), asym),
        Theorem("ambiguity-same-output",
                "The s input sizes s(o - 1) + d(k - 1) + 1 - p_l - p_r + a, a = 0..s-1, all give o",
                Eq(o_of_i, o, evaluate=False), (*a_range, Ge(sized, 1, evaluate=False)),
                ((o_of_i, general.subs(i, sized)),), (o, a, k, s, p_l, p_r, d), _Truth(_ambiguity_sizes)),
        Theorem("ambiguity-only-these", "Every input size that gives o is one of those s sizes",
                And(Eq(i, sized, evaluate=False), *a_range), (_domain(p_l, p_r),),
                ((a, Mod(E, s)), (o, general)), asym, _conv_truth),
        Theorem("transposed-pytorch",
                "The derived o' is PyTorch's (i' - 1)s - p_l - p_r + d(k - 1) + output_padding + 1",
                Eq(S.o_prime, (S.i_prime - 1) * s - p_l - p_r + d * (k - 1) + a + 1, evaluate=False), (),
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
    oracle hook included, already in memory; the biggest theorems go first, so
    that no core is left with a long one at the end. Ctrl-C is the caller's alone: the
    workers ignore SIGINT (a worker that took it would print a traceback) and are
    stopped at once. ``progress(task, item, done, total)``, if given, is called as
    each proof begins (one at a time) or arrives (in parallel), and once at the end.
    """
    chosen = [theorem(n).name for n in (names or list(theorems()))]
    total = len(chosen)
    proofs: list[Optional[Proof]] = [None] * total
    done = 0

    def report(item: str) -> None:
        if progress is not None:
            progress("prove", item, done, total)

    workers = min(os.cpu_count() or 1, len(chosen) // 4)
    if not can_fork(workers):
        for n, name in enumerate(chosen):
            report(name)
            proofs[n] = prove(theorem(name))
            done += 1
    else:
        pool = forked_pool(workers)
        try:
            order = sorted(range(total), key=lambda n: _size(theorem(chosen[n])), reverse=True)
            report(chosen[order[0]])
            for n, sent in pool.imap_unordered(_prove_numbered, [(n, chosen[n]) for n in order]):
                proofs[n] = prove(theorem(chosen[n])) if sent is None else receive(sent)
                done += 1
                if done < total:
                    report(chosen[n])
        finally:
            pool.terminate()
            pool.join()
    if progress is not None:
        progress("prove", "", total, total)
    return [proof for proof in proofs if proof is not None]


def biggest_first(names: Sequence[str]) -> list[str]:
    """The theorems called ``names``, the biggest first (the order in which to hand them to workers, so that
    no core is left with a long one at the end); ties keep their order."""
    return sorted(names, key=lambda name: _size(theorem(name)), reverse=True)


def _size(claim: Theorem) -> tuple[int, int, int]:
    """How big a theorem is, to start the biggest first: its variables (the box's dimensions), then its
    definitions and hypotheses (what the search unfolds)."""
    return len(claim.variables), len(claim.definitions), len(claim.hypotheses)


def _prove_numbered(job: tuple[int, str]) -> tuple[int, Optional[bytes]]:
    number, name = job
    return number, send(prove(theorem(name)))
