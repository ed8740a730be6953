"""A certificate as a Coq proof script, node by node, the way the checker replays it.

The script keeps Coq's proof state in step with the checker's: a hypothesis
``F<n>`` for fact ``n`` (``0 <= e``, ``e = 0`` or ``e <> 0``) and a goal, equal
to the checker's up to ring arithmetic, with each atom a variable
(:mod:`.atoms`). The rules become:

- ``Linear``: the products of facts it names (``Z.mul_nonneg_nonneg``) and the
  multiples of equations (``f_equal (Z.mul u)``), every other hypothesis
  cleared, then ``lia``: the nonnegative combination is found again, from
  exactly the facts the certificate used;
- ``Divide``: integers ``q, r`` with ``N = D q + r`` and ``0 <= r < D``
  (``Z.div_mod``, ``Z.mod_pos_bound``), and each atom's value by ``Z.div_unique``
  or ``Z.mod_unique``;
- ``Unique``: ``Z.div_unique`` twice; ``Substitute``: ``rewrite``;
  ``Combine``: ``lia``; ``Split``, ``SplitNe``, ``Pick``, ``Range``: a
  disjunction proved by ``lia`` and ``destruct``;
- ``Both``, ``Apart``, ``Absurd``, ``Each``: small lemmas and ``split``.

A node the translation cannot follow is closed by the fallback, every division
fact and ``nia``, and counted (:class:`~.atoms.Stats`).
"""

from __future__ import annotations

import functools
from typing import Callable, Optional

import sympy
from sympy import Mod, ceiling, floor

from symconv.core.rebuild import xreplace
from symconv.proof import certificate as C
from symconv.proof.checker import _facts_of, _goal_of, _map_goal, _same, _signs, pick_cases
from symconv.proof.theorem import Theorem
from symconv.proof.coq.atoms import Atoms, State, integral
from symconv.proof.coq.terms import Names, Printer, Untranslatable, atoms_of, comment


class Script(Atoms):
    """The proof of one theorem, from its certificate: :meth:`prologue`, then :meth:`node` on the proof tree."""

    def __init__(self, theorem: Theorem, certificate: C.Certificate, names: Names, printer: Printer) -> None:
        super().__init__(names, printer)
        self.theorem, self.certificate = theorem, certificate

    # --- the rules -----------------------------------------------------------------------

    def node(self, state: State, node: C.Node) -> list[str]:
        """The script for ``node`` on ``state``; the fallback if it cannot be followed."""
        try:
            lines = getattr(self, "_" + type(node).__name__.lower())(state.clone(), node)
        except Untranslatable as reason:
            self.stats.fallbacks += 1
            return [f"(* fallback: {comment(str(reason))} *)", "; ".join(self.atom_facts(state) + ["nia"]) + "."]
        self.stats.nodes += 1
        return lines

    def block(self, state: State, node: C.Node) -> list[str]:
        return _braced(self.node(state, node))

    def append(self, state: State, kind: str, expr: sympy.Basic) -> str:
        name = f"F{len(state.facts)}"
        state.facts.append((kind, expr))
        state.fact_names.append(name)
        return name

    def _linear(self, state: State, node: C.Linear) -> list[str]:
        lines, keep = [], []
        for _, indices in node.products:
            if len(indices) == 1:
                keep.append(state.fact_names[indices[0]])
                continue
            term = state.fact_names[indices[0]]
            for index in indices[1:]:
                term = f"(Z.mul_nonneg_nonneg _ _ {term} {state.fact_names[index]})"
            name = self.names.fresh("P")
            lines.append(f"pose proof {term} as {name}.")
            keep.append(name)
        for multiplier, index in node.multiples:
            multiplier = sympy.expand(multiplier)
            if multiplier.is_Number:
                keep.append(state.fact_names[index])
                continue
            name = self.names.fresh("P")
            lines.append(f"pose proof (f_equal (Z.mul ({self.show(state, integral(multiplier))}))"
                         f" {state.fact_names[index]}) as {name}.")
            keep.append(name)
        keep = list(dict.fromkeys(keep))
        lines.append(f"clear - {' '.join(keep)}. lia." if keep else "clear. lia.")
        return lines

    def _both(self, state: State, node: C.Both) -> list[str]:
        return ["apply symconv_both.",
                *self.block(_with_goal(state, C.Relation("ge", _relation(state).expr)), node.lower),
                *self.block(_with_goal(state, C.Relation("ge", -_relation(state).expr)), node.upper)]

    def _apart(self, state: State, node: C.Apart) -> list[str]:
        goal = _relation(state)
        expr = goal.expr - 1 if node.above else -goal.expr - 1
        return [f"apply {'symconv_above' if node.above else 'symconv_below'}.",
                *self.node(_with_goal(state, C.Relation("ge", expr)), node.proof)]

    def _each(self, state: State, node: C.Each) -> list[str]:
        goal = state.goal
        if not isinstance(goal, C.Conjunction):
            raise Untranslatable(f"Each needs a conjunction, not {goal}")
        parts = goal.parts
        if len(parts) != len(node.parts):
            raise Untranslatable("a conjunction with another number of parts")
        if not parts:
            return ["exact I."]
        lines: list[str] = []
        indent = ""
        for n, (part, proof) in enumerate(zip(parts, node.parts)):
            if n < len(parts) - 1:
                lines.append(indent + "split.")
                lines += [indent + line for line in self.block(_with_goal(state, part), proof)]
            else:
                lines += [indent + line for line in self.node(_with_goal(state, part), proof)]
        return lines

    def _absurd(self, state: State, node: C.Absurd) -> list[str]:
        return ["exfalso. apply symconv_absurd.",
                *self.node(_with_goal(state, C.Relation("ge", sympy.Integer(-1))), node.proof)]

    def _substitute(self, state: State, node: C.Substitute) -> list[str]:
        kind, expr = state.facts[node.fact]
        x = node.symbol
        expr = sympy.expand(expr)
        slope = expr.diff(x)
        if kind != "eq" or slope not in (1, -1):
            raise Untranslatable(f"fact {node.fact} does not pin {x}")
        value = sympy.expand(x - expr / slope)
        lines = [f"assert (E : {self.names[x]} = {self.show(state, value)}) by lia.",
                 f"rewrite E in *. clear E {self.names[x]}."]
        named = self.to_names(state, value)
        for entry in state.entries:
            entry.parts = tuple(xreplace(sympy.sympify(p), {x: named}) for p in entry.parts)
        self._map(state, {x: value}, lines)
        return lines + self.node(state, node.then)

    def _map(self, state: State, mapping: dict, lines: list) -> None:
        state.facts = [(k, xreplace(sympy.sympify(e), mapping)) for k, e in state.facts]
        state.goal = _map_goal(state.goal, mapping)
        self.reconcile(state, lambda atom: xreplace(atom, mapping), lines)

    def _divide(self, state: State, node: C.Divide) -> list[str]:
        N, D, q, r = node.numerator, node.denominator, node.quotient, node.remainder
        targets = [(entry, atom, M) for atom, M in node.atoms for entry in self.find(state, atom)]
        if len(targets) < len(node.atoms):
            raise Untranslatable("an atom of the division is not in the proof state")
        for entry, atom, _ in targets:
            if not _same(entry.parts[1], self.to_names(state, D)):
                raise Untranslatable(f"{atom} is not a division by {D} in Coq's terms")
        n, d = self.show(state, N), self.show(state, D)
        p = self.names.fresh("P")
        lines = [f"assert ({p} : 0 <= {d} - 1).",
                 *self.block(_with_goal(state, C.Relation("ge", D - 1)), node.positive)]
        qn, rn = self.names.add(q), self.names.add(r)
        fa, fb, fc = (self.append(state, kind, e) for kind, e in
                      (("eq", N - D * q - r), ("ge", r), ("ge", D - 1 - r)))
        lines += [f"assert (X : exists {qn} {rn}, {self.show(state, N - D * q - r)} = 0 /\\ 0 <= {rn}"
                  f" /\\ 0 <= {self.show(state, D - 1 - r)}).",
                  f"{{ exists (({n}) / {_paren(d)}), (({n}) mod {_paren(d)}).",
                  f"  pose proof (Z.div_mod ({n}) ({d}) ltac:(lia)).",
                  f"  pose proof (Z.mod_pos_bound ({n}) ({d}) ltac:(lia)).",
                  "  lia. }",
                  f"destruct X as ({qn} & {rn} & {fa} & {fb} & {fc}). clear {p}."]
        mapping = {}
        for entry, atom, M in targets:
            m = self.show(state, M)
            text = None
            if isinstance(atom, floor):
                value, proof = q + M, f"rewrite {entry.equation}; symmetry; apply Z.div_unique with (r := {rn}); lia"
            elif isinstance(atom, ceiling):
                value, text = -(q + M), f"- ({self.show(state, q + M)})"
                proof = f"rewrite {entry.equation}; f_equal; symmetry; apply Z.div_unique with (r := {rn}); lia"
            elif isinstance(atom, Mod):
                value = r
                quotient = qn if M == 0 else f"{qn} + ({m})"
                proof = f"rewrite {entry.equation}; symmetry; apply Z.mod_unique with (q := {quotient}); lia"
            else:
                raise Untranslatable(f"{atom} is not a division")
            mapping[atom] = value
            if entry in state.entries:
                self.resolve(state, entry, value, proof, lines, text)
        self._map(state, mapping, lines)
        return lines + self.node(state, node.then)

    def _unique(self, state: State, node: C.Unique) -> list[str]:
        q, r, D, M, part = node.quotient, node.remainder, node.denominator, node.whole, node.part
        shapes = [("eq", D * M + part - D * q - r), ("ge", r), ("ge", D - 1 - r)]
        for index, (kind, expr) in zip(node.facts, shapes):
            if state.facts[index][0] != kind or not _same(state.facts[index][1], expr):
                raise Untranslatable(f"fact {index} is not {kind} {expr}")
        d, m, c, qt, rt = (self.show(state, e) for e in (D, M, part, q, r))
        whole = self.show(state, D * M + part)
        l1, l2, u1, u2 = (self.names.fresh(prefix) for prefix in "LLUU")
        lines = [f"assert ({l1} : 0 <= {c}).", *self.block(_with_goal(state, C.Relation("ge", part)), node.low),
                 f"assert ({l2} : 0 <= {self.show(state, D - 1 - part)}).",
                 *self.block(_with_goal(state, C.Relation("ge", D - 1 - part)), node.high),
                 f"assert ({u1} : {qt} = ({whole}) / {_paren(d)}) by (apply Z.div_unique with (r := {rt}); lia).",
                 f"assert ({u2} : {m} = ({whole}) / {_paren(d)}) by (apply Z.div_unique with (r := {c}); lia)."]
        fq = self.append(state, "eq", q - M)
        fr = self.append(state, "eq", r - part)
        lines += [f"assert ({fq} : {self.show(state, q - M)} = 0) by lia.",
                  f"assert ({fr} : {self.show(state, r - part)} = 0)"
                  f" by (pose proof (f_equal (Z.mul ({d})) {fq}); lia).",
                  f"clear {l1} {l2} {u1} {u2}."]
        return lines + self.node(state, node.then)

    def _combine(self, state: State, node: C.Combine) -> list[str]:
        total, lines, used = sympy.Integer(0), [], []
        for multiplier, index in node.terms:
            kind, expr = state.facts[index]
            if kind != "eq":
                raise Untranslatable(f"fact {index} is not an equation")
            total += multiplier * expr
            if sympy.expand(multiplier).is_Number:
                continue
            used.append(self.names.fresh("P"))
            lines.append(f"pose proof (f_equal (Z.mul ({self.show(state, integral(multiplier))}))"
                         f" {state.fact_names[index]}) as {used[-1]}.")
        name = self.append(state, "eq", sympy.expand(total))
        lines.append(f"assert ({name} : {self.fact(state, 'eq', total)}) by lia.")
        if used:
            lines.append(f"clear {' '.join(used)}.")
        return lines + self.node(state, node.then)

    def _cases(self, state: State, cases: list, node_branches, before: Optional[Callable] = None) -> list[str]:
        """One branch per case; a case is a list of new facts ``expr >= 0``. ``before`` runs first in each branch."""
        disjuncts, patterns, states = [], [], []
        for conditions in cases:
            branch = state.clone()
            names = [self.append(branch, "ge", c) for c in conditions]
            disjuncts.append(" /\\ ".join(f"0 <= {self.show(state, c)}" for c in conditions) or "True")
            patterns.append(names[0] if len(names) == 1 else "(" + " & ".join(names) + ")" if names else "_")
            states.append(branch)
        pattern = patterns[-1]
        for p in reversed(patterns[:-1]):
            pattern = f"[{p} | {pattern}]"
        either = " \\/ ".join(f"({d})" for d in disjuncts)
        lines = [f"assert (C : {either}) by lia.", f"destruct C as {pattern}."]
        for n, (branch, proof) in enumerate(zip(states, node_branches)):
            lines += _braced((before(n, branch) if before else []) + self.node(branch, proof))
        return lines

    def _split(self, state: State, node: C.Split) -> list[str]:
        return self._cases(state, [[node.expr], [-node.expr - 1]], [node.nonnegative, node.negative])

    def _splitne(self, state: State, node: C.SplitNe) -> list[str]:
        kind, expr = state.facts[node.fact]
        if kind != "ne":
            raise Untranslatable(f"fact {node.fact} is not a fact e != 0")
        return self._cases(state, [[expr - 1], [-expr - 1]], [node.above, node.below])

    def _pick(self, state: State, node: C.Pick) -> list[str]:
        atom = node.atom
        entries = self.find(state, atom)
        if not entries:
            raise Untranslatable(f"{atom} is not in the proof state")
        cases = pick_cases(atom)  # the rule as the checker reads it
        if cases is None:
            raise Untranslatable(f"{atom} is not max, min or |x|")
        if len(cases) != len(node.branches):
            raise Untranslatable("one branch per case")

        def pick(n: int, branch: State) -> list[str]:
            value, lines = cases[n][1], list[str]()
            for entry in self.find(branch, atom):
                self.resolve(branch, entry, value, "lia", lines)
            self._map(branch, {atom: value}, lines)
            return lines

        return self._cases(state, [conditions for conditions, _ in cases], node.branches, pick)

    def _range(self, state: State, node: C.Range) -> list[str]:
        x = node.symbol
        name = self.names[x]
        r1, r2 = self.names.fresh("R"), self.names.fresh("R")
        lines = [f"assert ({r1} : 0 <= {self.show(state, x - node.low)}).",
                 *self.block(_with_goal(state, C.Relation("ge", x - node.low)), node.above),
                 f"assert ({r2} : 0 <= {self.show(state, node.high - x)}).",
                 *self.block(_with_goal(state, C.Relation("ge", node.high - x)), node.below)]
        values = list(range(node.low, node.high + 1))
        if len(values) != len(node.branches):
            raise Untranslatable("one branch per value")
        pattern = "E"
        for _ in values[:-1]:
            pattern = f"[E | {pattern}]"
        either = " \\/ ".join(f"{name} = {v}" for v in values)
        lines += [f"assert (C : {either}) by lia.", f"clear {r1} {r2}. destruct C as {pattern}."]
        for value, proof in zip(values, node.branches):
            branch = state.clone()
            inner = [f"rewrite E in *. clear E {name}."]
            self._map(branch, {x: sympy.Integer(value)}, inner)
            lines += _braced(inner + self.node(branch, proof))
        return lines

    # --- from the theorem to the certificate's starting state ----------------------------------

    def prologue(self, premises: list[tuple[str, sympy.Basic]], signs: list[str],
                 defined: list[str]) -> tuple[list[str], State]:
        """Name every atom, unfold the definitions, and state the certificate's facts and goal.

        ``premises`` are the hypotheses' names and formulas as the statement has
        them, ``signs`` the names of the sign assumptions, ``defined`` the names of
        the definitions' equations (``Def<n> : o = ...``), in order.
        """
        theorem, certificate = self.theorem, self.certificate
        state = State([], certificate.goal, [])
        lines: list[str] = []
        found: list = []
        for piece in [value for _, value in theorem.definitions] + [f for _, f in premises] + [theorem.statement]:
            for atom in atoms_of(piece):
                if all(self.key(atom) != self.key(other) for other in found):
                    found.append(atom)
        _check_overlaps(self, found)
        for atom in found:
            self.remember(state, atom, lines)
        views = [self.to_names(state, formula) for _, formula in premises]
        statement = self.to_names(state, theorem.statement)
        for (symbol, value), equation in zip(reversed(theorem.definitions), reversed(defined)):
            used = sympy.Tuple(statement, *views, *(p for e in state.entries for p in e.parts)).has(symbol)
            lines.append(f"rewrite {equation} in *. " * used + f"clear {equation} {self.names[symbol]}.")
            named = self.to_names(state, value)
            for entry in state.entries:
                entry.parts = tuple(xreplace(sympy.sympify(p), {symbol: named}) for p in entry.parts)
            views = [_rewritten(v, {symbol: named}) for v in views]
            statement = _rewritten(statement, {symbol: named})
            self.reconcile(state, functools.partial(_replaced, mapping={symbol: value}), lines)
        self.reconcile(state, sympy.expand, lines)  # the checker expands the facts and the goal it starts from
        for dummy, value in self.resolved:  # what Coq's premises and goal now say, after those steps
            views = [_rewritten(v, {dummy: value}) for v in views]
            statement = _rewritten(statement, {dummy: value})

        # lia takes each premise to the facts it gives and the goal to the statement, unless sympy decided
        # a relation on its own (0 <= x mod s is true): then the division facts are needed as well.
        known = [fact for view in views for fact in _facts_of(view)]
        known += [fact for variable in theorem.variables for fact in _signs(variable)]
        helped = _facts_then_lia(self.atom_facts(state))
        bridged = True
        for fact in certificate.facts:
            text = self.fact(state, fact.kind, fact.expr)
            mine = self.to_names(state, fact.expr)
            plain = any(kind == fact.kind and _same(mine, expr) for kind, expr in known)
            bridged = bridged and plain
            lines.append(f"assert ({self.append(state, fact.kind, fact.expr)} : {text}) by "
                         + ("lia." if plain else f"({helped})."))
        plain = self._goal_follows(state, statement, certificate.goal)
        bridged = bridged and plain
        goal = self.goal_text(state, certificate.goal)
        lines.append(f"enough (G : {goal}) by " + ("lia." if plain else f"({helped})."))
        self.stats.bridges += not bridged
        if premises or signs:
            lines.append(f"clear {' '.join(signs + [name for name, _ in premises])}.")
        return lines, state

    def _goal_follows(self, state: State, statement: sympy.Basic, goal: C.Goal) -> bool:
        """Whether ``lia`` alone takes the checker's goal back to the statement: the same relations, rearranged."""
        mine = _goal_of(statement)
        try:
            named = _name_goal(self, state, goal)
        except Untranslatable:
            return False
        return mine is not None and _implies(named, mine)


def _name_goal(script: Script, state: State, goal: C.Goal) -> C.Goal:
    if isinstance(goal, C.Relation):
        return C.Relation(goal.kind, script.to_names(state, goal.expr))
    return C.Conjunction(tuple(_name_goal(script, state, part) for part in goal.parts))


def _implies(have: C.Goal, want: C.Goal) -> bool:
    """``have`` gives ``want`` by rearranging: the same relations, and identities."""
    if isinstance(want, C.Conjunction):
        parts = have.parts if isinstance(have, C.Conjunction) else (have,)
        rest = list(parts)
        for part in want.parts:
            if _trivial(part):
                continue
            match = next((n for n, p in enumerate(rest) if _implies(p, part)), None)
            if match is None:
                return False
            rest.pop(match)
        return True
    if isinstance(have, C.Conjunction):
        return _trivial(want) or (len(have.parts) == 1 and _implies(have.parts[0], want))
    return _trivial(want) or (have.kind == want.kind and _same(have.expr, want.expr))


def _trivial(goal: C.Goal) -> bool:
    if isinstance(goal, C.Conjunction):
        return all(_trivial(part) for part in goal.parts)
    value = sympy.expand(goal.expr)
    return value.is_Number and {"ge": value >= 0, "eq": value == 0, "ne": value != 0}[goal.kind]


def _check_overlaps(script: Script, atoms: list) -> None:
    """``remember`` finds an atom by its text: one atom's text inside another's must be an atom inside it."""
    for atom in atoms:
        text = script.key(atom)
        for other in atoms:
            if other is not atom and script.key(other) in text and not any(
                    script.key(inner) == script.key(other) for inner in atoms_of(atom)):
                raise Untranslatable(f"{other} prints inside {atom} without being part of it")


def _braced(lines: list[str]) -> list[str]:
    """A subproof in braces, its lines indented under the first."""
    if len(lines) == 1:
        return ["{ " + lines[0] + " }"]
    return ["{ " + lines[0], *("  " + line for line in lines[1:-1]), "  " + lines[-1] + " }"]


def _with_goal(state: State, goal: C.Goal) -> State:
    branch = state.clone()
    branch.goal = goal
    return branch


def _paren(text: str) -> str:
    return text if text.isidentifier() or text.isdigit() else f"({text})"


def _facts_then_lia(facts: list[str]) -> str:
    return "; ".join(facts + ["lia"])


_RELATIONS = (sympy.Eq, sympy.Ne, sympy.Ge, sympy.Gt, sympy.Le, sympy.Lt)


def _rewritten(formula: sympy.Basic, mapping: dict) -> sympy.Basic:
    """What ``rewrite`` makes of a premise or the statement: each relation's sides substituted, the relation kept
    as written, as Coq keeps it. Evaluated by sympy, it could be decided or rearranged, which models Coq's premise
    less closely, and sympy would ask its assumptions about both sides for that."""
    formula = sympy.sympify(formula)
    if isinstance(formula, _RELATIONS):
        return type(formula)(*(xreplace(side, mapping) for side in formula.args), evaluate=False)
    if isinstance(formula, (sympy.And, sympy.Or, sympy.Not, sympy.Tuple)):
        return type(formula)(*(_rewritten(part, mapping) for part in formula.args))
    return xreplace(formula, mapping)


def _replaced(atom: sympy.Basic, mapping: dict) -> sympy.Basic:
    return xreplace(atom, mapping)


def _relation(state: State) -> C.Relation:
    goal = state.goal
    if not isinstance(goal, C.Relation):
        raise Untranslatable(f"this step needs one relation as its goal, not {goal}")
    return goal
