"""The Coq export in worker processes (what ``symconv render`` does) gives exactly the files of the serial export,
raises what it raises, and leaves no worker behind, however its block ends."""

import dataclasses
import importlib
import multiprocessing
import os

import pytest
import sympy
from sympy import Ge, floor

from symconv.core import symbols as S
from symconv.core.errors import ParameterError
from symconv.guide.theorems import theorem
from symconv.proof import Theorem, prove
from symconv.proof.coq import export_proofs, exported_stems, exporting
from symconv.proof.coq import terms

EXPORT = importlib.import_module("symconv.proof.coq.export")  # the package's `export` is the function

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")


@pytest.fixture
def cores(monkeypatch):
    """Two cores or more, whatever this machine has: the workers run."""
    assert EXPORT.os is os
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def test_the_workers_export_what_the_serial_export_does(built_document, cores):
    proofs = built_document.proofs
    with exporting(proofs) as files:
        parallel = files()
    terms.fraction.cache_clear()  # the serial export computes everything again, in this process
    serial = export_proofs(proofs)
    assert parallel == serial and len(serial) > 16
    assert {f.theorem: f.stem for f in serial} == exported_stems(proofs)
    assert not multiprocessing.active_children()


def test_one_core_exports_in_the_block(built_document, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    proofs = built_document.proofs[:3]
    with exporting(proofs) as files:
        assert not multiprocessing.active_children()
        assert files() == export_proofs(proofs)


def _refused(built_document):
    proof = prove(theorem("a-range"))
    bad = dataclasses.replace(proof, theorem=Theorem("bad", "bad", Ge(floor(S.i / (S.s - 1)), 0),
                                                     variables=(S.i, S.s)))
    return [*built_document.proofs[:16], bad]


def test_a_refusal_raises_as_the_serial_export_does(built_document, cores):
    proofs = _refused(built_document)
    with pytest.raises(ParameterError) as serial:
        export_proofs(proofs)
    with pytest.raises(ParameterError) as parallel, exporting(proofs) as files:
        files()
    assert str(parallel.value) == str(serial.value) and "is not shown nonzero" in str(serial.value)
    assert not multiprocessing.active_children()


def test_an_interrupted_block_stops_its_workers(built_document, cores):
    with pytest.raises(KeyboardInterrupt), exporting(built_document.proofs):
        assert multiprocessing.active_children()
        raise KeyboardInterrupt
    assert not multiprocessing.active_children()


def test_fraction_is_remembered_and_still_right():
    x = S.i / (S.s - 1) + sympy.Rational(1, 2)
    assert terms.fraction(x) == terms.fraction(x) == (2 * S.i + S.s - 1, 2 * S.s - 2)
    assert terms.fraction(S.i / (1 - S.s)) == (-S.i, S.s - 1)


def test_files_exported_where_the_schemes_were_checked_are_the_export_s_own(cores):
    """``render`` has the scheme workers export their own proofs (they have the expressions built): the files are
    the ones the export makes, and one under another name than the export's is made again."""
    from symconv.core.workers import receive
    from symconv.present import document as D
    from symconv.schemes import scheme

    reports, files = receive(D._check_schemes((scheme("causal"), scheme("valid")), True))
    proofs = [proof for report in reports for proof in D._report_proofs(report)]
    serial = export_proofs(proofs)
    assert list(files) == serial and len(serial) > 4
    with exporting(proofs, ready=files) as made:
        assert made() == serial
    elsewhere = tuple(dataclasses.replace(f, stem=f.stem + "_elsewhere", text="(* not this *)") for f in files)
    with exporting(proofs, ready=elsewhere) as made:
        assert made() == serial
    assert not multiprocessing.active_children()
