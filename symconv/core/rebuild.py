"""Substitution that rebuilds each changed node once per process: ``xreplace``'s result, without its repeated cost.

``expr.xreplace(mapping)`` rebuilds every node whose arguments changed by calling its class on the new arguments,
which evaluates it again. For ``Max`` and ``Min`` that evaluation asks sympy's assumptions whether each argument
dominates another (about 10 ms a node here), and sympy's cache does not keep those classes. The proof search, its
checker, the Coq export and the scheme checks make the same nodes over and over, in every branch of a case split
and again when a proof is replayed. :func:`xreplace` gives exactly ``expr.xreplace(mapping)``, but each node is
built by sympy once and then taken from a table keyed by its class and arguments (sympy's structural equality,
as sympy's own cache keys them; since sympy 1.13 it tells ``2.0`` from ``2``), so the answer cannot differ from
sympy's.

>>> from sympy import Max, Symbol
>>> x, y = Symbol("x", integer=True), Symbol("y", integer=True)
>>> xreplace(Max(x, y) + 1, {y: x + 1}) == (Max(x, y) + 1).xreplace({y: x + 1})
True

One exception: a node sympy 1.14 would evaluate wrongly is kept as written (:func:`symconv.core.guards.evaluated`).
So every substitution into a size goes through here (:func:`xreplace`, and :func:`replace` for sympy's
``replace``), never through sympy's own ``xreplace``, ``subs`` or ``replace``, which would build that node again.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import sympy
from sympy.core.parameters import global_parameters

from symconv.core.guards import evaluated

#: Nodes kept at most; the table starts again when it is full (a long session cannot grow it without bound).
MAX_NODES = 50_000

_BUILT: dict[tuple, sympy.Basic] = {}


def xreplace(expr: Any, mapping: Mapping) -> Any:
    """``expr.xreplace(mapping)``, each rebuilt node taken from the table when sympy built it before."""
    if not mapping or not isinstance(expr, sympy.Basic):
        return expr
    return _replace(expr, mapping)[0]


def build(func: Any, args: tuple) -> sympy.Basic:
    """``func(*args)``, as sympy evaluates it, remembered for the next call with equal arguments."""
    key = (func, args, global_parameters.evaluate, global_parameters.distribute)
    try:
        return _BUILT[key]
    except KeyError:
        pass
    if len(_BUILT) >= MAX_NODES:
        _BUILT.clear()
    node = _BUILT[key] = evaluated(func, args) if global_parameters.evaluate else func(*args)
    return node


def _replace(expr: sympy.Basic, mapping: Mapping) -> tuple[Any, bool]:
    # sympy's Basic._xreplace, step for step, with build() where it calls self.func(*args)
    if expr in mapping:
        return mapping[expr], True
    args, changed = [], False
    for arg in expr.args:
        if isinstance(arg, sympy.Basic):
            new, moved = _replace(arg, mapping)
            args.append(new)
            changed |= moved
        else:
            args.append(arg)
    if changed:
        return build(expr.func, tuple(args)), True
    return expr, False


def replace(expr: Any, query: Callable[[Any], bool], value: Callable[[Any], Any]) -> Any:
    """``expr.replace(query, value)`` for a test and a function: bottom up, each node whose arguments changed built
    by :func:`build`, then given to ``value`` when ``query`` holds for it (a node that ``value`` made is not
    offered again, as sympy's simultaneous replace does).

    >>> from sympy import Symbol, ceiling, floor
    >>> x = Symbol("x", integer=True)
    >>> is_floor, as_ceiling = (lambda e: isinstance(e, floor)), (lambda e: ceiling(e.args[0]))
    >>> replace(floor(x / 2) + 1, is_floor, as_ceiling), (floor(x / 2) + 1).replace(is_floor, as_ceiling)
    (ceiling(x/2) + 1, ceiling(x/2) + 1)
    """
    if not isinstance(expr, sympy.Basic):
        return expr
    return _replaced(expr, query, value)


def _replaced(expr: sympy.Basic, query: Callable[[Any], bool], value: Callable[[Any], Any]) -> Any:
    # sympy's Basic.replace (its walk and rec_replace), with build() where it calls rv.func(*newargs)
    node = expr
    if expr.args:
        args = tuple(_replaced(arg, query, value) if isinstance(arg, sympy.Basic) else arg for arg in expr.args)
        if args != expr.args:
            node = build(expr.func, args)
            if any(node == old and old != new for old, new in zip(expr.args, args)):
                return node  # it became an argument that was itself replaced: not offered again
    if query(node):
        new = value(node)
        if new is not None and new != node:
            return new
    return node
