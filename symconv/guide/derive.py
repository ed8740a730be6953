"""Derivations: the formulas obtained from first principles, as data.

Two derivations start from how a convolution is laid out, and every other
result is a specialisation of them:

- ``output_size()`` counts kernel positions: position ``j`` fits when
  ``s j + d(k - 1) <= i + p_l + p_r - 1``, so ``o = ⌊(i + p_l + p_r - d(k - 1) - 1)/s⌋ + 1``.
- ``transposed()`` requires the equivalent direct convolution (on the input
  stretched by ``s - 1`` zeros, kernel flipped) to connect the same pairs as
  the direct one, for every output ``j`` and tap ``t``. That polynomial identity
  in ``j`` and ``t`` has coefficient equations that sympy solves for
  ``k', s', d', p'``. The size constraint then gives the extra zeros ``a``.

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
from typing import Optional

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
    fits = Le(s * j + d * (k - 1), i + p_l + p_r - 1)
    (bound,) = [rel for rel in [sympy.solve(fits, j)] if rel is not None]
    limit = sympy.together(bound.rhs) if isinstance(bound, Le) and bound.lhs == j else None
    if limit is None:
        raise SymconvError(f"could not solve {fits} for j")
    numerator, denominator = sympy.fraction(limit)
    limit_in_guide_form = (i + p_l + p_r - d * (k - 1) - 1) / s
    if sympy.expand(numerator / denominator - limit_in_guide_form) != 0:
        raise SymconvError(f"unexpected solution {bound}")
    result = Eq(o, floor(limit_in_guide_form) + 1)
    steps = (
        Step(fits, "position j fits when its last tap, at s j + d(k - 1), still falls on the padded input"),
        Step(Le(j, limit_in_guide_form), "solved for j (s > 0)"),
        Step(result, "the positions are j = 0, 1, …, ⌊bound⌋: that many plus one"
                     " (the bound is ≥ 0 exactly when a kernel fits)"),
        Step(Eq(o, result.rhs.subs({p_l: S.p, p_r: S.p})), "symmetric padding p_l = p_r = p"),
        Step(relationship(15).equation, "the same floor argument, as the guide writes it: Relationship 15"),
        Step(relationship(6).equation, "d = 1: Relationship 6"),
    )
    return Derivation("output-size", "Output size, by counting kernel positions", steps, result)


@lru_cache(maxsize=1)
def transposed() -> TransposedDerivation:
    """Solve the connectivity constraints for the equivalent direct convolution."""
    i, k, s, d, p_l, p_r, j, t = S.i, S.k, S.s, S.d, S.p_l, S.p_r, S.j, S.t
    k2, s2, d2, p2, a = S.k_prime, S.s_prime, S.d_prime, S.p_prime, S.a
    direct = Eq(x, s * j + d * t - p_l)
    # Unit j of the transposed input sits at s*j in the stretched input, p' more once padded;
    # the equivalent convolution's output x reads it with the flipped tap t' = k' - 1 - t.
    equivalent = Eq(s2 * x + d2 * (k2 - 1 - t), s * j + p2)
    identity = sympy.expand(equivalent.lhs.subs(x, direct.rhs) - equivalent.rhs)
    poly = sympy.Poly(identity, j, t)
    coefficients = Tuple(*(Eq(c, 0) for c in poly.coeffs()))
    flip = Eq(k2 - 1 - (k - 1), 0)  # tap t = k - 1 becomes t' = 0: the kernel keeps its size
    unknowns = [k2, s2, d2, p2]
    (solution,) = sympy.solve([*coefficients, flip], unknowns, dict=True)
    before = _as(solution[p2], d * (k - 1) - p_l)
    solved = tuple(Eq(u, before if u == p2 else solution[u]) for u in unknowns)

    # The equivalent convolution has unit stride, so its output counts positions
    # on the stretched, padded input. Mirror the rule for the end (d(k - 1) - p_r)
    # and let a be what the size constraint still needs.
    i_prime, stretched = S.i_prime, S.i_tilde
    stretch = Eq(stretched, i_prime + (s - 1) * (i_prime - 1))
    after = d * (k - 1) - p_r
    size = Eq(stretched + before + (after + a) - d * (k - 1), i)
    E = i + p_l + p_r - d * (k - 1) - 1
    a_solved = _as(sympy.solve(size.subs(stretched, stretch.rhs), a)[0], E - s * (i_prime - 1))
    a_floor = a_solved.subs(i_prime, general_output_size())
    a_mod = Mod(E, s, evaluate=False)  # sympy would write E - 1 as E + s - 1
    output = _as(stretch.rhs + before + after + a - d * (k - 1),
                 s * (i_prime - 1) - p_l - p_r + d * (k - 1) + a + 1)
    result = Eq(S.o_prime, output)
    steps = (
        Step(direct, "the direct convolution: output j, tap t reads input x"),
        Step(equivalent, "the equivalent convolution: output x, flipped tap t' = k' - 1 - t,"
                         " reads unit j of the stretched, padded input"),
        Step(Eq(identity, 0), "both connect the same pairs for every j and t"),
        Step(coefficients, "a polynomial in j and t is zero only if every coefficient is"),
        Step(flip, "the flip sends tap k - 1 to tap 0, so k' = k"),
        Step(Tuple(*solved), "solved"),
        Step(stretch, "s - 1 zeros between the i' units"),
        Step(size, "the equivalent convolution (unit stride) must output i units; it pads d(k - 1) - p_r plus a after"),
        Step(Eq(a, a_solved), "solved for a"),
        Step(Eq(a, a_floor), "i' is the direct convolution's output size"),
        Step(Eq(a, a_mod), "division algorithm: E - s⌊E/s⌋ = E mod s, so 0 ≤ a ≤ s - 1"),
        Step(result, "the transposed output size; PyTorch's formula with a = output_padding"),
        Step(Eq(p2, before), "p' < 0 when p_l > d(k - 1): the equivalent convolution crops instead of padding"),
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
        start = Tuple(Eq(S.o_prime, general.result.rhs.subs(symmetric)),
                      Eq(S.a, a_symmetric), Eq(S.p_prime, eq.p_prime.subs(symmetric)))
        claimed = rel.equivalent
        if claimed is None:
            raise SymconvError(f"relationship {number} is transposed but states no equivalent convolution (a bug)")
        stated = Tuple(rel.equation, Eq(S.a, claimed.a), Eq(S.p_prime, claimed.p_prime))
    else:
        start = Eq(rel.lhs, general_output_size().subs(symmetric))
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
        if sympy.simplify(difference) != 0:
            raise SymconvError(f"Relationship {number} does not follow from the general result: {got} is not {want}")
    steps.append(Step(stated, f"Relationship {number}, as the guide states it"))
    return Derivation(f"relationship-{number}", rel.title, tuple(steps), rel.equation)


def derivations() -> tuple[Derivation, ...]:
    """Every derivation: the two general ones, then each relationship's."""
    return (output_size(), transposed(), *(specialise(n) for n in range(1, 16)))
