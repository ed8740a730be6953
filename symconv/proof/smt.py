"""A second opinion from an SMT solver: look for a counterexample to a :class:`Theorem`.

The negation is encoded exactly: a rational term is an integer term over a
positive integer constant; ``floor``, ``ceiling`` and ``Mod`` are the division
algorithm on fresh integers; anything else is ``unsupported``, never
approximated. Evaluation is lazy, as in :func:`symconv.core.numeric.compile_expr`:
a divisor must be nonzero only where it is evaluated (in the ``Piecewise``
branch taken, after the parts of an ``And`` that hold). A model counts once
exact evaluation of the original theorem, without the solver, confirms it.

>>> from sympy import Eq, Mod, floor
>>> from symconv.core.symbols import i, s
>>> division = Eq(s*floor(i/s) + Mod(i, s), i)
>>> refute(Theorem("division", "the division algorithm", division, variables=(i, s))).verdict
'unsat'
"""

from __future__ import annotations

import functools
import math
import operator
import time
from dataclasses import dataclass
from functools import reduce
from typing import Literal, Mapping, NamedTuple, Optional, Protocol

import sympy
import z3

from symconv.core.errors import ParameterError
from symconv.core.numeric import compile_expr
from symconv.proof.theorem import Theorem

Box = Mapping[sympy.Symbol, range]

_UNCONFIRMED = (ArithmeticError, ValueError, TypeError, StopIteration)
_COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt,
            "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class SmtResult:
    """One backend's answer. ``counterexample`` (only for ``sat``) maps every variable, then every
    defined symbol, to its value, and has been confirmed by exact evaluation."""

    backend: str
    verdict: Literal["unsat", "sat", "unknown", "timeout", "unsupported"]
    counterexample: Optional[dict[str, int]]
    seconds: float
    reason: str


class Backend(Protocol):
    """A solver that :func:`refute` dispatches to by ``name``."""

    name: str

    def refute(self, theorem: Theorem, timeout_ms: int, outside: Optional[Box]) -> SmtResult: ...


class _Unsupported(Exception):
    """A term outside the fragment that is encoded exactly."""


class _Scaled(NamedTuple):
    """The rational number ``num / den``: an integer term over a positive integer constant."""

    num: z3.ArithRef
    den: int


@functools.lru_cache(maxsize=1024)
def _fraction(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """``(N, D)`` with ``expr = N/D`` (the same floors recur from one theorem to the next)."""
    return sympy.fraction(sympy.together(expr))


def _times(term: z3.ArithRef, factor: int) -> z3.ArithRef:
    return term if factor == 1 else term * factor


def _common(parts: list[_Scaled]) -> tuple[list[z3.ArithRef], int]:
    """The numerators over one common denominator, which compare as the numbers do."""
    den = math.lcm(*(part.den for part in parts))
    return [_times(part.num, den // part.den) for part in parts], den


class _Encoder:
    """Terms and formulas of one theorem, and the facts that their fresh integers satisfy.

    ``guard`` is the condition under which a subterm is evaluated (None: always).
    """

    def __init__(self, ctx: z3.Context) -> None:
        self.ctx = ctx
        self.values: dict[sympy.Symbol, _Scaled] = {}
        self.facts: list[z3.BoolRef] = []
        self.divisions: dict[tuple[int, int], tuple[z3.ArithRef, z3.ArithRef]] = {}

    def all(self, *parts: Optional[z3.BoolRef]) -> z3.BoolRef:
        return z3.And(*(part for part in parts if part is not None), self.ctx)

    def divide(self, numer: z3.ArithRef, denom: z3.ArithRef, guard) -> tuple[z3.ArithRef, z3.ArithRef]:
        """Fresh ``q = floor(numer/denom)`` and ``r = numer - denom*q``, which has the sign of denom."""
        denom = z3.simplify(denom)
        key = (numer.get_id(), denom.get_id())  # the same division twice: the same q and r
        if key not in self.divisions:
            q, r = z3.FreshInt("q", self.ctx), z3.FreshInt("r", self.ctx)
            # q <= numer/denom < q + 1, for either sign of the divisor
            remainder = z3.If(denom > 0, z3.And(0 <= r, r <= denom - 1), z3.And(denom + 1 <= r, r <= 0))
            self.facts.append(z3.Implies(denom != 0, z3.And(numer == denom * q + r, remainder)))
            self.divisions[key] = (q, r)
        self.facts.append(z3.Implies(self.all(guard), denom != 0))
        return self.divisions[key]

    def term(self, expr: sympy.Basic, guard=None) -> _Scaled:
        if isinstance(expr, sympy.Symbol) and expr in self.values:
            return self.values[expr]
        if isinstance(expr, sympy.Rational):
            return _Scaled(z3.IntVal(int(expr.p), self.ctx), int(expr.q))
        if isinstance(expr, sympy.Mul):
            parts = [self.term(arg, guard) for arg in expr.args]
            return _Scaled(z3.Product(*(part.num for part in parts)), math.prod(part.den for part in parts))
        if isinstance(expr, (sympy.Add, sympy.Max, sympy.Min)):
            nums, den = _common([self.term(arg, guard) for arg in expr.args])
            if isinstance(expr, sympy.Add):
                return _Scaled(z3.Sum(*nums), den)
            pick = operator.gt if isinstance(expr, sympy.Max) else operator.lt
            return _Scaled(reduce(lambda value, num: z3.If(pick(num, value), num, value), nums), den)
        if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp >= 0:
            base, exp = self.term(expr.base, guard), int(expr.exp)
            return _Scaled(z3.Product(*[base.num] * exp) if exp else z3.IntVal(1, self.ctx), base.den ** exp)
        if isinstance(expr, (sympy.floor, sympy.ceiling, sympy.Mod)):
            # ceiling(x) = -floor(-x); A mod B = A - B floor(A/B) = r / (den A * den B)
            sign = -1 if isinstance(expr, sympy.ceiling) else 1
            modulo = isinstance(expr, sympy.Mod)
            numer, denom = expr.args if modulo else _fraction(expr.args[0])
            top, bottom = self.term(sign * numer, guard), self.term(denom, guard)
            q, r = self.divide(_times(top.num, bottom.den), _times(bottom.num, top.den), guard)
            return _Scaled(r, top.den * bottom.den) if modulo else _Scaled(_times(q, sign), 1)
        if isinstance(expr, sympy.Abs):
            inner = self.term(expr.args[0], guard)
            return _Scaled(z3.If(inner.num >= 0, inner.num, -inner.num), inner.den)
        if isinstance(expr, sympy.Piecewise):  # the first branch whose condition holds is taken
            conditions: list = []
            values: list = []
            for value, condition in expr.args:
                before = [z3.Not(c) for c in conditions]
                conditions.append(self.formula(condition, self.all(guard, *before)))
                values.append(self.term(value, self.all(guard, *before, conditions[-1])))
            self.facts.append(z3.Implies(self.all(guard), z3.Or(*conditions)))
            nums, den = _common(values)
            branches = reversed(list(zip(conditions, nums))[:-1])
            return _Scaled(reduce(lambda value, branch: z3.If(*branch, value), branches, nums[-1]), den)
        raise _Unsupported(f"cannot encode {expr}: " + (
            "only constant integer powers; a symbol in a denominator only inside floor, ceiling and Mod"
            if isinstance(expr, sympy.Pow) else f"{type(expr).__name__} is outside the fragment (integers, "
            "rationals, +, *, powers, floor, ceiling, Mod, Max, Min, Abs, Piecewise)"))

    def formula(self, expr, guard=None) -> z3.BoolRef:
        if isinstance(expr, (bool, sympy.logic.boolalg.BooleanAtom)):
            return z3.BoolVal(bool(expr), self.ctx)
        if type(expr) is sympy.Tuple:  # as an And, whose order is sympy's, as exact evaluation sees it
            return self.formula(sympy.And(*expr.args), guard)
        if isinstance(expr, (sympy.And, sympy.Or)):  # a part only where the earlier ones did not decide
            conjunction, parts = isinstance(expr, sympy.And), list[z3.BoolRef]()
            for arg in expr.args:
                undecided = parts if conjunction else [z3.Not(part) for part in parts]
                parts.append(self.formula(arg, self.all(guard, *undecided)))
            return z3.And(*parts, self.ctx) if conjunction else z3.Or(*parts, self.ctx)
        if isinstance(expr, sympy.Not):
            return z3.Not(self.formula(expr.args[0], guard))
        if isinstance(expr, sympy.core.relational.Relational) and expr.rel_op in _COMPARE:
            (left, right), _ = _common([self.term(side, guard) for side in expr.args])
            return _COMPARE[expr.rel_op](left, right)
        raise _Unsupported(f"cannot encode {expr}: {type(expr).__name__} is not a relation, And, Or or Not")


def _signs(variable: sympy.Symbol) -> tuple[Optional[int], Optional[int]]:
    """The least and the greatest value that the assumptions on ``variable`` allow (None: no bound)."""
    if any(getattr(variable, f"is_{fact}") is not None for fact in ("even", "odd", "prime", "composite")):
        raise _Unsupported(f"cannot encode the assumptions on {variable}: only signs are encoded")
    return (1 if variable.is_positive else 0 if variable.is_nonnegative else None,
            -1 if variable.is_negative else 0 if variable.is_nonpositive else None)


def _outside(value: z3.ArithRef, box: range) -> z3.BoolRef:
    if not box:
        return z3.BoolVal(True, value.ctx)
    low, high = sorted((box[0], box[-1]))  # not min(box), which walks a range of 10**7 one by one
    step = [(value - box.start) % abs(box.step) != 0] if abs(box.step) > 1 else []
    return z3.Or(value < low, value > high, *step)


def _confirm(theorem: Theorem, point: dict[sympy.Symbol, int], outside: Optional[Box]):
    """``(counterexample, "")`` by exact evaluation of the original theorem, or ``(None, why not)``."""
    names, values = list(point), list(point.values())
    try:
        for variable, value in point.items():
            low, high = _signs(variable)
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{variable} breaks its sign assumption")
        if outside and all(point[v] in box for v, box in outside.items()):
            raise ValueError("the point is inside the box")
        for symbol, value in theorem.definitions:
            values.append(compile_expr(value, names)(*values))
            names.append(symbol)
        for claim in theorem.hypotheses:
            if not compile_expr(_plain(claim), names)(*values):
                raise ValueError(f"the hypothesis {claim} is false")
        if compile_expr(_plain(theorem.statement), names)(*values):
            raise ValueError("the statement holds")
    except _UNCONFIRMED as error:  # a division by zero, say
        return None, ", ".join(f"{v}={x}" for v, x in point.items()) + f": {error}"
    return dict(zip(map(str, names), values)), ""


def _plain(claim) -> sympy.Basic:
    """A tuple of claims as their And (not a Piecewise's pairs, which are tuples too)."""
    return sympy.sympify(claim).replace(lambda e: type(e) is sympy.Tuple, lambda e: sympy.And(*e.args))


def _negation(theorem: Theorem, outside: Optional[Box], ctx: z3.Context
              ) -> tuple[list[z3.BoolRef], dict[sympy.Symbol, z3.ArithRef]]:
    """The assertions whose models are the counterexamples, and the variables' integers in them."""
    assertions: list[z3.BoolRef] = []
    encoder = _Encoder(ctx)
    variables = {v: z3.FreshInt(str(v), ctx) for v in theorem.variables}
    for variable, term in variables.items():
        low, high = _signs(variable)
        assertions += [*([] if low is None else [term >= low]), *([] if high is None else [term <= high])]
        encoder.values[variable] = _Scaled(term, 1)
    for symbol, value in theorem.definitions:
        defined, fresh = encoder.term(sympy.sympify(value)), z3.FreshInt(str(symbol), ctx)
        assertions.append(fresh == defined.num)
        encoder.values[symbol] = _Scaled(fresh, defined.den)
    assertions += [encoder.formula(claim) for claim in theorem.hypotheses]
    assertions += [z3.Not(encoder.formula(theorem.statement)), *encoder.facts]
    if outside:
        assertions.append(z3.Or(*(_outside(variables[v], box) for v, box in outside.items())))
    return assertions, variables


#: Milliseconds for the first attempt, by :func:`_presolved`; past them (or if it cannot decide) the default
#: solver takes the same assertions.
QUICK_MS = 500
#: z3's resource units per millisecond of work on these machines (about 5.5 million a second). Every budget
#: is given to z3 as a resource limit (``rlimit``), a count: the verdict, and the counterexample shown, do not
#: depend on how busy the machine is. The wall clock stops a call only at :data:`SAFETY` times its budget.
UNITS_PER_MS = 5_000
SAFETY = 10
#: Each step of the bisection for a smaller counterexample gets this share of the budget.
BISECT_SHARE = 8


def _presolved(ctx: z3.Context) -> z3.Solver:
    """A solver that first simplifies and solves the equations away (every definition is one), then runs
    the SMT core: on the catalogue's nonlinear claims it decides many times faster than the default
    solver, which starts with nonlinear arithmetic. Its answers are z3's like any other: a model is
    confirmed by exact evaluation, and the default solver looks for a smaller one."""
    steps = ("simplify", "propagate-values", "solve-eqs", "smt")
    return z3.Then(*(z3.Tactic(step, ctx=ctx) for step in steps), ctx=ctx).solver()


class Z3Backend:
    """The z3 solver, in a new context each call: calls may run in parallel threads, and a counterexample does not
    depend on what was solved before (in a shared context z3 picks among equally small ones by its history)."""

    name = "z3"

    def refute(self, theorem: Theorem, timeout_ms: int, outside: Optional[Box]) -> SmtResult:
        start = time.perf_counter()
        deadline = start + SAFETY * timeout_ms / 1000  # a safety net: the resource limits decide
        ctx = z3.Context()

        def result(verdict, reason="", found=None) -> SmtResult:
            return SmtResult(self.name, verdict, found, time.perf_counter() - start, reason)

        try:
            assertions, variables = _negation(theorem, outside, ctx)
        except _Unsupported as error:
            return result("unsupported", str(error))

        def check(using: z3.Solver, *extra: z3.BoolRef, most: int = timeout_ms
                  ) -> tuple[Optional[z3.CheckSatResult], Optional[dict]]:
            left = int((deadline - time.perf_counter()) * 1000)
            if left < 1:
                return None, None
            using.set("rlimit", max(1, most * UNITS_PER_MS))
            using.set("timeout", left)
            answer = using.check(*extra)
            if answer != z3.sat:
                return answer, None
            model = using.model()
            return answer, {v: model.eval(term, True).as_long() for v, term in variables.items()}

        def default() -> z3.Solver:
            made = z3.Solver(ctx=ctx)
            made.add(*assertions)
            return made

        quick = _presolved(ctx)  # first with the definitions' equations solved away
        quick.add(*assertions)
        solver = quick
        answer, point = check(quick, most=QUICK_MS)
        found, why = _confirm(theorem, point, outside) if answer == z3.sat and point is not None else (None, "")
        if answer != z3.unsat and found is None:  # undecided, or a model not confirmed: the default solver
            solver = default()
            answer, point = check(solver)
            if answer == z3.sat and point is not None:
                found, why = _confirm(theorem, point, outside)
        if answer == z3.unsat:
            return result("unsat")
        if answer != z3.sat or point is None:
            why = solver.reason_unknown() if time.perf_counter() < deadline else "timeout"
            if why in ("timeout", "canceled"):
                spent = "its wall-clock safety net" if why == "timeout" else \
                    f"its resource limit (about {timeout_ms} ms of work)"
                return result("timeout", f"z3 gave up: it reached {spent}")
            return result("unknown", f"z3 gave up: {why}")
        if found is None:
            return result("unknown", f"model not confirmed by exact evaluation: {why}")
        # Bisect on the size of a counterexample (a small one is easier to read), each step with a share of the
        # budget: a step that cannot decide keeps the last confirmed one.
        incremental = default()
        size = z3.Sum(z3.IntVal(0, ctx), *(z3.If(v >= 0, v, -v) for v in variables.values()))
        low = 0
        high = middle = sum(map(abs, point.values())) - 1  # first: is the solver's model the smallest?
        while low <= high:
            answer, point = check(incremental, size <= middle, most=max(1, timeout_ms // BISECT_SHARE))
            if answer == z3.unsat:
                low = middle + 1
            elif answer == z3.sat and point is not None and (smaller := _confirm(theorem, point, outside)[0]):
                found, high = smaller, sum(map(abs, point.values())) - 1
            else:
                break  # keep the last confirmed one
            middle = (low + high) // 2
        return result("sat", found=found)


BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (Z3Backend(),)}


def refute(theorem: Theorem, *, backend: str = "z3", timeout_ms: int = 2000,
           outside: Optional[Box] = None) -> SmtResult:
    """Look for a counterexample: integer values satisfying the sign assumptions and the hypotheses
    that make the statement false. "unsat": there is none (the claim holds for all integers). "sat":
    one was found AND confirmed by exact evaluation of the original theorem. With ``outside`` (a box:
    variable -> range), only points with at least one variable outside its range count.
    ``timeout_ms`` is the solver's budget as milliseconds of work, given to z3 as a resource count
    (:data:`UNITS_PER_MS`), so the verdict is the same on a busy machine as on an idle one.

    >>> from sympy import Ge, Max
    >>> from symconv.core.symbols import i, k
    >>> claim = Theorem("max", "a max is nonnegative", Ge(Max(10**6 - i, 10**6 - k), 0), variables=(i, k))
    >>> refute(claim).counterexample
    {'i': 1000001, 'k': 1000001}
    >>> refute(claim, outside={i: range(1, 10**7)}).counterexample
    {'i': 10000000, 'k': 1000001}
    """
    if backend not in BACKENDS:
        raise ParameterError("backend", backend, f"known backends: {', '.join(BACKENDS)}")
    theorem.validate()
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms < 1:
        raise ParameterError("timeout_ms", timeout_ms, "a time limit is a positive number of milliseconds")
    for symbol, box in (outside or {}).items():
        if symbol not in theorem.variables or not isinstance(box, range):
            raise ParameterError("outside", f"{symbol}: {box}",
                                 "a box maps some of the theorem's variables to ranges")
    return BACKENDS[backend].refute(theorem, timeout_ms, outside)
