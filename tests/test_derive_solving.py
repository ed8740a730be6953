"""The derivations solve and check their systems themselves: the same answers as sympy's general solvers.

``derive`` eliminates one unknown at a time (each equation linear in it, with a coefficient that is never zero)
and substitutes the solution back; it isolates j in the counting inequality with the sign of j's coefficient.
These tests hold that to ``sympy.solve``, and hold every statement a derivation writes without asking sympy to
evaluate it to what sympy's evaluation would make of it.
"""

import pytest
import sympy
from sympy import Eq, Le, Mod, Tuple

from symconv import SymconvError, relationship, relationships
from symconv.core import symbols as S
from symconv.guide import derive
from symconv.guide.derive import _is_zero, _solve, derivations, output_size, specialise, transposed
from symconv.guide.theorems import theorems


def _evaluated(expr):
    """``expr`` rebuilt bottom-up with evaluation; a remainder stays as the guide writes it (sympy would turn
    ``E mod s`` into ``(E + s) mod s``, see derive.transposed)."""
    if not expr.args:
        return expr
    args = [_evaluated(arg) for arg in expr.args]
    return Mod(*args, evaluate=False) if isinstance(expr, Mod) else expr.func(*args)


def _system():
    """The coefficient equations and the flip of the transposed derivation, as it states them."""
    steps = {step.justification.split(",")[0]: step.statement for step in transposed().steps}
    coefficients = next(s for j, s in steps.items() if j.startswith("a polynomial in j and t"))
    flip = next(s for j, s in steps.items() if j.startswith("the flip"))
    return [*coefficients, flip]


def test_the_connectivity_system_has_the_solution_sympy_solve_finds():
    unknowns = [S.k_prime, S.s_prime, S.d_prime, S.p_prime]
    (expected,) = sympy.solve(_system(), unknowns, dict=True)
    found = _solve(_system(), unknowns)
    assert set(found) == set(unknowns)
    assert all(sympy.expand(found[u] - expected[u]) == 0 for u in unknowns)


def test_the_extra_zeros_are_what_sympy_solve_finds():
    size = next(step.statement for step in transposed().steps if step.justification.startswith("the equivalent"
                                                                                                 " convolution (unit"))
    equation = Eq(size.lhs.subs(S.i_tilde, S.i_prime + (S.s - 1) * (S.i_prime - 1)), size.rhs)
    (expected,) = sympy.solve(equation, S.a)
    assert sympy.expand(_solve([equation], [S.a])[S.a] - expected) == 0
    solved = next(step.statement for step in transposed().steps if step.justification == "solved for a")
    assert sympy.expand(solved.rhs - expected) == 0


def test_the_counting_bound_is_what_sympy_solve_finds():
    fits, bound = (step.statement for step in output_size().steps[:2])
    solved = sympy.solve(fits, S.j)  # j is nonnegative: sympy answers with the bound and 0 <= j
    upper = [rel for rel in sympy.And.make_args(solved) if isinstance(rel, Le) and rel.lhs == S.j]
    assert len(upper) == 1 and sympy.simplify(upper[0].rhs - bound.rhs) == 0
    assert bound.lhs == S.j and isinstance(bound, Le)


@pytest.mark.parametrize("equations, unknowns, rule", [
    ([Eq(S.n * S.a, 1)], [S.a], "could not solve"),  # n may be 0: no step may divide by it
    ([Eq(S.a * S.a, 1)], [S.a], "could not solve"),  # not linear
    ([Eq(S.a, 1), Eq(S.a, 2)], [S.a], "does not satisfy"),  # inconsistent: caught by substituting back
    ([Eq(S.a + S.p, 1), Eq(S.a - S.p, 1)], [S.a, S.p], "could not solve"),  # no equation with one unknown
])
def test_what_elimination_cannot_solve_is_refused(equations, unknowns, rule):
    with pytest.raises(SymconvError, match=rule):
        _solve(equations, unknowns)


def test_elimination_substitutes_earlier_unknowns_into_later_ones():
    x, y = sympy.symbols("x y", integer=True)
    found = _solve([Eq(x + y, S.k), Eq(2 * y, 2 * S.s)], [x, y])
    assert found == {y: S.s, x: S.k - S.s}


def test_zero_is_decided_by_expansion_or_simplification():
    assert _is_zero(sympy.floor(S.i / S.s) * (S.k + 1) - S.k * sympy.floor(S.i / S.s) - sympy.floor(S.i / S.s))
    assert _is_zero(sympy.sin(S.i) ** 2 + sympy.cos(S.i) ** 2 - 1)  # expansion alone does not see it
    assert not _is_zero(sympy.floor(S.i / S.s) - S.i / S.s)


def test_every_statement_is_what_sympy_would_evaluate_it_to():
    for derivation in derivations():
        for step in derivation.steps:
            assert _evaluated(step.statement) == step.statement, (derivation.name, step.statement)
        assert _evaluated(derivation.result) == derivation.result


def test_the_catalogue_is_written_in_sympy_evaluated_form():
    for rel in relationships().values():
        exprs = [*rel.conditions, rel.equation]
        if rel.equivalent is not None:
            eq = rel.equivalent
            exprs += [sympy.sympify(v) for v in (eq.kernel_size, eq.stride, eq.dilation, eq.zeros_between, eq.a,
                                                 eq.input_size, eq.stretched_input, eq.output_size, *eq.padding)]
        for expr in exprs:
            rebuilt = _rebuilt(expr)
            assert rebuilt == expr and type(rebuilt) is type(expr), (rel.number, expr)


def test_the_theorems_relations_are_what_evaluation_builds():
    """Their relations are built unevaluated (asking sympy to decide a theorem costs assumption queries). Each is
    the relation evaluation builds, or one sympy finds true from the signs alone (``0 <= a``), kept on purpose
    so that the statement says it; none is one sympy would rewrite or find false."""
    for name, claim in theorems().items():
        for part in map(sympy.sympify, (claim.statement, *claim.hypotheses)):
            for relation in part.atoms(sympy.core.relational.Relational):
                evaluated = type(relation)(*relation.args)
                assert evaluated is sympy.true or sympy.srepr(evaluated) == sympy.srepr(relation), (name, relation)


def _rebuilt(expr):
    """``expr`` rebuilt bottom-up with evaluation, remainders too."""
    return expr.func(*[_rebuilt(arg) for arg in expr.args]) if expr.args else expr


def _specialised_by_subs(rel, expr):
    """The definition of specialising, with subs: Relationship.specialise must agree with it."""
    result = sympy.sympify(expr).subs(rel.substitutions, simultaneous=True)
    for predicate in rel.predicates:
        if isinstance(predicate, Eq):
            result = result.xreplace({predicate.lhs.subs(rel.substitutions, simultaneous=True): predicate.rhs})
    return result


@pytest.mark.parametrize("number", range(1, 16))
def test_specialising_agrees_with_subs(number):
    rel = relationship(number)
    tr, symmetric = transposed(), {S.p_l: S.p, S.p_r: S.p}
    inputs = [sympy.Ge(S.i + 2 * S.p, S.d * (S.k - 1) + 1), output_size().result.rhs.subs(symmetric),
              tr.result.rhs.subs(symmetric), tr.equivalent.a.subs(symmetric), tr.equivalent.p_prime.subs(symmetric),
              Tuple(Eq(S.o_prime, tr.result.rhs.subs(symmetric)), Eq(S.a, Mod(S.i + 2 * S.p - S.k, S.s)))]
    for other in relationships().values():
        inputs += [other.equation, *other.conditions]
    for expr in inputs:
        assert sympy.srepr(rel.specialise(expr)) == sympy.srepr(_specialised_by_subs(rel, expr)), expr


def test_a_special_case_that_does_not_follow_is_refused(monkeypatch):
    real = relationship(6)
    wrong = type(real)(6, real.title, real.section, real.kind, real.conditions,
                       Eq(S.o, sympy.floor((S.i + 2 * S.p - S.k) / S.s) + 2))
    monkeypatch.setattr(derive, "relationship", lambda number: wrong if number == 6 else relationship(number))
    with pytest.raises(SymconvError, match="does not follow"):
        specialise(6)
