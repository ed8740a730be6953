"""What a proof is about and what it found: :class:`Theorem` and :class:`Proof`.

A theorem says: for all integer values of ``variables`` that satisfy their sign
assumptions (a ``positive`` symbol is at least 1, a ``nonnegative`` one at
least 0) and every hypothesis, with each defined symbol replaced by its
definition, the statement holds.

Definitions come in dependency order: each may use the variables and the
definitions before it, never itself or a later one. Every other symbol is an
error, so a theorem cannot quietly quantify over a name nobody declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Optional

import sympy

from symconv.core import display
from symconv.core import symbols as S
from symconv.core.steps import Step
from symconv.core.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from symconv.proof.certificate import Certificate
    from symconv.proof.smt import SmtResult

#: ``proved``: a certificate that the independent checker accepted, no counterexample in the box, and no
#: model from the SMT solver. ``unproved``: no checked certificate (``reason`` says why). ``disproved``: a
#: counterexample, re-evaluated on the original statement. ``conflict``: a checked certificate and a
#: counterexample at once, which is a bug in symconv, never a result.
Status = Literal["proved", "unproved", "disproved", "conflict"]
Truth = Callable[[Mapping[sympy.Symbol, int]], Mapping[sympy.Symbol, int]]


@dataclass(frozen=True)
class Theorem:
    """A claim for all integers in the guide's letters.

    ``truth`` gives the oracle's value of some defined symbols at a numeric
    case; enumeration uses it instead of the definition.
    """

    name: str
    title: str
    statement: sympy.Basic
    hypotheses: tuple[sympy.Basic, ...] = ()
    definitions: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    variables: tuple[sympy.Symbol, ...] = (S.i, S.k, S.s, S.p, S.d)
    truth: Optional[Truth] = field(default=None, compare=False)

    def __reduce__(self) -> Any:
        # The oracle hook is often a closure, and only proving needs it: a theorem
        # sent to another process (with its finished proof) travels without it.
        return (Theorem, (self.name, self.title, self.statement, self.hypotheses, self.definitions,
                          self.variables, None))

    def validate(self) -> None:
        """Refuse a theorem whose quantifiers are unclear: one line naming the symbol and the rule."""
        for variable in self.variables:
            if not isinstance(variable, sympy.Symbol) or variable.is_integer is not True:
                raise ParameterError("variables", str(variable),
                                     "every variable of a theorem must be an integer symbol")
        if len(set(self.variables)) != len(self.variables):
            raise ParameterError("variables", ", ".join(map(str, self.variables)), "a variable is listed twice")
        known = set(self.variables)
        for symbol, value in self.definitions:
            if not isinstance(symbol, sympy.Symbol):
                raise ParameterError("definitions", str(symbol), "only a symbol can be defined")
            if symbol in known:
                raise ParameterError("definitions", str(symbol),
                                     "a symbol is defined twice, or is both a variable and defined")
            unknown = sympy.sympify(value).free_symbols - known
            if unknown:
                first = sorted(map(str, unknown))[0]
                raise ParameterError("definitions", f"{symbol} := {value}",
                                     f"{first} is neither a variable nor defined before it"
                                     " (definitions come in dependency order; none may be cyclic)")
            known.add(symbol)
        for item in (self.statement, *self.hypotheses):
            unknown = sympy.sympify(item).free_symbols - known
            if unknown:
                first = sorted(map(str, unknown))[0]
                raise ParameterError("statement" if item is self.statement else "hypotheses", str(item),
                                     f"the symbol {first} is neither a variable nor defined")


@dataclass(frozen=True)
class Proof:
    """How a theorem stands, with everything needed to re-check it.

    ``cases`` counts the points of the enumeration box that satisfy the
    hypotheses, every one of which was evaluated. ``steps`` are the steps the
    checker verified, for display. ``smt`` is the SMT solver's second opinion.
    ``vacuous`` says the hypotheses were proved contradictory: the claim holds
    because no case satisfies them.
    """

    theorem: Theorem
    status: Status
    steps: tuple[Step, ...]
    cases: int
    counterexample: Optional[Mapping[str, int]] = None
    reason: str = ""
    certificate: Optional["Certificate"] = None
    checked: bool = False
    smt: Optional["SmtResult"] = None
    vacuous: bool = False
    budget: bool = False
    found_by: str = ""  #: where the counterexample comes from: "enumeration" (the smallest in the box) or "z3"

    @property
    def counterexample_text(self) -> str:
        """The counterexample for a reader, saying where it was found."""
        if not self.counterexample:
            return ""
        shown = ", ".join(f"{name}={value}" for name, value in self.counterexample.items())
        if self.found_by == "z3":
            return f"counterexample found by z3 beyond the box: {shown}"
        return f"smallest counterexample: {shown}"

    @property
    def name(self) -> str:
        return self.theorem.name

    def _repr_markdown_(self) -> Optional[str]:
        return display.markdown(self)

    def _repr_latex_(self) -> Optional[str]:
        return display.latex(self)
