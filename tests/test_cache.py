"""The proof cache: a stored certificate is re-checked before use, and nothing stored can make a result wrong.

Every test works in its own SYMCONV_CACHE_DIR (tests/conftest.py keeps the suite off the user's cache and turns the
cache off for every other test).
"""

import json
import os

import pytest
import sympy
from sympy import Le

from symconv.cli import main
from symconv.core import files
from symconv.core import symbols as S
from symconv.guide.theorems import theorem
from symconv.proof import Theorem, prove
from symconv.proof import cache
from symconv.proof import certificate as C
from symconv.proof import pipeline
from symconv.proof.prover import search

NAMES = ["round-trip", "a-range", "relationship-14", "ambiguity-only-these", "gradient"]


@pytest.fixture
def scratch(tmp_path):
    with cache.using(tmp_path / "cache"):
        yield tmp_path / "cache"


def entries(directory):
    folder = directory / "proofs"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def no_search(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("searched, although the certificate is cached")

    monkeypatch.setattr(pipeline, "search", refuse)


def same(a, b):
    assert (a.status, a.steps, a.cases, a.checked, a.reason, a.certificate) == \
        (b.status, b.steps, b.cases, b.checked, b.reason, b.certificate)


# ---------------------------------------------------------------------------------------------- hits

@pytest.mark.parametrize("name", NAMES)
def test_a_cache_hit_gives_the_same_proof_as_a_cold_run_without_searching(name, scratch, monkeypatch):
    cold = prove(theorem(name))
    assert cold.status == "proved" and [path.stem for path in entries(scratch)] == [cache.key(theorem(name))]
    no_search(monkeypatch)
    same(prove(theorem(name)), cold)


def test_a_hit_is_re_checked_by_the_checker(scratch, monkeypatch):
    prove(theorem("round-trip"))
    checked = []
    original = pipeline.check
    monkeypatch.setattr(pipeline, "check", lambda *args: checked.append(1) or original(*args))
    no_search(monkeypatch)
    assert prove(theorem("round-trip")).status == "proved" and checked


def test_the_key_is_the_content_not_the_name(scratch, monkeypatch):
    thm = theorem("a-range")
    prove(thm)
    no_search(monkeypatch)
    renamed = Theorem("another name", "another title", thm.statement, thm.hypotheses, thm.definitions, thm.variables,
                      thm.truth)
    assert prove(renamed).status == "proved"
    assert cache.key(renamed) != cache.key(Theorem("x", "x", thm.statement, (), thm.definitions, thm.variables))


def test_entries_round_trip_and_writes_leave_no_temporary_files(scratch):
    for name in NAMES:
        certificate = search(theorem(name))
        assert cache.store(theorem(name), certificate)
        assert cache.load(theorem(name)) == certificate
    assert len(entries(scratch)) == len(NAMES)
    assert not [path for path in (scratch / "proofs").iterdir() if path.suffix != ".json"]
    entry = json.loads(entries(scratch)[0].read_text(encoding="utf-8"))
    assert entry["versions"]["kernel"] == cache.KERNEL_VERSION and entry["key"] == entries(scratch)[0].stem


# --------------------------------------------------------------------- corrupt, stale, tampered with

def _entry(thm):
    return cache.directory() / "proofs" / f"{cache.key(thm)}.json"


def _valid(thm):
    return cache.load(thm) is not None


CORRUPTIONS = {
    "empty": lambda text: "",
    "truncated": lambda text: text[: len(text) // 2],
    "not JSON": lambda text: "\x00\xff garbage {",
    "not UTF-8": lambda text: None,
    "a list": lambda text: "[1, 2, 3]",
    "another key": lambda text: text.replace('"key":"', '"key":"0', 1),
    "an unknown node": lambda text: text.replace('"@":"Linear"', '"@":"os.system"', 1),
    "an unknown expression": lambda text: text.replace('["Add"', '["__import__"', 1),
    "text where an expression goes": lambda text: text.replace('{"$":["Add"', '{"$":"Add"', 1),
    "a string to parse": lambda text: text.replace('{"$":', '"__import__(\'os\')" and {"$":', 1),
    "an extra field": lambda text: text.replace('"@":"Linear"', '"@":"Linear","evil":1', 1),
    "a huge power": lambda text: text.replace('["Integer",1]', '["Pow",["Integer",10],["Integer",1000000000]]', 1),
    "a huge number": lambda text: text.replace('["Integer",1]', '["Integer",' + "9" * 5000 + "]", 1),
    "deep nesting": lambda text: "[" * 100_000 + "]" * 100_000,
    "an unknown assumption": lambda text: text.replace('"integer":true', '"evil":true', 1),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_a_corrupt_entry_is_ignored_and_rebuilt(corruption, scratch):
    thm = theorem("round-trip")
    cold = prove(thm)
    path = _entry(thm)
    text = CORRUPTIONS[corruption](path.read_text(encoding="utf-8"))
    if text is None:
        path.write_bytes(b"\xff\xfe\x00 not utf-8")
    else:
        assert text != path.read_text(encoding="utf-8"), "the corruption must change the entry"
        path.write_text(text, encoding="utf-8")
    assert cache.load(thm) is None
    same(prove(thm), cold)
    assert _valid(thm), "the entry is written again"


def test_a_stale_entry_from_another_version_is_ignored_and_rebuilt(scratch, monkeypatch):
    thm = theorem("a-range")
    cold = prove(thm)
    path = _entry(thm)
    entry = json.loads(path.read_text(encoding="utf-8"))
    entry["versions"]["symconv"] = "0.0.0-old"
    path.write_text(json.dumps(entry), encoding="utf-8")
    assert cache.load(thm) is None
    same(prove(thm), cold)
    assert _valid(thm)


def test_bumping_the_kernel_version_leaves_old_entries_unused(scratch, monkeypatch):
    thm = theorem("a-range")
    prove(thm)
    monkeypatch.setattr(cache, "KERNEL_VERSION", cache.KERNEL_VERSION + "-next")
    assert cache.load(thm) is None
    assert prove(thm).status == "proved" and len(entries(scratch)) == 2


def test_a_certificate_of_other_rules_is_rejected_by_the_checker_and_rebuilt(scratch):
    thm = theorem("round-trip")
    cold = prove(thm)
    certificate = cache.load(thm)
    old = C.Certificate(certificate.facts, certificate.goal, certificate.proof, version="0")
    cache.store(thm, old)
    assert cache.load(thm).version == "0"
    same(prove(thm), cold)
    assert cache.load(thm).version == C.RULES_VERSION


def _false_beyond_the_box():
    """False (i = 13 breaks it), but not within the enumeration box (i <= 12), and asked without z3: only the
    checker stands between a tampered certificate and 'proved'."""
    return Theorem("false", "i is at most 12", Le(S.i, 12), variables=(S.i,))


def test_a_tampered_certificate_for_a_false_statement_is_rejected(scratch):
    false = _false_beyond_the_box()
    facts = (C.Fact("ge", S.i - 1, "i ≥ 1"), C.Fact("ge", S.i, "i ≥ 0"))
    claims = [
        C.Linear(products=((sympy.Integer(1), (0,)),)),  # 12 - i - (i - 1): not a constant
        C.Linear(products=((sympy.Integer(-1), (0,)),)),  # a negative coefficient
        C.Linear(multiples=((sympy.Integer(1), 0),)),  # a fact that is no equation
        C.Absurd(C.Linear()),  # the facts do not contradict each other
        C.Range(S.i, 1, 12, C.Linear(products=((sympy.Integer(1), (0,)),)), C.Linear(), (C.Linear(),) * 12),
    ]
    for claim in claims:
        cache.store(false, C.Certificate(facts, C.Relation("ge", 12 - S.i), claim))
        assert cache.load(false) is not None
        proof = prove(false, smt=False)
        assert proof.status == "unproved" and not proof.checked, claim
        assert cache.load(false) is None, "a rejected entry is dropped"


def test_a_true_statements_certificate_filed_under_a_false_one_is_rejected(scratch):
    true, false = theorem("a-range"), _false_beyond_the_box()
    cache.store(false, search(true))
    assert prove(false, smt=False).status == "unproved"
    assert prove(false).status == "disproved"  # z3 finds i = 13; never "proved"


def test_a_false_statement_found_by_enumeration_is_never_proved_from_the_cache(scratch):
    false = Theorem("false", "k is at most 2", Le(S.k, 2), variables=(S.k,))
    cache.store(false, C.Certificate((C.Fact("ge", S.k - 1), C.Fact("ge", S.k)), C.Relation("ge", 2 - S.k),
                                     C.Linear(products=((sympy.Integer(1), (0,)),))))
    proof = prove(false)
    assert proof.status == "disproved" and proof.counterexample == {"k": 3}


# ------------------------------------------------------------------------------ unwritable, turned off

def test_a_cache_dir_below_a_file_means_no_cache_and_one_warning_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(files, "_warned", False)
    monkeypatch.setattr(files, "_MAIN", os.getpid())
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with cache.using(blocker / "cache"):
        for name in ("round-trip", "a-range"):
            assert prove(theorem(name)).status == "proved"
        assert cache.load(theorem("round-trip")) is None
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1 and "cannot be written" in warning[0] and "SYMCONV_NO_CACHE" in warning[0]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_read_only_cache_dir_means_no_cache(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(files, "_warned", False)
    monkeypatch.setattr(files, "_MAIN", os.getpid())
    (tmp_path / "proofs").mkdir()
    (tmp_path / "proofs").chmod(0o500)
    try:
        with cache.using(tmp_path):
            assert prove(theorem("round-trip")).status == "proved"
            assert not list((tmp_path / "proofs").iterdir())
    finally:
        (tmp_path / "proofs").chmod(0o700)
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_read_only_entry_is_still_read(scratch, monkeypatch):
    thm = theorem("round-trip")
    prove(thm)
    _entry(thm).chmod(0o400)
    no_search(monkeypatch)
    assert prove(thm).status == "proved"


def test_the_environment_variable_and_the_argument_turn_it_off(scratch, monkeypatch):
    with cache.using(on=False):
        assert not cache.enabled()
        assert prove(theorem("round-trip")).status == "proved"
    assert cache.enabled() and not entries(scratch)
    assert prove(theorem("round-trip"), cache=False).status == "proved" and not entries(scratch)
    for value in ("1", "true", "YES"):
        monkeypatch.setenv(cache.NO_CACHE, value)
        assert not cache.enabled()
    monkeypatch.setenv(cache.NO_CACHE, "0")
    assert cache.enabled()


def test_the_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.CACHE_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.directory() == tmp_path / "xdg" / "symconv"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.directory() == tmp_path / "home" / ".cache" / "symconv"
    monkeypatch.setenv(cache.CACHE_DIR, str(tmp_path / "mine"))
    assert cache.directory() == tmp_path / "mine"


def test_the_cli_fills_the_cache_unless_told_not_to(scratch, capsys):
    assert main(["prove", "round-trip", "a-range", "--no-cache"]) == 0
    assert not entries(scratch) and cache.enabled(), "--no-cache lasts for the command only"
    uncached = capsys.readouterr().out
    assert main(["prove", "round-trip", "a-range"]) == 0
    assert len(entries(scratch)) == 2
    assert capsys.readouterr().out == uncached
    assert main(["prove", "round-trip", "a-range"]) == 0
    assert capsys.readouterr().out == uncached


@pytest.mark.parametrize("argv", [["prove"], ["render"], ["graph", "x = input [H]; a = conv k=3 (x)", "--prove"],
                                  ["scheme", "check", "tf-same"], ["scheme", "render", "tf-same"]])
def test_every_command_that_proves_takes_no_cache(argv):
    from symconv.cli import _parser

    assert _parser().parse_args([*argv, "--no-cache"]).no_cache is True
