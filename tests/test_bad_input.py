"""Bad input across the public API: a one-line SymconvError naming the parameter, never anything else.

Found by review: each row was once a TypeError, an AttributeError or a silently wrong number.
"""

import pytest
from sympy import Eq, Le, Lt, Mod, Symbol

import symconv
from symconv import schemes, stack
from symconv.cli import main
from symconv.proofs import Theorem, prove
from symconv.shapes import conv_output_size, pool_output_size, transposed_output_size
from symconv.symbols import i, s

NET = stack.parse_stack("conv k=3")

BAD = [
    (lambda: stack.parse_stack(None), "a stack's text must be a string"),
    (lambda: stack.Stack(None), "layers must be a sequence of Layer"),
    (lambda: stack.Stack("conv"), "layers must be a sequence of Layer"),
    (lambda: stack.Stack([3]), "layer 1='int' is invalid: expected a Layer"),
    (lambda: stack.Stack([stack.Layer("pool", 2, ceil_mode="no")]), "ceil_mode must be True or False"),
    (lambda: stack.summary(NET, ()), "input_size=() is invalid: give at least one axis"),
    (lambda: stack.summary(NET, 0), "input_size=0 is invalid"),
    (lambda: stack.output_size(NET, None), "input_size=None is invalid"),
    (lambda: stack.output_size(NET, 8.5), "input_size=8.5 is invalid"),
    (lambda: stack.output_size(NET, True), "input_size=True is invalid"),
    (lambda: stack.sizes(NET, ()), "give at least one axis"),
    (lambda: stack.inputs_for_output(NET, "3"), "target='3' is invalid"),
    (lambda: stack.inputs_for_output(NET, 0), "target=0 is invalid"),
    (lambda: stack.receptive_field("conv k=3"), "expected a Stack"),
    (lambda: schemes.resolve(None), "expected a string"),
    (lambda: schemes.scheme_from_toml(None), "expected a string"),
    (lambda: schemes.check_scheme("half"), "expected a Scheme"),
    (lambda: schemes.check_scheme(schemes.scheme("half"), bound=10**9), "bound must be at most"),
    (lambda: symconv.Box(input_size=10**8), "the box's input_size must be an integer from 1 to 1024"),
    (lambda: pool_output_size(5, 2, ceil_mode="False"), "ceil_mode must be True or False"),
    (lambda: conv_output_size((), 3), "input_size must have at least one axis"),
    (lambda: transposed_output_size(5, 3, output_padding=()), "output_padding must have at least one axis"),
    (lambda: prove(Theorem("real", "x", Le(Symbol("x", positive=True), 1), variables=(Symbol("x", positive=True),))),
     "every variable of a theorem must be an integer symbol"),
    (lambda: prove(Theorem("zero", "z", Eq(i // (s - 1), i), variables=(i, s))), "division by zero at i=1, s=1"),
]


@pytest.mark.parametrize("call, message", BAD)
def test_bad_input(call, message):
    with pytest.raises(symconv.SymconvError) as caught:
        call()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_strict_inequality_between_non_integers_is_not_tightened():
    # i/3 < 6 does not give i/3 <= 5 (i = 16); the prover must not claim it.
    proof = prove(Theorem("thirds", "x", Le(i / 3, 5), (Lt(i / 3, 6),), (), (i,)))
    assert proof.status != "proved"


def test_fresh_quotient_names_never_capture_a_user_symbol():
    r1 = Symbol("r_1", integer=True, nonnegative=True)
    proof = prove(Theorem("capture", "y", Eq(Mod(i, 5), r1), (Eq(i, r1),), (), (i, r1)))
    assert proof.status == "disproved" and proof.counterexample == {"i": 5, "r_1": 5}


@pytest.mark.parametrize("argv, message", [
    (["net", "conv k=3", "-i", "0"], "input_size=0 is invalid"),
    (["scheme", "compare", "tf-same", "-i", "1..100000000"], "compare at most 200 input sizes"),
    (["verify", "--bound", "100000000"], "the box's input_size must be an integer from 1 to 1024"),
])
def test_cli_refuses_before_working(capsys, argv, message):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_transpose_crop_text_counts_a(capsys):
    assert main(["transpose", "-k", "3", "-s", "2", "-p", "9", "-i", "2"]) == 0
    out = capsys.readouterr().out
    assert "crops 7 before, crops 6 after" in out
    assert main(["transpose", "-k", "2", "-s", "3", "-d", "2", "-p", "0,3", "-i", "7"]) == 0
    assert "crops" not in capsys.readouterr().out
