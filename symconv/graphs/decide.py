"""Which input sizes a graph runs on, per input axis: residue classes, a lower bound and exceptions, exactly.

Along one input axis (its :class:`~symconv.graphs.sizes.Program`) a size
runs when every layer has a window and every join lines up. The first holds
from a smallest size up, since every size is nondecreasing in the input once
the joins' conditions are dropped (a join then gives its largest input); that
size is found by search. The second is decided per residue class, as for
stacks (:mod:`symconv.layers.alignment`): with M the least common multiple of
the down-sampling periods along every path, substituting ``i = M m + r`` makes
every size linear in m, once past any ``min``/``max`` (a slice to a fixed
stop). So a join's condition holds for every large m, or for at most a few m,
which are found as the roots of the linear equations and checked one by one.
Below the point from which every class decides, every size is checked one by
one. The answer is checked again by running every size of a window.

The same substitution proves each layer's simplified size equal to its
formula, in every residue class (``identities``).

>>> from symconv.graphs.parse import parse_graph
>>> unet = parse_graph("x = input [H]; a = conv k=3 p=1; b = pool k=2; c = conv k=3 p=1; u = tconv k=2 s=2;"
...                    " j = cat (a, u)")
>>> print(valid_sizes(unet)["H"])
i ≡ 0 (mod 2), i ≥ 2
>>> [(case.residue, case.holds, case.exceptions) for case in valid_sizes(unet)["H"].cases]
[(0, True, ()), (1, False, ())]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Optional

import sympy
from sympy import Eq, Expr

from symconv.core import symbols
from symconv.core.errors import ParameterError, SymconvError
from symconv.core.numeric import compile_expr
from symconv.core.rebuild import xreplace
from symconv.layers.alignment import InputSizes, _input_sizes, m
from symconv.graphs.graph import Graph
from symconv.graphs.sizes import Constant, Program, Steps, Stopped, analysis, expressions, run
from symconv.layers.regions import MAX_PERIOD

MAX_ENUMERATED = 20_000  #: sizes checked one by one below the point from which the residue classes decide
_SEARCH_LIMIT = 2**64  # no budgeted graph first runs above this (its sizes are at least i/M less its constants)

Form = tuple[Fraction, Fraction, int]  #: slope and intercept in m, exact for every m from the threshold on


def linear(expr: Any, modulus: int, residue: int, memo: Optional[dict] = None) -> Form:
    """``expr`` (in ``i``) at ``i = modulus*m + residue``, as ``(slope, intercept, threshold)``: equal to
    ``slope*m + intercept`` for every integer m from ``threshold`` on.

    >>> from sympy import floor, Max
    >>> from symconv.core.symbols import i
    >>> linear(2 * floor(i / 4) + 1, 4, 3), linear(Max(i - 5, 0), 1, 0)
    ((Fraction(2, 1), Fraction(1, 1), 0), (Fraction(1, 1), Fraction(-5, 1), 5))
    """
    memo = {} if memo is None else memo
    if expr in memo:
        return memo[expr]
    expr = sympy.sympify(expr)
    result: Form
    if expr == symbols.i:
        result = (Fraction(modulus), Fraction(residue), 0)
    elif expr.is_Rational:
        result = (Fraction(0), Fraction(int(expr.p), int(expr.q)), 0)
    elif expr.is_Add:
        parts = [linear(arg, modulus, residue, memo) for arg in expr.args]
        result = (sum((p[0] for p in parts), Fraction(0)), sum((p[1] for p in parts), Fraction(0)),
                  max(p[2] for p in parts))
    elif expr.is_Mul:
        coefficient, rest = expr.as_coeff_Mul()
        if not coefficient.is_Rational or rest.is_Mul:
            raise SymconvError(f"internal error: {expr} is not linear in i")
        slope, intercept, threshold = linear(rest, modulus, residue, memo)
        c = Fraction(int(coefficient.p), int(coefficient.q))
        result = (c * slope, c * intercept, threshold)
    elif isinstance(expr, (sympy.floor, sympy.ceiling)):
        slope, intercept, threshold = linear(expr.args[0], modulus, residue, memo)
        if slope.denominator != 1:
            raise SymconvError(f"internal error: {expr} is not linear in m for i = {modulus}m + {residue}")
        rounded = math.floor(intercept) if isinstance(expr, sympy.floor) else math.ceil(intercept)
        result = (slope, Fraction(rounded), threshold)
    elif isinstance(expr, (sympy.Min, sympy.Max)):
        result = _extreme([linear(arg, modulus, residue, memo) for arg in expr.args], isinstance(expr, sympy.Max))
    else:
        raise SymconvError(f"internal error: cannot decide on {type(expr).__name__} ({expr})")
    memo[expr] = result
    return result


def _extreme(forms: list[Form], largest: bool) -> Form:
    """The min (or max) of linear forms: for large m the one with the least (greatest) slope, then intercept."""
    sign = -1 if largest else 1
    chosen = min(forms, key=lambda f: (sign * f[0], sign * f[1]))
    threshold = max(f[2] for f in forms)
    for slope, intercept, _ in forms:
        gap = sign * (slope - chosen[0])
        if gap > 0:  # chosen stays on its side from (its intercept - this one's) / gap on
            threshold = max(threshold, math.ceil(sign * (chosen[1] - intercept) / gap))
    return chosen[0], chosen[1], threshold


def _root(a: Form, b: Form) -> set[int]:
    """The m >= 0 where two different linear forms agree: at most one."""
    slope, intercept = a[0] - b[0], a[1] - b[1]
    if slope == 0:
        return set()
    root = -intercept / slope
    return {int(root)} if root.denominator == 1 and root >= 0 else set()


def _join(rule: str, forms: list[Form]) -> tuple[bool, set[int]]:
    """Whether a join holds for every large m, and if not the m where it may still hold."""
    one = (Fraction(0), Fraction(1))
    lines = [(f[0], f[1], 0) for f in forms if rule != "broadcast" or (f[0], f[1]) != one]
    distinct = list(dict.fromkeys(lines))
    if len(distinct) <= 1:
        return True, set()
    if rule != "broadcast":
        return False, _root(distinct[0], distinct[1])
    # It holds where every input that is not 1 has the same size: so one input is 1, or two differ and agree.
    roots = set().union(*(_root(f, (Fraction(0), Fraction(1), 0)) for f in distinct))
    return False, roots.union(*(_root(f, g) for n, f in enumerate(distinct) for g in distinct[n + 1:]))


@dataclass(frozen=True)
class ResidueClass:
    """One residue class of an axis: ``substitution`` is ``i = M m + r``.

    ``conditions`` are the joins' equalities there, linear in m; ``holds``
    whether the joins line up for every size of the class from ``start`` on;
    ``exceptions`` the sizes of the class (where every layer has a window) for
    which the truth is the other one.
    """

    residue: int
    substitution: Eq
    conditions: tuple[Eq, ...]
    holds: bool
    start: int
    exceptions: tuple[int, ...]


@dataclass(frozen=True)
class AxisDecision:
    """The input sizes of one axis on which the graph runs.

    ``conditions`` are the joins' conditions (``joins`` names each join's
    node); ``minimum`` is the smallest size on which every layer has a window
    (None: no size), ``below_minimum`` why the size below fails; ``cases``
    the decision per residue class mod ``modulus``; ``answer`` the exact set;
    ``checked`` the sizes on which the answer was confirmed by running every
    one; ``identities`` how many steps' simplified sizes differ in form from
    their formulas, and were proved equal to them in every residue class.
    """

    axis: str
    conditions: tuple[Any, ...]
    joins: tuple[str, ...]
    modulus: int
    minimum: Optional[int]
    below_minimum: Optional[str]
    cases: tuple[ResidueClass, ...]
    answer: InputSizes
    checked: tuple[int, int]
    identities: int

    def __str__(self) -> str:
        return str(self.answer)


def _modulus(steps: Steps) -> int:
    periods: list[int] = []
    for step, refs in steps:
        inherited = math.lcm(1, *(periods[ref] for ref in refs if isinstance(ref, int)))
        periods.append(inherited * (1 if step is None else step.period))
        if periods[-1] > MAX_PERIOD:
            raise ParameterError("period", periods[-1], f"the strides along a path multiply to more than {MAX_PERIOD},"
                                 " too many residue classes to decide")
    return math.lcm(*periods)


def _smallest(steps: Steps) -> tuple[Optional[int], Optional[Stopped]]:
    """The smallest size on which every step has a window (joins' conditions dropped), and why the one below fails."""
    def failure(n: int) -> Optional[Stopped]:
        try:
            run(steps, n, "relaxed")
        except Stopped as stopped:
            return stopped
        return None

    high = 1
    while failure(high):
        if high >= _SEARCH_LIMIT:
            return None, failure(high)
        high *= 2
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if failure(middle) is None else (middle, high)
    return high, failure(high - 1) if high > 1 else None


def _canonical(sizes: InputSizes, running: int) -> InputSizes:
    """The same set with the periodic part starting as low as the isolated sizes below it allow; without one,
    the minimum is ``running``, the smallest size on which every layer has a window (as for stacks)."""
    if not sizes.residues:
        return InputSizes(1, (), running, sizes.isolated)
    minimum, isolated = sizes.minimum, set(sizes.isolated)
    while minimum > 1:
        below = [n for n in range(minimum - sizes.modulus, minimum) if n >= 1 and n % sizes.modulus in sizes.residues]
        if not below or not set(below) <= isolated:
            break
        minimum, isolated = below[0], isolated - set(below)
    return InputSizes(sizes.modulus, sizes.residues, minimum, tuple(sorted(isolated)))


def _runs(steps: Steps, n: int) -> bool:
    try:
        run(steps, n)
    except Stopped:
        return False
    return True


def _constant(ref: Any) -> Form:
    return Fraction(0), Fraction(ref.value), 0


@dataclass(frozen=True)
class _Decision:
    """A decision in ``i`` with steps by index: what equal programs share."""

    conditions: tuple[tuple[int, Any], ...]
    modulus: int
    minimum: Optional[int]
    below: Optional[Stopped]
    cases: tuple[ResidueClass, ...]
    answer: InputSizes
    checked: tuple[int, int]
    identities: int


def _condition(rule: str, sizes: list[Expr]) -> Any:
    first, *rest = sizes
    if rule == "broadcast":
        return sympy.And(*(sympy.Or(Eq(a, b, evaluate=False), Eq(a, 1, evaluate=False), Eq(b, 1, evaluate=False))
                           for n, a in enumerate(sizes) for b in sizes[n + 1:] if a != b), evaluate=False)
    return sympy.And(*(Eq(first, other, evaluate=False) for other in rest if other != first), evaluate=False)


def _identities(steps: Steps, exprs: tuple, modulus: int, residue: int, minimum: int, memo: dict) -> int:
    """Check every step's simplified size against its formula in this class; returns how many differ in form
    (and so were proved equal)."""
    checked = 0
    for index, (simplified, formula) in enumerate(exprs):
        if simplified is None or simplified == formula:
            continue
        a, b = linear(simplified, modulus, residue, memo), linear(formula, modulus, residue, memo)
        below = max(a[2], b[2])
        if a[:2] != b[:2] or any(compile_expr(simplified, (symbols.i,))(n) != compile_expr(formula, (symbols.i,))(n)
                                 for n in (modulus * k + residue for k in range(below)) if n >= max(minimum, 1)):
            raise SymconvError(f"internal error: step {index} simplified to {simplified}, which differs from its"
                               f" formula {formula} for i = {modulus}m + {residue}")
        checked += 1
    return checked


@lru_cache(maxsize=64)
def _decide(steps: Steps) -> _Decision:
    exprs = expressions(steps)
    modulus = _modulus(steps)
    joins = [index for index, (step, _) in enumerate(steps) if step is not None and step.rule]
    sizes = [[sympy.Integer(ref.value) if isinstance(ref, Constant) else exprs[ref][0] for ref in steps[index][1]]
             for index in joins]
    conditions = tuple((index, None if None in inputs else _condition(steps[index][0].rule, inputs))  # type: ignore
                       for index, inputs in zip(joins, sizes))
    minimum, below = _smallest(steps)
    if minimum is None:
        return _Decision(conditions, modulus, None, below, (), InputSizes(1, (), 1), (1, 1), 0)
    cases, candidates, identities = [], {}, 0
    for residue in range(modulus):
        memo: dict = {}
        holds, threshold, equations = True, 0, []
        found: set[int] = set()
        for index, inputs in zip(joins, sizes):
            step, refs = steps[index]
            if None in inputs:  # a fixed size that its next step refuses: wherever this join holds, that step fails
                holds, found = False, set()
                break
            forms = [_constant(ref) if isinstance(ref, Constant) else linear(exprs[ref][0], modulus, residue, memo)
                     for ref in refs]
            threshold = max(threshold, *(form[2] for form in forms))
            equations += [Eq(forms[0][0] * m + forms[0][1], form[0] * m + form[1], evaluate=False)
                          for form in forms[1:]]
            ok, roots = _join(step.rule, forms)  # type: ignore[union-attr]
            if not ok:
                holds, found = False, roots
                break
        identities = _identities(steps, exprs, modulus, residue, minimum, memo)
        start = modulus * threshold + residue
        candidates[residue] = {modulus * root + residue for root in found if root >= threshold}
        cases.append((residue, Eq(symbols.i, modulus * m + residue, evaluate=False), tuple(equations), holds, start))
    # A size M m + r with m at least every class's threshold is past its own class's: from there the classes decide.
    lower = max(minimum, modulus * max((case[4] - case[0]) // modulus for case in cases))
    if lower - minimum > MAX_ENUMERATED:
        raise ParameterError("graph", f"sizes from {minimum}", f"its residue classes decide only from size {lower}:"
                             f" more than {MAX_ENUMERATED} sizes to check one by one")
    running = {n for n in range(minimum, lower) if _runs(steps, n)}
    running |= {n for found in candidates.values() for n in found if n >= lower and _runs(steps, n)}
    residues = {residue for residue, _, _, holds, _ in cases if holds}
    answer = _canonical(_input_sizes(modulus, residues, lower, running), minimum)
    high = lower + 2 * modulus + 32
    for n in [*range(max(1, minimum - 32), minimum), *range(lower, high + 1)]:
        if _runs(steps, n) != (n in answer):
            raise SymconvError(f"internal error: the graph's sizes decided {answer}, but size {n} disagrees")
    classes = tuple(ResidueClass(
        residue, substitution, equations, holds, start,
        tuple(sorted(n for n in range(minimum, lower) if n % modulus == residue and (n in running) != holds)
              + sorted(n for n in candidates[residue] if n >= lower and n in running)))
        for residue, substitution, equations, holds, start in cases)
    return _Decision(conditions, modulus, minimum, below, classes, answer, (max(1, minimum - 32), high), identities)


def decide(program: Program) -> AxisDecision:
    """The input sizes of ``program``'s axis on which the graph runs (see the module docstring).

    >>> from symconv.graphs.parse import parse_graph
    >>> from symconv.graphs.sizes import analysis
    >>> program = analysis(parse_graph("x = input [L]; a = pool k=3; u = upsample f=3; c = add (x, u)")).programs["L"]
    >>> found = decide(program)
    >>> str(found), found.modulus, found.joins, found.conditions
    ('i ≡ 0 (mod 3), i ≥ 3', 3, ('c',), (Eq(L, 1) | Eq(L, 3*floor(L/3)) | Eq(3*floor(L/3), 1),))
    """
    found = _decide(program.steps)
    rename = {symbols.i: program.symbol}

    def named(value: Any) -> Any:
        return value if value is None or program.symbol == symbols.i else xreplace(value, rename)

    below = None if found.below is None else program.message(found.below.index, found.below.refused)
    cases = tuple(ResidueClass(case.residue, named(case.substitution), case.conditions, case.holds, case.start,
                               case.exceptions) for case in found.cases)
    return AxisDecision(program.axis, tuple(named(condition) for _, condition in found.conditions),
                        tuple(program.places[index][0] for index, _ in found.conditions), found.modulus, found.minimum,
                        below, cases, found.answer, found.checked, found.identities)


def valid_sizes(graph: Graph) -> dict[str, AxisDecision]:
    """For each input axis, the sizes on which every layer has a window and every join lines up.

    The graph runs at an input size exactly when each axis's size is in its
    set. A fixed-size part that fails makes every set empty (``below_minimum`` says why).

    Here ``a`` is ``⌊(H - 1)/2⌋`` and ``b`` is ``⌈H/2⌉``: they differ at every
    size, and the add lines up only where ``a`` is 1 and broadcasts:

    >>> from symconv.graphs.parse import parse_graph
    >>> found = valid_sizes(parse_graph("x = input [H, W]; a = conv k=3 s=2 (x); b = conv k=1 s=2 (x); c = add (a, b)"))
    >>> print(found["H"]), found["H"].minimum, found["H"].below_minimum
    i ∈ {3, 4}
    (None, 3, "Conv 'a' along H: no kernel position fits: i + p_l + p_r = 2 < d(k - 1) + 1 = 3")
    """
    found = analysis(graph)
    if found.never is not None:
        return {axis: AxisDecision(axis, (), (), 1, None, found.never.message, (), InputSizes(1, (), 1), (1, 1), 0)
                for axis in graph.axes}
    return {axis: decide(program) for axis, program in found.programs.items()}


__all__ = ["AxisDecision", "ResidueClass", "valid_sizes", "decide", "linear", "MAX_ENUMERATED"]
