"""What the derivation documents say, assembled from the engine.

Everything a document shows is computed here: derivations, proofs,
verification counts, worked examples and figures. The render stage only
formats this data; it never solves anything.

>>> doc = build_document(Box(input_size=6, kernel_size=3, stride=2, dilation=2), schemes=False)
>>> len(doc.sections), doc.sections[13].example.transposed.a
(15, 1)
>>> doc.matrix.c.shape, doc.matrix.c_transposed.rows == doc.matrix.equivalent.rows
((4, 16), True)
>>> doc.gradient.proof.status, doc.gradient.check.failures
('proved', 0)
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from symconv.present import captions, figures, matrix
from symconv.guide.catalogue import relationships
from symconv.guide.derive import Derivation, output_size, specialise, transposed
from symconv.guide.theorems import Proof, biggest_first, prove, theorems
from symconv.guide.queries import transpose
from symconv.guide.model import Equivalent, Relationship
from symconv.guide.shapes import Size, conv_output_size, pool_output_size
from symconv.guide.gradient import gradient
from symconv.guide.verification import Box, Check, check_gradient, check_kronecker, check_relationship

#: The guide's example of section 4.1: a 3×3 kernel over a 4×4 input, no padding, unit strides.
MATRIX_EXAMPLE = {"input_size": 4, "kernel_size": 3}


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
class MatrixSection:
    """The guide's section 4.1: C of its example, Cᵀ, and the equivalent direct convolution's matrix beside it."""

    values: Mapping[str, int]
    c: matrix.MatrixView
    c_transposed: matrix.MatrixView
    equivalent: matrix.MatrixView
    figure: figures.Figure  #: the convolution that C is
    equivalent_figure: figures.Figure  #: the direct convolution equivalent to its transpose


@dataclass(frozen=True)
class GradientSection:
    """The backward pass: derived, proved by the kernel, verified against the oracle's matrices."""

    derivation: Derivation
    proof: Proof
    check: Check


@dataclass(frozen=True)
class Document:
    title: str
    box: Box
    general: tuple[Derivation, ...]
    sections: tuple[Section, ...]
    theorems: tuple[Proof, ...]
    kronecker: Check
    schemes: tuple[Any, ...] = ()
    matrix: Optional[MatrixSection] = None
    gradient: Optional[GradientSection] = None
    #: The Coq files of the proofs, exported by the workers that proved them (``build_document(coq=True)``)
    coq_files: tuple[Any, ...] = ()

    @property
    def cases(self) -> int:
        """The catalogue's cases (as ``symconv verify`` counts them); the gradient's check counts its own."""
        return sum(section.check.cases for section in self.sections) + self.kronecker.cases

    @property
    def failures(self) -> int:
        return sum(section.check.failures for section in self.sections) + self.kronecker.failures

    @property
    def proofs(self) -> tuple[Proof, ...]:
        """Every proof the document shows, each once: the relationships', the other theorems', the schemes'."""
        found = [section.proof for section in self.sections] + list(self.theorems)
        found += [self.gradient.proof] if self.gradient else []
        for report in self.schemes:
            found += _report_proofs(report)
        unique: dict[str, Proof] = {}
        for proof in found:
            unique.setdefault(proof.name, proof)
        return tuple(unique.values())


def _report_proofs(report: Any) -> list[Proof]:
    """A scheme report's proofs: its sides', its claims', the transpose's."""
    found = [result.proof for _, result in report.padding] + [result.proof for result in report.claims]
    return found + ([report.transposed.recovers.proof] if report.transposed is not None else [])


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
        return Example(values, size, None), figures.layer_figure("pool", i, k, s, p, d)
    size = conv_output_size(i, k, s, p, d)
    if rel.kind == "transposed":
        # Drawn from the transposed layer's own values (i', a), so its caption gives every number (k' = 3);
        # the guide's words for the convolution it transposes come first.
        equivalent = transpose(k, s, p, d, input_size=i)
        figure = figures.layer_figure("transposed", equivalent.input_size, k, s, p, d, output_padding=equivalent.a)
        direct = captions.Layer(2, ((i, k, s, (p, p), d, 0),) * 2)
        words = f"The transpose of {captions.convolving(direct)} (i.e., {captions.listing(captions.named(direct))})."
        caption = f"{words[:-1]}: {figure.caption[:1].lower()}{figure.caption[1:]}"
        return Example(values, size, equivalent), dataclasses.replace(figure, caption=caption)
    return Example(values, size, None), figures.convolution_figure(i, k, s, p, d)


def build_matrix_section(values: Optional[Mapping[str, Any]] = None) -> MatrixSection:
    """C, Cᵀ and the equivalent direct convolution's matrix for ``values`` (keyword arguments of
    :func:`symconv.present.matrix.connectivity_matrix`; the guide's example by default)."""
    values = dict(MATRIX_EXAMPLE if values is None else values)
    c = matrix.connectivity_matrix(**values)
    i, k = values["input_size"], values["kernel_size"]
    s, p, d = values.get("stride", 1), values.get("padding", 0), values.get("dilation", 1)
    equivalent = transpose(k, s, p, d, input_size=i)
    return MatrixSection(
        values, c, matrix.transpose(c), matrix.equivalent_matrix(**values),
        figures.layer_figure("conv", i, k, s, p, d),
        figures.layer_figure("transposed", equivalent.input_size, k, s, p, d, output_padding=equivalent.a))


def _scheme_groups(schemes: list) -> list[tuple]:
    """The schemes in groups that one worker checks in turn, largest first: schemes with the same raw output size
    (TF's SAME and ONNX's SAME_LOWER split the same padding two ways) go together, so that the second finds
    the expressions the first built (:mod:`symconv.core.rebuild`) rather than building them again."""
    import sympy

    from symconv.schemes.simplify import raw_output_size

    groups: dict[Any, list] = {}
    for scheme in schemes:
        groups.setdefault(raw_output_size(scheme), []).append(scheme)
    ordered = sorted(groups.items(), key=lambda pair: -len(pair[1]) * sympy.count_ops(pair[0]))
    return [tuple(group) for _, group in ordered]


def _check_schemes(group: tuple, coq: bool) -> Optional[bytes]:
    """The group's reports and, with ``coq``, their proofs' Coq files, as :func:`~symconv.core.workers.send` packs
    them (None: the parent checks them). Exported here, the proofs find the expressions their check built."""
    from symconv.core.workers import send
    from symconv.schemes import check_scheme

    reports = tuple(check_scheme(scheme) for scheme in group)
    return send((reports, _coq_files([proof for report in reports for proof in _report_proofs(report)])
                 if coq else ()))


def _prove_theorem(name: str, coq: bool) -> Optional[bytes]:
    """Theorem ``name``'s proof and, with ``coq``, its Coq file, packed as :func:`_check_schemes` packs reports."""
    from symconv.core.workers import send

    proof = prove(theorems()[name])
    return send((proof, _coq_files([proof]) if coq else ()))


def _coq_files(proofs: list) -> tuple:
    """The Coq file of each proof; one the export refuses is left to the parent's export, which says why, and
    one whose name differs from the parent's is made again there."""
    from symconv.proof.coq import export_proofs

    return tuple(export_proofs(proofs, refused={}))


def _received(group: tuple, sent: Optional[bytes]) -> tuple[tuple, tuple]:
    from symconv.core.workers import receive
    from symconv.schemes import check_scheme

    return (tuple(check_scheme(scheme) for scheme in group), ()) if sent is None else receive(sent)


def _received_proof(name: str, sent: Optional[bytes]) -> tuple[Proof, tuple]:
    from symconv.core.workers import receive

    return (prove(theorems()[name]), ()) if sent is None else receive(sent)


def build_document(box: Optional[Box] = None, schemes: bool = True,
                   progress: Optional[Callable[[str, str, int, int], None]] = None, coq: bool = False) -> Document:
    """Assemble every derivation, proof, check and example, and check the built-in padding schemes.

    The theorems are proved and the schemes checked in worker processes, one per
    core (they are independent of each other and of the rest), while this process
    derives, verifies and draws. ``box`` is the enumeration box of the checks (by
    default, :class:`Box`'s). ``progress(task, item, done, total)``, if given, is
    called before each part (a relationship, the Kronecker form, the gradient,
    the workers' proofs, the schemes) and once at the end. With ``coq``, the workers also export their
    proofs to Coq (``Document.coq_files``).
    """
    box = Box() if box is None else box
    from symconv.schemes import builtin_schemes

    known = theorems()
    catalogue = relationships()
    general = [name for name in known if not name.startswith("relationship-") and name != "gradient"]
    proved = biggest_first([f"relationship-{number}" for number in catalogue] + general + ["gradient"])
    total, done = len(catalogue) + 4, 0

    def step(item: str) -> None:
        nonlocal done
        if progress is not None:
            progress("render", item, done, total)
        done += 1

    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        # The theorems first: the workers (forked with the catalogue in memory) prove them while the schemes
        # are read here; then the schemes' checks, the longest first.
        proving = {name: pool.submit(_prove_theorem, name, coq) for name in proved}
        builtin = list(builtin_schemes().values()) if schemes else []
        groups = _scheme_groups(builtin)
        pending = [pool.submit(_check_schemes, group, coq) for group in groups]
        exported: list[Any] = []

        def proof_of(name: str) -> Proof:
            proof, files = _received_proof(name, proving[name].result())
            exported.extend(files)
            return proof

        parts = []  # what this process makes while the workers prove
        for number, rel in catalogue.items():
            step(f"Relationship {number}")
            parts.append((rel, specialise(number), check_relationship(rel, box), *_example(rel)))
        step("the Kronecker form")
        kronecker = check_kronecker(box)
        step("the gradient")
        derived, backward_check = gradient(), check_gradient(box)
        step("the proofs")
        sections = [Section(rel, derivation, proof_of(f"relationship-{rel.number}"), check, example, figure)
                    for rel, derivation, check, example, figure in parts]
        general_proofs = tuple(proof_of(name) for name in general)
        backward = GradientSection(derived, proof_of("gradient"), backward_check)
        step("the padding schemes")
        checked: dict[str, Any] = {}
        for group, future in zip(groups, pending):
            reports, files = _received(group, future.result())
            checked.update((report.scheme.name, report) for report in reports)
            exported += files
        reports = tuple(checked[s.name] for s in builtin)
        if progress is not None:
            progress("render", "", total, total)
    return Document(
        title="Convolution arithmetic for deep learning",
        box=box, general=(output_size(), transposed()), sections=tuple(sections),
        theorems=general_proofs, kronecker=kronecker, schemes=reports,
        matrix=build_matrix_section(), gradient=backward, coq_files=tuple(exported))
