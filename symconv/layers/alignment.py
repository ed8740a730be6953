"""Which input sizes make a stack run, keep its size or align its skip connections: exact residue classes.

With M the product of the strides of the down-sampling layers, substituting
``i = M m + r`` makes every layer's size linear in m. So each condition holds
for every m, for none, or for exactly one, and that is decided per residue r.
The answer is then checked again by running every size in a window.

Each decision is along one axis; a stack with per-axis layers is decided axis
by axis (``stack.along(axis)``).

>>> from symconv.layers.parse import parse_stack
>>> net = parse_stack("conv k=3 p=1 @e1; pool k=2; conv k=3 p=1; tconv k=2 s=2 @d1 | e1=d1")
>>> print(aligned_inputs(net).answer)
i ≡ 0 (mod 2), i ≥ 2
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from math import prod
from typing import Callable, Optional, Sequence, Union

import sympy
from sympy import Eq, Expr, Poly, Symbol

from symconv.core import symbols
from symconv.core.errors import ParameterError, SymconvError
from symconv.core.printing import text
from symconv.core.rebuild import xreplace
from symconv.core.steps import Step
from symconv.core.validation import positive
from symconv.layers.layer import Layer, Size, Stack, one_axis, remembered, resolved
from symconv.layers.regions import MAX_PERIOD
from symconv.layers.simplify import _expressions
from symconv.layers.sizes import sizes

#: The nonnegative integer of the substitution i = M*m + r.
m = Symbol("m", integer=True, nonnegative=True)


@dataclass(frozen=True)
class InputSizes:
    """The input sizes ``i >= minimum`` with ``i mod modulus`` in ``residues``, and the ``isolated`` ones.

    >>> aligned = InputSizes(16, (0,), 16)
    >>> print(aligned)
    i ≡ 0 (mod 16), i ≥ 16
    >>> 32 in aligned, 40 in aligned, aligned.smallest_at_least(33)
    (True, False, 48)
    """

    modulus: int
    residues: tuple[int, ...]
    minimum: int
    isolated: tuple[int, ...] = ()

    def __contains__(self, size: int) -> bool:
        return size in self.isolated or (size >= self.minimum and size % self.modulus in self.residues)

    def smallest_at_least(self, n: int) -> Optional[int]:
        """The smallest member that is at least ``n``, or None."""
        start = max(n, self.minimum)
        candidates = [x for x in self.isolated if x >= n]
        candidates += [start + (r - start) % self.modulus for r in self.residues]
        return min(candidates, default=None)

    def __str__(self) -> str:
        return self.text()

    def text(self, axis: str = "i") -> str:
        """The set with the size called ``axis``: ``H ≡ 0 (mod 16), H ≥ 16``."""
        parts = []
        if self.residues:
            classes = ", ".join(map(str, self.residues))
            parts.append(f"{axis} ≥ {self.minimum}" if self.modulus == 1
                         else f"{axis} ≡ {classes} (mod {self.modulus}), {axis} ≥ {self.minimum}")
        if self.isolated:
            parts.append(f"{axis} = {self.isolated[0]}" if len(self.isolated) == 1
                         else f"{axis} ∈ {{" + ", ".join(map(str, self.isolated)) + "}")
        return "; or ".join(parts) or ("no input size" if axis == "i" else f"no size of {axis}")


def _input_sizes(modulus: int, residues: set[int], minimum: int, isolated: set[int]) -> InputSizes:
    """The canonical InputSizes: the shortest period, the least member as minimum."""
    reduced = True
    while reduced and modulus > 1:
        reduced = False
        for factor in (q for q in range(2, modulus + 1) if modulus % q == 0):
            smaller = modulus // factor
            if all((r + smaller * n) % modulus in residues for r in residues for n in range(factor)):
                modulus, residues, reduced = smaller, {r % smaller for r in residues}, True
                break
    if not residues:
        modulus = 1
    if residues:
        minimum += next(n for n in range(modulus) if (minimum + n) % modulus in residues)
    extra = {x for x in isolated if not (x >= minimum and x % modulus in residues)}
    return InputSizes(modulus, tuple(sorted(residues)), minimum, tuple(sorted(extra)))


@dataclass(frozen=True)
class ResidueCase:
    """One residue class of a decision: ``substitution`` is i = M*m + r.

    ``conditions`` are the query's equalities after the substitution, linear
    in m; ``verdict`` is "always" (every m), "never", or "once" (at ``size``).
    """

    residue: int
    substitution: Eq
    conditions: tuple[Eq, ...]
    verdict: str
    size: Optional[int] = None


@dataclass(frozen=True)
class Decision:
    """Which input sizes satisfy ``query``, decided per residue class mod ``modulus``.

    ``conditions`` are the query's equalities in i; ``minimum`` the smallest
    input the stack runs on (``below_minimum`` says why ``minimum - 1``
    fails); ``answer`` the exact set; ``checked`` the range of i on which the
    answer was confirmed by running :func:`sizes` on every size.
    """

    query: str
    conditions: tuple[Eq, ...]
    modulus: int
    minimum: int
    below_minimum: Optional[str]
    cases: tuple[ResidueCase, ...]
    answer: InputSizes
    checked: tuple[int, int]

    def __str__(self) -> str:
        return str(self.answer)


Equalities = Callable[[Size, Sequence[Size]], list[tuple[Size, Size]]]


def _run(stack: Stack, n: int) -> Union[tuple[Size, ...], ParameterError]:
    """Every layer's size at input ``n``, or the error that stops it. The decisions of a stack run the same
    sizes (``net`` decides where it runs and where it aligns), so each is run once."""
    def run() -> Union[tuple[Size, ...], ParameterError]:
        try:
            return tuple(sizes(stack, n))
        except ParameterError as error:
            return error

    return remembered(stack, ("sizes", n), run)


def _smallest_valid(stack: Stack) -> tuple[int, Optional[str]]:
    # Every layer's output size is nondecreasing in its input, so the sizes a
    # stack runs on are all those from the smallest one up: search for it.
    def failure(n: int) -> Optional[str]:
        found = _run(stack, n)
        return str(found) if isinstance(found, ParameterError) else None

    high = 1
    while failure(high):
        high *= 2
    low = high // 2  # fails, or is 0
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if failure(middle) is None else (middle, high)
    return high, failure(high - 1) if high > 1 else None


Linear = tuple[Fraction, Fraction]  #: slope and intercept in m


def _linear(expr: sympy.Basic, i: Expr, modulus: int, residue: int) -> Optional[Linear]:
    """``expr`` at ``i = modulus m + residue`` as ``slope m + intercept``, exactly; None if a part is not of a form
    this reads, which the caller then leaves to sympy.

    A size is built from i by sums, products with numbers, floors, ceilings and minima. For an integer m,
    ``⌊a m + b⌋ = a m + ⌊b⌋`` when a is an integer (and so for the ceiling), and ``min(a m + b, a m + c)`` is
    ``a m + min(b, c)``: the same rules sympy applies when it evaluates the substituted expression, without its
    assumption queries on every new subexpression.
    """
    if expr == i:
        return Fraction(modulus), Fraction(residue)
    if expr.is_Rational:
        return Fraction(0), Fraction(int(expr.p), int(expr.q))
    if expr.is_Add or expr.is_Mul:
        parts = [_linear(arg, i, modulus, residue) for arg in expr.args]
        if any(part is None for part in parts):
            return None
        known = [part for part in parts if part is not None]
        if expr.is_Add:
            return sum((a for a, _ in known), Fraction(0)), sum((b for _, b in known), Fraction(0))
        slope, intercept = Fraction(0), Fraction(1)
        for a, b in known:
            if a and slope:
                return None  # a product of two terms in m
            slope, intercept = slope * b + a * intercept, intercept * b
        return slope, intercept
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        inner = _linear(expr.args[0], i, modulus, residue)
        if inner is None or inner[0].denominator != 1:
            return None
        rounding = math.floor if isinstance(expr, sympy.floor) else math.ceil
        return inner[0], Fraction(rounding(inner[1]))
    if isinstance(expr, (sympy.Min, sympy.Max)):
        options = [_linear(arg, i, modulus, residue) for arg in expr.args]
        known = [option for option in options if option is not None]
        if len(known) != len(options) or len({a for a, _ in known}) != 1:
            return None
        pick = min if isinstance(expr, sympy.Min) else max
        return known[0][0], pick(b for _, b in known)
    return None


def _sympy(number: Fraction) -> Expr:
    return sympy.Rational(number.numerator, number.denominator)


def _case(residue: int, modulus: int, pairs: list[tuple[Size, Size]], i: Expr) -> ResidueCase:
    substitution = Eq(i, modulus * m + residue, evaluate=False)
    conditions, solutions = [], None  # None: every m
    for lhs, rhs in pairs:
        lhs, rhs = (sympy.sympify(side, strict=True) for side in (lhs, rhs))
        left, right = (_linear(side, i, modulus, residue) for side in (lhs, rhs))
        if left is not None and right is not None:
            lhs, rhs = (_sympy(slope) * m + _sympy(intercept) for slope, intercept in (left, right))
            slope, intercept = left[0] - right[0], left[1] - right[1]
        else:  # a form _linear does not read: sympy substitutes and evaluates
            lhs, rhs = (xreplace(side, {i: substitution.rhs}) for side in (lhs, rhs))
            difference = sympy.expand(lhs - rhs)
            if not (difference.free_symbols <= {m} and difference.is_polynomial(m)) or Poly(difference, m).degree() > 1:
                raise SymconvError(f"internal error: {text(difference)} is not linear in m"
                                   f" for i = {text(substitution.rhs)}")
            slope, intercept = (Fraction(int(c.p), int(c.q)) for c in (difference.coeff(m, 1), difference.coeff(m, 0)))
        conditions.append(Eq(lhs, rhs, evaluate=False))
        if slope == 0:
            holds: Optional[set[int]] = None if intercept == 0 else set()
        else:
            root = -intercept / slope
            holds = {int(root)} if root.denominator == 1 and root >= 0 else set()
        solutions = holds if solutions is None else solutions if holds is None else solutions & holds
    if solutions is None:
        return ResidueCase(residue, substitution, tuple(conditions), "always")
    if not solutions:
        return ResidueCase(residue, substitution, tuple(conditions), "never")
    return ResidueCase(residue, substitution, tuple(conditions), "once", modulus * solutions.pop() + residue)


def _period(layer: Layer) -> int:
    # i -> i + s shifts a down-sampling layer's output by one; other kinds are linear in their input.
    return layer.axis().stride if layer.kind.down_samples else 1


def _decide(stack: Stack, query: str, equalities: Equalities) -> Decision:
    stack, i = one_axis(stack), symbols.i
    pairs = equalities(i, _expressions(stack, i))
    # With M the product of the down-sampling strides, i -> i + M shifts every
    # strided layer's input by a multiple of its stride, so with i = M*m + r
    # each floor splits into a multiple of m plus a number and every size is
    # linear in m: each equality holds for every m, for none, or for one.
    modulus = prod(_period(layer) for layer in stack.layers) if pairs else 1
    if modulus > MAX_PERIOD:
        raise ParameterError("period", modulus,
                             f"the product of the strides must be at most {MAX_PERIOD} to decide residue classes")
    minimum, below = _smallest_valid(stack)
    cases = tuple(_case(r, modulus, pairs, i) for r in range(modulus))
    answer = _input_sizes(
        modulus,
        {case.residue for case in cases if case.verdict == "always"},
        minimum,
        {case.size for case in cases if case.verdict == "once" and case.size is not None and case.size >= minimum},
    )
    checked = (max(1, minimum - 64), minimum + 4 * modulus + 64)
    for n in range(checked[0], checked[1] + 1):
        found, holds = _run(stack, n), False
        if not isinstance(found, ParameterError):
            try:
                holds = all(a == b for a, b in equalities(n, found))
            except ParameterError:
                holds = False
        if holds != (n in answer):
            raise SymconvError(f"internal error: {query} decided {answer} but i = {n} disagrees")
    conditions = tuple(Eq(a, b, evaluate=False) for a, b in pairs)
    return Decision(query, conditions, modulus, minimum, below, cases, answer, checked)


def valid_input_sizes(stack: Stack) -> Decision:
    """The input sizes on which every layer has at least one kernel position.

    >>> from symconv.layers.parse import parse_stack
    >>> print(valid_input_sizes(parse_stack("conv k=3; conv k=3; pool k=2")))
    i ≥ 6
    """
    return _decide(stack, "the stack runs", lambda i, sizes_: [])


def same_size_inputs(stack: Stack) -> Decision:
    """The input sizes the stack maps to themselves (o = i).

    >>> from symconv.layers.parse import parse_stack
    >>> print(same_size_inputs(parse_stack("conv k=3 s=2 p=1; tconv k=3 s=2 p=1")))
    i ≡ 1 (mod 2), i ≥ 1
    """
    return _decide(stack, "o = i", lambda i, sizes_: [(sizes_[-1], i)])


def aligned_inputs(stack: Stack) -> Decision:
    """The input sizes for which every pair of taps has equal sizes.

    >>> from symconv.layers.parse import parse_stack
    >>> print(aligned_inputs(parse_stack("pool k=2 @a; pool k=2; tconv k=2 s=2 @b | a=b")))
    i ≡ 0, 1 (mod 4), i ≥ 4
    """
    stack = one_axis(stack)
    if not stack.pairs:
        raise ParameterError("pairs", (), "aligned_inputs needs alignment pairs: end the stack text with '| a=b'")
    index = [(stack.tap_index(a), stack.tap_index(b)) for a, b in stack.pairs]
    query = ", ".join(f"size({a}) = size({b})" for a, b in stack.pairs)
    return _decide(stack, query, lambda i, sizes_: [(sizes_[a], sizes_[b]) for a, b in index])


def inputs_for_output(stack: Stack, target: int) -> Decision:
    """The input sizes that give output size ``target``.

    >>> from symconv.layers.parse import parse_stack
    >>> print(inputs_for_output(parse_stack("conv k=3 s=2 p=1"), 112))
    i ∈ {223, 224}
    """
    target = positive("target", target)
    return _decide(stack, f"o = {target}", lambda i, sizes_: [(sizes_[-1], target)])


def exact_inputs(stack: Stack) -> Decision:
    """The input sizes on which no strided down-sampling layer drops (or, in ceil mode, pads) a remainder.

    A down-sampling layer of stride s uses its whole (padded) input exactly
    when its kind's ``undo`` (for convolution and pooling, the transposed layer
    with the same parameters) gives that input size back. The original U-Net
    needs this at every pooling:

    >>> from symconv.layers.parse import parse_stack
    >>> level = "conv k=3; conv k=3; pool k=2"
    >>> print(exact_inputs(parse_stack("; ".join([level] * 4))))
    i ≡ 12 (mod 16), i ≥ 76
    """
    stack = one_axis(stack)
    strided = [n for n, layer in enumerate(stack.layers) if _period(layer) > 1]

    def equalities(i: Size, sizes_: Sequence[Size]) -> list[tuple[Size, Size]]:
        inputs = [i, *sizes_]
        return [(stack.layers[n].kind.undo(resolved(stack.layers[n], inputs[n]), sizes_[n]), inputs[n])
                for n in strided]

    return _decide(stack, "every strided layer uses its whole input", equalities)


def decision_steps(decision: Decision) -> tuple[Step, ...]:
    """The proof of a decision: per residue class, the substitution, the linear conditions and the verdict."""
    steps = [Step(sympy.Tuple(*decision.conditions), f"{decision.query}; the sizes are periodic mod {decision.modulus}")
             ] if decision.conditions else []
    for case in decision.cases:
        verdict = {"always": "holds for every m", "never": "holds for no m",
                   "once": f"holds only at i = {case.size}"}[case.verdict]
        steps.append(Step(sympy.Tuple(case.substitution, *case.conditions),
                          f"i ≡ {case.residue} (mod {decision.modulus}): {verdict}"))
    steps.append(Step(sympy.Ge(symbols.i, decision.minimum),
                      "the smallest input on which every layer has a kernel position"
                      + (f" ({decision.below_minimum})" if decision.below_minimum else "")))
    return tuple(steps)
