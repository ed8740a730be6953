"""Coq's view of the atoms in a proof state: each floor, ceiling, mod, max, min or ``|x|`` is a variable.

The checker's state holds atoms (``⌊(i - k)/s⌋``); the Coq script holds a
variable ``t<n>`` for each, with its equation ``T<n> : t<n> = (i - k) / s``
(``remember``), so that ``lia`` treats it as a number and ``rewrite`` replaces it
once a rule says what it is. :class:`Atoms` keeps the two in step: it knows,
for each variable, the atom as the checker has it now and the definition as Coq
has it now, and when a substitution makes sympy simplify an atom (``⌊x/1⌋``
becomes ``x``, ``⌊x/s + q⌋`` becomes ``q + ⌊x/s⌋``, two atoms become one), it
writes the Coq proof of that step, by a lemma of the file's preamble.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable, Optional

import sympy
from sympy import Abs, Max, Min, Mod, ceiling, floor

from symconv.core.rebuild import xreplace
from symconv.proof import certificate as C
from symconv.proof.checker import _same
from symconv.proof.coq.terms import ATOMS, Names, Printer, Untranslatable, atoms_of, fraction


@dataclass
class Entry:
    """One atom: its Coq variable and equation, the checker's form of it now, and Coq's definition of it."""

    dummy: sympy.Symbol
    name: str
    equation: str
    atom: sympy.Basic  # as the checker's state has it
    parts: tuple  # Coq's side, over names: (N, D) for floor, ceiling (of N/D) and mod; the arguments otherwise


@dataclass
class State:
    """The checker's state (facts by index and the goal), with the Coq names of its facts and atoms."""

    facts: list  # (kind, expr), as the checker's
    goal: C.Goal
    fact_names: list
    entries: list = field(default_factory=list)

    def clone(self) -> "State":
        return State(list(self.facts), self.goal, list(self.fact_names), [copy.copy(e) for e in self.entries])


@dataclass
class Stats:
    nodes: int = 0  #: certificate nodes translated rule for rule
    fallbacks: int = 0  #: subtrees closed by the generic fallback instead
    simplifications: int = 0  #: sympy's own simplifications, each proved by a lemma
    bridges: int = 0  #: statement-to-certificate steps that needed the division facts (sympy decided a relation)


class Atoms:
    """The atoms of a proof state as Coq variables; :class:`~.script.Script` adds the rules."""

    def __init__(self, names: Names, printer: Printer) -> None:
        self.names, self.printer = names, printer
        self.stats = Stats()
        self.resolved: list[tuple[sympy.Symbol, sympy.Basic]] = []  # each variable replaced, with its value
        self._keys: dict = {}

    # --- printing ------------------------------------------------------------------------

    def key(self, atom: sympy.Basic) -> str:
        if atom not in self._keys:
            self._keys[atom] = self.printer.atom(atom, self.key)
        return self._keys[atom]

    def find(self, state: State, atom: sympy.Basic) -> list[Entry]:
        key = self.key(atom)
        return [e for e in state.entries if self.key(e.atom) == key]

    def named(self, state: State, fresh: bool = False) -> Callable[[sympy.Basic], str]:
        """Atoms by their Coq variable; with ``fresh``, an atom not yet named prints in full (to be remembered)."""
        def sub(atom: sympy.Basic) -> str:
            found = self.find(state, atom)
            if found:
                return found[0].name
            if fresh:
                return self.printer.atom(atom, sub)
            raise Untranslatable(f"the atom {atom} is not in the proof state")
        return sub

    def show(self, state: State, expr: sympy.Basic, fresh: bool = False) -> str:
        return self.printer.poly(expr, self.named(state, fresh))

    def to_names(self, state: State, expr: sympy.Basic) -> sympy.Basic:
        """``expr`` with each outermost atom replaced by its variable: Coq's view of it."""
        def walk(node: sympy.Basic) -> sympy.Basic:
            if isinstance(node, ATOMS):
                found = self.find(state, node)
                if not found:
                    raise Untranslatable(f"the atom {node} is not in the proof state")
                return found[0].dummy
            if not node.has(*ATOMS):
                return node  # not rebuilt: sympy would decide 0 <= a from a's assumptions, which Coq does not see
            return node.func(*(walk(arg) for arg in node.args))

        return walk(sympy.sympify(expr))

    def parts_of(self, state: State, atom: sympy.Basic) -> tuple:
        if isinstance(atom, (floor, ceiling)):
            return tuple(self.to_names(state, part) for part in fraction(atom.args[0]))
        return tuple(self.to_names(state, arg) for arg in atom.args)

    def fact(self, state: State, kind: str, expr: sympy.Basic) -> str:
        """``0 <= e``, ``e = 0`` or ``e <> 0``; a fraction in ``e`` is multiplied out (by a positive number)."""
        text = self.show(state, integral(expr))
        return {"ge": f"0 <= {text}", "eq": f"{text} = 0", "ne": f"{text} <> 0"}[kind]

    def goal_text(self, state: State, goal: C.Goal) -> str:
        if isinstance(goal, C.Relation):
            return self.fact(state, goal.kind, goal.expr)
        texts = [f"({self.goal_text(state, part)})" if isinstance(part, C.Conjunction) and len(part.parts) > 1
                 else self.goal_text(state, part) for part in goal.parts]
        return " /\\ ".join(texts) or "True"

    # --- atoms as variables --------------------------------------------------------------

    def remember(self, state: State, atom: sympy.Basic, lines: list) -> Entry:
        dummy = sympy.Dummy("t", integer=True)
        name = self.names.fresh("t", dummy)
        equation = "T" + name[1:]
        lines.append(f"remember {self.printer.atom(atom, self.named(state))} as {name} eqn:{equation}.")
        entry = Entry(dummy, name, equation, atom, self.parts_of(state, atom))
        state.entries.append(entry)
        return entry

    def resolve(self, state: State, entry: Entry, value: sympy.Basic, proof: str, lines: list,
                text: Optional[str] = None) -> None:
        """Prove ``t = value`` (printed as ``text`` when a lemma needs its shape) and put it everywhere for ``t``."""
        text = text if text is not None else self.show(state, value, fresh=True)
        lines.append(f"assert (E : {entry.name} = {text}) by " + (f"{proof}." if proof == "lia" else f"({proof})."))
        lines.append(f"rewrite E in *. clear E {entry.equation} {entry.name}.")
        state.entries.remove(entry)
        self._forget(state, entry, value, lines)

    def _forget(self, state: State, entry: Entry, value: sympy.Basic, lines: list) -> None:
        for new in atoms_of(value):  # atoms that sympy's simplification brought in: name them now
            if not self.find(state, new):
                self.remember(state, new, lines)
        named = self.to_names(state, value)
        self.resolved.append((entry.dummy, named))
        for other in state.entries:
            other.parts = tuple(xreplace(sympy.sympify(p), {entry.dummy: named}) for p in other.parts)

    def reconcile(self, state: State, image: Callable[[sympy.Basic], sympy.Basic], lines: list) -> None:
        """After a substitution: prove in Coq each simplification sympy made to an atom, and follow it.

        Two atoms that became one (``⌊(i + 2p - k)/s⌋`` and ``⌊(i - k)/s⌋`` once ``p = 0``)
        are proved equal and become one variable.
        """
        for entry in list(state.entries):
            if entry not in state.entries:
                continue
            new = image(entry.atom)
            if type(new) is type(entry.atom) and self._same_parts(state, entry, new):
                entry.atom = new
                twin = next(e for e in state.entries if self.key(e.atom) == self.key(new))
                if twin is not entry:
                    congruence = {floor: "symconv_div_congr", ceiling: "symconv_ceil_congr", Mod: "symconv_mod_congr"}
                    proof = (f"rewrite {entry.equation}, {twin.equation}; "
                             + (f"apply {congruence[type(new)]}; ring" if type(new) in congruence else "lia"))
                    self.resolve(state, entry, new, proof, lines, twin.name)
                continue
            self.stats.simplifications += 1
            proof, text = self._simplification(state, entry, new)
            self.resolve(state, entry, new, proof, lines, text)

    def _same_parts(self, state: State, entry: Entry, atom: sympy.Basic) -> bool:
        try:
            parts = self.parts_of(state, atom)
        except Untranslatable:
            return False
        if len(parts) != len(entry.parts):
            return False
        if isinstance(atom, (Max, Min)):
            left = list(entry.parts)
            for part in parts:
                match = next((n for n, p in enumerate(left) if _same(p, part)), None)
                if match is None:
                    return False
                left.pop(match)
            return True
        return all(_same(a, b) for a, b in zip(parts, entry.parts))

    def _simplification(self, state: State, entry: Entry, value: sympy.Basic) -> tuple[str, Optional[str]]:
        """How to prove ``t = value`` when sympy rewrote the atom ``t`` stands for into ``value``: a tactic, and
        the value printed in the shape of the lemma the tactic applies."""
        old = entry.atom
        rewrite = f"rewrite {entry.equation}; "
        if isinstance(old, (Max, Min, Abs)):
            return rewrite + "first [lia | nia]", None
        top, bottom = entry.parts
        sub = self.named(state, fresh=True)
        if isinstance(old, Mod):
            if isinstance(value, Mod) and _same(self._named_or_raw(state, value.args[1]), bottom):
                k = sympy.cancel((top - self._named_or_raw(state, value.args[0])) / bottom)
                lemma = "symconv_mod_shift"
            elif value.is_Integer:
                k = sympy.cancel((top - value) / bottom)
                lemma = "symconv_mod_value"
            else:
                raise Untranslatable(f"sympy turned {old} into {value}")
            if not _polynomial_in_names(k):
                raise Untranslatable(f"{old} and {value} differ by a non-polynomial multiple")
            return rewrite + f"apply {lemma} with (k := {self.printer.poly(k, sub)}); lia", None
        kind = type(old)
        same = [t for t in sympy.Add.make_args(value) if isinstance(t, kind)
                and _same(self._named_or_raw(state, fraction(t.args[0])[1]), bottom)]
        if len(same) > 1:
            raise Untranslatable(f"sympy turned {old} into {value}")
        if not same:
            lemma = "symconv_div_exact" if kind is floor else "symconv_ceil_exact"
            return rewrite + f"apply {lemma}; lia", None
        rest = value - same[0]
        lemma = "symconv_div_shift" if kind is floor else "symconv_ceil_shift"
        return rewrite + f"apply {lemma}; lia", f"{sub(same[0])} + ({self.printer.poly(rest, sub)})"

    def _named_or_raw(self, state: State, expr: sympy.Basic) -> sympy.Basic:
        try:
            return self.to_names(state, expr)
        except Untranslatable:
            return expr

    def atom_facts(self, state: State) -> list[str]:
        """What the fallback knows of each atom: the division algorithm for it."""
        lines = []
        for entry in state.entries:
            if isinstance(entry.atom, (Max, Min, Abs)):
                continue  # lia reads these itself from T<n>
            lemma = {floor: "symconv_div_fact", ceiling: "symconv_ceil_fact", Mod: "symconv_mod_fact"}[type(entry.atom)]
            name = "B" + entry.name[1:]
            lines.append(f"pose proof ({lemma} _ _ _ {entry.equation}) as {name}; specialize ({name} ltac:(lia))")
        return lines


def _polynomial_in_names(expr: sympy.Basic) -> bool:
    expr = sympy.expand(expr)
    return not expr.has(*ATOMS) and expr.is_polynomial(*expr.free_symbols) and all(
        c.is_Integer for c in sympy.Poly(expr, *sorted(expr.free_symbols, key=str)).coeffs()) \
        if expr.free_symbols else expr.is_Integer


def integral(expr: sympy.Basic) -> sympy.Basic:
    """``expr`` times the least positive number that makes its coefficients integers: the same sign, and
    the same zeros, so ``0 <= e`` and ``e = 0`` keep their meaning, and ``lia`` scales back by itself."""
    expr = sympy.expand(expr)
    scale = sympy.ilcm(1, *(term.as_coeff_Mul()[0].q for term in sympy.Add.make_args(expr)))
    return sympy.expand(expr * scale)
