"""Bad input across the public API: a one-line SymconvError naming the parameter, never anything else.

Found by review: each row was once a TypeError, an AttributeError or a silently wrong number.
"""

import pytest
import sympy
from sympy import Eq, Le, Lt, Mod, Symbol, floor

import symconv
from symconv import schemes
from symconv import layers as stack
from symconv.cli import main
from symconv.core.numeric import compile_expr
from symconv.proof import enumerate_cases
from symconv.guide.theorems import Theorem, prove
from symconv.guide.queries import input_sizes, output_padding, paddings
from symconv.guide.shapes import conv_output_size, pool_output_size, transposed_output_size
from symconv.core.symbols import i, k, s

q = Symbol("q", integer=True, nonnegative=True)

NET = stack.parse_stack("conv k=3")

BAD = [
    (lambda: stack.parse_stack(None), "a stack's text must be a string"),
    (lambda: stack.Stack(None), "layers must be a sequence of Layer"),
    (lambda: stack.Stack("conv"), "layers must be a sequence of Layer"),
    (lambda: stack.Stack([3]), "layer 1='int' is invalid: expected a Layer"),
    (lambda: stack.Stack([stack.Layer("pool", 2, ceil_mode="no")]), "ceil_mode must be True or False"),
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
    # the inverse queries per axis
    (lambda: input_sizes((), 3), "output_size must have at least one axis"),
    (lambda: input_sizes((112, 80), (7, 5, 3)),
     "kernel_size=(7, 5, 3) is invalid: kernel_size must have one entry per axis (2)"),
    (lambda: input_sizes((112, 80), 7, padding=(3, 2, 1)),
     "padding=(3, 2, 1) is invalid: padding must have one entry per axis (2)"),
    (lambda: paddings((224, 0), 3), "input_size=0 is invalid"),
    (lambda: paddings((224, 160), 3, output_size=(112, "x")), "output_size='x' is invalid"),
    (lambda: output_padding((89, 64), 2, stride=(2, 2, 2)), "stride=(2, 2, 2) is invalid"),
    (lambda: prove(Theorem("real", "x", Le(Symbol("x", positive=True), 1), variables=(Symbol("x", positive=True),))),
     "every variable of a theorem must be an integer symbol"),
    (lambda: prove(Theorem("zero", "z", Eq(i // (s - 1), i), variables=(i, s))), "division by zero at i=1, s=1"),
    (lambda: enumerate_cases(Theorem("zero", "z", Eq(i // (s - 1), i), variables=(i, s))),
     "division by zero at i=1, s=1"),
    # enumeration has a budget of points, and says which box broke it
    (lambda: enumerate_cases(Theorem("huge", "h", Le(i, k), variables=(i, k)),
                             {i: range(1, 10**6), k: range(1, 10**6)}),
     "ranges='i in 1..999999, k in 1..999999' is invalid: the box has 999998000001 points; enumeration evaluates"),
    (lambda: enumerate_cases(Theorem("bad", "b", Le(i, k), variables=(i, k)), {i: [1, 2]}),
     "each variable's values must be a range"),
    # the budgets of a scheme: parameters, constants, sympy's endless remainders, the oracle's windows
    (lambda: schemes.declare("many", "q1 + q2 + q3", "0", parameters=["q1", "q2", "q3"]),
     "parameters: 3 parameters are declared; at most 2 are allowed"),
    (lambda: schemes.declare("big", "0", "0", where=["i <= 1000000 * 1000000"]),
     "folds to a constant of 1000000000000"),
    (lambda: schemes.declare("big", "1000000 * 1000000", "0"), "folds to a constant of 1000000000000"),
    (lambda: schemes.declare("loop", "mod(-p - 2, k + 1)", "0", parameters=["p"]),
     "sympy cannot simplify this remainder"),
    (lambda: schemes.check_scheme(schemes.declare("wide", "1000000", "0", ceil_mode=True, claims=["o >= 1"])),
     "the paddings are too large for the brute-force oracle"),
    (lambda: schemes.check_scheme(schemes.declare("wide", "200000", "200000", claims=["o >= 1"])),
     "the paddings are too large for the brute-force oracle"),
    (lambda: schemes.declare("none", "0", "0", where=["k % 2 == 1", "k % 2 == 0"]), "where: contradictory"),
    (lambda: schemes.declare("none", "0", "0", where=["k >= 3", "i <= 1"]), "where: contradictory: no integers"),
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


# --- enumeration: every hypothesis, every case, exact numbers ------------------------------------

# (hypotheses, statement, variables, ranges, count, counterexample): hypotheses are filters, all of them.
ENUMERATIONS = [
    ((Eq(k, 3), Eq(Mod(k, 2), 1)), Eq(k, 3), (i, k), {i: range(1, 5), k: range(1, 6)}, 4, None),
    ((Eq(k, 3), Eq(Mod(k, 2), 1)), Le(i, 2), (i, k), {i: range(1, 5), k: range(1, 6)}, 4, {"i": 3, "k": 3}),
    ((Eq(Mod(k, 2), 1), Eq(k, 3)), Le(i, 2), (i, k), {i: range(1, 5), k: range(1, 6)}, 4, {"i": 3, "k": 3}),
    ((Eq(i, q),), sympy.Ge(q, 2), (i, q), {i: range(1, 9), q: range(0, 4)}, 3, {"i": 1, "q": 1}),
    ((Eq(k, s + 1), Eq(s, 2)), Le(i, 1), (i, k, s), {i: range(1, 4), k: range(1, 6), s: range(1, 5)}, 3,
     {"i": 2, "k": 3, "s": 2}),
    ((Eq(Mod(i, 2), 1),), Le(i, 5), (i,), {i: range(1, 201)}, 100, {"i": 7}),
    ((Eq(Mod(k, 2), 1), Eq(Mod(k, 2), 0)), sympy.false, (k,), {k: range(1, 9)}, 0, None),
]


@pytest.mark.parametrize("hypotheses, statement, variables, ranges, count, counterexample", ENUMERATIONS)
def test_every_hypothesis_filters_the_box(hypotheses, statement, variables, ranges, count, counterexample):
    assert enumerate_cases(Theorem("t", "t", statement, hypotheses, (), variables), ranges) == (count, counterexample)


def _one_at_a_time(theorem, ranges):
    """The reference: every case in turn with the exact scalar evaluator."""
    symbols = list(theorem.variables) + [symbol for symbol, _ in theorem.definitions]
    holds = [compile_expr(h, symbols) for h in theorem.hypotheses]
    values = [compile_expr(value, symbols) for _, value in theorem.definitions]
    statement = compile_expr(theorem.statement, symbols)
    count, failures = 0, []
    import itertools

    for point in itertools.product(*(ranges[v] for v in theorem.variables)):
        case = list(point) + [0] * len(values)
        for slot, value in enumerate(values, len(point)):
            case[slot] = value(*case)
        if all(h(*case) for h in holds):
            count += 1
            if not statement(*case):
                failures.append(case)
    failures.sort(key=lambda case: (sum(abs(x) for x in case[:len(point)]), case[:len(point)]))
    return count, (dict(zip(map(str, symbols), failures[0])) if failures else None)


BIG = 10**15
o_ = Symbol("o", integer=True)
# Large literals make int64 wrap: evaluation moves to Python ints before it can, and stays exact.
EXACT = [
    Theorem("wrap", "w", Eq(Mod(i * BIG * BIG + k, 7), Mod(i * BIG * BIG, 7) + Mod(k, 7)), (), (), (i, k)),
    Theorem("floor", "f", Le(floor((i * BIG - k) / s) * s, i * BIG - k), (), (), (i, k, s)),
    Theorem("defined", "o", sympy.Ne(o_, 2**62 + 3), (Le(k, i),), ((o_, i * 2**61 + k),), (i, k)),
    Theorem("thirds", "x", Le(i / 3, 5), (Lt(i / 3, 6),), (), (i,)),
    Theorem("signs", "m", Eq(Mod(i - 7, k + s) + (k + s) * floor((i - 7) / (k + s)), i - 7), (), (), (i, k, s)),
]


@pytest.mark.parametrize("theorem", EXACT, ids=[t.name for t in EXACT])
def test_enumeration_is_exact(theorem):
    ranges = {i: range(1, 19), k: range(1, 6), s: range(1, 4)}
    assert enumerate_cases(theorem, ranges) == _one_at_a_time(theorem, ranges)
