"""A step of a derivation or a proof: a statement and the reason it holds.

Derivations (:mod:`symconv.guide.derive`), proofs (:mod:`symconv.proof`) and
the simplification of stacks (:mod:`symconv.layers`) all narrate their work as
steps, and the renderers typeset them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy


@dataclass(frozen=True)
class Step:
    """One step: a sympy statement (equation, inequality or solved system) and why it holds."""

    statement: sympy.Basic
    justification: str
