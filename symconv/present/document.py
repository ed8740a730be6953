"""What the derivation documents say, assembled from the engine.

Everything a document shows is computed here: derivations, proofs,
verification counts, worked examples and figures. The render stage only
formats this data; it never solves anything.

>>> doc = build_document(Box(input_size=6, kernel_size=3, stride=2, dilation=2), schemes=False)
>>> len(doc.sections), doc.sections[13].example.transposed.a
(15, 1)
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from symconv.present import figures
from symconv.guide.catalogue import relationships
from symconv.guide.derive import Derivation, output_size, specialise, transposed
from symconv.guide.theorems import Proof, prove, theorems
from symconv.guide.queries import transpose
from symconv.guide.model import Equivalent, Relationship
from symconv.guide.shapes import Size, conv_output_size, pool_output_size
from symconv.guide.verification import Box, Check, check_kronecker, check_relationship


@dataclass(frozen=True)
class Example:
    """A worked example: the guide's figure values and what the engine computes for them."""

    values: Mapping[str, int]
    output_size: Size
    transposed: Optional[Equivalent]


@dataclass(frozen=True)
class Section:
    relationship: Relationship
    derivation: Derivation
    proof: Proof
    check: Check
    example: Example
    figure: figures.Figure


@dataclass(frozen=True)
class Document:
    title: str
    box: Box
    general: tuple[Derivation, ...]
    sections: tuple[Section, ...]
    theorems: tuple[Proof, ...]
    kronecker: Check
    schemes: tuple[Any, ...] = ()

    @property
    def cases(self) -> int:
        return sum(section.check.cases for section in self.sections) + self.kronecker.cases

    @property
    def failures(self) -> int:
        return sum(section.check.failures for section in self.sections) + self.kronecker.failures

    @property
    def proofs(self) -> tuple[Proof, ...]:
        """Every proof the document shows, each once: the relationships', the other theorems', the schemes'."""
        found = [section.proof for section in self.sections] + list(self.theorems)
        for report in self.schemes:
            found += [result.proof for _, result in report.padding] + [result.proof for result in report.claims]
            found += [report.transposed.recovers.proof] if report.transposed is not None else []
        unique: dict[str, Proof] = {}
        for proof in found:
            unique.setdefault(proof.name, proof)
        return tuple(unique.values())


@dataclass(frozen=True)
class StackDocument:
    """A stack's derivation: sizes layer by layer, receptive fields, and which inputs work."""

    spec: str
    layers: tuple[str, ...]
    steps: tuple[Any, ...]
    output_size: Any
    receptive_fields: tuple[Any, ...]
    decisions: tuple[tuple[Any, tuple[Any, ...]], ...]


def build_stack_document(net) -> StackDocument:
    """Everything the stack document shows: simplification steps, receptive fields, decisions with their proofs."""
    from symconv import layers as stack

    decisions = [stack.valid_input_sizes(net), stack.same_size_inputs(net)]
    if net.pairs:
        decisions.append(stack.aligned_inputs(net))
    return StackDocument(
        spec=str(net), layers=tuple(str(layer) for layer in net.layers), steps=stack.simplification_steps(net),
        output_size=stack.output_size(net), receptive_fields=tuple(stack.receptive_fields(net)),
        decisions=tuple((decision, stack.decision_steps(decision)) for decision in decisions))


def _example(rel: Relationship) -> tuple[Example, figures.Figure]:
    values = dict(rel.example)
    i, k, s, p, d = (values.get(name, default) for name, default in
                     (("i", 0), ("k", 0), ("s", 1), ("p", 0), ("d", 1)))
    if rel.kind == "pool":
        size = pool_output_size(i, k, s, p, d)
    else:
        size = conv_output_size(i, k, s, p, d)
    if rel.kind == "transposed":
        return (Example(values, size, transpose(k, s, p, d, input_size=i)),
                figures.transposed_figure(i, k, s, p, d))
    return Example(values, size, None), figures.convolution_figure(i, k, s, p, d)


def build_document(box: Optional[Box] = None, schemes: bool = True) -> Document:
    """Assemble every derivation, proof, check and example, and check the built-in padding schemes.

    The schemes are checked in worker processes (they are independent of the
    rest), so a two-core machine builds the whole document in about half the time.
    ``box`` is the enumeration box of the checks (by default, :class:`Box`'s).
    """
    box = Box() if box is None else box
    from symconv.schemes import builtin_schemes, check_scheme

    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pending = [pool.submit(check_scheme, s) for s in builtin_schemes().values()] if schemes else []
        known = theorems()
        sections = []
        for number, rel in relationships().items():
            example, figure = _example(rel)
            sections.append(Section(rel, specialise(number), prove(known[f"relationship-{number}"]),
                                    check_relationship(rel, box), example, figure))
        general_proofs = tuple(prove(t) for name, t in known.items() if not name.startswith("relationship-"))
        kronecker = check_kronecker(box)
        reports = tuple(future.result() for future in pending)
    return Document(
        title="Convolution arithmetic, derived, proved and verified",
        box=box, general=(output_size(), transposed()), sections=tuple(sections),
        theorems=general_proofs, kronecker=kronecker, schemes=reports)
