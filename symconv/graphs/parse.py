"""The text form of a graph: named nodes, each an op on earlier nodes.

::

    graph     := statement (";" | NEWLINE) statement ...
    statement := NAME "=" "input" ["[" axis ("," axis)* "]"]
               | NAME "=" OP item* ["(" NAME ("," NAME)* ")"]
               | "output" "(" NAME ("," NAME)* ")"
    axis      := NAME | INT

A node reads the nodes named in its parentheses; a one-input node without
them reads the node defined just before it. ``#`` starts a comment. The ops
and their items:

- a layer kind and its items, as in a stack (:mod:`symconv.layers.parse`):
  ``conv k=3 s=2 p=1``, ``pool k=3 s=2 p=1 ceil``, ``tconv k=2 s=2 op=1``,
  ``upsample f=2``, ``conv k=3 scheme=tf-same``;
- ``pad p=1``, ``p=1:2`` or ``p=1:1,0:2`` (before:after, per axis); negative amounts crop;
- ``slice [1:-1, ::2]``: Python's slices, one for every axis or one per axis;
- ``resize size=7`` and ``apool size=7,5`` (a fixed output size), ``gpool`` (global pooling);
- ``flatten``, then ``linear``, ``gemm`` or ``matmul``;
- shape-preserving ops: ``relu``, ``bn``, ``dropout``, ``identity``, ...;
- the joins: ``cat`` (along the channels; ``cat axis=W`` along a spatial axis,
  by name or number), and the element-wise ``add``, ``sub``, ``mul``, ``div``,
  ``max``, ``min``, ... whose inputs broadcast.

``input`` without a shape is ``input [H, W]``. The outputs are the nodes no
other node reads, unless an ``output (...)`` statement names them. A text
that does not start with ``NAME =`` is a stack's linear form, read as a chain
(:func:`~symconv.graphs.graph.graph_of`).

>>> g = parse_graph("x = input [H, W]; a = conv k=3 p=1 (x); b = pool k=2; u = tconv k=2 s=2; c = cat (a, u)")
>>> [node.name for node in g.nodes], g.outputs
(['x', 'a', 'b', 'u', 'c'], ('c',))
>>> parse_graph("x = input; c = cat (x, y)")
Traceback (most recent call last):
...
symconv.core.errors.ParseError: cannot parse 'c = cat (x, y)': 'y' at column 13: node 'c': 'y' is not defined before it

Text is read by regular expressions and a hand-written splitter; it never
reaches ``eval``, ``exec`` or ``sympify``. Malformed text raises a one-line
:class:`~symconv.core.errors.ParseError` naming the node and the token; a value
that breaks a rule raises a :class:`~symconv.core.errors.ParameterError` naming
the node, the key and the rule.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable, Optional

from symconv.core.errors import ParameterError, ParseError
from symconv.layers import parse
from symconv.graphs.graph import MAX_NODES, Graph, GraphBuilder, graph_of
from symconv.graphs.ops import (
    DENSE, ELEMENTWISE, FIXED, SHAPE_PRESERVING, Concat, Dense, Elementwise, Fixed, Flatten, Identity, Input, LayerOp,
    Pad, Slice,
)
from symconv.layers.kinds import layer_kind, spelled

MAX_GRAPH_TEXT = 200_000  #: characters of a graph's text

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ASSIGNMENT = re.compile(rf"\s*({_NAME})\s*=(?!=)\s*")
_OUTPUT = re.compile(r"\s*output\b\s*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENTIFIER = re.compile(rf"{_NAME}\Z")
_INT = re.compile(r"[+-]?[0-9]+\Z")
_ALIASES = {"concat": "cat"}

Fail = Callable[[int, str, str], ParseError]


def _statements(source: str) -> list[tuple[int, str]]:
    """The statements and where each starts: split at ';' and line ends outside brackets, comments dropped."""
    found, start, depth, n = [], 0, 0, 0
    text = re.sub(r"#[^\n]*", lambda match: " " * len(match.group()), source)
    for n, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char in ";\n" and depth == 0:
            found.append((start, text[start:n]))
            start = n + 1
    found.append((start, text[start:]))
    return [(position, statement) for position, statement in found if statement.strip()]


def parse_graph(source: str) -> Graph:
    """Read a graph from its text form (see the module docstring), or a stack's linear form as a chain.

    >>> print(parse_graph("conv k=3 p=1; pool k=2"))
    x = input [i]; layer1 = conv k=3 p=1 (x); layer2 = pool k=2 (layer1)
    >>> parse_graph("x = input [H, W]; a = conv k=3,3,3 (x)")
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: node 'a'='conv k=3,3,3' is invalid: it gives values for 3 axes, but its \
input 'x' has 2 (H, W)
    """
    if not isinstance(source, str):
        raise ParseError(repr(source)[:40], 0, repr(source)[:20], "a graph's text must be a string")
    if len(source) > MAX_GRAPH_TEXT:
        raise ParseError(source[:40] + "...", MAX_GRAPH_TEXT, source[MAX_GRAPH_TEXT:][:10],
                         f"a graph's text is at most {MAX_GRAPH_TEXT} characters")
    statements = _statements(source)
    if not statements:
        raise ParseError(source, 0, source, "empty graph: give at least an input and a node")
    first = statements[0][1]
    if not (_ASSIGNMENT.match(first) or _OUTPUT.match(first)):
        return graph_of(parse.parse_stack("; ".join(statement.strip() for _, statement in statements)))
    if len(statements) > MAX_NODES + 1:
        raise ParseError(source[:40] + "...", 0, "", f"a graph's text has at most {MAX_NODES} nodes")
    builder, previous, outputs = GraphBuilder(), None, None
    for number, (_, statement) in enumerate(statements, 1):
        text = statement.strip()
        offset = len(statement) - len(statement.lstrip())
        body = statement[offset:]

        fail = _failing(text, f"statement {number}")
        output = _OUTPUT.match(body)
        if output and not _ASSIGNMENT.match(body):
            if outputs is not None:
                raise fail(0, "output", "only one output statement")
            names, rest = _inputs(body, output.end(), fail, "output")
            if names is None or rest:
                raise fail(output.end(), body[output.end():].strip()[:20] or "output",
                           "expected output (NAME, NAME, ...)")
            outputs = _defined(names, builder, fail)
            continue
        assignment = _ASSIGNMENT.match(body)
        if not assignment:
            raise fail(0, body.split()[0], "expected NAME = OP ... (NAME, ...) or output (NAME, ...)")
        name = assignment.group(1)
        previous = _statement(builder, name, body, assignment.end(), previous, _failing(text, f"node {name!r}"))
    graph_outputs = () if outputs is None else tuple(outputs)
    builder.output(*graph_outputs)
    return builder.build()


def _failing(text: str, label: str) -> Fail:
    """The errors of one statement: ``label`` names the statement or its node."""
    def fail(position: int, token: str, reason: str) -> ParseError:
        return ParseError(text, position, token, f"{label}: {reason}")

    return fail


def _inputs(body: str, start: int, fail: Fail, name: str) -> tuple[Optional[list[tuple[int, str]]], str]:
    """The names in the parentheses that start at ``start`` (None without them), and what follows them."""
    rest = body[start:]
    if not rest.lstrip().startswith("("):
        return None, rest.strip()
    opening = start + len(rest) - len(rest.lstrip())
    closing = body.find(")", opening)
    if closing < 0:
        raise fail(opening, body[opening:][:20], "a '(' without its ')'")
    names, position = [], opening + 1
    for piece in body[opening + 1:closing].split(","):
        token = piece.strip()
        where = position + len(piece) - len(piece.lstrip())
        if not _IDENTIFIER.match(token):
            raise fail(where, token or ")", f"{name} reads nodes by name: (a, b)")
        names.append((where, token))
        position += len(piece) + 1
    return names, body[closing + 1:].strip()


def _defined(names: list[tuple[int, str]], builder: GraphBuilder, fail: Fail) -> list[str]:
    """The names, each of a node defined before."""
    known = builder._tensors
    for position, token in names:
        if token not in known:
            raise fail(position, token, f"{token!r} is not defined before it")
    return [token for _, token in names]


def _statement(builder: GraphBuilder, name: str, body: str, start: int, previous: Optional[str], fail: Fail) -> str:
    """Add the node that ``body[start:]`` defines; returns its name."""
    word_match = _WORD.match(body, start)
    if not word_match:
        raise fail(start, body[start:][:20] or "=", "expected an op after '='")
    word = _ALIASES.get(word_match.group(), word_match.group())
    parenthesis = body.find("(", word_match.end())
    items_end = len(body) if parenthesis < 0 else parenthesis
    items = body[word_match.end():items_end]
    names, rest = _inputs(body, items_end, fail, word)
    if rest:
        raise fail(body.rfind(rest), rest[:20], "nothing may follow the inputs' ')'")
    if names is not None:
        inputs = _defined(names, builder, fail)
    elif word == "input":
        inputs = []
    elif word in ("cat", *ELEMENTWISE):
        raise fail(start, word, f"{word} joins nodes: name them, like {word} (a, b)")
    elif previous is None:
        raise fail(start, word, "there is no node before it to read: name its input, like (x)")
    else:
        inputs = [previous]
    at = word_match.end()

    def op(make: Callable[[], Any]) -> Any:
        try:
            return make()
        except ParameterError as error:
            raise ParameterError(f"node {name!r} {error.name}", error.value, error.rule) from None

    if word == "input":
        if inputs:
            raise fail(items_end, "(", "an input reads no node")
        return builder.node(name, op(lambda: Input(tuple(_axes(items, at, fail)) if items.strip() else ("H", "W"))))
    if word == "slice":
        return builder.node(name, op(lambda: Slice(tuple(_ranges(items, at, fail)))), inputs)
    try:
        layer_kind(word)
    except ParameterError:
        pass
    else:
        layer = _layer(word_match.group() + items, start, fail)
        return builder.node(name, op(lambda: LayerOp(layer)), inputs)
    values = _items(items, at, fail)
    if word == "pad":
        position, value = _only(values, "p", word, fail, required=start)
        return builder.node(name, op(lambda: Pad(_padding(position, value, fail))), inputs)
    if word in FIXED:
        if word == "gpool":
            _only(values, None, word, fail)
            return builder.node(name, Fixed("gpool"), inputs)
        position, value = _only(values, "size", word, fail, required=start)
        keep = word == "apool" and "_" in value.split(",")  # an adaptive pool's _ keeps that axis's size
        numbers = ",".join("1" if keep and entry == "_" else entry for entry in value.split(","))
        sizes: list = parse._integers(numbers, lambda reason: fail(position, f"size={value}", reason),
                                      "expected size=N, or one size per axis like size=7,5"
                                      + (" (an adaptive pool's _ keeps that axis)" if word == "apool" else ""))
        sizes = [None if keep and entry == "_" else size for entry, size in zip(value.split(","), sizes)]
        return builder.node(name, op(lambda: Fixed(word, tuple(sizes))), inputs)
    if word == "cat":
        found = _only(values, "axis", word, fail)
        axis = None if found is None else _axis(builder, inputs[0], found[0], found[1], fail)
        return builder.node(name, op(lambda: Concat(axis)), inputs)
    if word == "flatten" or word in DENSE:
        keys = {"c": "channels", "size": "size"} if word == "flatten" else {"in": "in_features",
                                                                            "out": "out_features"}
        given: dict[str, int] = {}
        for position, key, value in values:
            if key not in keys or keys[key] in given:
                reason = f"{key} given twice" if key in keys else f"unknown item: {word} takes {'=, '.join(keys)}="
                raise fail(position, f"{key}={value}", reason)
            if not re.fullmatch(r"[0-9]{1,13}", value):
                raise fail(position, f"{key}={value}", f"expected {key}=N, a positive integer")
            given[keys[key]] = int(value)
        make = Flatten if word == "flatten" else partial(Dense, word)
        return builder.node(name, op(lambda: make(**given)), inputs)
    simple: dict[str, Callable[[], Any]] = {
        **{w: partial(Identity, w) for w in SHAPE_PRESERVING},
        **{w: partial(Elementwise, w) for w in ELEMENTWISE}}
    if word in simple:
        _only(values, None, word, fail)
        return builder.node(name, op(simple[word]), inputs)
    raise fail(start, word_match.group(), f"unknown op, expected a layer kind ({spelled()}), pad, slice, resize, "
               "apool, gpool, flatten, linear, cat, add, sub, mul, div, ... or a shape-preserving op like relu, bn")


def _items(items: str, start: int, fail: Fail) -> list[tuple[int, str, str]]:
    """``KEY=VALUE`` items: where each starts, its key and its value."""
    found = []
    for match in re.finditer(r"\S+", items):
        key, equals, value = match.group().partition("=")
        if not equals or not key:
            raise fail(start + match.start(), match.group(), "expected KEY=VALUE")
        found.append((start + match.start(), key, value))
    return found


def _only(values: list[tuple[int, str, str]], key: Optional[str], word: str, fail: Fail,
          required: Optional[int] = None) -> Any:
    """The value of ``key``, the one item ``word`` takes (None for none), as (where, value).

    ``required`` is where the op's word is, for the error when the item is missing.
    """
    for position, found, value in values:
        if found != key:
            expected = f"{word} takes {key}=" if key else f"{word} takes no items"
            raise fail(position, f"{found}={value}", f"unknown item: {expected}")
    if len(values) > 1:
        raise fail(values[1][0], f"{key}={values[1][2]}", f"{key} given twice")
    if required is not None and not values:
        raise fail(required, word, f"{key}= is required")
    return (values[0][0], values[0][2]) if values else None


def _layer(source: str, start: int, fail: Fail) -> Any:
    try:
        return parse._parse_layer(source.strip(), 1)
    except ParseError as error:
        reason = error.reason.partition(": ")[2] or error.reason
        raise fail(start + error.position, error.token, reason) from None


def _padding(position: int, value: str, fail: Fail) -> Any:
    if "," in value and ":" not in value:
        raise fail(position, f"p={value}", "write p=B:A for B before and A after on every axis, or one B:A per axis")
    return parse._parse_padding(value, lambda reason: fail(position, f"p={value}", reason))


def _axis(builder: GraphBuilder, first: str, position: int, value: str, fail: Fail) -> int:
    """``axis=`` of a concatenation: a spatial axis by number, or by the name it has in the first input."""
    names = builder._tensors[first].names
    if _INT.match(value):
        return int(value)
    if value in names:
        return names.index(value)
    raise fail(position, f"axis={value}", f"axis is a spatial axis of {first!r}: 0 to {len(names) - 1} or "
               f"{', '.join(names)}")


def _bracket(items: str, start: int, fail: Fail, what: str) -> list[tuple[int, str]]:
    """The comma-separated entries of ``[ ... ]``, each with where it starts."""
    stripped = items.strip()
    opening = start + items.find("[")
    if not (stripped.startswith("[") and stripped.endswith("]")):
        raise fail(start + len(items) - len(items.lstrip()), stripped[:20] or "]", f"expected {what} in [ ]")
    entries, position = [], opening + 1
    for piece in stripped[1:-1].split(","):
        entries.append((position + len(piece) - len(piece.lstrip()), piece.strip()))
        position += len(piece) + 1
    return entries


def _axes(items: str, start: int, fail: Fail) -> list[Any]:
    shape: list[Any] = []
    for position, entry in _bracket(items, start, fail, "the axes, like [H, W]"):
        if _INT.match(entry):
            shape.append(parse._integers(entry, partial(fail, position, entry), "an integer")[0])
        elif _IDENTIFIER.match(entry):
            shape.append(entry)
        else:
            raise fail(position, entry or "]", "an axis is a name like H or a positive integer")
    return shape


def _ranges(items: str, start: int, fail: Fail) -> list[tuple[Optional[int], Optional[int], int]]:
    ranges = []
    for position, entry in _bracket(items, start, fail, "the slices, like [1:-1, ::2]"):
        parts = entry.split(":")
        if len(parts) not in (2, 3) or not all(part == "" or _INT.match(part) for part in parts):
            raise fail(position, entry or "]", "a slice is START:STOP or START:STOP:STEP, each an integer or empty")
        bounds = [None if part == "" else parse._integers(part, partial(fail, position, entry), "an integer")[0]
                  for part in parts]
        ranges.append((bounds[0], bounds[1], 1 if len(bounds) == 2 or bounds[2] is None else bounds[2]))
    return ranges


__all__ = ["parse_graph", "MAX_GRAPH_TEXT"]
