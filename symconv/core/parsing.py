"""A whitelist parser from user text (TOML scheme files, the CLI) to sympy objects.

User text never reaches ``eval``, ``exec``, ``sympify`` or any sympy string
parser: Python's own parser only builds a syntax tree (``ast.parse``), and this
module walks that tree, accepting a small grammar and building sympy objects
itself. Anything outside the grammar is refused with a :class:`ParseError` that
names the offending token and its column.

The grammar: integer literals, the names the caller allows, ``+ - * // %``,
unary ``-`` and ``+``, and calls of floor, ceil (or ceiling), max, min, mod and
abs. True division ``/`` is allowed only inside the argument of floor, ceil or
ceiling, where the result is an integer again. Claims add the comparisons
``== != < <= > >=``, chained as in Python. sympy evaluates what it can while
building, so a claim the symbols' assumptions already settle collapses:

>>> parse_claim("0 <= p < s", DEFAULT_NAMES)  # p is nonnegative
p < s

The grammar also reads what sympy's ``str`` writes for these objects, so that
symconv's JSON (:mod:`symconv.present.serialise`) reads back: the spellings
``Abs``, ``Max``, ``Min`` and ``Mod``; in claims the relations as calls (``Eq(a, b)``,
``Ne``, ``Lt``, ``Le``, ``Gt``, ``Ge``), ``&``, ``|``, ``~`` and ``True``/``False``:

>>> parse_claim("(i >= 2) & Eq(Mod(i, 2), 0)", DEFAULT_NAMES)
(i >= 2) & Eq(Mod(i, 2), 0)
>>> parse_expression("floor(i/2 - 1/2) + 1", DEFAULT_NAMES)
floor(i/2 - 1/2) + 1

Every integer literal is at most ``MAX_INTEGER`` in absolute value, and every
constant that sympy folds from them at most ``MAX_CONSTANT``, so no text can
make a number that later work cannot afford:

>>> parse_expression("i + 2 * 1000000", DEFAULT_NAMES)
i + 2000000
>>> parse_expression("i + 1000000 * 1000000", DEFAULT_NAMES)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symconv.core.errors.ParseError: cannot parse ... at column 5: this folds to a constant of 1000000000000; a constant ...
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NoReturn

import sympy
from sympy import Symbol
from sympy.logic.boolalg import Boolean

from symconv.core.errors import ParseError
from symconv.core.guards import evaluated
from symconv.core.symbols import d, i, k, o, p, s

MAX_TEXT_LENGTH = 1000  #: characters
MAX_NODES = 200  #: expression nodes of the syntax tree
MAX_INTEGER = 10**6  #: largest absolute value of an integer literal
MAX_CONSTANT = 10**9  #: largest absolute value of a constant that sympy folds from literals
MAX_DEPTH = 50  #: nesting depth of the syntax tree

DEFAULT_NAMES: Mapping[str, Symbol] = MappingProxyType(
    {"i": i, "k": k, "s": s, "d": d, "p": p, "o": o}
)

# name -> (sympy function, fewest arguments, most arguments or None for no limit)
_FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], int, int | None]] = {
    "floor": (sympy.floor, 1, 1),
    "ceil": (sympy.ceiling, 1, 1),
    "ceiling": (sympy.ceiling, 1, 1),
    "abs": (sympy.Abs, 1, 1),
    "mod": (sympy.Mod, 2, 2),
    "max": (sympy.Max, 2, None),
    "min": (sympy.Min, 2, None),
}
# sympy's str() spells these with a capital; the JSON writes them so.
_SYMPY_SPELLINGS = {"Abs": "abs", "Max": "max", "Min": "min", "Mod": "mod"}
# Rounding makes a true quotient an integer again, so only inside these may a '/' stand.
_ROUNDING = {"floor", "ceil", "ceiling"}
# Claims only: sympy's str() writes an equation and an inequation as calls; symconv's JSON every relation.
_RELATION_CALLS = {"Eq": sympy.Eq, "Ne": sympy.Ne, "Lt": sympy.Lt, "Le": sympy.Le, "Gt": sympy.Gt, "Ge": sympy.Ge}
_CONNECTIVES = {ast.BitAnd: sympy.And, ast.BitOr: sympy.Or}

_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
_COMPARISONS = {
    ast.Eq: sympy.Eq,
    ast.NotEq: sympy.Ne,
    ast.Lt: sympy.Lt,
    ast.LtE: sympy.Le,
    ast.Gt: sympy.Gt,
    ast.GtE: sympy.Ge,
}
_FORBIDDEN: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "lambda",
    ast.IfExp: "a conditional expression",
    ast.BoolOp: "'and'/'or'",
    ast.NamedExpr: "assignment (:=)",
    ast.Starred: "unpacking (*)",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Tuple: "a tuple",
    ast.List: "a list",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.JoinedStr: "a string",
}
_ALLOWED_FUNCTIONS = ", ".join(sorted(_FUNCTIONS)) + " (or sympy's " + ", ".join(sorted(_SYMPY_SPELLINGS)) + ")"
_GRAMMAR = "use integers, names, + - * // % and calls of " + _ALLOWED_FUNCTIONS
_DIVISION = (
    "true division '/' is only allowed inside the argument of floor, ceil or "
    "ceiling: use '//' or write floor(a / b) or ceil(a / b)"
)
_CLAIM = ("a claim must be a comparison such as 'k <= i', or a chain of them, or a call such as Eq(a, b) "
          "or Ge(a, b), or True or False, or claims joined by & | ~")


def parse_expression(text: str, names: Mapping[str, Symbol]) -> sympy.Expr:
    """Parse an integer expression such as ``floor((i + 2*p - k) / s) + 1``.

    >>> parse_expression("(i + 2*p - k) // s + 1", DEFAULT_NAMES)
    floor((i - k + 2*p)/s) + 1
    """
    return _Reader(text, names, claim=False).read()


def parse_claim(text: str, names: Mapping[str, Symbol]) -> Boolean:
    """Parse one comparison, or a chain of them such as ``k <= i + 2*p < 3*k``.

    >>> parse_claim("k <= i + 2*p < 3*k", DEFAULT_NAMES)
    (k <= i + 2*p) & (i + 2*p < 3*k)
    """
    return _Reader(text, names, claim=True).read()


def _largest_constant(value: sympy.Basic) -> int:
    largest = 0
    for number in value.atoms(sympy.Rational):
        largest = max(largest, abs(int(number.p)), abs(int(number.q)))
    return largest


class _Reader:
    """One walk over one text's syntax tree; errors point into that text."""

    def __init__(self, text: object, names: Mapping[str, Symbol], claim: bool) -> None:
        if not isinstance(text, str):
            shown = repr(text)
            raise ParseError(shown, 0, shown, f"expected a string, got {type(text).__name__}")
        self.text = text
        self.names = names
        self.claim = claim
        # Python refuses a leading indent in an expression; users should not care.
        self.body = text.lstrip(" \t")
        self.indent = len(text) - len(self.body)
        self.rounding = 0  # how many floor/ceil arguments enclose the node being read

    def read(self) -> sympy.Expr | Boolean:
        tree = self.tree()
        try:
            return self.boolean(tree.body, 1) if self.claim else self.expr(tree.body, 1)
        except RecursionError:  # a last guard: sympy's own simplification must never escape as a traceback
            raise ParseError(self.text, 0, self.text, "sympy's simplification of this text does not "
                             "terminate; write it another way") from None

    def tree(self) -> ast.Expression:
        # Size bounds come first so that no work grows with hostile input.
        if len(self.text) > MAX_TEXT_LENGTH:
            raise ParseError(
                self.text, MAX_TEXT_LENGTH, self.text[MAX_TEXT_LENGTH],
                f"text is {len(self.text)} characters long; at most {MAX_TEXT_LENGTH} are allowed",
            )
        if not self.body.strip():
            wanted = "a claim" if self.claim else "an expression"
            raise ParseError(self.text, 0, self.text, f"empty text: expected {wanted}")
        for column, char in enumerate(self.text):
            # A comment would silently drop text; a line break would make columns ambiguous.
            if char == "#":
                raise ParseError(self.text, column, char, "comments are not allowed")
            if not char.isprintable() and char != "\t":
                raise ParseError(
                    self.text, column, char, "line breaks and control characters are not allowed"
                )
        try:
            tree = ast.parse(self.body, mode="eval")
        except SyntaxError as error:
            self.syntax_error(error)
        nodes = sorted(
            (node for node in ast.walk(tree) if isinstance(node, ast.expr)),
            key=lambda node: node.col_offset,
        )
        if len(nodes) > MAX_NODES:
            self.fail(
                nodes[MAX_NODES],
                f"the text has {len(nodes)} syntax nodes; at most {MAX_NODES} are allowed",
            )
        return tree

    def boolean(self, node: ast.expr, depth: int) -> Boolean:
        if depth > MAX_DEPTH:
            self.fail(node, f"nested more than {MAX_DEPTH} deep")
        match node:
            case ast.Compare():
                return self.comparison(node, depth)
            case ast.Constant(value) if type(value) is bool:
                return sympy.true if value else sympy.false
            case ast.BinOp(left, op, right) if type(op) in _CONNECTIVES:
                return _CONNECTIVES[type(op)](self.boolean(left, depth + 1), self.boolean(right, depth + 1))
            case ast.UnaryOp(ast.Invert(), operand):
                return sympy.Not(self.boolean(operand, depth + 1))
            case ast.Call(ast.Name(name)) if name in _RELATION_CALLS:
                if node.keywords:
                    self.fail(node.keywords[0], "keyword arguments are not allowed")
                if len(node.args) != 2:
                    self.fail(node.func, f"{name} takes exactly 2 arguments, got {len(node.args)}")
                left, right = (self.expr(arg, depth + 1) for arg in node.args)
                return evaluated(_RELATION_CALLS[name], (left, right))
        self.fail(node, _CLAIM)

    def comparison(self, node: ast.Compare, depth: int) -> Boolean:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            if type(op) not in _COMPARISONS:
                self.fail_operator(left, right, "only == != < <= > >= may compare")
        values = [self.expr(operand, depth + 1) for operand in operands]
        return sympy.And(*(
            evaluated(_COMPARISONS[type(op)], (left, right))
            for op, left, right in zip(node.ops, values, values[1:])
        ))

    def expr(self, node: ast.expr, depth: int) -> sympy.Expr:
        value = self.build(node, depth)
        # Checked at every node, so the constants a node folds are each at most MAX_CONSTANT: none
        # grows much past MAX_CONSTANT * MAX_INTEGER before it is refused.
        largest = _largest_constant(value)
        if largest > MAX_CONSTANT:
            self.fail(node, f"this folds to a constant of {largest}; a constant may be at most "
                            f"{MAX_CONSTANT} in absolute value")
        return value

    def build(self, node: ast.expr, depth: int) -> sympy.Expr:
        if depth > MAX_DEPTH:
            self.fail(node, f"nested more than {MAX_DEPTH} deep")
        match node:
            case ast.Constant(value):
                # bool is an int subclass, but True is not a number here.
                if type(value) is not int:
                    kind = type(value).__name__
                    self.fail(node, f"only integer constants are allowed, not {kind}")
                if abs(value) > MAX_INTEGER:
                    limit = f"integer literals may be at most {MAX_INTEGER} in absolute value"
                    self.fail(node, limit)
                return sympy.Integer(value)
            case ast.Name(name):
                return self.name(node, name)
            case ast.UnaryOp(ast.USub(), operand):
                return -self.expr(operand, depth + 1)
            case ast.UnaryOp(ast.UAdd(), operand):
                return self.expr(operand, depth + 1)
            case ast.UnaryOp(_, operand):
                symbol = self.text[self.start(node):self.start(operand)].strip(" \t(")
                reason = f"'{symbol}' is not allowed; {_GRAMMAR}"
                raise ParseError(self.text, self.start(node), symbol, reason)
            case ast.BinOp():
                return self.binary(node, depth)
            case ast.Call():
                return self.call(node, depth)
            case ast.Compare() if self.claim:
                self.fail(node, "a comparison cannot be an operand: write one chain instead")
            case ast.Compare():
                self.fail(node, "comparisons are only allowed in claims, not in expressions")
        what = _FORBIDDEN.get(type(node), type(node).__name__)
        self.fail(node, f"{what} is not allowed; {_GRAMMAR}")

    def name(self, node: ast.Name, name: str) -> sympy.Expr:
        if name in self.names:
            return self.names[name]
        if name in _FUNCTIONS or name in _SYMPY_SPELLINGS or name in _RELATION_CALLS:
            self.fail(node, f"{name} is a function: call it, as in {name}(...)")
        allowed = ", ".join(sorted(self.names)) or "none"
        self.fail(node, f"unknown name; allowed names are {allowed}")

    def binary(self, node: ast.BinOp, depth: int) -> sympy.Expr:
        op = type(node.op)
        if op is ast.Pow:
            power = "power (**) is not allowed: write a product such as i*i"
            self.fail_operator(node.left, node.right, power)
        if op is ast.Div and not self.rounding:
            self.fail_operator(node.left, node.right, _DIVISION)
        if op not in (*_ARITHMETIC, ast.Div, ast.FloorDiv, ast.Mod):
            self.fail_operator(node.left, node.right, f"this operator is not allowed; {_GRAMMAR}")
        left = self.expr(node.left, depth + 1)
        if op is ast.Div:
            return left / self.divisor(node.right, depth + 1)
        if op is ast.FloorDiv:
            return evaluated(sympy.floor, (left / self.divisor(node.right, depth + 1),))
        if op is ast.Mod:
            return self.mod(node, node.left, node.right, left, self.divisor(node.right, depth + 1))
        return _ARITHMETIC[op](left, self.expr(node.right, depth + 1))

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            self.fail(node.func, f"only functions called by plain name are allowed: {_ALLOWED_FUNCTIONS}")
        name = node.func.id
        if name in _RELATION_CALLS:
            self.fail(node, "a comparison cannot be an operand: write one chain instead" if self.claim
                      else "comparisons are only allowed in claims, not in expressions")
        if name not in _FUNCTIONS and name not in _SYMPY_SPELLINGS:
            self.fail(node.func, f"unknown function; allowed functions are {_ALLOWED_FUNCTIONS}")
        if node.keywords:
            self.fail(node.keywords[0], "keyword arguments are not allowed")
        function, fewest, most = _FUNCTIONS[_SYMPY_SPELLINGS.get(name, name)]
        args = node.args
        if most is None and len(args) < fewest:
            self.fail(node.func, f"{name} takes at least {fewest} arguments, got {len(args)}")
        if most is not None and len(args) != most:
            plural = "argument" if most == 1 else "arguments"
            self.fail(node.func, f"{name} takes exactly {most} {plural}, got {len(args)}")
        if name in _ROUNDING:
            self.rounding += 1
            try:
                return evaluated(function, (self.expr(args[0], depth + 1),))
            finally:
                self.rounding -= 1
        if function is sympy.Mod:
            return self.mod(node, args[0], args[1], self.expr(args[0], depth + 1), self.divisor(args[1], depth + 1))
        return evaluated(function, tuple(self.expr(arg, depth + 1) for arg in args))

    def mod(self, node: ast.expr, left: ast.expr, right: ast.expr, value: sympy.Expr,
            modulus: sympy.Expr) -> sympy.Expr:
        # sympy 1.14 simplifies a remainder term by term, and for some sums modulo a sum
        # ((-p - 2) mod (k + 1), (i - 2) mod (2k + 1)) each rewriting undoes the last until Python's
        # stack runs out. A remainder kept unsimplified would loop again at the next substitution.
        try:
            return evaluated(sympy.Mod, (value, modulus))  # as written where sympy would evaluate it wrongly
        except RecursionError:
            x, m = (self.text[self.start(part):self.column(part.end_col_offset)] for part in (left, right))
            self.fail(node, f"sympy cannot simplify this remainder (its rewriting never ends); write the same "
                            f"number as ({x}) - ({m}) * (({x}) // ({m}))")

    def divisor(self, node: ast.expr, depth: int) -> sympy.Expr:
        value = self.expr(node, depth)
        # sympy would return zoo or nan, or raise, far from the user's text.
        if value == 0:
            self.fail(node, "division by zero")
        return value

    def syntax_error(self, error: SyntaxError) -> NoReturn:
        # Python counts columns from 1 in the text it was given; 0 means the end.
        if error.offset and error.offset <= len(self.body):
            start = error.offset - 1
            end = max(start + 1, (error.end_offset or 0) - 1)
            reason = error.msg
        else:
            start = end = len(self.body)
            reason = f"unexpected end of text ({error.msg})"
        raise ParseError(self.text, self.indent + start, self.body[start:end], reason)

    def fail(self, node: ast.expr | ast.keyword, reason: str) -> NoReturn:
        start = self.start(node)
        end = self.column(node.end_col_offset)
        raise ParseError(self.text, start, self.text[start:end], reason)

    def fail_operator(self, left: ast.expr, right: ast.expr, reason: str) -> NoReturn:
        # ast keeps no position for an operator, but only it, blanks and
        # parentheses can sit between its operands.
        gap_start = self.column(left.end_col_offset)
        gap = self.text[gap_start:self.start(right)]
        symbol = gap.strip(" \t()")
        raise ParseError(self.text, gap_start + gap.index(symbol), symbol, reason)

    def start(self, node: ast.expr | ast.keyword) -> int:
        return self.column(node.col_offset)

    def column(self, byte_offset: int | None) -> int:
        # ast counts UTF-8 bytes of what it parsed; users count characters of what they typed.
        # (Every node ast.parse makes has its offsets; None is only in the type.)
        return self.indent + len(self.body.encode()[:byte_offset or 0].decode())
