"""The output size of a scheme: the general count with the scheme's padding put in, then its shortest form.

The general count is the sliding-window rule of :mod:`symconv.core.rules`
(floor mode, or ceil mode for pooling). Substituted, it is usually long; the
simplifier tries a few shorter forms and keeps the first that the prover shows
equal wherever the scheme applies, so a wrong form is never shown.

>>> from symconv.core.printing import text
>>> from symconv.schemes import scheme
>>> text(raw_output_size(scheme("causal")))
'⌊(i - 1)/s⌋ + 1'
>>> text(output_size(scheme("causal")))
'⌈i/s⌉'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping, Optional, Sequence

import sympy
from sympy import Eq, Max, Min, Mod, Symbol, Tuple, ceiling, floor

from symconv.core import rules
from symconv.core import symbols as S
from symconv.core.rebuild import xreplace
from symconv.core.steps import Step
from symconv.guide.derive import general_output_size
from symconv.proof import Theorem, enumerate_cases, prove
from symconv.schemes.domain import Domain, domain
from symconv.schemes.model import Scheme, a, o, terminating


def general(ceil_mode: bool) -> sympy.Expr:
    """The windows on an input padded by ``p_l, p_r``: the derived count, or ceil mode's."""
    if not ceil_mode:
        return general_output_size()
    return rules.ceil_count(S.i, S.k, S.s, S.d, S.p_l, S.p_r)


def raw_output_size(scheme: Scheme) -> sympy.Expr:
    """The general count with the scheme's padding substituted, not simplified."""
    return xreplace(general(scheme.ceil_mode), {S.p_l: scheme.before, S.p_r: scheme.after})


def output_steps(scheme: Scheme) -> list[Step]:
    """How the output size comes: the general count, the scheme's padding, substituted."""
    steps = []
    if scheme.ceil_mode:
        steps.append(Step(Eq(o, general(False), evaluate=False),
                          "floor mode: the kernel positions that fit on the padded input"))
        steps.append(Step(Eq(o, general(True), evaluate=False),
                          "ceil mode: window j (starting at s j) is kept while the one before it leaves the end "
                          "uncovered, j ≤ ⌈(i + p_l + p_r - d(k - 1) - 1)/s⌉, and only if it starts inside the "
                          "input or the left padding, s j ≤ i + p_l - 1"))
    else:
        steps.append(Step(Eq(o, general(False), evaluate=False), "the derived output size: count the kernel positions"))
    padding = Tuple(Eq(S.p_l, scheme.before, evaluate=False), Eq(S.p_r, scheme.after, evaluate=False))
    steps.append(Step(padding, "the scheme's padding"))
    steps.append(Step(Eq(o, raw_output_size(scheme), evaluate=False), "substituted"))
    return steps


@lru_cache(maxsize=64)
def output_size(scheme: Scheme) -> sympy.Expr:
    """The derived output size, in its shortest form proved equal wherever the scheme applies.

    >>> from symconv.core.printing import text
    >>> from symconv.schemes import scheme
    >>> text(output_size(scheme("causal")))
    '⌈i/s⌉'
    """
    return terminating(scheme.source, lambda: simplest(raw_output_size(scheme), scheme, domain(scheme, {}),
                                                       hints(scheme, o)))


def hints(scheme: Scheme, symbol: Symbol) -> list[sympy.Expr]:
    """The other sides of the claims ``symbol == X``: forms worth trying (the prover still checks them)."""
    return [claim.rhs if claim.lhs == symbol else claim.lhs for claim in scheme.claims
            if isinstance(claim, Eq) and symbol in claim.args]


def simplest(expr: sympy.Expr, scheme: Scheme, scope: Domain, tries: Sequence[sympy.Expr]) -> sympy.Expr:
    """The shortest form the prover shows equal to ``expr`` wherever the scheme applies; ``tries`` are worth trying."""
    for candidate in candidates(expr, scheme, scope, tries):
        theorem = Theorem(f"{scheme.name}-simplify", "simplified", Eq(candidate, expr, evaluate=False),
                          scope.hypotheses, (), scope.variables)
        if enumerate_cases(theorem, scope.ranges)[1] is not None:
            continue  # wrong on a case of the box, so never proved: not worth a search
        if prove(theorem, scope.ranges).status == "proved":
            return candidate
    return expr


def candidates(expr: sympy.Expr, scheme: Scheme, scope: Domain, tries: Sequence[sympy.Expr]) -> list[sympy.Expr]:
    """The forms :func:`simplest` tries, in its order (fewest operations first); ``expr`` itself is not one."""
    substitutions = {h.lhs: h.rhs for h in scope.where if isinstance(h, Eq) and h.lhs.is_Symbol
                     and h.rhs.free_symbols <= set(scheme.variables)}
    return _candidates(expr, tries, substitutions)


def _candidates(expr: sympy.Expr, hints: Sequence[sympy.Expr], substitutions: Mapping[Symbol, sympy.Expr]) -> list:
    """Simpler forms to try: each max/min case, the where's substitutions, ⌊x/m⌋ + 1 = ⌈(x + 1)/m⌉,
    a mod without the multiples of its modulus, and the claims' sides."""
    found = {_rewritten(expr, substitutions), *hints}
    for atom in expr.atoms(Max, Min):
        found |= {_rewritten(expr, {atom: arg}) for arg in atom.args}
    for atom in expr.atoms(Mod):
        # sympy writes (E - 1) mod s as (E + s - 1) mod s; the multiples of s can go.
        value, modulus = atom.args
        kept = [term for term in sympy.Add.make_args(value) if not (term / modulus).is_integer]
        found.add(_rewritten(expr, {atom: Mod(sympy.Add(*kept), modulus, evaluate=False)}))
    found.discard(None)
    found |= {_ceiling_form(c) for c in found}
    size = sympy.count_ops(expr)
    return sorted((c for c in found if c != expr and sympy.count_ops(c) < size and not c.has(o, a)),
                  key=lambda c: (sympy.count_ops(c), sympy.default_sort_key(c)))


def _rewritten(expr: sympy.Expr, replacements: Mapping[sympy.Basic, sympy.Expr]) -> Optional[sympy.Expr]:
    """``expr`` with the replacements, or None where sympy's simplification never ends (one form fewer)."""
    try:
        return xreplace(expr, replacements)
    except RecursionError:
        return None


def _ceiling_form(expr: sympy.Expr) -> sympy.Expr:
    """``⌊x/m⌋ + 1`` as ``⌈(x + 1)/m⌉``: :func:`symconv.core.rules.ceiling_as_floor` read backwards.

    The rule says ``⌈c/m⌉ = ⌊(c + m - 1)/m⌋``; with ``c = x + 1`` the right side is
    ``⌊(x + m)/m⌋ = ⌊x/m⌋ + 1``. Only a candidate: the prover decides.

    >>> from symconv.core.symbols import i
    >>> _ceiling_form(floor((i - 1) / 32) + 1)
    ceiling(i/32)
    """
    terms = sympy.Add.make_args(expr)
    if len(terms) == 2 and sympy.Integer(1) in terms:
        (rest,) = [t for t in terms if t != 1]
        if isinstance(rest, floor):
            numerator, denominator = sympy.fraction(sympy.together(rest.args[0]))
            return ceiling((numerator + 1) / denominator)
    return expr
