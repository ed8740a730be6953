"""The Coq export: every proved theorem compiles with coqc, states what symconv proved, and a false one fails.

The statement check reads each ``.v`` file back with a small parser of its own
(a whitelist of Coq's integer notation, never ``sympify``) and compares it with
the theorem, so a printing bug cannot make the two agree by accident.
"""

import dataclasses
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sympy
from sympy import Eq, Ge, Le, floor

from symconv.core import symbols as S
from symconv.core.symbols import i, k, s
from symconv.cli import main
from symconv.core.errors import ParameterError
from symconv.proof import Theorem, prove
from symconv.proof import certificate as C
from symconv.proof.coq import HEADER, LIBRARY, export, export_proof, export_proofs, file_stem, unique_stems
from symconv.proof.coq.export import _nodes
from symconv.proof.coq import coqc as coqc_module
from symconv.proof.coq.script import Script
from symconv.proof.coq.terms import Untranslatable, comment, identifier
from symconv.guide.theorems import theorem, theorems
from symconv.present.render import MARKER

ROOT = Path(__file__).resolve().parent.parent
COQ = ROOT / "derivations" / "coq"
FORBIDDEN = re.compile(r"\b(Admitted|admit|Axiom|Axioms|Parameter|Abort)\b")
needs_coqc = pytest.mark.skipif(shutil.which("coqc") is None, reason="coqc is not installed (CI installs Coq)")


def compile_all(folder: Path, stems) -> dict:
    """``coqc`` on each file, in ``folder`` (a temporary copy): the error text of each file it rejects."""
    def one(stem):
        run = subprocess.run(["coqc", "-q", "-Q", ".", LIBRARY, f"{stem}.v"], cwd=folder,
                             capture_output=True, text=True, timeout=600)
        return stem, None if run.returncode == 0 else (run.stdout + run.stderr)[-2000:]

    with ThreadPoolExecutor(max_workers=4) as pool:
        return {stem: error for stem, error in pool.map(one, stems) if error is not None}


def coq_source(tmp_path: Path, stem: str, text: str) -> Path:
    (tmp_path / f"{stem}.v").write_text(text, encoding="utf-8")
    return tmp_path


# --- the committed files ------------------------------------------------------------------

def committed():
    return sorted(COQ.glob("*.v"))


def test_every_proved_theorem_has_a_file(built_document):
    names = {re.search(r"\(\* symconv theorem: (.*) \*\)", path.read_text()).group(1) for path in committed()}
    proved = [p.name for p in built_document.proofs if p.status == "proved"]
    assert names == set(proved) and set(theorems()) <= names
    assert len(committed()) == len(proved) >= 22 + 40
    listed = (COQ / "_CoqProject").read_text().split("\n")
    assert f"-Q . {LIBRARY}" in listed and sorted(line for line in listed if line.endswith(".v")) == [
        path.name for path in committed()]


def test_files_are_named_safely_and_assume_nothing():
    for path in committed():
        text = path.read_text(encoding="utf-8")
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*\.v", path.name)
        assert text.startswith(HEADER) and MARKER in text[:400]
        assert not FORBIDDEN.search(text), path.name
        assert text.count("Qed.") == text.count("Proof.") and "Require Import ZArith Lia." in text


def test_the_builtin_proofs_follow_their_certificates(built_document):
    exported = export_proofs(built_document.proofs)
    assert [f.theorem for f in exported if not f.follows_certificate] == []
    assert sum(f.nodes for f in exported) > 400


@needs_coqc
def test_every_committed_file_compiles(tmp_path):
    for path in committed() + [COQ / "_CoqProject"]:
        shutil.copy(path, tmp_path)
    assert compile_all(tmp_path, [path.stem for path in committed()]) == {}
    assert not list(COQ.glob("*.vo")) and not list(COQ.glob("*.glob"))
    if shutil.which("coq_makefile"):
        run = subprocess.run(["coq_makefile", "-f", "_CoqProject", "-o", "Makefile"], cwd=tmp_path,
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr


# --- the statement in each file is the theorem ---------------------------------------------

_TOKEN = re.compile(r"\s*(?:\d+|Z\.max|Z\.min|Z\.abs|[A-Za-z_][A-Za-z0-9_']*|/\\|\\/|<>|<=|>=|->|:=|[-+*/()=<>~,:.])")


class _Coq:
    """A recursive-descent reader of the statements the exporter writes: integers, Z.div, Z.modulo, Z.max,
    Z.min, Z.abs, relations, /\\, \\/, ~, ->, forall and let. Anything else is an error."""

    def __init__(self, text: str) -> None:
        self.tokens, position = [], 0
        text = text.rstrip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            assert match and match.end() > position, f"unexpected text: {text[position:position + 20]!r}"
            self.tokens.append(match.group(0).strip())
            position = match.end()
        self.at = 0
        self.symbols: dict[str, sympy.Symbol] = {}

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        assert expected is None or token == expected, f"expected {expected!r}, got {token!r}"
        self.at += 1
        return token

    def statement(self):
        """(variables, lets, premises, conclusion)."""
        variables, lets, premises = [], [], []
        if self.peek() == "forall":
            self.take()
            while self.peek() != ":":
                variables.append(self.take())
            self.take(":"), self.take("Z"), self.take(",")
        while self.peek() == "let":
            self.take()
            name = self.take()
            self.take(":=")
            lets.append((name, self.sum()))
            self.take("in")
        formula = self.disjunction()
        while self.peek() == "->":
            self.take()
            premises.append(formula)
            formula = self.disjunction()
        self.take(".")
        return variables, lets, premises, formula

    def disjunction(self):
        parts = [self.conjunction()]
        while self.peek() == "\\/":
            self.take()
            parts.append(self.conjunction())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def conjunction(self):
        parts = [self.negation()]
        while self.peek() == "/\\":
            self.take()
            parts.append(self.negation())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def negation(self):
        if self.peek() == "~":
            self.take()
            return ("not", self.negation())
        if self.peek() in ("True", "False"):
            return ("const", self.take() == "True")
        if self.peek() == "(":  # a parenthesised formula, or a sum that starts with one
            saved = self.at
            self.take()
            try:
                inner = self.disjunction()
                if self.peek() == ")":
                    self.take()
                    if self.peek() not in ("=", "<>", "<=", ">=", "<", ">", "+", "-", "*", "/", "mod"):
                        return inner
            except AssertionError:
                pass
            self.at = saved
        left = self.sum()
        op = self.take()
        assert op in ("=", "<>", "<=", ">=", "<", ">"), f"not a relation: {op!r}"
        return ("rel", op, sympy.expand(left - self.sum()))

    def sum(self):
        value = self.product()
        while self.peek() in ("+", "-"):
            value = value + self.product() if self.take() == "+" else value - self.product()
        return value

    def product(self):
        value = self.unary()
        while self.peek() in ("*", "/", "mod"):
            op, right = self.take(), self.unary()
            value = value * right if op == "*" else floor(value / right) if op == "/" else sympy.Mod(value, right)
        return value

    def unary(self):
        if self.peek() == "-":
            self.take()
            return -self.unary()
        if self.peek() in ("Z.max", "Z.min"):
            function = sympy.Max if self.take() == "Z.max" else sympy.Min
            return function(self.atom(), self.atom())
        if self.peek() == "Z.abs":
            self.take()
            return sympy.Abs(self.atom())
        return self.atom()

    def atom(self):
        token = self.take()
        if token == "(":
            value = self.sum()
            self.take(")")
            return value
        if token.isdigit():
            return sympy.Integer(int(token))
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_']*", token) and token not in ("forall", "let", "in"), token
        return self.symbols.setdefault(token, sympy.Symbol(token, integer=True))


def _plain(expr, mapping):
    """The theorem's formula over the file's plain symbols, with ⌈x⌉ = -⌊-x⌋ (true of every real x)."""
    expr = sympy.sympify(expr).xreplace(mapping)
    return expr.replace(sympy.ceiling, lambda x: -floor(-x))


def _shape(formula, mapping):
    """A theorem's formula in the parser's shape."""
    if formula is sympy.true or formula is sympy.false:
        return ("const", formula is sympy.true)
    if isinstance(formula, (sympy.And, sympy.Tuple)):
        return ("and", [_shape(part, mapping) for part in formula.args]) if len(formula.args) != 1 else \
            _shape(formula.args[0], mapping)
    if isinstance(formula, sympy.Or):
        return ("or", [_shape(part, mapping) for part in formula.args])
    if isinstance(formula, sympy.Not):
        return ("not", _shape(formula.args[0], mapping))
    op = {"==": "=", "!=": "<>", "<=": "<=", ">=": ">=", "<": "<", ">": ">"}[formula.rel_op]
    return ("rel", op, sympy.expand(_plain(formula.lhs, mapping) - _plain(formula.rhs, mapping)))


def _same_shape(read, expected):
    if read[0] != expected[0]:
        return False
    if read[0] == "rel":
        if read[1] != expected[1]:
            return False
        difference = sympy.expand(read[2] - expected[2])
        ratio = sympy.cancel(read[2] / expected[2]) if expected[2] != 0 else None
        return difference == 0 or (ratio is not None and ratio.is_number and ratio > 0)  # a cleared fraction
    if read[0] in ("and", "or"):
        return len(read[1]) == len(expected[1]) and all(map(_same_shape, read[1], expected[1]))
    if read[0] == "not":
        return _same_shape(read[1], expected[1])
    return read == expected


def read_statement(text: str):
    start = text.index("\nTheorem ")
    body = text[start:text.index("\nProof.", start)]
    return _Coq(body.split(":", 1)[1]).statement()


def check_statement(text: str, thm: Theorem) -> None:
    variables, lets, premises, conclusion = read_statement(text)
    assert len(variables) == len(thm.variables) and len(lets) == len(thm.definitions)
    names = variables + [name for name, _ in lets]
    symbols = [*thm.variables, *(symbol for symbol, _ in thm.definitions)]
    for name, symbol in zip(names, symbols):
        assert name == re.sub(r"[^A-Za-z0-9_']+", "_", str(symbol)).strip("_")  # recognisably the same letter
    mapping = {symbol: sympy.Symbol(name, integer=True) for symbol, name in zip(symbols, names)}
    for (_, body), (_, value) in zip(lets, thm.definitions):
        assert sympy.expand(body - sympy.expand(_plain(value, mapping))) == 0
    signs = [("rel", "<=", (1 if v.is_positive else 0) - mapping[v]) for v in thm.variables
             if v.is_positive or v.is_nonnegative]
    expected = signs + [_shape(h, mapping) for h in thm.hypotheses]
    assert len(premises) == len(expected)
    for read, wanted in zip(premises + [conclusion], expected + [_shape(thm.statement, mapping)]):
        assert _same_shape(read, wanted), (read, wanted)


def test_each_file_states_what_symconv_proved(built_document):
    known = {p.name: p.theorem for p in built_document.proofs}
    for path in committed():
        text = path.read_text(encoding="utf-8")
        name = re.search(r"\(\* symconv theorem: (.*) \*\)", text).group(1)
        check_statement(text, known[name])


def test_the_reader_notices_a_changed_statement():
    proof = prove(theorem("round-trip"))
    text = export_proof(proof).text
    check_statement(text, proof.theorem)
    for old, new in [("o' = i.", "o' = i + 1."), ("- 1) / s) + 1", "- 2) / s) + 1"), (" mod s)", " mod k)")]:
        assert old in text
        with pytest.raises(AssertionError):
            check_statement(text.replace(old, new, 1), proof.theorem)


# --- every rule has its tactics --------------------------------------------------------------

RULES = [  # small theorems whose certificates use the rules the built-in ones do not
    ("thirds", Eq(floor(i / 3) + floor((i + 1) / 3) + floor((i + 2) / 3), i), (), (i,)),
    ("split-ne", Ge(k, 2), (sympy.Ne(k - 1, 0),), (i, k)),
    ("apart", sympy.Ne(i - k, 0), (Ge(i, k + 1),), (i, k)),
    ("absurd", Eq(i * i * i * k * k, 5), (Ge(i, k + 1), Ge(k, i)), (i, k)),
    ("max-of-three", Ge(sympy.Max(i, k, s), i), (), (i, k, s)),
    ("min-both", sympy.And(Le(sympy.Min(i, k), i), Le(sympy.Min(i, k), k)), (), (i, k)),
    ("abs", Ge(sympy.Abs(i - k) + i, k), (), (i, k)),
    ("range", Ge(sympy.Mod(i, 3) * sympy.Mod(i, 3), sympy.Mod(i, 3)), (), (i,)),
    ("ceiling", Eq(sympy.ceiling(i / s), floor((i + s - 1) / s)), (), (i, s)),
]


@pytest.fixture(scope="module")
def rule_proofs():
    return [prove(Theorem(name, name, statement, hypotheses, (), variables))
            for name, statement, hypotheses, variables in RULES]


def test_every_rule_has_its_tactics(rule_proofs, tmp_path):
    used = {type(node).__name__ for proof in rule_proofs for node in _nodes(proof.certificate.proof)}
    assert used | {"Each"} >= {cls.__name__ for cls in C._NODES}, "a rule that no test exports"
    for proof in rule_proofs:
        coq = export_proof(proof)
        assert coq.follows_certificate, proof.name
        check_statement(coq.text, proof.theorem)
        coq_source(tmp_path, coq.stem, coq.text)
    if shutil.which("coqc"):
        assert compile_all(tmp_path, [file_stem(proof.name) for proof in rule_proofs]) == {}


# --- a false theorem does not compile ----------------------------------------------------

FALSE = [
    ("round-trip", lambda t: Eq(S.o_prime, S.i + 1)),  # the right proof, attached to a wrong statement
    ("a-range", lambda t: Le(S.a, S.s - 2)),  # a constant changed
    ("relationship-1", lambda t: Eq(S.o, S.i - S.k + 2)),
    ("ambiguity-only-these", lambda t: sympy.And(Le(S.a, S.s - 1), Eq(S.i, t.statement.args[1].rhs + 1))),
]


@needs_coqc
@pytest.mark.parametrize("name, statement", FALSE)
def test_a_false_theorem_fails_to_compile(tmp_path, name, statement):
    proof = prove(theorem(name))
    false = dataclasses.replace(proof.theorem, statement=statement(proof.theorem))
    assert false.statement != proof.theorem.statement
    coq_source(tmp_path, "right", export_proof(proof, "right").text)
    coq_source(tmp_path, "wrong", export(false, proof.certificate, "wrong").text)
    assert set(compile_all(tmp_path, ["right", "wrong"])) == {"wrong"}


@pytest.mark.parametrize("step", ["prologue", "_divide"])
def test_the_fallback_is_counted_and_is_still_a_proof(tmp_path, monkeypatch, step):
    proof = prove(theorem("a-range"))

    def refuse(*args, **kwargs):
        raise Untranslatable("forced by the test")

    monkeypatch.setattr(Script, step, refuse)
    coq = export_proof(proof)
    assert coq.fallbacks == 1 and not coq.follows_certificate and "(* fallback" in coq.text
    if shutil.which("coqc"):
        coq_source(tmp_path, coq.stem, coq.text)
        assert compile_all(tmp_path, [coq.stem]) == {}


# --- names, refusals, determinism ---------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("i", "i"), ("i'", "i'"), ("p_l", "p_l"), ("o(i)", "o_i"), ("forall", "v_forall"), ("mod", "v_mod"),
    ("F3", "v_F3"), ("t1", "v_t1"), ("Admitted", "v_Admitted"), ("symconv_both", "v_symconv_both"),
    ("2x", "v_2x"), ("α", "v"), ("", "v"),
])
def test_identifiers(name, expected):
    assert identifier(name) == expected


@pytest.mark.parametrize("name, stem", [
    ("relationship-14", "relationship_14"), ("tf-same: claim 1", "tf_same_claim_1"),
    ("evil *) Admitted. (*", "evil_Admitted"), ("1", "thm_1"), ("Admitted", "thm_Admitted"), ("Z", "thm_Z"),
    ("symconv_both", "thm_symconv_both"), ("../../etc/passwd", "etc_passwd"), ("", "unnamed"),
])
def test_file_stems(name, stem):
    assert file_stem(name) == stem and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", file_stem(name))


def test_stems_stay_distinct():
    assert unique_stems(["a-b", "a b", "A_B", "c"]) == {"a-b": "a_b", "a b": "a_b_2", "A_B": "A_B_3", "c": "c"}


@pytest.mark.parametrize("text", ['*) Admitted. (*', '"unterminated', "(* nested *)", "Axiom\nParameter"])
def test_comments_stay_comments(text):
    made = comment(text)
    assert "(*" not in made and "*)" not in made and '"' not in made and "\n" not in made
    assert not FORBIDDEN.search(made)


def _any_certificate():
    return C.Certificate(facts=(), goal=C.Conjunction(()), proof=C.Each(()))


@pytest.mark.parametrize("statement, message", [
    (Ge(floor(S.i / (S.s - 1)), 0), r"the divisor s - 1 of ⌊i/\(s - 1\)⌋ is not shown nonzero"),
    (Ge(sympy.Mod(S.i, S.k - S.s), 0), r"the divisor k - s of i mod \(k - s\) is not shown nonzero"),
    (Ge(S.i / (S.s - 2), 1), r"it cannot be stated in Coq: i/\(s - 2\) >= 1 has a fraction that cannot be cleared"),
])
def test_refusals_are_one_line(statement, message):
    thm = Theorem("bad", "bad", statement, variables=(S.i, S.k, S.s))
    with pytest.raises(ParameterError, match="theorem='bad' is invalid: " + message) as raised:
        export(thm, _any_certificate())
    assert "\n" not in str(raised.value)


def test_a_refused_theorem_is_reported_beside_the_others():
    proof = prove(theorem("a-range"))
    bad = dataclasses.replace(proof, theorem=Theorem("bad", "bad", Ge(floor(S.i / (S.s - 1)), 0),
                                                     variables=(S.i, S.s)))
    refused: dict = {}
    assert [f.theorem for f in export_proofs([proof, bad], refused)] == ["a-range"]
    assert "is not shown nonzero" in refused["bad"]
    with pytest.raises(ParameterError, match="is not shown nonzero"):
        export_proofs([proof, bad])


def test_a_divisor_a_divide_step_proves_positive_is_accepted():
    thm = Theorem("shifted", "shifted", Le(S.s * floor(S.i / (S.s + S.k)), S.i), (), (), (S.i, S.k, S.s))
    proof = prove(thm)
    assert proof.status == "proved" and "(s + k)" in export_proof(proof).text


def test_only_proved_theorems_are_exported():
    false = Theorem("false", "false", Eq(floor(S.i / S.s), S.i), (), (), (S.i, S.s))
    with pytest.raises(ParameterError, match="proof='false' is invalid: only a proved theorem is exported to Coq; "
                                             "this one is disproved"):
        export_proof(prove(false))


def test_rational_constants_are_cleared_as_the_checker_clears_them():
    thm = Theorem("halves", "halves", Ge(S.i / 2 + S.k / 2, 1), (), (), (S.i, S.k))
    text = export_proof(prove(thm)).text
    assert "  i + k - 2 >= 0." in text


def test_the_export_is_deterministic_and_needs_no_coqc(monkeypatch):
    proof = prove(theorem("round-trip"))
    first = export_proof(proof).text
    monkeypatch.setattr(coqc_module, "coqc", lambda: None)
    assert export_proof(proof).text == first and HEADER in first and MARKER in HEADER


HOSTILE = sympy.Symbol("forall", integer=True, positive=True)


@needs_coqc
def test_hostile_names_compile(tmp_path):
    o = sympy.Symbol("o(i)", integer=True)
    thm = Theorem('evil *) Admitted. (* "', "Axiom *)", Le(S.s * o, HOSTILE), (), ((o, floor(HOSTILE / S.s)),),
                  (HOSTILE, S.s))
    coq = export_proof(prove(thm))
    assert coq.stem == "evil_Admitted" and "let o_i := (v_forall / s) in" in coq.text
    assert not FORBIDDEN.search(coq.text)
    coq_source(tmp_path, coq.stem, coq.text)
    assert compile_all(tmp_path, [coq.stem]) == {}


# --- the CLI ------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prove_exports(tmp_path, capsys):
    code, out, _ = run(capsys, "prove", "a-range", "round-trip", "--export", "coq", str(tmp_path), "--json")
    data = json.loads(out)
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["_CoqProject", "a_range.v", "round_trip.v"]
    files = {entry["name"]: entry for entry in data["coq"]["files"]}
    assert files["a-range"]["file"] == str(tmp_path / "a_range.v") and files["a-range"]["follows_certificate"]
    if shutil.which("coqc"):
        assert all(entry["checked"] for entry in files.values())
        assert all(p["coq"].startswith("checked by Coq 8.") for p in data["proofs"])
        assert not list(tmp_path.glob("*.vo"))
    else:
        assert all(entry["checked"] is None for entry in files.values()) and data["proofs"][0]["coq"] is None


def test_cli_without_coqc_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(coqc_module, "coqc", lambda: None)
    code, out, _ = run(capsys, "prove", "a-range", "--export", "coq", str(tmp_path))
    assert code == 0 and "coqc is not installed, so Coq has not checked them" in out
    assert "checked by Coq" not in out and (tmp_path / "a_range.v").exists()
    code, out, _ = run(capsys, "prove", "a-range")
    assert "Coq" not in out  # the label only when the CLI ran coqc


@needs_coqc
def test_cli_labels_what_coq_checked(tmp_path, capsys):
    code, out, _ = run(capsys, "prove", "a-range", "--export", "coq", str(tmp_path))
    assert code == 0 and re.search(r"a-range: proved \(.*, checked by Coq 8\.\d+", out)


WRONG = 'name = "wrong"\nbefore = "k // 2"\nafter = "k // 2"\nclaims = ["o == i", "o <= i + k"]\n'


def test_cli_scheme_check_exports_only_proved_claims(tmp_path, capsys):
    path = tmp_path / "wrong.toml"
    path.write_text(WRONG)
    out_dir = tmp_path / "coq"
    code, out, _ = run(capsys, "scheme", "check", str(path), "--export", "coq", str(out_dir), "--json")
    data = json.loads(out)
    assert code == 1 and [c["status"] for c in data["claims"]] == ["false", "proved"]
    assert {"name": "wrong: claim 1", "status": "disproved", "reason": "it is disproved, not proved"} in \
        data["coq"]["not_exported"]
    assert (out_dir / "wrong_claim_2.v").exists() and not (out_dir / "wrong_claim_1.v").exists()
    assert data["claims"][0]["coq"] is None
    code, out, _ = run(capsys, "scheme", "check", str(path), "--export", "coq", str(out_dir))
    assert "wrong: claim 1: not exported to Coq: it is disproved, not proved" in out


@pytest.mark.parametrize("argv, message", [
    (["prove", "a-range", "--export", "pdf", "out"], "export='pdf' is invalid: the only export format is coq"),
    (["prove", "a-range", "--export", "coq"], "expected 2 arguments"),
])
def test_cli_export_bad_input(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1


def test_cli_export_never_overwrites_a_foreign_file(tmp_path, capsys):
    (tmp_path / "a_range.v").write_text("(* mine *)")
    code, _, err = run(capsys, "prove", "a-range", "--export", "coq", str(tmp_path))
    assert code == 2 and "a_range.v exists and was not generated by symconv" in err
    assert (tmp_path / "a_range.v").read_text() == "(* mine *)"
