"""Random floor/ceiling/mod/max/min/abs statements, true and false, with their own evaluator.

Each :class:`Item` is built from one tree of :class:`Term` nodes. The tree gives
both the sympy :class:`~symconv.proof.Theorem` (``Term.sympy``) and the ground
truth (``Term.eval``, plain Python ints and ``Fraction``): one random choice,
two readings, side by side in :data:`_MEANING`. Nothing here asks sympy or
symconv whether a statement holds.

A true item is an instance of a known identity or inequality (its family), and
carries an *anchor*, a point that satisfies its hypotheses, unless the item is
vacuous on purpose. A false item carries a *witness* planted by construction:
the constants of its linear forms are solved so that the forms take chosen
values at a chosen point. Labels are never computed: the self-test in
``test_soundness.py`` re-checks them with the evaluator.

>>> batch = corpus(30, seed=1)
>>> [item.name for item in batch] == [item.name for item in corpus(30, seed=1)]
True
>>> case = batch[0]
>>> case.truth, case.evaluate(case.witness)
(False, False)
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import itertools
import math
import multiprocessing
import multiprocessing.connection
import operator
import random
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

import sympy

from symconv.core.errors import SymconvError
from symconv.core.guards import evaluated
from symconv.proof import Theorem

BIG = 10**6
SCALES = (10**6, 10**7, 10**9)  # far witnesses: well outside any enumeration box


# --- the tree: one node, two meanings -------------------------------------------------

def _floor_div(numerator, denominator):
    if denominator == 0:
        raise ZeroDivisionError(f"floor({numerator}/0)")
    if type(numerator) is int and type(denominator) is int:
        return numerator // denominator  # exact: Python's // rounds toward minus infinity
    return math.floor(Fraction(numerator) / Fraction(denominator))


def _ceil_div(numerator, denominator):
    return -_floor_div(-numerator, denominator)


def _mod(numerator, denominator):
    # sympy's Mod(a, m) is a - m*floor(a/m) for every m != 0, the sign of m's.
    return numerator - denominator * _floor_div(numerator, denominator)


def _reciprocal(value):
    return Fraction(1) / Fraction(value)


def _built(kind):
    """``kind(*args)``, unevaluated only where sympy's own simplification recurses without end."""
    def build(*args):
        try:
            return evaluated(kind, args)  # as symconv's parser builds it (symconv.core.guards)
        except RecursionError:  # sympy 1.14: Piecewise((X, X >= Y), (Y, True)) for some linear X, Y
            return kind(*args, evaluate=False)

    return build


#: op -> (its value on Python numbers, its sympy form)
_MEANING: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "+": (lambda *xs: sum(xs), lambda *xs: sympy.Add(*xs)),
    "*": (lambda *xs: math.prod(xs), lambda *xs: sympy.Mul(*xs)),
    # built as symconv's parser builds them: sympy 1.14 evaluates some wrongly (symconv.core.guards)
    "floor": (_floor_div, lambda a, b: evaluated(sympy.floor, (a / b,))),
    "ceiling": (_ceil_div, lambda a, b: evaluated(sympy.ceiling, (a / b,))),
    "mod": (_mod, lambda a, b: evaluated(sympy.Mod, (a, b))),
    "max": (max, lambda *xs: evaluated(sympy.Max, xs)),
    "min": (min, lambda *xs: evaluated(sympy.Min, xs)),
    "abs": (abs, lambda x: evaluated(sympy.Abs, (x,))),
    "1/": (_reciprocal, lambda a: sympy.Integer(1) / a),
    "<=": (operator.le, _built(sympy.Le)),
    "<": (operator.lt, _built(sympy.Lt)),
    ">=": (operator.ge, _built(sympy.Ge)),
    ">": (operator.gt, _built(sympy.Gt)),
    "==": (operator.eq, _built(sympy.Eq)),
    "!=": (operator.ne, _built(sympy.Ne)),
    "and": (lambda *xs: all(xs), sympy.And),
}


class Node:
    """Arithmetic on nodes builds trees, so families read like the formulas they state."""

    def __add__(self, other):
        return Term("+", (self, lift(other)))

    def __radd__(self, other):
        return Term("+", (lift(other), self))

    def __sub__(self, other):
        return Term("+", (self, Term("*", (Const(-1), lift(other)))))

    def __rsub__(self, other):
        return lift(other) - self

    def __mul__(self, other):
        return Term("*", (self, lift(other)))

    def __rmul__(self, other):
        return Term("*", (lift(other), self))

    def __neg__(self):
        return Term("*", (Const(-1), self))

    def __repr__(self) -> str:
        if isinstance(self, Var):
            return self.name
        if isinstance(self, Const):
            return str(self.value)
        return f"{self.op}({', '.join(map(repr, self.args))})"


@dataclass(frozen=True, eq=False, repr=False)
class Var(Node):
    name: str
    domain: str  # "positive" (>= 1), "nonnegative" (>= 0) or "integer"

    def admits(self, value: int) -> bool:
        return value >= {"positive": 1, "nonnegative": 0, "integer": -math.inf}[self.domain]

    def sympy(self) -> sympy.Symbol:
        return sympy.Symbol(self.name, integer=True, **({self.domain: True} if self.domain != "integer" else {}))

    def eval(self, env: Mapping[str, Any]) -> Any:
        return env[self.name]

    def variables(self) -> Iterator["Var"]:
        yield self


@dataclass(frozen=True, eq=False, repr=False)
class Const(Node):
    value: int

    def sympy(self) -> sympy.Integer:
        return sympy.Integer(self.value)

    def eval(self, env: Mapping[str, Any]) -> int:
        return self.value

    def variables(self) -> Iterator[Var]:
        return iter(())


@dataclass(frozen=True, eq=False, repr=False)
class Term(Node):
    op: str
    args: tuple

    def sympy(self) -> sympy.Basic:
        if self.op == "piecewise":
            *pairs, otherwise = self.args
            branches = [(pairs[n].sympy(), pairs[n + 1].sympy()) for n in range(0, len(pairs), 2)]
            return _built(sympy.Piecewise)(*branches, (otherwise.sympy(), True))
        return _MEANING[self.op][1](*(arg.sympy() for arg in self.args))

    def eval(self, env: Mapping[str, Any]) -> Any:
        if self.op == "piecewise":  # lazily: only the chosen branch is evaluated
            *pairs, otherwise = self.args
            for value, condition in zip(pairs[::2], pairs[1::2]):
                if condition.eval(env):
                    return value.eval(env)
            return otherwise.eval(env)
        return _MEANING[self.op][0](*(arg.eval(env) for arg in self.args))

    def variables(self) -> Iterator[Var]:
        for arg in self.args:
            yield from arg.variables()


def lift(value) -> Node:
    return value if isinstance(value, Node) else Const(int(value))


def _op(name):
    return lambda *args: Term(name, tuple(map(lift, args)))


floor_div, ceil_div, mod = _op("floor"), _op("ceiling"), _op("mod")
max_, min_, abs_, reciprocal = _op("max"), _op("min"), _op("abs"), _op("1/")
le, lt, ge, gt, eq, ne, conj = _op("<="), _op("<"), _op(">="), _op(">"), _op("=="), _op("!="), _op("and")


def piecewise(*branches: tuple[Node, Node], otherwise) -> Term:
    return Term("piecewise", (*(lift(part) for pair in branches for part in pair), lift(otherwise)))


i, k, s, d = (Var(name, "positive") for name in "iksd")
p, p_l, p_r = (Var(name, "nonnegative") for name in ("p", "p_l", "p_r"))
x, y = (Var(name, "integer") for name in "xy")
u, v, w = (Var(name, "integer") for name in "uvw")  # defined symbols only
VARIABLES = (i, k, s, d, p, p_l, p_r, x, y)
MODULI = (s, d, k)  # symbolic positive moduli


# --- items ----------------------------------------------------------------------------

class Malformed(Exception):
    """The item's definitions use a symbol before defining it."""


@dataclass(frozen=True, eq=False, repr=False)
class Item:
    """A theorem, its label, and the tree that decides it independently.

    ``witness`` (false items) satisfies the hypotheses and falsifies the
    statement; ``anchor`` (true items) satisfies both, so the hypotheses are
    not vacuous by accident. ``malformed`` items list definitions out of
    dependency order: ``truth`` is then the meaning in dependency order, and
    no prover may call them proved.
    """

    name: str
    family: str
    variant: str
    truth: bool
    statement: Term
    hypotheses: tuple[Term, ...]
    definitions: tuple[tuple[Var, Node], ...]
    variables: tuple[Var, ...]
    adversarial: bool = False
    witness: Optional[dict[str, int]] = None
    anchor: Optional[dict[str, int]] = None
    malformed: bool = False
    vacuous: bool = False

    @functools.cached_property
    def theorem(self) -> Theorem:
        """The sympy reading of the trees, built on first use: sympy's constructors dominate generation time."""
        return Theorem(
            name=self.name, title=f"{self.family}: {self.variant}",
            statement=self.statement.sympy(),
            hypotheses=tuple(h.sympy() for h in self.hypotheses),
            definitions=tuple((var.sympy(), value.sympy()) for var, value in self.definitions),
            variables=tuple(var.sympy() for var in self.variables),
        )

    def __repr__(self) -> str:
        label = "malformed" if self.malformed else "vacuous" if self.vacuous else str(self.truth).lower()
        given = f" given {list(self.hypotheses)}" if self.hypotheses else ""
        where = f" where {[f'{var!r} := {value!r}' for var, value in self.definitions]}" if self.definitions else ""
        return (f"<Item {self.name} {self.family} ({label}): {self.variant}; {self.statement!r}{given}{where}; "
                f"{'witness' if not self.truth else 'anchor'} {self.point}>")

    @property
    def must_not_prove(self) -> bool:
        return self.malformed or not self.truth

    @property
    def point(self) -> Optional[dict[str, int]]:
        return self.anchor if self.truth else self.witness

    def evaluate(self, assignment: Mapping[str, Any], dependency_order: bool = False) -> Optional[bool]:
        """The statement at ``assignment``, or None when the point is outside the domain or a hypothesis fails."""
        missing = [var.name for var in self.variables if var.name not in assignment]
        if missing:
            raise ValueError(f"assignment={dict(assignment)} is invalid: it gives no value to {', '.join(missing)}")
        env: dict[str, Any] = {}
        for var in self.variables:
            value = operator.index(assignment[var.name])
            if not var.admits(value):
                return None
            env[var.name] = value
        for symbol, value in (_dependency_order(self.definitions) if dependency_order else self.definitions):
            try:
                env[symbol.name] = value.eval(env)
            except KeyError as unknown:
                raise Malformed(f"{symbol.name} uses {unknown} before it is defined") from None
        if not all(hypothesis.eval(env) for hypothesis in self.hypotheses):
            return None
        return bool(self.statement.eval(env))


def _dependency_order(definitions):
    pending, done, ordered = list(definitions), {var.name for var in VARIABLES}, []
    while pending:
        ready = next(pair for pair in pending if {var.name for var in pair[1].variables()} <= done)
        pending.remove(ready)
        ordered.append(ready)
        done.add(ready[0].name)
    return ordered


def _make_item(name, family, variant, truth, statement, hypotheses=(), definitions=(), *,
               point=None, adversarial=False, malformed=False, vacuous=False, variables=None) -> Item:
    defined = {var.name for var, _ in definitions}
    used = {var.name for tree in (statement, *hypotheses, *(value for _, value in definitions))
            for var in tree.variables()}
    variables = variables or tuple(var for var in VARIABLES if var.name in used - defined)
    point = None if point is None else {var.name: point.get(var.name, 1) for var in variables}
    return Item(name, family, variant, truth, statement, tuple(hypotheses), tuple(definitions), variables,
                adversarial, None if truth else point, point if truth and not vacuous else None, malformed, vacuous)


# --- random choices, from random.Random or from Hypothesis --------------------------------

class RandomChoices:
    def __init__(self, seed: Any) -> None:
        self._random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self._random.randint(low, high)

    def choice(self, options: Sequence):
        return options[self._random.randrange(len(options))]

    def sample(self, options: Sequence, count: int) -> list:
        return self._random.sample(list(options), count)


class DrawChoices:
    """The same interface over Hypothesis's ``draw``, so failures shrink to small choices."""

    def __init__(self, draw) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        from hypothesis import strategies as st

        return self._draw(st.integers(low, high))

    def choice(self, options: Sequence):
        from hypothesis import strategies as st

        return self._draw(st.sampled_from(list(options)))

    def sample(self, options: Sequence, count: int) -> list:
        from hypothesis import strategies as st

        return self._draw(st.permutations(list(options)))[:count]


class _Draft:
    """The choices behind one item and the point (witness or anchor) its forms are planted at."""

    COEFFICIENTS = (-3, -2, -1, 1, 2, 3)

    def __init__(self, choices, far: bool) -> None:
        self.choices, self.far, self.point = choices, far, {}

    def number(self, low: Optional[int] = None, high: Optional[int] = None) -> int:
        """A value for a form at the point: small, or in far mode around a large scale."""
        if self.far and self.choices.integer(0, 1):
            value = self.choices.choice(SCALES) + self.choices.integer(-50, 50)
            value = value if self.choices.integer(0, 1) else -value
        else:
            value = self.choices.integer(-20, 20)
        if low is not None and value < low:  # reflected, so a far value stays far
            value = 2 * low - value
        if high is not None and value > high:
            value = 2 * high - value
        return value

    def value(self, var: Var, least: Optional[int] = None) -> int:
        """The point's value of ``var``, drawn once. In far mode the first variable is always large."""
        if var.name not in self.point:
            floor_ = {"positive": 1, "nonnegative": 0, "integer": -9}[var.domain]
            floor_ = max(floor_, least) if least is not None else floor_
            if self.far and (not self.point or self.choices.integer(0, 1)):
                value = self.choices.choice(SCALES) + self.choices.integer(-50, 50)
                if var.domain == "integer" and self.choices.integer(0, 1):
                    value = -value
            else:
                value = self.choices.integer(floor_, max(floor_, 9))
            self.point[var.name] = value
        return self.point[var.name]

    def set(self, var: Var, value: int) -> Var:
        self.point[var.name] = value
        return var

    def pick(self, count: int, pool: Sequence[Var] = VARIABLES) -> list[Var]:
        return self.choices.sample(pool, count)

    def linear(self, target: int, pool: Sequence[Var] = VARIABLES, count: Optional[int] = None) -> Node:
        """A small-coefficient form in 1-3 variables whose constant makes it equal ``target`` at the point."""
        chosen = self.pick(count or self.choices.integer(1, 3), pool)
        coefficients = [self.choices.choice(self.COEFFICIENTS) for _ in chosen]
        constant = target - sum(c * self.value(var) for c, var in zip(coefficients, chosen))
        form: Node = Const(constant)
        for c, var in zip(coefficients, chosen):
            form = form + c * var if c != 1 else form + var
        return form

    def modulus(self, least: int = 1, symbolic: Optional[bool] = None) -> tuple[Node, int]:
        """A literal in max(2, least)..7, or a positive symbol whose value at the point is at least ``least``."""
        if symbolic is None:
            symbolic = bool(self.choices.integer(0, 1))
        usable = [var for var in MODULI if self.point.get(var.name, least) >= least]
        if not symbolic or not usable:
            value = self.choices.integer(max(2, least), 7)
            return Const(value), value
        var = self.choices.choice(usable)
        return var, self.value(var, least)

    def multiple(self, modulus: int, remainder: int) -> int:
        """A number congruent to ``remainder`` modulo ``modulus``, small or far."""
        quotient = self.number() if modulus < 1000 else self.choices.integer(-3, 3)
        return modulus * quotient + remainder

    def guard(self) -> Term:
        """A hypothesis that only far points satisfy: it keeps every small box out."""
        large = [name for name, value in self.point.items() if abs(value) >= 10**5]
        bound = 10**5 * self.choices.integer(1, 9)

        def signed(name):
            var = next(var for var in VARIABLES if var.name == name)
            return var if self.point[name] > 0 else -var

        first = signed(self.choices.choice(large))
        shape = self.choices.integer(0, 2)
        if shape == 0 or len(self.point) < 2:
            return ge(first, bound)
        other = signed(self.choices.choice(sorted(set(self.point))))
        return ge(max_(first, other), bound) if shape == 1 else ge(abs_(first) + abs_(other), bound)


# --- the families ------------------------------------------------------------------------
# Each takes a draft and the label, and returns (variant, statement, hypotheses). True variants
# are instances of the family's identity; false ones plant a witness at draft.point.

def floor_le(draft: _Draft, truth: bool):
    m, m_value = draft.modulus(least=1 if truth else 2)
    if truth:
        e = draft.linear(draft.number(low=0))
        return "floor(E/m) <= E given E >= 0", le(floor_div(e, m), e), [ge(e, 0)]
    variant = draft.choices.choice(("no hypothesis", "flipped hypothesis", "strict"))
    if variant == "strict":  # fails at E = 0
        e = draft.linear(0)
        return "floor(E/m) < E given E >= 0", lt(floor_div(e, m), e), [ge(e, 0)]
    e = draft.linear(draft.number(high=-2))  # floor(E/m) > E once E <= -2 and m >= 2
    return f"floor(E/m) <= E, {variant}", le(floor_div(e, m), e), ([] if variant == "no hypothesis" else [le(e, -1)])


def monotone(draft: _Draft, truth: bool):
    m, m_value = draft.modulus(least=1 if truth else 2)
    b_value = draft.number()
    if truth:
        a, b = draft.linear(b_value - draft.choices.integer(0, 2 * m_value)), draft.linear(b_value)
        return "floor(A/m) <= floor(B/m) given A <= B", le(floor_div(a, m), floor_div(b, m)), [le(a, b)]
    variant = draft.choices.choice(("no hypothesis", "flipped hypothesis", "strict"))
    if variant == "strict":  # equal at A = B
        a, b = draft.linear(b_value), draft.linear(b_value)
        return "floor(A/m) < floor(B/m) given A <= B", lt(floor_div(a, m), floor_div(b, m)), [le(a, b)]
    a, b = draft.linear(b_value + m_value), draft.linear(b_value)  # A/m is one more than B/m
    return (f"floor(A/m) <= floor(B/m), {variant}", le(floor_div(a, m), floor_div(b, m)),
            [] if variant == "no hypothesis" else [ge(a, b)])


def nested_floor(draft: _Draft, truth: bool):
    (a, a_value), (b, b_value) = draft.modulus(least=2), draft.modulus(least=2)
    if truth:
        e = draft.linear(draft.number())
        return "floor(floor(E/a)/b) == floor(E/(a*b))", eq(floor_div(floor_div(e, a), b), floor_div(e, a * b)), []
    e = draft.linear(draft.multiple(a_value * b_value, -1))  # E = a*b*t - 1
    if draft.choices.integer(0, 1):
        return ("floor(floor(E/a)/b) == floor((E + 1)/(a*b))",
                eq(floor_div(floor_div(e, a), b), floor_div(e + 1, a * b)), [])
    return "floor(ceiling(E/a)/b) == floor(E/(a*b))", eq(floor_div(ceil_div(e, a), b), floor_div(e, a * b)), []


def ceiling(draft: _Draft, truth: bool):
    m, m_value = draft.modulus(least=1 if truth else 2)
    if truth:
        e = draft.linear(draft.number())
        return "ceiling(E/m) == floor((E + m - 1)/m)", eq(ceil_div(e, m), floor_div(e + m - 1, m)), []
    variant = draft.choices.choice(("E + m", "E + m - 2", "E"))
    e = draft.linear(draft.multiple(m_value, 0 if variant == "E + m" else 1))
    numerator = {"E + m": e + m, "E + m - 2": e + m - 2, "E": e}[variant]
    return f"ceiling(E/m) == floor(({variant})/m)", eq(ceil_div(e, m), floor_div(numerator, m)), []


def absolute(draft: _Draft, truth: bool):
    if truth:
        e = draft.linear(draft.number())
        if draft.choices.integer(0, 1):
            return "Abs(E) >= E", ge(abs_(e), e), []
        return "Abs(E) >= -E", ge(abs_(e), -e), []
    if draft.choices.integer(0, 1):
        e = draft.linear(draft.number(low=0))
        return "Abs(E) >= E + 1", ge(abs_(e), e + 1), []
    e = draft.linear(draft.number(high=0))
    return "Abs(E) > -E", gt(abs_(e), -e), []


def mod_multiple(draft: _Draft, truth: bool):
    m, m_value = draft.modulus(least=1 if truth else 2)
    f_value = draft.number()
    f = draft.linear(f_value)
    if truth:
        e = draft.linear(m_value * f_value)
        return "Mod(E, m) == 0 given E == m*F", eq(mod(e, m), 0), [eq(e, m * f)]
    if draft.choices.integer(0, 1):
        e = draft.linear(m_value * f_value + 1)
        return "Mod(E, m) == 0 given E == m*F + 1", eq(mod(e, m), 0), [eq(e, m * f + 1)]
    e = draft.linear(m_value * f_value + draft.choices.integer(1, min(m_value - 1, 50)))
    return "Mod(E, m) == 0, no hypothesis", eq(mod(e, m), 0), []


def conv_output(draft: _Draft, truth: bool):
    """``floor((i + P - K)/S) + 1 >= 1`` given ``i + P >= K``: the output of a convolution is not empty."""
    padding = draft.choices.choice(("2*p", "p_l + p_r", "none"))
    pad = {"2*p": 2 * p, "p_l + p_r": p_l + p_r, "none": Const(0)}[padding]
    extent = d * (k - 1) + 1 if draft.choices.integer(0, 1) else k
    stride = s if draft.choices.integer(0, 1) else Const(draft.choices.integer(1, 4))
    weakened = not truth and bool(draft.choices.integer(0, 1))
    # gap = i + P - K at the point: >= 0 when true; < 0 (exactly -1 for the weakened hypothesis) when false
    gap = draft.choices.integer(0, 5) if truth else (-1 if weakened else -draft.choices.integer(1, 9))
    for var in (*pad.variables(), *extent.variables()):
        draft.value(var)
    shortfall = pad.eval(draft.point) + 1 - gap - extent.eval(draft.point)
    if shortfall > 0:  # i = K + gap - P must be positive: widen the kernel (K grows at least as fast as k)
        draft.set(k, draft.point["k"] + shortfall)
    draft.set(i, extent.eval(draft.point) + gap - pad.eval(draft.point))
    statement = ge(floor_div(i + pad - extent, stride) + 1, 1)
    shape = f"floor((i + {padding} - K)/S) + 1 >= 1"
    if truth:
        return f"{shape} given i + P >= K", statement, [ge(i + pad, extent)]
    if weakened:
        return f"{shape} given i + P >= K - 1", statement, [ge(i + pad, extent - 1)]
    return f"{shape}, no hypothesis", statement, []


def multiply_positive(draft: _Draft, truth: bool):
    m, m_value = draft.modulus(least=1 if truth else 2, symbolic=draft.choices.integer(0, 3) > 0)
    if truth:
        e = draft.linear(draft.number())
        variant = draft.choices.integer(0, 2)
        return [("m*floor(E/m) <= E", le(m * floor_div(e, m), e)),
                ("m*(floor(E/m) + 1) > E", gt(m * (floor_div(e, m) + 1), e)),
                ("E - m + 1 <= m*floor(E/m)", le(e - m + 1, m * floor_div(e, m)))][variant] + ([],)
    variant = draft.choices.integer(0, 2)
    remainder = (0, m_value - 1, 1)[variant]
    e = draft.linear(draft.multiple(m_value, remainder))
    return [("m*floor(E/m) < E", lt(m * floor_div(e, m), e)),
            ("m*(floor(E/m) + 1) > E + 1", gt(m * (floor_div(e, m) + 1), e + 1)),
            ("m*floor(E/m) >= E", ge(m * floor_div(e, m), e))][variant] + ([],)


def division_identity(draft: _Draft, truth: bool):
    m, m_value = draft.modulus(least=1 if truth else 2)
    if truth:
        e = draft.linear(draft.number())
        if draft.choices.integer(0, 1):
            return "m*floor(E/m) + Mod(E, m) == E", eq(m * floor_div(e, m) + mod(e, m), e), []
        f = draft.linear(draft.number())
        return "floor((E + m*F)/m) == floor(E/m) + F", eq(floor_div(e + m * f, m), floor_div(e, m) + f), []
    e, f = draft.linear(draft.multiple(m_value, m_value - 1)), draft.linear(draft.multiple(m_value, 1))
    if draft.choices.integer(0, 1):  # the remainders add up to m: a carry
        return ("floor((E + F)/m) == floor(E/m) + floor(F/m)",
                eq(floor_div(e + f, m), floor_div(e, m) + floor_div(f, m)), [])
    return "Mod(E + F, m) == Mod(E, m) + Mod(F, m)", eq(mod(e + f, m), mod(e, m) + mod(f, m)), []


def parity(draft: _Draft, truth: bool):
    variant = draft.choices.integer(0, 2)
    if truth:
        if variant == 0:
            e = draft.linear(draft.number())
            return "floor(E/2) + floor((E + 1)/2) == E", eq(floor_div(e, 2) + floor_div(e + 1, 2), e), []
        if variant == 1:
            e = draft.linear(draft.number())
            return ("floor(E/3) + floor((E + 1)/3) + floor((E + 2)/3) == E",
                    eq(floor_div(e, 3) + floor_div(e + 1, 3) + floor_div(e + 2, 3), e), [])
        e = draft.linear(draft.multiple(2, 0))
        return "2*floor(E/2) == E given Mod(E, 2) == 0", eq(2 * floor_div(e, 2), e), [eq(mod(e, 2), 0)]
    if variant == 0:
        e = draft.linear(draft.multiple(2, 1))
        return "2*floor(E/2) == E", eq(2 * floor_div(e, 2), e), []
    if variant == 1:
        e = draft.linear(draft.multiple(3, 1))
        return ("floor(E/3) + floor((E + 1)/3) + floor((E + 1)/3) == E",
                eq(floor_div(e, 3) + floor_div(e + 1, 3) + floor_div(e + 1, 3), e), [])
    e = draft.linear(draft.multiple(4, 3))
    return "2*floor(E/2) == E given Mod(E, 4) != 1", eq(2 * floor_div(e, 2), e), [ne(mod(e, 4), 1)]


# --- adversarial families ------------------------------------------------------------------

def nested_mod(draft: _Draft, truth: bool):
    """Remainders in products. False: a remainder of such a product, written as sympy 1.14 evaluates it, squaring
    the inner remainder (sympy/sympy#28744), wrong at the point. True: the same products outside a remainder,
    which the kernel reads as usual (a remainder of one it refuses to reason about, so it is never proved)."""
    m1, m1_value = draft.modulus(least=3)
    e = draft.linear(draft.multiple(m1_value, 2))  # E mod m1 is 2 at the point
    c = draft.choices.integer(2, 5)
    m2_value = draft.choices.choice([v for v in range(3, 8) if (2 * c) % v != 0])  # 2c and 4c differ mod m2
    inner = mod(e, m1)
    if truth:
        if draft.choices.integer(0, 1):
            return "c*Mod(E, m1) <= c*(m1 - 1)", le(c * inner, c * (m1 - 1)), []
        return "floor(c*Mod(E, m1)/m2) >= 0", ge(floor_div(c * inner, m2_value), 0), []
    return ("Mod(c*Mod(E, m1), m2) == Mod(c*Mod(E, m1)**2, m2), sympy's rewriting",
            eq(mod(c * inner, m2_value), mod(c * inner * inner, m2_value)), [])


def max_min(draft: _Draft, truth: bool):
    c = draft.number()
    variant = draft.choices.integer(0, 4)
    if variant == 4:  # the shape of a verbatim case: a big shift inside Max
        big = draft.choices.choice((10, 1000, BIG, 10**7))
        a, b, e = draft.pick(3, (i, k, s, d))
        draft.set(b, 1)
        draft.set(e, draft.choices.integer(1, 9))
        hypothesis = le(a + max_(b - 2 * big, e - 2 * big), big - 1)  # at the point: a <= 3c - 1 - Z
        if truth:
            draft.set(a, draft.choices.integer(1, 3 * big - 1 - draft.point[e.name]))
            return "X + Max(Y - 2c, Z - 2c) <= c - 1 |- X + Y <= 3c - 1", le(a + b, 3 * big - 1), [hypothesis]
        draft.set(a, draft.choices.integer(big, 3 * big - 1 - draft.point[e.name]))
        return "X + Max(Y - 2c, Z - 2c) <= c - 1 |- floor(X/c) == 0", eq(floor_div(a, big), 0), [hypothesis]
    bound = draft.linear(c)
    gap = draft.choices.integer(1, 30)
    if truth:
        low, high = draft.linear(c - draft.choices.integer(0, 30)), draft.linear(c - draft.choices.integer(0, 30))
        if variant == 0:
            return "Max(X, Y) <= C |- X + Y <= 2C", le(low + high, 2 * bound), [le(max_(low, high), bound)]
        if variant == 1:
            return "Max(X, Y) + Min(X, Y) == X + Y", eq(max_(low, high) + min_(low, high), low + high), []
        if variant == 2:
            third = draft.linear(c - gap)
            return ("X <= C, Y <= C, Z <= C |- Max(X, Y, Z) <= C", le(max_(low, high, third), bound),
                    [le(low, bound), le(high, bound), le(third, bound)])
        low, high = draft.linear(c + gap), draft.linear(c + draft.choices.integer(0, 30))
        return "Min(X, Y) >= C |- X >= C", ge(low, bound), [ge(min_(low, high), bound)]
    if variant == 0:
        big, small = draft.linear(c + 1 + gap), draft.linear(c - 1)
        return "Min(X, Y) <= C |- X + Y <= 2C", le(big + small, 2 * bound), [le(min_(big, small), bound)]
    if variant == 1:
        low, high = draft.linear(c), draft.linear(c + gap)
        return "Max(X, Y) - Min(X, Y) == X - Y", eq(max_(low, high) - min_(low, high), low - high), []
    if variant == 2:
        low, high = draft.linear(c - gap), draft.linear(c + draft.choices.integer(0, 30))
        return "Max(X, Y) >= C |- X >= C", ge(low, bound), [ge(max_(low, high), bound)]
    low, high = draft.linear(c - draft.choices.integer(0, 30)), draft.linear(c + gap)
    return "X <= C |- Max(X, Y) <= C", le(max_(low, high), bound), [le(low, bound)]


def ne_chain(draft: _Draft, truth: bool):
    """Six to eight ``Max(X, Y) != L``: hypotheses that split into many cases and say almost nothing."""
    literal = draft.choices.choice((7, 7, draft.choices.integer(2, 12)))
    c = draft.choices.choice((BIG, BIG + draft.choices.integer(-999, 999), 10**7))
    pool = [i, k, s, d] + ([p] if draft.choices.integer(0, 1) else [])
    pairs = list(itertools.combinations(pool, 2))
    count = draft.choices.integer(6, 8)
    chosen = (draft.choices.sample(pairs, len(pairs)) * 2)[:count]
    hypotheses = [ne(max_(a, b), literal) for a, b in chosen]
    a, b = draft.pick(2, (i, k, s, d))
    far = 2 * c if draft.choices.integer(0, 1) else c + draft.choices.integer(1, 999)
    small = [n for n in range(1, 10) if n != literal]
    if truth:
        draft.set(a, draft.choices.choice((far, draft.choices.choice(small))))
    else:
        draft.set(a, far)
        draft.set(b, far if draft.choices.integer(0, 1) else far + draft.choices.integer(1, 9))
    for var in pool:  # no value equals the literal, so no Max of two does
        draft.point.setdefault(var.name, draft.choices.choice(small) if var.domain == "positive"
                               else draft.choices.choice([0] + small))
    if truth:
        if draft.choices.integer(0, 1):
            return "Max(X, Y) != L (6-8 times) |- Max(c - X, X - c) >= 0", ge(max_(c - a, a - c), 0), hypotheses
        return ("Max(X, Y) != L (6-8 times), Min(X, Y) <= c |- Max(c - X, c - Y) >= 0",
                ge(max_(c - a, c - b), 0), [*hypotheses, le(min_(a, b), c)])
    return "Max(X, Y) != L (6-8 times) |- Max(c - X, c - Y) >= 0", ge(max_(c - a, c - b), 0), hypotheses


def piecewise_family(draft: _Draft, truth: bool):
    variant = draft.choices.integer(0, 2)
    c = draft.choices.choice((BIG, draft.number(low=1)))
    if truth:
        if variant == 0:
            a, b = draft.linear(draft.number()), draft.linear(draft.number())
            return ("Piecewise((X, X >= Y), (Y, True)) == Max(X, Y)",
                    eq(piecewise((a, ge(a, b)), otherwise=b), max_(a, b)), [])
        if variant == 1:
            e = draft.linear(draft.number())
            return "Piecewise((E, E >= 0), (-E, True)) >= 0", ge(piecewise((e, ge(e, 0)), otherwise=-e), 0), []
        e = draft.linear(c - draft.choices.integer(0, 30))
        return ("E <= c |- Piecewise((-1, E > c), (1, True)) >= 0",
                ge(piecewise((-1, gt(e, c)), otherwise=1), 0), [le(e, c)])
    if variant == 0:
        e = draft.linear(c + draft.choices.integer(1, 30))
        return "Piecewise((-1, E > c), (1, True)) >= 0", ge(piecewise((-1, gt(e, c)), otherwise=1), 0), []
    if variant == 1:
        value = draft.number()
        a, b = draft.linear(value), draft.linear(value + draft.choices.choice((-3, -1, 1, 2)))
        return ("Piecewise((X, X > Y), (Y, True)) == Min(X, Y)",
                eq(piecewise((a, gt(a, b)), otherwise=b), min_(a, b)), [])
    e = draft.linear(draft.number(high=-2))
    return "Piecewise((E, E > 0), (E + 1, True)) >= 0", ge(piecewise((e, gt(e, 0)), otherwise=e + 1), 0), []


def reciprocal_family(draft: _Draft, truth: bool):
    """``1/(2L + 1)``: odd, so never zero, but negative once L < 0."""
    variant = draft.choices.integer(0, 2)
    if truth:
        form = draft.linear(draft.number(low=0))
        if variant == 2:
            return "L >= 0 |- 1/(2L + 1) <= 1", le(reciprocal(2 * form + 1), 1), [ge(form, 0)]
        return "L >= 0 |- 1/(2L + 1) > 0", gt(reciprocal(2 * form + 1), 0), [ge(form, 0)]
    if variant == 0:
        form = draft.linear(draft.number(high=-1))
        return "1/(2L + 1) >= 0", ge(reciprocal(2 * form + 1), 0), []
    if variant == 1:
        form = draft.linear(-1)
        return "L >= -1 |- 1/(2L + 1) > 0", gt(reciprocal(2 * form + 1), 0), [ge(form, -1)]
    form = draft.linear(0)
    return "L >= 0 |- 1/(2L + 1) < 1", lt(reciprocal(2 * form + 1), 1), [ge(form, 0)]


def definition_chain(draft: _Draft, truth: bool):
    """Defined symbols u, v, w in dependency order; the caller may list them out of order."""
    m, m_value = draft.modulus(least=2)
    if draft.choices.integer(0, 1):
        if truth:
            e = draft.linear(draft.number())
            definitions = [(u, floor_div(e, m)), (v, e - m * u), (w, m * u + v)]
            statement = conj(le(0, v), le(v, m - 1), eq(w, e))
            return "u = floor(E/m), v = E - m*u, w = m*u + v |- 0 <= v <= m - 1, w == E", statement, [], definitions
        e = draft.linear(draft.multiple(m_value, m_value - 1))
        definitions = [(u, floor_div(e, m)), (v, e - m * u)]
        return "u = floor(E/m), v = E - m*u |- v <= m - 2", le(v, m - 2), [], definitions
    b, b_value = draft.modulus(least=2)
    if truth:
        e = draft.linear(draft.number())
        definitions = [(u, floor_div(e, m)), (v, floor_div(u, b)), (w, floor_div(e, m * b))]
        return "u = floor(E/a), v = floor(u/b), w = floor(E/(a*b)) |- v == w", eq(v, w), [], definitions
    e = draft.linear(draft.multiple(m_value * b_value, -1))
    definitions = [(u, floor_div(e, m)), (v, floor_div(u, b)), (w, floor_div(e + 1, m * b))]
    return "u = floor(E/a), v = floor(u/b), w = floor((E + 1)/(a*b)) |- v == w", eq(v, w), [], definitions


def contradiction(draft: _Draft) -> tuple[str, list[Term]]:
    """Hypotheses that no point satisfies."""
    variant = draft.choices.integer(0, 4)
    if variant == 0:
        var = draft.choices.choice((i, k, s, d, x))
        return "Mod(X, 2) == 1 and Mod(X, 2) == 0", [eq(mod(var, 2), 1), eq(mod(var, 2), 0)]
    e = draft.linear(draft.number())
    if variant == 1:
        return "E >= 1 and E <= 0", [ge(e, 1), le(e, 0)]
    if variant == 2:
        f = draft.linear(draft.number())
        return "Max(E, F) < E", [lt(max_(e, f), e)]
    if variant == 3:
        m, _ = draft.modulus()
        return "Mod(E, m) >= m", [ge(mod(e, m), m)]
    value = draft.choices.choice((3, 4, 5, BIG + 1))
    return f"k == {value} and Mod(k, 2) == {1 - value % 2}", [eq(k, value), eq(mod(k, 2), 1 - value % 2)]


def pinned(draft: _Draft, truth: bool):
    """``k == c`` with ``Mod(k, 2) == c mod 2``: consistent hypotheses that fix k."""
    value = draft.choices.choice((3, 3, 2 * draft.choices.integer(1, 50) + 1, BIG + 1, 2 * BIG))
    draft.set(k, value)
    hypotheses = [eq(k, value), eq(mod(k, 2), value % 2)]
    m, m_value = draft.modulus(least=2, symbolic=False)
    pool = (i, s, d, p, x)
    if truth:
        e = draft.linear(draft.number(), pool)
        return ("k == c, Mod(k, 2) == c % 2 |- floor((k + E)/m) == floor((c + E)/m)",
                eq(floor_div(k + e, m), floor_div(value + e, m)), hypotheses)
    e = draft.linear(draft.multiple(m_value, -value - 1), pool)  # c + 1 + E is a multiple of m
    return ("k == c, Mod(k, 2) == c % 2 |- floor((k + E)/m) == floor((c + 1 + E)/m)",
            eq(floor_div(k + e, m), floor_div(value + 1 + e, m)), hypotheses)


REGULAR: dict[str, Callable] = {
    "floor-le": floor_le, "monotone": monotone, "nested-floor": nested_floor, "ceiling": ceiling,
    "abs": absolute, "mod-multiple": mod_multiple, "conv-output": conv_output,
    "multiply-positive": multiply_positive, "division-identity": division_identity, "parity": parity,
}
ADVERSARIAL = ("max-min", "ne-chain", "piecewise", "reciprocal", "definition-chain", "contradictory",
               "repeated-hypotheses", "pinned", "far", "nested-mod")
FAMILIES = (*REGULAR, *ADVERSARIAL, "verbatim")


def generate(choices, family: str, truth: bool, name: str = "item") -> Item:
    """One item of ``family``, true or false as asked; ``contradictory`` items are always true (vacuously).

    >>> item = generate(RandomChoices(0), "ceiling", truth=False)
    >>> item.evaluate(item.witness)
    False
    """
    draft = _Draft(choices, far=family in ("far", "repeated-hypotheses"))
    if family in REGULAR:
        variant, statement, hypotheses = REGULAR[family](draft, truth)
        return _make_item(name, family, variant, truth, statement, hypotheses, point=draft.point)
    if family in ("far", "repeated-hypotheses"):
        base = choices.choice(sorted(REGULAR))
        variant, statement, hypotheses = REGULAR[base](draft, truth)
        hypotheses = [*hypotheses, draft.guard()]
        if family == "repeated-hypotheses":
            times = choices.integer(2, 4)
            hypotheses = [h for h in hypotheses for _ in range(times)]
            variant = f"{base}, every hypothesis {times} times: {variant}"
        else:
            variant = f"{base}, far: {variant}"
        return _make_item(name, family, variant, truth, statement, hypotheses, point=draft.point, adversarial=True)
    if family == "contradictory":
        base = choices.choice(sorted(REGULAR))
        variant, statement, hypotheses = REGULAR[base](_Draft(choices, far=False), False)
        why, contradictory = contradiction(draft)
        hypotheses = choices.sample([*hypotheses, *contradictory], len(hypotheses) + len(contradictory))
        return _make_item(name, family, f"{why} |- {base}: {variant}", True, statement, hypotheses,
                          adversarial=True, vacuous=True)
    if family == "definition-chain":
        variant, statement, hypotheses, definitions = definition_chain(draft, truth)
        malformed = bool(choices.integer(0, 1))
        if malformed:  # reversed, a definition uses one listed after it
            definitions = definitions[::-1]
            variant = f"out of order: {variant}"
        return _make_item(name, family, variant, truth, statement, hypotheses, definitions,
                          point=draft.point, adversarial=True, malformed=malformed)
    builder = {"max-min": max_min, "ne-chain": ne_chain, "piecewise": piecewise_family,
               "reciprocal": reciprocal_family, "pinned": pinned, "nested-mod": nested_mod}[family]
    variant, statement, hypotheses = builder(draft, truth)
    return _make_item(name, family, variant, truth, statement, hypotheses, point=draft.point, adversarial=True)


@functools.lru_cache(maxsize=1)
def verbatim() -> tuple[Item, ...]:
    """Four false statements that the first prover called proved."""
    big, pairs = BIG, list(itertools.combinations((i, k, s, d), 2))
    everyone = (i, k, s, d)
    cases = [
        ("max in a hypothesis", eq(floor_div(i, big), 0), [le(i + max_(k - 2 * big, s - 2 * big), 999999)],
         {"i": 2 * big, "k": 1, "s": 1, "d": 1}),
        ("six Max(X, Y) != 7", ge(max_(big - i, big - k), 0), [ne(max_(a, b), 7) for a, b in pairs],
         {"i": 2 * big, "k": 2 * big, "s": 1, "d": 1}),
        ("piecewise", ge(piecewise((-1, gt(i, big)), otherwise=1), 0), [], {"i": big + 1, "k": 1, "s": 1, "d": 1}),
        ("reciprocal", ge(reciprocal(2 * big - 2 * i + 1), 0), [], {"i": big + 1, "k": 1, "s": 1, "d": 1}),
    ]
    return tuple(_make_item(f"verbatim-{n}", "verbatim", variant, False, statement, hypotheses, point=witness,
                            adversarial=True, variables=everyone)
                 for n, (variant, statement, hypotheses, witness) in enumerate(cases))


def corpus(n: int, seed: int = 0) -> list[Item]:
    """``n`` items, every third one adversarial (the four verbatim cases first), the same for a seed."""
    return [item_at(index, seed) for index in range(n)]


def item_at(index: int, seed: int = 0) -> Item:
    """Item ``index`` of every corpus of ``seed``: it depends on nothing else, so workers can build their own."""
    choices = RandomChoices(f"{seed}/{index}")
    truth = bool(choices.integer(0, 1))
    if index % 3 == 0:
        slot = index // 3
        cases = verbatim()
        if slot < len(cases):
            return cases[slot]
        family = ADVERSARIAL[(slot - len(cases)) % len(ADVERSARIAL)]
    else:
        family = list(REGULAR)[(index - index // 3 - 1) % len(REGULAR)]
    return generate(choices, family, truth, name=f"s{seed}-{index}")


def items(families: Sequence[str] = (*REGULAR, *ADVERSARIAL), truth: Optional[bool] = None):
    """A Hypothesis strategy for fresh items (not the verbatim ones)."""
    from hypothesis import strategies as st

    @st.composite
    def strategy(draw):
        family = draw(st.sampled_from(list(families)))
        label = draw(st.booleans()) if truth is None else truth
        return generate(DrawChoices(draw), family, label, name=f"hypothesis-{family}")

    return strategy()


# --- points to evaluate at --------------------------------------------------------------

def box_points(item: Item, limit: int = 3000) -> Iterator[dict[str, int]]:
    """Every point of a small box: 1..5 (positive), 0..5 (nonnegative), -5..5; narrower when many variables."""
    for width in (5, 4, 3, 2, 1):
        ranges = [range({"positive": 1, "nonnegative": 0, "integer": -width}[var.domain], width + 1)
                  for var in item.variables]
        if math.prod(map(len, ranges)) <= limit:
            break
    for values in itertools.product(*ranges):
        yield {var.name: value for var, value in zip(item.variables, values)}


def probe_points(item: Item, choices, count: int) -> Iterator[dict[str, int]]:
    """Random points: small values, values near the item's own point, and values near 10**6, 10**7, 10**9."""
    centre = item.witness or item.anchor or {}
    for _ in range(count):
        point = {}
        for var in item.variables:
            kind = choices.integer(0, 3)
            if kind == 0:
                value = choices.integer(-12, 12)
            elif kind == 1 and var.name in centre:
                value = centre[var.name] + choices.integer(-3, 3)
            else:
                value = choices.choice(SCALES) + choices.integer(-40, 40)
                value = -value if choices.integer(0, 3) == 0 else value
            if not var.admits(value):
                value = abs(value) + (1 if var.domain == "positive" else 0)
            point[var.name] = value
        yield point


# --- judging a prover's answer ------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """One call of ``prove`` on one item: its status, time and faults, and enough of the item to report on it.

    Besides the four statuses, ``error`` is a refused theorem (a SymconvError), ``crash`` any other
    exception, and ``budget`` a proof that ran past the time budget; none of them is ``proved``.
    """

    name: str
    family: str
    variant: str
    truth: bool
    adversarial: bool
    malformed: bool
    status: str
    seconds: float
    problems: tuple[tuple[str, str], ...] = ()
    detail: str = ""

    @property
    def must_not_prove(self) -> bool:
        return self.malformed or not self.truth


def audit(item: Item, proof) -> list[tuple[str, str]]:
    """The faults of ``proof`` for ``item``, as (code, message); [] when the answer is sound.

    Codes: false-proved, malformed-proved, conflict, checked-mismatch, bad-counterexample.
    """
    problems = []
    if proof.status == "proved" and item.must_not_prove:
        code = "malformed-proved" if item.malformed else "false-proved"
        problems.append((code, f"{item.name} ({item.family}: {item.variant}) was proved; witness {item.witness}"))
    if proof.status == "conflict":
        problems.append(("conflict", f"{item.name}: status conflict ({proof.reason})"))
    if bool(proof.checked) != (proof.status == "proved"):
        problems.append(("checked-mismatch", f"{item.name}: status {proof.status} with checked={proof.checked}"))
    if proof.status == "disproved" and proof.counterexample is None:
        problems.append(("bad-counterexample", f"{item.name}: disproved without a counterexample"))
    if proof.counterexample is not None and not item.malformed:
        fault = counterexample_fault(item, proof.counterexample)
        if fault:
            problems.append(("bad-counterexample", f"{item.name}: {fault}"))
    return problems


def counterexample_fault(item: Item, counterexample: Mapping[str, Any]) -> str:
    """Why ``counterexample`` does not refute ``item`` under this module's evaluator, or ''."""
    try:
        verdict = item.evaluate(counterexample)
    except (ValueError, TypeError, ZeroDivisionError, Malformed) as error:
        return f"counterexample {dict(counterexample)} cannot be evaluated: {error}"
    if verdict is None:
        return f"counterexample {dict(counterexample)} is outside the domain or breaks a hypothesis"
    if verdict:
        return f"counterexample {dict(counterexample)} satisfies the statement"
    return ""


def attempt(item: Item, prove: Optional[Callable] = None) -> Outcome:
    """Run ``prove`` on ``item`` and judge it. A SymconvError (a refused theorem) counts as not proved."""
    prove = prove or load_prover(DEFAULT_PROVER)
    theorem = item.theorem  # built before the clock starts
    start = time.perf_counter()
    try:
        proof = prove(theorem)
    except SymconvError as error:
        status, problems, detail = "error", (), str(error)
    except Exception as error:  # a crash is not a proof, but it is worth reporting apart
        status, problems, detail = "crash", (), f"{type(error).__name__}: {error}"
    else:
        status, problems, detail = proof.status, tuple(audit(item, proof)), proof.reason
    return _outcome(item, status, time.perf_counter() - start, problems, detail)


def _outcome(item: Item, status: str, seconds: float, problems=(), detail: str = "") -> Outcome:
    return Outcome(item.name, item.family, item.variant, item.truth, item.adversarial, item.malformed,
                   status, seconds, tuple(problems), detail)


# --- running a prover on a corpus, in worker processes with a time budget ---------------------

DEFAULT_PROVER = "symconv.proof:prove"


def load_prover(path: str) -> Callable:
    """``module:function``, imported; the default is the public entry point."""
    module, _, function = path.partition(":")
    return getattr(importlib.import_module(module), function)


def _worker(connection, seed: int, prover: str) -> None:
    prove = load_prover(prover)
    while True:
        index = connection.recv()
        if index is None:
            return
        item = item_at(index, seed)
        _ = item.theorem  # sympy's work is not the prover's
        connection.send(("start", _outcome(item, "budget", 0.0)))
        connection.send(("done", attempt(item, prove)))


def run_corpus(n: int, seed: int = 0, workers: int = 2, budget: float = 30.0, prover: str = DEFAULT_PROVER,
               progress: Optional[Callable[[Outcome], None]] = None) -> list[Outcome]:
    """Outcomes of ``prover`` on ``corpus(n, seed)``, in order, from ``workers`` processes.

    Each worker builds its own items (``item_at``). A proof that runs past ``budget`` seconds
    has its worker killed and replaced, and is reported with status ``budget``.
    """
    context = multiprocessing.get_context("fork")
    results: list[Optional[Outcome]] = [None] * n
    queue = iter(range(n))
    running: dict[Any, list] = {}  # connection -> [process, index, started outcome, deadline]

    def start_worker():
        parent, child = context.Pipe()
        process = context.Process(target=_worker, args=(child, seed, prover), daemon=True)
        process.start()
        child.close()
        return parent, process

    def assign(connection, process):
        index = next(queue, None)
        if index is None:
            connection.send(None)
            process.join()
            return
        connection.send(index)
        running[connection] = [process, index, None, math.inf]

    try:
        for _ in range(max(1, min(workers, n))):
            assign(*start_worker())
        while running:
            timeout = max(0.0, min(slot[3] for slot in running.values()) - time.monotonic())
            ready = multiprocessing.connection.wait(list(running), None if timeout == math.inf else timeout)
            for connection in ready:
                process, index, started, _ = running[connection]
                try:
                    kind, outcome = connection.recv()
                except EOFError:  # the worker died: report it, replace it
                    process.join()
                    del running[connection]
                    fallback = started or Outcome(f"#{index}", "?", "?", True, False, False, "crash", 0.0)
                    results[index] = dataclasses.replace(fallback, status="crash", detail="the worker process died")
                    assign(*start_worker())
                    continue
                if kind == "start":
                    running[connection][2:] = [outcome, time.monotonic() + budget]
                    continue
                del running[connection]
                results[index] = outcome
                if progress:
                    progress(outcome)
                assign(connection, process)
            now = time.monotonic()
            for connection, (process, index, started, deadline) in list(running.items()):
                if now >= deadline:
                    process.kill()
                    process.join()
                    del running[connection]
                    results[index] = dataclasses.replace(started, seconds=budget,
                                                         detail=f"no answer within {budget:g} s")
                    if progress:
                        progress(results[index])
                    assign(*start_worker())
    finally:
        for process, *_ in running.values():
            process.kill()
            process.join()
    return results
