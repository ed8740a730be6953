"""Derivations equal the catalogue; proofs close and agree with the oracle; queries are exact."""

import json

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Eq, Ge

from symconv import ParameterError, relationship
from symconv.core import oracle
from symconv.core import symbols as S
from symconv.cli import main
from symconv.core.steps import Step
from symconv.guide.derive import Derivation, derivations, general_output_size, specialise, transposed
from symconv.guide.theorems import Theorem, prove, prove_all, theorem, theorems
from symconv.guide.queries import input_sizes, output_padding, paddings, transpose
from symconv.guide.shapes import conv_output_size, transposed_output_size


def _same(x, y):
    return sympy.simplify(sympy.expand(x - y)) == 0


def test_output_size_is_derived_by_counting():
    derived = general_output_size()
    assert _same(derived, sympy.floor((S.i + S.p_l + S.p_r - S.d * (S.k - 1) - 1) / S.s) + 1)
    symmetric = derived.subs({S.p_l: S.p, S.p_r: S.p})
    assert _same(symmetric, relationship(15).rhs)
    assert _same(symmetric.subs(S.d, 1), relationship(6).rhs)
    # the formula the shape functions use is this one
    assert _same(conv_output_size(S.i, S.k, S.s, (S.p_l, S.p_r), S.d), derived)


def test_transposed_parameters_are_solved_from_connectivity():
    tr = transposed()
    assert dict((eq.lhs, eq.rhs) for eq in tr.solution) == {
        S.k_prime: S.k, S.s_prime: 1, S.d_prime: S.d, S.p_prime: S.d * (S.k - 1) - S.p_l}
    eq = tr.equivalent
    assert _same(eq.padding[1], S.d * (S.k - 1) - S.p_r)
    assert _same(eq.a.args[0], S.i + S.p_l + S.p_r - S.d * (S.k - 1) - 1)
    # PyTorch's documented output size, with a = output_padding
    pytorch = (S.i_prime - 1) * S.s - S.p_l - S.p_r + S.d * (S.k - 1) + S.a + 1
    assert _same(tr.result.rhs, pytorch)
    assert _same(transposed_output_size(S.i_prime, S.k, S.s, (S.p_l, S.p_r), S.d, S.a), pytorch)


@pytest.mark.parametrize("number", range(8, 15))
def test_transposed_derivation_reproduces_the_guide(number):
    rel = relationship(number)
    eq = transposed().equivalent
    symmetric = {S.p_l: S.p, S.p_r: S.p}
    assert _same(rel.specialise(eq.p_prime.subs(symmetric)), rel.specialise(rel.equivalent.p_prime))
    derived = rel.specialise(transposed().result.rhs.subs(symmetric).subs(S.a, eq.a.subs(symmetric)))
    stated = rel.specialise(rel.rhs.subs(S.a, rel.equivalent.a))
    assert _same(derived, stated)


@pytest.mark.parametrize("number", range(1, 16))
def test_every_relationship_has_a_derivation(number):
    derivation = specialise(number)
    assert isinstance(derivation, Derivation) and derivation.result == relationship(number).equation
    assert all(isinstance(step, Step) and isinstance(step.statement, sympy.Basic) for step in derivation.steps)


def test_derivation_steps_are_sympy_objects():
    for derivation in derivations():
        for step in derivation.steps:
            assert isinstance(step.statement, sympy.Basic), (derivation.name, step)
            assert step.justification and "\n" not in step.justification


@pytest.mark.parametrize("name", list(theorems()))
def test_every_theorem_is_proved_and_checked_against_the_oracle(name):
    proof = prove(theorem(name))
    assert proof.status == "proved", [str(s.statement) for s in proof.steps]
    assert proof.cases > 0 and proof.counterexample is None


def test_required_theorems_exist():
    names = set(theorems())
    assert {f"relationship-{n}" for n in range(1, 16)} <= names
    assert {"round-trip", "a-range", "ambiguity-same-output", "ambiguity-only-these", "output-size"} <= names


def test_a_false_identity_is_disproved_with_the_smallest_counterexample():
    # Relationship 13's formula where (i + 2p - k) mod s need not be 0.
    general = general_output_size().subs({S.p_l: S.p, S.p_r: S.p})
    careless = Theorem(
        "r13-everywhere", "Relationship 13 without its condition", Eq(S.o_prime, S.i),
        (Eq(S.d, 1), Ge(S.i + 2 * S.p, S.k)),
        ((S.i_prime, general), (S.o_prime, relationship(13).rhs)),
        truth=lambda env: {S.i_prime: oracle.count_positions(env[S.i], env[S.k], env[S.s], (env[S.p],) * 2, 1)})
    proof = prove(careless)
    assert proof.status == "disproved"
    assert proof.counterexample == {"i": 2, "k": 1, "s": 2, "p": 0, "d": 1, "i'": 1, "o'": 1}


def test_an_unprovable_true_claim_is_not_called_proved():
    # Squares are 0 or 1 mod 4: true, but it needs the parity of i inside a square, which no rule gives.
    claim = Theorem("squares", "squares mod 4", sympy.Ne(sympy.Mod(S.i ** 2, 4), 2), variables=(S.i,))
    proof = prove(claim)
    assert proof.status == "unproved" and proof.counterexample is None and proof.cases == 12
    assert not proof.checked and proof.reason


def test_parity_needs_a_case_split_on_the_remainder():
    claim = Theorem("parity", "halves", Eq(sympy.floor(S.i / 2) + sympy.floor((S.i + 1) / 2), S.i), variables=(S.i,))
    proof = prove(claim)
    assert proof.status == "proved" and proof.checked and proof.smt.verdict == "unsat"


def test_prove_all_runs_every_theorem():
    proofs = prove_all()
    assert len(proofs) == len(theorems()) and all(p.status == "proved" for p in proofs)


# --- queries -------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(o_=st.integers(1, 40), k_=st.integers(1, 6), s_=st.integers(1, 5), pl=st.integers(0, 5),
       pr=st.integers(0, 5), d_=st.integers(1, 3))
def test_input_sizes_are_exactly_those_with_that_output(o_, k_, s_, pl, pr, d_):
    found = input_sizes(o_, k_, s_, (pl, pr), d_)
    brute = tuple(i_ for i_ in range(1, s_ * o_ + d_ * k_ + 20)
                  if i_ + pl + pr >= d_ * (k_ - 1) + 1 and oracle.count_positions(i_, k_, s_, (pl, pr), d_) == o_)
    assert found == brute


@settings(max_examples=300, deadline=None)
@given(i_=st.integers(1, 60), k_=st.integers(1, 7), s_=st.integers(1, 4), d_=st.integers(1, 3),
       target=st.one_of(st.just("same"), st.just("ceil"), st.integers(1, 30)))
def test_paddings_are_exactly_those_reaching_the_target(i_, k_, s_, d_, target):
    found = paddings(i_, k_, s_, d_, output_size=target)
    goal = {"same": i_, "ceil": -(-i_ // s_)}.get(target, target)
    works = [total for total in range(0, 3 * (s_ * goal + d_ * k_) + 3)
             if i_ + total >= d_ * (k_ - 1) + 1 and oracle.count_positions(i_, k_, s_, (0, total), d_) == goal]
    if works:
        assert (found.total_min, found.total_max) == (works[0], works[-1]) and found.exists
        assert works == list(range(works[0], works[-1] + 1))
        assert found.symmetric == tuple(t // 2 for t in works if t % 2 == 0)
        before, after = found.smallest
        assert after - before in (0, 1)  # the extra unit after, as TF SAME
    else:
        assert not found.exists and found.smallest is None and "none" in found.reason


def test_symbolic_padding_query():
    found = paddings(S.i, S.k, 1, S.d, output_size="same")
    assert _same(found.total_max, S.d * (S.k - 1))
    assert found.exists is None


@settings(max_examples=300, deadline=None)
@given(i_=st.integers(1, 60), k_=st.integers(1, 6), s_=st.integers(1, 5), pl=st.integers(0, 8),
       pr=st.integers(0, 8), d_=st.integers(1, 3))
def test_transpose_connectivity_equals_c_transposed(i_, k_, s_, pl, pr, d_):
    if i_ + pl + pr < d_ * (k_ - 1) + 1:
        return
    eq = transpose(k_, s_, (pl, pr), d_, input_size=i_)
    direct = oracle.connectivity(i_, k_, s_, (pl, pr), d_)
    equivalent = oracle.connectivity(eq.input_size, eq.kernel_size, eq.stride,
                                     (eq.padding[0], eq.padding[1] + eq.a), eq.dilation,
                                     zeros_between=eq.zeros_between, flip=True)
    assert equivalent.tolist() == direct.T.tolist()
    assert eq.output_size == i_ and 0 <= eq.a < s_
    assert output_padding(i_, k_, s_, (pl, pr), d_).output_padding == eq.a
    assert transposed_output_size(eq.input_size, k_, s_, (pl, pr), d_, eq.a) == i_


def test_negative_p_prime_is_cropping():
    eq = transpose(3, padding=4, input_size=5)
    assert eq.padding == (-2, -2) and eq.output_size == 5


def test_transpose_without_input_size_is_symbolic():
    eq = transpose(3, 2, 1)
    assert eq.a.has(S.i) and eq.output_size.has(S.i_prime)


BAD = [
    (lambda: transpose(0), "kernel_size=0 is invalid"),
    (lambda: transpose(3, stride=0), "stride=0 is invalid"),
    (lambda: transpose(3, input_size=-1), "input_size=-1 is invalid"),
    (lambda: input_sizes(0, 3), "output_size=0 is invalid"),
    (lambda: paddings(5, 3, output_size="half"), "output_size='half' is invalid: output_size must be an integer, 'same' or 'ceil'"),
    (lambda: paddings(5, 3, output_size=0), "output_size=0 is invalid"),
    (lambda: output_padding(5, 3, padding=-1), "padding=-1 is invalid"),
    (lambda: theorem("nope"), "name='nope' is invalid: no theorem has that name"),
]


@pytest.mark.parametrize("call, message", BAD)
def test_bad_queries(call, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


# --- CLI -------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_transpose_json(capsys):
    code, out, _ = run(capsys, "transpose", "-k", "3", "-s", "2", "-p", "1", "-i", "6", "--json")
    data = json.loads(out)
    assert code == 0
    assert {k: data[k] for k in ("kernel_size", "stride", "dilation", "zeros_between", "padding", "a", "output_size")} == {
        "kernel_size": 3, "stride": 1, "dilation": 1, "zeros_between": 1, "padding": [1, 1], "a": 1, "output_size": 6}


def test_cli_transpose_symbolic_and_cropping(capsys):
    code, out, _ = run(capsys, "transpose", "-k", "3", "-p", "4,0", "--json")
    data = json.loads(out)
    assert data["padding"] == [-2, 2] and isinstance(data["a"], int)
    code, out, _ = run(capsys, "transpose", "-k", "3", "-s", "2", "-p", "4,0")
    assert "crops 2 before" in out


def test_cli_prove_json(capsys):
    code, out, _ = run(capsys, "prove", "round-trip", "relationship-3", "--json")
    data = json.loads(out)
    assert code == 0 and data["unproved"] == 0 and data["disproved"] == 0
    assert [(p["name"], p["status"]) for p in data["proofs"]] == [("round-trip", "proved"), ("relationship-3", "proved")]
    assert all(p["steps"] > 2 for p in data["proofs"])


def test_cli_prove_text_prints_steps(capsys):
    code, out, _ = run(capsys, "prove", "a-range")
    assert code == 0 and "division algorithm" in out and "1 proved" in out


@pytest.mark.parametrize("argv, expected", [
    (["solve", "inputs", "-o", "3", "-k", "3", "-s", "2", "-p", "1"], {"input_sizes": [5, 6]}),
    (["solve", "padding", "-i", "224", "-k", "7", "-s", "2", "--ceil"], {"smallest": [2, 3], "symmetric": [3]}),
    (["solve", "padding", "-i", "6", "-k", "4", "--same"], {"smallest": [1, 2], "symmetric": []}),
    (["solve", "output-padding", "-i", "89", "-k", "2", "-s", "2"], {"output_padding": 1, "transposed_input_size": 44}),
])
def test_cli_solve(capsys, argv, expected):
    code, out, _ = run(capsys, *argv, "--json")
    data = json.loads(out)
    assert code == 0 and {k: data[k] for k in expected} == expected


def test_cli_solve_none_exists_exits_1(capsys):
    code, out, _ = run(capsys, "solve", "padding", "-i", "10", "-k", "3", "-o", "2")
    assert code == 1 and "none" in out


@pytest.mark.parametrize("argv, message", [
    (["transpose", "-k", "0"], "kernel_size=0 is invalid"),
    (["transpose", "-s", "2"], "required: -k/--kernel-size"),
    (["prove", "nope"], "name='nope' is invalid"),
    (["solve", "inputs", "-k", "3"], "solve inputs needs -o/--output-size"),
    (["solve", "padding", "-i", "5", "-k", "3"], "needs -o/--output-size, --same or --ceil"),
    (["solve", "output-padding", "-k", "3"], "input_size=None is invalid"),
])
def test_cli_bad_input(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1
