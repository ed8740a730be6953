"""``prove_all`` over several processes gives what proving one theorem at a time in this process gives.

Proofs come back from the workers pickled and are rebuilt unevaluated (each sympy object as the worker had
it); these tests compare them, step by step, with proofs made here, and check that rebuilding leaves
sympy's cache as it should be.
"""

import pickle

import pytest
import sympy

from symconv.core.workers import receive, send
from symconv.guide import theorems as T
from symconv.guide.theorems import prove, prove_all, theorem, theorems

NAMES = ["gradient", "relationship-1", "ambiguity-same-output", "a-range", "relationship-9", "round-trip",
         "transposed-pytorch", "relationship-14", "half-padding-dilated"]


def _same(here, there):
    assert there.name == here.name and there.status == here.status and there.cases == here.cases
    assert there.checked == here.checked and there.counterexample == here.counterexample
    assert there.certificate == here.certificate
    assert [sympy.srepr(step.statement) for step in there.steps] == [sympy.srepr(step.statement) for step in here.steps]
    assert [step.justification for step in there.steps] == [step.justification for step in here.steps]
    assert there.smt.verdict == here.smt.verdict


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the parallel path needs fork")
def test_parallel_proofs_are_the_proofs_made_here(monkeypatch):
    monkeypatch.setattr(T.os, "cpu_count", lambda: 2)  # two workers, whatever the machine
    seen = []
    proofs = prove_all(NAMES, progress=lambda task, item, done, total: seen.append((item, done, total)))
    assert [p.name for p in proofs] == NAMES  # in the order asked, whatever order they were proved in
    for proof in proofs:
        _same(prove(theorem(proof.name)), proof)
    # once as the first begins, then as each arrives (the last one's arrival is the end), then at the end
    assert seen[-1] == ("", len(NAMES), len(NAMES)) and len(seen) == len(NAMES) + 1
    assert [done for _, done, _ in seen] == list(range(len(NAMES) + 1))
    assert seen[0][0] == "gradient" and {item for item, _, _ in seen[1:-1]} < set(NAMES)


def test_the_biggest_theorems_go_first():
    order = sorted(theorems(), key=lambda name: T._size(theorem(name)), reverse=True)
    assert order[0] == "gradient" and order.index("ambiguity-same-output") < order.index("relationship-1")


def test_received_proofs_are_rebuilt_exactly_and_leave_the_cache_clean():
    x, y = sympy.symbols("x y")
    proof = prove(theorem("round-trip"))
    unevaluated = sympy.Mul(-1, x + y, evaluate=False)  # evaluating would distribute the -1
    back, kept = receive(send((proof, unevaluated)))
    _same(proof, back)
    assert sympy.srepr(kept) == sympy.srepr(unevaluated)
    assert sympy.srepr(pickle.loads(pickle.dumps(unevaluated))) != sympy.srepr(unevaluated)  # sympy's own way
    assert sympy.Mul(-1, x + y) == -x - y  # the cache does not hand back the unevaluated product


def test_what_would_not_come_back_equal_is_not_sent_and_the_parent_proves_it(monkeypatch):
    assert send(object()) is None  # equal only to itself: no copy is
    monkeypatch.setattr(T, "send", lambda proof: None)  # every worker's proof lost on the way
    names = ["relationship-1", "relationship-2", "round-trip", "a-range", "relationship-6", "relationship-7",
             "relationship-8", "relationship-9"]
    proofs = prove_all(names)
    assert [p.name for p in proofs] == names and all(p.status == "proved" for p in proofs)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the parallel path needs fork")
def test_the_documents_theorems_come_from_the_workers_as_proved_here(built_document):
    """``symconv render``'s document: its theorems are proved by the workers, and arrive as proved here."""
    by_name = {proof.name: proof for proof in built_document.proofs}
    for name in ("gradient", "relationship-14", "ambiguity-same-output", "round-trip"):
        _same(prove(theorem(name)), by_name[name])


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="the parallel path needs fork")
def test_a_document_proof_that_would_not_come_back_is_proved_by_the_parent(monkeypatch):
    from symconv.core import workers
    from symconv.guide.verification import Box
    from symconv.present.document import build_document

    monkeypatch.setattr(workers, "send", lambda value: None)  # every worker's result lost on the way
    document = build_document(Box(4, 3, 2, 2), schemes=False)
    assert len(document.proofs) == len(theorems()) and all(p.status == "proved" for p in document.proofs)
    _same(prove(theorem("relationship-7")), document.sections[6].proof)
