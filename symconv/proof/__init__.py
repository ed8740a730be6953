"""Proofs for all integers: search, an independent check, a second opinion, and enumeration.

The pipeline of :func:`prove`, one module a stage:

- :mod:`.facts` turns a theorem into starting facts and a goal, and :mod:`.prover`
  (with :mod:`.farkas` for its linear programs) searches for a :mod:`.certificate`:
  a tree of rules (the division algorithm, substitution, case splits,
  nonnegative combinations);
- :mod:`.checker`, which shares no code with the prover, re-checks every step
  of the certificate before the word ``proved`` is given;
- :mod:`.smt` asks an SMT solver for a model of the negation: a second opinion
  that only ever adds evidence;
- :mod:`.enumeration` evaluates every case of a box against the oracle;
- :mod:`.coq` exports a theorem and its certificate to Coq, whose kernel checks it.
"""

from symconv.proof.enumeration import enumerate_cases
from symconv.proof.pipeline import prove
from symconv.proof.theorem import Proof, Status, Theorem

__all__ = ["Proof", "Status", "Theorem", "enumerate_cases", "prove"]

