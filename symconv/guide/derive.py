"""Derivations: the formulas obtained from first principles, as data.

Two derivations start from how a convolution is laid out, and every other
result is a specialisation of them:

- ``output_size()`` counts kernel positions: position ``j`` fits when
  ``s j + d(k - 1) <= i + p_l + p_r - 1``, so ``o = ⌊(i + p_l + p_r - d(k - 1) - 1)/s⌋ + 1``.
- ``transposed()`` requires the equivalent direct convolution (on the input
  stretched by ``s - 1`` zeros, kernel flipped) to connect the same pairs as
  the direct one, for every output ``j`` and tap ``t``. That polynomial identity
  in ``j`` and ``t`` has coefficient equations, solved for ``k', s', d', p'``
  one unknown at a time and checked by substituting the solution back. The
  size constraint then gives the extra zeros ``a``.

Each step is a sympy statement with a one-line justification; nothing here is
a string of mathematics.

>>> from symconv.core.printing import text
>>> text(output_size().result)
'o = ⌊(i + p_l + p_r - d(k - 1) - 1)/s⌋ + 1'
>>> [text(eq) for eq in transposed().solution]
["k' = k", "s' = 1", "d' = d", "p' = d(k - 1) - p_l"]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

import sympy
from sympy import Eq, Le, Mod, Tuple, floor

from symconv.core import display
from symconv.core import symbols as S
from symconv.core.steps import Step
from symconv.guide.catalogue import relationship
from symconv.core.errors import SymconvError
from symconv.guide.model import Equivalent

# The division algorithm's quotient and remainder, and an input position.
q = sympy.Symbol("q", integer=True)
r = sympy.Symbol("r", integer=True, nonnegative=True)
x = sympy.Symbol("x", integer=True)


@dataclass(frozen=True)
class Derivation:
    name: str
    title: str
    steps: tuple[Step, ...]
    result: sympy.Basic

    def _repr_markdown_(self) -> Optional[str]:
        return display.markdown(self)

    def _repr_latex_(self) -> Optional[str]:
        return display.latex(self)


@dataclass(frozen=True)
class TransposedDerivation(Derivation):
    solution: tuple[Eq, ...]
    equivalent: Equivalent


def _eq(lhs: sympy.Basic, rhs: sympy.Basic) -> Eq:
    """``Eq(lhs, rhs)`` as stated. A step states an equation; it does not ask sympy to decide it, which would query
    the assumptions of both sides (most of what a derivation used to cost)."""
    return Eq(lhs, rhs, evaluate=False)


def _floor(arg: sympy.Expr) -> sympy.Expr:
    """``⌊arg⌋`` as written. Evaluating it would only ask the assumptions whether it simplifies, and here it does
    not: tests/test_derive_solving.py rebuilds every statement with evaluation and finds it unchanged."""
    return floor(arg, evaluate=False)


def _linear(expr: sympy.Expr, unknown: sympy.Symbol) -> Optional[tuple[sympy.Expr, sympy.Expr]]:
    """``(c, r)`` with ``expr = c·unknown + r``, neither holding ``unknown``; None if ``expr`` is not linear in it."""
    expr = sympy.expand(expr)
    coefficient, rest = expr.coeff(unknown, 1), expr.coeff(unknown, 0)
    if coefficient.has(unknown) or rest.has(unknown) or sympy.expand(coefficient * unknown + rest - expr) != 0:
        return None
    return coefficient, rest


def _solve(equations: Sequence[Eq], unknowns: Sequence[sympy.Symbol]) -> dict[sympy.Symbol, sympy.Expr]:
    """The one solution of ``equations`` for ``unknowns``, by elimination, checked by substituting it back.

    Each step takes an equation left with one unknown, linear in it with a coefficient that is never zero
    (by the symbols' assumptions), so every step is an equivalence and the solution is the only one. This is
    sympy's ``solve`` for the systems met here, without the generic machinery it would load for them.
    """
    solution: dict[sympy.Symbol, sympy.Expr] = {}
    pending = [sympy.expand(eq.lhs - eq.rhs) for eq in equations]
    while any(u not in solution for u in unknowns):
        for index, expr in enumerate(pending):
            expr = sympy.expand(expr.xreplace(solution))
            free = [u for u in unknowns if u not in solution and expr.has(u)]
            split = _linear(expr, free[0]) if len(free) == 1 else None
            if split is not None and split[0].is_zero is False:
                unknown, value = free[0], sympy.expand(-split[1] / split[0])
                solution = {u: v.xreplace({unknown: value}) for u, v in solution.items()}
                solution[unknown] = value
                del pending[index]
                break
        else:
            raise SymconvError(f"could not solve {list(equations)} for {list(unknowns)}")
    for eq in equations:
        if not _is_zero((eq.lhs - eq.rhs).xreplace(solution)):
            raise SymconvError(f"the solution {solution} does not satisfy {eq}")
    return solution


def _is_zero(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is identically zero: expanded (floors and remainders as atoms) it is 0, or simplified."""
    return sympy.expand(expr) == 0 or sympy.simplify(expr) == 0


def _as(solved: sympy.Expr, form: sympy.Expr) -> sympy.Expr:
    """``form`` (the guide's way of writing it) after checking that it equals what was solved."""
    if sympy.expand(sympy.sympify(solved) - form) != 0:
        raise SymconvError(f"derived {solved}, which is not {form}")
    return form


def general_output_size() -> sympy.Expr:
    """The derived output size, in the guide's letters with asymmetric padding."""
    return output_size().result.rhs


@lru_cache(maxsize=1)
def output_size() -> Derivation:
    """Count the kernel positions on the padded input."""
    i, k, s, d, p_l, p_r, j, o = S.i, S.k, S.s, S.d, S.p_l, S.p_r, S.j, S.o
    fits = Le(s * j + d * (k - 1), i + p_l + p_r - 1, evaluate=False)
    # c j + r <= 0 with c > 0 is j <= -r/c: the sign of j's coefficient, decided once, fixes the direction.
    split = _linear(fits.lhs - fits.rhs, j)
    if split is None or split[0].is_positive is not True:
        raise SymconvError(f"could not solve {fits} for j")
    limit = sympy.together(-split[1] / split[0])
    limit_in_guide_form = (i + p_l + p_r - d * (k - 1) - 1) / s
    if sympy.expand(limit - limit_in_guide_form) != 0:
        raise SymconvError(f"unexpected solution j <= {limit}")
    result = _eq(o, _floor(limit_in_guide_form) + 1)
    steps = (
        Step(fits, "position j fits when its last tap, at s j + d(k - 1), still falls on the padded input"),
        Step(Le(j, limit_in_guide_form, evaluate=False), "solved for j (s > 0)"),
        Step(result, "the positions are j = 0, 1, …, ⌊bound⌋: that many plus one"
                     " (the bound is ≥ 0 exactly when a kernel fits)"),
        Step(_eq(o, _floor(limit_in_guide_form.xreplace({p_l: S.p, p_r: S.p})) + 1), "symmetric padding p_l = p_r = p"),
        Step(relationship(15).equation, "the same floor argument, as the guide writes it: Relationship 15"),
        Step(relationship(6).equation, "d = 1: Relationship 6"),
    )
    return Derivation("output-size", "Output size, by counting kernel positions", steps, result)


@lru_cache(maxsize=1)
def transposed() -> TransposedDerivation:
    """Solve the connectivity constraints for the equivalent direct convolution."""
    i, k, s, d, p_l, p_r, j, t = S.i, S.k, S.s, S.d, S.p_l, S.p_r, S.j, S.t
    k2, s2, d2, p2, a = S.k_prime, S.s_prime, S.d_prime, S.p_prime, S.a
    direct = _eq(x, s * j + d * t - p_l)
    # Unit j of the transposed input sits at s*j in the stretched input, p' more once padded;
    # the equivalent convolution's output x reads it with the flipped tap t' = k' - 1 - t.
    equivalent = _eq(s2 * x + d2 * (k2 - 1 - t), s * j + p2)
    identity = sympy.expand(equivalent.lhs.xreplace({x: direct.rhs}) - equivalent.rhs)
    poly = sympy.Poly(identity, j, t)
    coefficients = Tuple(*(_eq(c, 0) for c in poly.coeffs()))
    flip = _eq(k2 - 1 - (k - 1), 0)  # tap t = k - 1 becomes t' = 0: the kernel keeps its size
    unknowns = [k2, s2, d2, p2]
    solution = _solve([*coefficients, flip], unknowns)
    before = _as(solution[p2], d * (k - 1) - p_l)
    solved = tuple(_eq(u, before if u == p2 else solution[u]) for u in unknowns)

    # The equivalent convolution has unit stride, so its output counts positions
    # on the stretched, padded input. Mirror the rule for the end (d(k - 1) - p_r)
    # and let a be what the size constraint still needs.
    i_prime, stretched = S.i_prime, S.i_tilde
    stretch = _eq(stretched, i_prime + (s - 1) * (i_prime - 1))
    after = d * (k - 1) - p_r
    size = _eq(stretched + before + (after + a) - d * (k - 1), i)
    E = i + p_l + p_r - d * (k - 1) - 1
    a_solved = _as(_solve([_eq(size.lhs.xreplace({stretched: stretch.rhs}), size.rhs)], [a])[a], E - s * (i_prime - 1))
    a_floor = a_solved.xreplace({i_prime: general_output_size()})
    a_mod = Mod(E, s, evaluate=False)  # sympy would write E - 1 as E + s - 1
    output = _as(stretch.rhs + before + after + a - d * (k - 1),
                 s * (i_prime - 1) - p_l - p_r + d * (k - 1) + a + 1)
    result = _eq(S.o_prime, output)
    steps = (
        Step(direct, "the direct convolution: output j, tap t reads input x"),
        Step(equivalent, "the equivalent convolution: output x, flipped tap t' = k' - 1 - t,"
                         " reads unit j of the stretched, padded input"),
        Step(_eq(identity, 0), "both connect the same pairs for every j and t"),
        Step(coefficients, "a polynomial in j and t is zero only if every coefficient is"),
        Step(flip, "the flip sends tap k - 1 to tap 0, so k' = k"),
        Step(Tuple(*solved), "solved"),
        Step(stretch, "s - 1 zeros between the i' units"),
        Step(size, "the equivalent convolution (unit stride) must output i units; it pads d(k - 1) - p_r plus a after"),
        Step(_eq(a, a_solved), "solved for a"),
        Step(_eq(a, a_floor), "i' is the direct convolution's output size"),
        Step(_eq(a, a_mod), "division algorithm: E - s⌊E/s⌋ = E mod s, so 0 ≤ a ≤ s - 1"),
        Step(result, "the transposed output size; PyTorch's formula with a = output_padding"),
        Step(_eq(p2, before), "p' < 0 when p_l > d(k - 1): the equivalent convolution crops instead of padding"),
    )
    equivalent_conv = Equivalent(
        kernel_size=solution[k2], stride=solution[s2], dilation=solution[d2], zeros_between=s - 1,
        padding=(before, after), a=a_mod, input_size=i_prime,
        stretched_input=stretch.rhs, output_size=output)
    return TransposedDerivation(
        "transposed", "The transposed convolution, from its connectivity", steps, result,
        solution=solved, equivalent=equivalent_conv)


def specialise(number: int) -> Derivation:
    """Relationship ``number`` as the general derivation under its conditions.

    For a transposed relationship the system ``o'``, ``a``, ``p'`` is carried
    together, so the guide's ``p' = p`` (10) and ``p' = 0`` (11) follow too.
    """
    rel = relationship(number)
    symmetric = {S.p_l: S.p, S.p_r: S.p}
    if rel.kind == "transposed":
        general = transposed()
        eq = general.equivalent
        a_symmetric = Mod(eq.a.args[0].subs(symmetric), S.s, evaluate=False)
        start = Tuple(_eq(S.o_prime, general.result.rhs.subs(symmetric)),
                      _eq(S.a, a_symmetric), _eq(S.p_prime, eq.p_prime.subs(symmetric)))
        claimed = rel.equivalent
        if claimed is None:
            raise SymconvError(f"relationship {number} is transposed but states no equivalent convolution (a bug)")
        stated = Tuple(rel.equation, _eq(S.a, claimed.a), _eq(S.p_prime, claimed.p_prime))
    else:
        start = _eq(rel.lhs, general_output_size().subs(symmetric))
        stated = rel.equation
    steps = [Step(start, "the general result, symmetric padding p_l = p_r = p")]
    if rel.conditions:
        steps.append(Step(Tuple(*rel.conditions), "the relationship's conditions"))
    special = rel.specialise(start)
    steps.append(Step(special, "substituted and simplified"))
    equations = special if isinstance(special, Tuple) else (special,)
    targets = stated if isinstance(stated, Tuple) else (stated,)
    for got, want in zip(equations, targets):
        difference = rel.specialise(got.rhs.subs(S.a, rel.equivalent.a) if rel.equivalent else got.rhs) \
            - rel.specialise(want.rhs.subs(S.a, rel.equivalent.a) if rel.equivalent else want.rhs)
        if not _is_zero(difference):
            raise SymconvError(f"Relationship {number} does not follow from the general result: {got} is not {want}")
    steps.append(Step(stated, f"Relationship {number}, as the guide states it"))
    return Derivation(f"relationship-{number}", rel.title, tuple(steps), rel.equation)


def derivations() -> tuple[Derivation, ...]:
    """Every derivation: the two general ones, then each relationship's."""
    return (output_size(), transposed(), *(specialise(n) for n in range(1, 16)))
