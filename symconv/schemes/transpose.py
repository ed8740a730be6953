"""A scheme's transposed convolution: the equivalent direct convolution and the output_padding that recovers ``i``.

Everything here is the guide's general transpose (:func:`symconv.guide.derive.transposed`)
with the scheme's padding put in; nothing is derived twice.

>>> from symconv.core.printing import text
>>> from symconv.schemes import scheme
>>> text(derived_a(scheme("valid")))
'(i - d(k - 1) - 1) mod s'
>>> [text(side) for side in equivalent(scheme("causal")).padding]
['0', 'd(k - 1)']
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy
from sympy import Eq, Le, Symbol
from sympy.logic.boolalg import Boolean

from symconv.core import symbols as S
from symconv.core.rebuild import xreplace
from symconv.core.errors import SymconvError
from symconv.guide.derive import transposed
from symconv.guide.model import Equivalent
from symconv.guide.shapes import transposed_output_size
from symconv.schemes.model import ClaimResult, Scheme, Status, a, o, o_t
from symconv.schemes.simplify import raw_output_size


@dataclass(frozen=True)
class TransposedReport:
    """The scheme's transposed convolution, as the equivalent direct convolution (kernel flipped).

    ``output_padding`` is the scheme's own, or else the ``a`` that recovers ``i``;
    ``recovers`` is the theorem that the transpose with it gives back every ``i``,
    with ``0 <= a <= s - 1``.
    """

    equivalent: Equivalent
    output_padding: sympy.Expr
    recovers: ClaimResult


def _general() -> Equivalent:
    found = transposed().equivalent
    if found is None:
        raise SymconvError("the guide's transpose derived no equivalent direct convolution: a bug in symconv")
    return found


def derived_a(scheme: Scheme) -> sympy.Expr:
    """``a = (i + p_l + p_r - d(k - 1) - 1) mod s``: the output_padding that recovers i (theorem round-trip).

    The remainder is kept as the guide writes it, with the scheme's padding put into its dividend: sympy would
    evaluate it again, rewriting ``E - 1`` as ``E + s - 1`` (a shortest-form search, and its proof, to undo).
    """
    dividend, modulus = _general().a.args
    values = {S.p_l: scheme.before, S.p_r: scheme.after}
    return sympy.Mod(xreplace(dividend, values), xreplace(modulus, values), evaluate=False)


def output_padding(scheme: Scheme) -> sympy.Expr:
    """The scheme's own output_padding, or else the one that recovers i."""
    return scheme.output_padding if scheme.output_padding is not None else derived_a(scheme)


def equivalent(scheme: Scheme) -> Equivalent:
    """The guide's equivalent direct convolution, with the scheme's padding and output_padding."""
    general = _general()
    values = {S.p_l: scheme.before, S.p_r: scheme.after}
    return Equivalent(
        kernel_size=general.kernel_size, stride=general.stride, dilation=general.dilation,
        zeros_between=general.zeros_between,
        padding=(xreplace(general.padding[0], values), xreplace(general.padding[1], values)),
        a=output_padding(scheme), input_size=raw_output_size(scheme), stretched_input=general.stretched_input,
        output_size=xreplace(general.output_size, values))


def recovery(scheme: Scheme) -> tuple[Boolean, tuple[tuple[Symbol, sympy.Expr], ...]]:
    """The claim that the transpose with ``a`` gives back ``i`` with ``0 <= a <= s - 1``, and ``o'`` defined."""
    recovered = sympy.And(Eq(o_t, S.i), Le(0, a, evaluate=False), Le(a, S.s - 1))
    o_prime = transposed_output_size(o, S.k, S.s, (scheme.before, scheme.after), S.d, a)
    return recovered, ((o_t, o_prime),)


def transposable(claimed: bool, recovers: ClaimResult) -> ClaimResult:
    """The scheme's claim ``transposable`` (or its negation), settled by the recovery theorem."""
    if claimed:
        return replace(recovers, claim=sympy.Symbol("transposable"))
    # "Not transposable" is proved by one input that the transpose misses.
    if recovers.status in ("unproved", "conflict"):
        return replace(recovers, claim=sympy.Not(sympy.Symbol("transposable")))
    status: Status = "proved" if recovers.status == "false" else "false"
    return replace(recovers, claim=sympy.Not(sympy.Symbol("transposable")), status=status,
                   counterexample=None if status == "proved" else recovers.counterexample)
