r"""Jupyter display of the models: the formatters that :mod:`symconv.core.display` looks up.

Importing this module registers them, and the registry imports it the first
time a model is displayed. Markdown goes through the same templates as the
documents; LaTeX is the model's formula alone.

>>> from symconv import relationship
>>> relationship(1)._repr_latex_()
'$\\displaystyle o = i - k + 1$'
>>> relationship(1)._repr_markdown_().splitlines()[0]
'**Relationship 1: No zero padding, unit strides** (guide section 2.1, Figure 2.1)'
"""

from __future__ import annotations

from symconv.core import display
from symconv.core.printing import latex
from symconv.guide.derive import Derivation
from symconv.guide.model import Relationship
from symconv.present.render import derivation_markdown, proof_markdown, relationship_markdown
from symconv.proof.theorem import Proof


def relationship_latex(relationship: Relationship) -> str:
    """A relationship's equation, displayed."""
    return f"$\\displaystyle {latex(relationship.equation)}$"


def derivation_latex(derivation: Derivation) -> str:
    """What a derivation arrives at."""
    return "$" + latex(derivation.result) + "$"


def proof_latex(proof: Proof) -> str:
    """A proof's statement and status."""
    return "$" + latex(proof.theorem.statement) + r"$ \quad (\text{" + proof.status + "})"


display.register(Relationship, markdown=relationship_markdown, latex=relationship_latex)
display.register(Derivation, markdown=derivation_markdown, latex=derivation_latex)
display.register(Proof, markdown=proof_markdown, latex=proof_latex)
