"""The SMT second opinion: exact encodings, confirmed counterexamples far outside any box, and no errors."""

import itertools
import math
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Abs, And, Eq, Ge, Gt, Le, Lt, Max, Min, Mod, Ne, Or, Piecewise, Rational, ceiling, floor

from symconv.core.errors import ParameterError, SymconvError
from symconv.proof.smt import BACKENDS, SmtResult, refute
from symconv.proof.theorem import Theorem
from symconv.guide.theorems import theorem, theorems
from symconv.core.symbols import a, d, i, k, o, p, s

x = sympy.Symbol("x", integer=True)  # any sign
y = sympy.Symbol("y", integer=True)
M = 10**6


def claim(statement, hypotheses=(), definitions=(), variables=(i, k, s, d)):
    return Theorem("claim", "a claim", statement, tuple(hypotheses), tuple(definitions), tuple(variables))


# --- true theorems: no counterexample anywhere ----------------------------------------

# Decided "unsat" in well under a second each (z3 5.4); that is every catalogue theorem today.
PINNED_UNSAT = [f"relationship-{n}" for n in range(1, 16)] + [
    "output-size", "half-padding-dilated", "round-trip", "a-range", "ambiguity-same-output",
    "ambiguity-only-these", "transposed-pytorch", "gradient"]


@pytest.mark.parametrize("name", PINNED_UNSAT)
def test_catalogue_theorems_have_no_counterexample(name):
    result = refute(theorem(name), timeout_ms=5000)
    assert (result.verdict, result.counterexample, result.reason) == ("unsat", None, "")
    assert result.backend == "z3" and 0 <= result.seconds < 5


def test_every_catalogue_theorem_is_never_refuted():
    for name, claimed in theorems().items():
        assert refute(claimed).verdict in {"unsat", "unknown", "timeout"}, name


TRUE_CLAIMS = [  # the encodings of floor, ceiling, Mod, rationals and laziness are exact
    claim(Eq(s * floor(x / s) + Mod(x, s), x), variables=(x, s)),
    claim(And(Ge(Mod(x, y) * y, 0), Lt(Abs(Mod(x, y)), Abs(y))), [Ne(y, 0)], variables=(x, y)),  # sign of y
    claim(Eq(x, y * floor(x / y) + Mod(x, y)), [Ne(y, 0)], variables=(x, y)),
    claim(Eq(ceiling(x / y) + floor(-x / y), 0), [Ne(y, 0)], variables=(x, y)),
    claim(Le(ceiling(x / y) - floor(x / y), 1), [Ne(y, 0)], variables=(x, y)),
    claim(Eq(floor(x / 2) + ceiling(x / 2), x), variables=(x,)),
    claim(Eq(floor(x / 2 + Rational(1, 2)), ceiling(x / 2)), variables=(x,)),
    claim(Le(x / 3 - Rational(1, 2), ceiling(x / 3)), variables=(x,)),
    claim(Eq(Mod(x / 2, Rational(3, 2)) * 2, Mod(x, 3)), variables=(x,)),
    claim(Eq(Max(x, y) + Min(x, y), x + y), variables=(x, y)),
    claim(Eq(Piecewise((x, x > 0), (-x, True)), Abs(x)), variables=(x,)),
    claim(Eq(o, i), [Eq(k, 1)], [(o, floor((i - k) / s) * s + Mod(i - k, s) + 1)], (i, k, s)),
    claim(Lt(i * (10**12 - i), 10**24), variables=(i,)),
]


@pytest.mark.parametrize("case", range(len(TRUE_CLAIMS)))
def test_true_claims_are_unsat(case):
    assert not isinstance(TRUE_CLAIMS[case].statement, sympy.logic.boolalg.BooleanAtom)  # sympy left it to z3
    assert refute(TRUE_CLAIMS[case]).verdict == "unsat"


def test_a_division_is_defined_only_where_it_is_evaluated():
    # Evaluation is lazy, as in compile_expr: the Piecewise branch taken, the And and Or parts in
    # sympy's order until one decides (here the test of y comes first).
    quotient = floor(x / y)
    guarded = Ge(Piecewise((quotient, Ne(y, 0)), (-1, True)), 0)
    assert refute(claim(guarded, [Ge(x, 0)], variables=(x, y))).counterexample == {"x": 0, "y": 0}
    conjunction = And(Ne(y, 0), Ge(quotient, 0))
    assert conjunction.args[0] == Ne(y, 0)
    found = refute(claim(conjunction, [Ge(x, 0), Ge(y, 0)], variables=(x, y))).counterexample
    assert found == {"x": 0, "y": 0}
    disjunction = Or(Eq(y, 0), Ge(quotient, 0))
    assert disjunction.args[0] == Eq(y, 0)
    assert refute(claim(Ne(x, -1), [disjunction], variables=(x, y))).counterexample == {"x": -1, "y": 0}
    # where floor(x/y) is evaluated, y = 0 is never a counterexample
    assert refute(claim(Or(Ne(y, 0), Ge(quotient, 0)), variables=(x, y))).verdict == "unsat"
    assert refute(claim(Ge(quotient, 0), [Ge(x, 0), Ge(y, 0)], variables=(x, y))).verdict == "unsat"
    # a Piecewise with no branch taken is undefined, not a counterexample
    assert refute(claim(Ge(Piecewise((x, x > 0)), 1), variables=(x,))).verdict == "unsat"


# --- false claims: confirmed counterexamples, however far out -------------------------

FALSE_CLAIMS = [  # (claim, the claim's negation in plain Python ints, how far out the smallest lies)
    (claim(Eq(floor(i / M), 0), [i + Max(k - 2 * M, s - 2 * M) <= 999999]),
     lambda c: c["i"] + max(c["k"] - 2 * M, c["s"] - 2 * M) <= 999999 and c["i"] // M != 0, M + 3),
    (claim(Ge(Piecewise((-1, i > M), (1, True)), 0), variables=(i,)), lambda c: c["i"] > M, M + 1),
    (claim(Ge(Max(M - i, M - k), 0), variables=(i, k)), lambda c: max(M - c["i"], M - c["k"]) < 0, 2 * M + 2),
    (claim(Eq(Mod(i, 10**12), i), variables=(i,)), lambda c: c["i"] % 10**12 != c["i"], 10**12),
    (claim(Le(i / 3 + Rational(1, 2), M), variables=(i,)), lambda c: Fraction(c["i"], 3) + Fraction(1, 2) > M,
     3 * M - 1),
    (claim(Lt(i * k, 10**12), variables=(i, k)), lambda c: c["i"] * c["k"] >= 10**12, None),  # nonlinear
    (claim(Le(o, M), [Ge(i, k)], [(o, floor((i - k) / s) + 1)], (i, k, s)),
     lambda c: c["i"] >= c["k"] and c["o"] == (c["i"] - c["k"]) // c["s"] + 1 > M, M + 3),
    (claim(Eq(a, 0), [], [(a, Mod(i + 5 * M, s))], (i, s)),
     lambda c: (c["i"] + 5 * M) % c["s"] != 0 and c["a"] == (c["i"] + 5 * M) % c["s"], 3),
    (claim(Ge(Mod(x, y), 0), variables=(x, y)), lambda c: c["y"] != 0 and c["x"] % c["y"] < 0, 3),
    (claim(Eq(ceiling(x / 2), floor(x / 2)), variables=(x,)), lambda c: -(-c["x"] // 2) != c["x"] // 2, 1),
]


@pytest.mark.parametrize("case", range(len(FALSE_CLAIMS)))
def test_false_claims_have_confirmed_counterexamples(case):
    false_claim, negation, smallest = FALSE_CLAIMS[case]
    result = refute(false_claim)
    assert result.verdict == "sat" and result.reason == ""
    example = result.counterexample
    names = [str(v) for v in false_claim.variables] + [str(sym) for sym, _ in false_claim.definitions]
    assert list(example) == names and all(type(value) is int for value in example.values())
    assert negation(example)
    if smallest is not None:  # tightened to the smallest sum of |variables|
        assert sum(abs(example[str(v)]) for v in false_claim.variables) == smallest


def test_the_counterexample_of_the_brief():
    found = refute(FALSE_CLAIMS[0][0]).counterexample
    assert found["i"] >= M  # beyond any box that enumeration could cover
    assert FALSE_CLAIMS[0][1]({"i": 2 * M, "k": 1, "s": 1, "d": 1})


# --- the box ----------------------------------------------------------------------------

def test_outside_excludes_the_box():
    small = claim(Le(i, 5), variables=(i,))
    assert refute(small).counterexample == {"i": 6}
    assert refute(small, outside={i: range(1, 100)}).counterexample == {"i": 100}
    only_inside = claim(Ne(i, 3), variables=(i,))
    assert refute(only_inside).counterexample == {"i": 3}
    assert refute(only_inside, outside={i: range(1, 10)}).verdict == "unsat"
    pair = claim(Le(i + k, 5), variables=(i, k))
    found = refute(pair, outside={i: range(1, 50), k: range(1, 50)}).counterexample
    assert (found["i"] >= 50 or found["k"] >= 50) and found["i"] + found["k"] == 51
    strided = refute(small, outside={i: range(1, 100, 2)}).counterexample  # the odd numbers below 100
    assert strided == {"i": 6}
    assert refute(small, outside={i: range(0)}).counterexample == {"i": 6}  # an empty box excludes nothing


# --- what it cannot do, and bad input ---------------------------------------------------

UNSUPPORTED = [
    (Ge(1 / (2 * M - 2 * i + 1), 0), "2000001 - 2*i"),
    (Ge(sympy.sqrt(x), 2), "sqrt(x)"),
    (Ge(sympy.Function("f")(i), 0), "f(i)"),
    (Ge(x, sympy.Float(0.5)), "0.5"),
    (Ge(2**i, 3), "2**i"),
    (Ge(floor(Max(x, 1 / x)), 1), "1/x"),
]


@pytest.mark.parametrize("statement, term", UNSUPPORTED)
def test_terms_outside_the_fragment_are_unsupported_never_guessed(statement, term):
    result = refute(claim(statement, variables=(i, x)))
    assert result.verdict == "unsupported" and result.counterexample is None
    assert term in result.reason and "\n" not in result.reason


def test_even_symbols_are_unsupported():
    even = sympy.Symbol("e", integer=True, even=True)
    assert refute(claim(Ne(even, 1), variables=(even,))).verdict == "unsupported"


def test_out_of_order_definitions_are_refused():
    A = sympy.Symbol("A", integer=True)
    backwards = claim(Ge(A, 0), [], [(A, o + 5), (o, i - 100)], (i,))
    with pytest.raises(ParameterError, match="o is neither a variable nor defined before it"):
        refute(backwards)


BAD_INPUT = [
    (dict(backend="cvc5"), r"^backend='cvc5' is invalid: known backends: z3$"),
    (dict(timeout_ms=0), "timeout_ms=0 is invalid"),
    (dict(timeout_ms=True), "timeout_ms=True is invalid"),
    (dict(timeout_ms=1.5), "timeout_ms=1.5 is invalid"),
    (dict(outside={p: range(3)}), "outside='p: range"),
    (dict(outside={i: [1, 2, 3]}), r"outside='i: \[1, 2, 3\]' is invalid"),
]


@pytest.mark.parametrize("kwargs, message", BAD_INPUT)
def test_bad_input(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        refute(claim(Ge(i, 1), variables=(i,)), **kwargs)
    assert issubclass(ParameterError, (SymconvError, ValueError))


def test_the_registry():
    assert list(BACKENDS) == ["z3"] and BACKENDS["z3"].name == "z3"
    result = BACKENDS["z3"].refute(claim(Ge(i, 1), variables=(i,)), 1000, None)
    assert isinstance(result, SmtResult) and result.verdict == "unsat"


@pytest.mark.parametrize("timeout_ms", [1, 50])
def test_a_tiny_time_limit_gives_up_without_an_error(timeout_ms):
    cubes = claim(Ne(i**3 + k**3, s**3), variables=(i, k, s))  # true, and out of z3's reach
    result = refute(cubes, timeout_ms=timeout_ms)
    assert result.verdict in {"timeout", "unknown"} and result.reason and result.counterexample is None
    assert result.seconds < 1
    for claimed in (theorem("round-trip"), FALSE_CLAIMS[2][0]):  # a quick answer, or none
        assert refute(claimed, timeout_ms=timeout_ms).verdict in {"unsat", "sat", "timeout", "unknown"}


# --- random claims against brute force with an independent evaluator ---------------------

def _node(symbolic, exact):
    return symbolic, exact


def _leaf(value):
    if isinstance(value, sympy.Symbol):
        return _node(value, lambda env: env[str(value)])
    exact = Fraction(value)
    return _node(sympy.Rational(exact.numerator, exact.denominator), lambda env: value)


def _divide(kind):
    def build(pair):
        (top, f), (bottom, g) = pair

        def exact(env):
            n, m = f(env), g(env)
            if n is None or m is None or m == 0:
                return None  # undefined: no counterexample here
            return {"floor": math.floor(Fraction(n) / m), "ceiling": math.ceil(Fraction(n) / m),
                    "mod": Fraction(n) % m}[kind]

        symbolic = {"floor": floor(top / bottom), "ceiling": ceiling(top / bottom),
                    "mod": Mod(top, bottom)}[kind] if bottom != 0 else top
        return _node(symbolic, exact if bottom != 0 else f)

    return build


def _lift(op, sym):
    def build(pair):
        (left, f), (right, g) = pair
        return _node(sym(left, right),
                     lambda env: None if f(env) is None or g(env) is None else op(f(env), g(env)))

    return build


def _piecewise(triple):
    (test, f), (yes, g), (no, h) = triple

    def exact(env):
        value = f(env)
        return None if value is None else g(env) if value > 0 else h(env)

    return _node(Piecewise((yes, test > 0), (no, True)), exact)


_terms = st.recursive(
    st.sampled_from([x, y, 0, 1, -2, 3, Fraction(1, 2)]).map(_leaf),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(_lift(lambda u, v: u + v, lambda u, v: u + v)),
        st.tuples(inner, inner).map(_lift(lambda u, v: u * v, lambda u, v: u * v)),
        st.tuples(inner, inner).map(_lift(max, Max)),
        st.tuples(inner, inner).map(_lift(min, Min)),
        inner.map(lambda node: _node(Abs(node[0]), lambda env: None if node[1](env) is None else abs(node[1](env)))),
        st.tuples(inner, inner).map(_divide("floor")),
        st.tuples(inner, inner).map(_divide("ceiling")),
        st.tuples(inner, inner).map(_divide("mod")),
        st.tuples(inner, inner, inner).map(_piecewise),
    ),
    max_leaves=6,
)
_COMPARISONS = [(Eq, lambda u, v: u == v), (Ne, lambda u, v: u != v), (Lt, lambda u, v: u < v),
                (Le, lambda u, v: u <= v), (Gt, lambda u, v: u > v), (Ge, lambda u, v: u >= v)]


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(_terms, _terms, st.sampled_from(_COMPARISONS))
def test_random_claims_agree_with_brute_force(left, right, comparison):
    relation, compare = comparison
    statement = relation(left[0], right[0])
    if not isinstance(statement, sympy.core.relational.Relational):
        return  # sympy decided it alone

    def holds(env):  # None where a division by zero is evaluated
        u, v = left[1](env), right[1](env)
        return None if u is None or v is None else compare(u, v)

    box = [{"x": u, "y": v} for u, v in itertools.product(range(-6, 7), repeat=2)]
    in_box = any(holds(env) is False for env in box)
    result = refute(claim(statement, variables=(x, y)), timeout_ms=1000)
    assert result.verdict != "unsupported" and not (in_box and result.verdict == "unsat")
    if result.verdict == "sat":  # sympy may have simplified away a division that is undefined here
        assert holds(result.counterexample) is not True


def test_threads_do_not_share_a_solver():
    claims = [theorem("round-trip"), FALSE_CLAIMS[1][0], theorem("a-range"), FALSE_CLAIMS[3][0]] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = [result.verdict for result in pool.map(refute, claims)]
    assert verdicts == ["unsat", "sat", "unsat", "sat"] * 3


def test_prove_names_its_second_opinion_like_satisfiable_names_its_algorithm(monkeypatch):
    from symconv.proof import prove

    assert prove(theorem("a-range"), backend="z3").smt.backend == "z3"
    with pytest.raises(ParameterError, match="backend='cvc5' is invalid: the second opinion must be one of: z3"):
        prove(theorem("a-range"), backend="cvc5")

    class Doubter:  # a backend is anything with a name and refute(): here, one that always gives up
        name = "doubter"

        def refute(self, theorem, timeout_ms, outside):
            return SmtResult("doubter", "unknown", None, 0.0, "never decides")

    monkeypatch.setitem(BACKENDS, "doubter", Doubter())
    proof = prove(theorem("a-range"), backend="doubter")
    assert proof.status == "proved" and proof.smt.verdict == "unknown" and proof.smt.backend == "doubter"


def test_a_counterexample_from_z3_cuts_the_search_short_before_it_starts(monkeypatch):
    """z3 answers before the search: a claim false only far outside the box gives the search a deadline from its
    first step, and a true claim leaves the budget as it was."""
    from symconv.proof import pipeline, prove

    budgets = []
    search = pipeline.search

    def watched(theorem, budget=None):
        budgets.append(budget.until)
        return search(theorem, budget)

    monkeypatch.setattr(pipeline, "search", watched)
    false_far_away = claim(Le(o, M), [Ge(i, k)], [(o, floor((i - k) / s) + 1)], (i, k, s))
    proof = prove(false_far_away, {i: range(1, 20), k: range(1, 4), s: range(1, 3)}, cache=False)
    assert (proof.status, proof.found_by) == ("disproved", "z3")
    assert budgets[-1] < math.inf  # the deadline was set before the search began
    assert prove(theorem("a-range"), cache=False).status == "proved" and budgets[-1] == math.inf
