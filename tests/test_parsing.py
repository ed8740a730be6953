"""The whitelist parser: what it accepts, what it builds, and what it refuses."""

from __future__ import annotations

import ast
import builtins
import operator

import pytest
import sympy
import sympy.parsing.sympy_parser
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import And, Eq, Ge, Gt, Le, Lt, Max, Min, Mod, Ne, Symbol, ceiling, floor

from symconv.core.errors import ParseError, SymconvError
from symconv.core.numeric import compile_expr
from symconv.core.parsing import (
    DEFAULT_NAMES,
    MAX_DEPTH,
    MAX_INTEGER,
    MAX_NODES,
    MAX_TEXT_LENGTH,
    parse_claim,
    parse_expression,
)
from symconv.core.symbols import d, i, k, o, p, s

x = Symbol("x", integer=True)  # a scheme parameter, with no sign assumption
NAMES = {**DEFAULT_NAMES, "x": x}

EXPRESSIONS = [
    ("i", i),
    ("  i ", i),
    ("42", sympy.Integer(42)),
    ("-1000000", sympy.Integer(-MAX_INTEGER)),
    ("0x10", sympy.Integer(16)),
    ("-i + +k", k - i),
    ("i + 2*p - k", i + 2 * p - k),
    ("d * (k - 1) + 1", d * (k - 1) + 1),
    ("i // s", floor(i / s)),
    ("i % s", Mod(i, s)),
    ("(i + 2*p - k) // s + 1", floor((i + 2 * p - k) / s) + 1),
    ("floor((i + 2*p - k) / s) + 1", floor((i + 2 * p - k) / s) + 1),
    ("ceil(i / s)", ceiling(i / s)),
    ("ceiling(i / s)", ceiling(i / s)),
    ("floor(x)", floor(x)),
    ("mod(i, s)", Mod(i, s)),
    ("max(i, k)", Max(i, k)),
    ("min(i, k, s)", Min(i, k, s)),
    ("abs(x - 3)", sympy.Abs(x - 3)),
    ("o - (i - 1) * s", o - (i - 1) * s),
    ("x", x),
    ("1000 * 1000 - i", 1000000 - i),
    ("-1000000 + 1", sympy.Integer(-999999)),
    ("(-p - 2) - (k + 1) * ((-p - 2) // (k + 1))", -p - 2 - (k + 1) * floor((-p - 2) / (k + 1))),
    # what sympy's str() writes, which symconv's JSON uses
    ("Mod(i + 1, 2)", Mod(i + 1, 2)),
    ("Max(0, i - k)", Max(0, i - k)),
    ("Min(i, k, s)", Min(i, k, s)),
    ("Abs(x - 3)", sympy.Abs(x - 3)),
    ("floor(i/2 - 1/2) + 1", floor((i - 1) / 2) + 1),
    ("floor((i - k + 2*p)/s) + 1", floor((i + 2 * p - k) / s) + 1),
    ("ceiling(i/32)", ceiling(i / 32)),
    ("16*ceiling(i/16)", 16 * ceiling(i / 16)),
    ("floor(i / s + 1)", floor(i / s) + 1),
    ("floor(Max(i/2, k))", floor(Max(i / 2, k))),
    ("floor((floor(i/2) + 1)/2)", floor((floor(i / 2) + 1) / 2)),
]

# Relations keep the user's operand order: sympy's constructors, not Python's
# operators, which may reflect (0 <= x is x >= 0) or rewrite (floor(a) <= b).
CLAIMS = [
    ("k <= i", Le(k, i)),
    ("i == o", Eq(i, o)),
    ("i != o", Ne(i, o)),
    ("i > k", Gt(i, k)),
    ("i >= k", Ge(i, k)),
    ("i < k", Lt(i, k)),
    ("0 <= x < s", And(Le(0, x), Lt(x, s))),
    ("k <= i + 2*p < 3*k", And(Le(k, i + 2 * p), Lt(i + 2 * p, 3 * k))),
    ("floor(i / s) <= ceil(i / s)", Le(floor(i / s), ceiling(i / s))),
    ("0 <= p < s", Lt(p, s)),  # sympy already knows 0 <= p
    ("0 < 1", sympy.true),
    # what symconv's JSON writes: relations as calls, joined by & | ~
    ("Eq(Mod(i, 2), 0)", Eq(Mod(i, 2), 0)),
    ("Ne(i, k)", Ne(i, k)),
    ("Le(floor(i/2), 0)", Le(floor(i / 2), 0)),  # Python's <= would let sympy rewrite it as i/2 < 1
    ("Ge(i, 2)", Ge(i, 2)),
    ("Lt(0, x)", Lt(0, x)),
    ("Gt(i, k)", Gt(i, k)),
    ("Ge(i, 2) & Eq(Mod(i, 2), 0)", And(Ge(i, 2), Eq(Mod(i, 2), 0))),
    ("(i >= 2) & Eq(Mod(i, 2), 0)", And(Ge(i, 2), Eq(Mod(i, 2), 0))),
    ("Eq(i, 5) | Lt(i, 2)", sympy.Or(Eq(i, 5), Lt(i, 2))),
    ("~Eq(i, k)", Ne(i, k)),
    ("~(Eq(i, k) & Eq(s, 1))", sympy.Not(And(Eq(i, k), Eq(s, 1)))),
    ("True", sympy.true),
    ("False", sympy.false),
]

IN_CLAIMS_ONLY = "comparisons are only allowed in claims"
NOT_ALLOWED = "is not allowed"

BAD_EXPRESSIONS = [
    ("__import__('os')", "unknown function; allowed functions are abs, ceil"),
    ("open('f')", "unknown function"),
    ("i.real", "attribute access is not allowed"),
    ("i.real()", "only functions called by plain name"),
    ("lambda: 1", "lambda is not allowed"),
    ("[x for x in i]", "a comprehension is not allowed"),
    ("i ** 2", r"power \(\*\*\) is not allowed"),
    ("2 ** 10 ** 100", r"power \(\*\*\) is not allowed"),
    ("10**7", r"power \(\*\*\) is not allowed"),
    ("q + 1", "unknown name; allowed names are d, i, k, o, p, s$"),
    ("floor + 1", r"floor is a function: call it"),
    ("1.5", "only integer constants are allowed, not float"),
    ("1j", "only integer constants are allowed, not complex"),
    ("'text'", "only integer constants are allowed, not str"),
    ("f'{i}'", "a string is not allowed"),
    ("True", "only integer constants are allowed, not bool"),
    ("None", "only integer constants are allowed, not NoneType"),
    ("i if s else k", "a conditional expression is not allowed"),
    ("i and k", "'and'/'or' is not allowed"),
    ("not i", "'not' is not allowed"),
    ("~i", "'~' is not allowed"),
    ("i << 1", "this operator is not allowed"),
    ("i[0]", "indexing is not allowed"),
    ("(i, k)", "a tuple is not allowed"),
    ("(y := 1)", "assignment"),
    ("max(*i, *k)", r"unpacking \(\*\) is not allowed"),
    ("i; k", "invalid syntax"),
    ("", "empty text: expected an expression"),
    ("   ", "empty text"),
    ("i +", "unexpected end of text"),
    ("(i", "never closed"),
    ("10000000", "integer literals may be at most 1000000"),
    ("i # comment", "comments are not allowed"),
    ("i\n+ k", "line breaks"),
    ("i\0", "control characters"),
    ("x" * 2000, "2000 characters long; at most 1000"),
    ("floor(i, s)", "floor takes exactly 1 argument, got 2"),
    ("mod(i)", "mod takes exactly 2 arguments, got 1"),
    ("max(i)", "max takes at least 2 arguments, got 1"),
    ("min()", "min takes at least 2 arguments, got 0"),
    ("floor(x=i)", "keyword arguments are not allowed"),
    ("i / s", "true division '/' is only allowed inside the argument of floor"),
    ("max(i / s, 1)", "use '//'"),
    ("floor(i) + i / 2", "use '//'"),
    ("Mod(i)", "Mod takes exactly 2 arguments, got 1"),
    ("Max(i)", "Max takes at least 2 arguments, got 1"),
    ("Mod + 1", "Mod is a function: call it"),
    ("Eq(i, k)", IN_CLAIMS_ONLY),
    ("i + Ge(i, k)", IN_CLAIMS_ONLY),
    ("Floor(i)", "unknown function; allowed functions are abs, ceil, ceiling, floor, max, min, mod "
                 r"\(or sympy's Abs, Max, Min, Mod\)"),
    ("abs(i / s)", "use '//'"),
    ("i // 0", "division by zero"),
    ("i % 0", "division by zero"),
    ("mod(i, k - k)", "division by zero"),
    ("ceil(i / 0)", "division by zero"),
    ("i < k", IN_CLAIMS_ONLY),
    ("max(i < k, 1)", IN_CLAIMS_ONLY),
    # Constants sympy folds are bounded like literals: 1000000 * 1000000 once allocated 7 TiB downstream.
    ("1000000 * 1000000", "this folds to a constant of 1000000000000; a constant may be at most 1000000000"),
    ("i <= 1000000 * 1000000", IN_CLAIMS_ONLY),
    ("1000000 * i * 1000000", "folds to a constant of 1000000000000"),
    ("1000000 * (i + 1000000)", "folds to a constant of 1000000000000"),
    ("-1000000 * 1000 - 1", "folds to a constant of 1000000001"),
    ("max(1000000 * 1000 + 1000000, i)", "folds to a constant of 1001000000"),
    ("floor(i / (1000000 * 1001))", "folds to a constant of 1001000000"),
    # sympy 1.14 rewrites these remainders back and forth until Python's stack runs out.
    ("mod(-p - 2, k + 1)", r"sympy cannot simplify this remainder \(its rewriting never ends\)"),
    ("(i - 2) % (2*k + 1)", r"write the same number as \(i - 2\) - \(2\*k \+ 1\) \* \(\(i - 2\) // \(2\*k \+ 1\)\)"),
    ("(-i - 2) % (2*k + 1)", "sympy cannot simplify this remainder"),
]

BAD_CLAIMS = [
    ("i + k", "a claim must be a comparison"),
    ("", "empty text: expected a claim"),
    ("(i < k) < s", "a comparison cannot be an operand"),
    ("i < (k < s)", "a comparison cannot be an operand"),
    ("max(i < k, 1) < 2", "a comparison cannot be an operand"),
    ("i < k and k < s", "a claim must be a comparison"),
    ("i in k", "only == != < <= > >= may compare"),
    ("i is not k", "only == != < <= > >= may compare"),
    ("i < s / 2", "use '//'"),
    ("q < 1", "unknown name"),
    ("i <= 1000000 * 1000000", "folds to a constant of 1000000000000"),
    ("mod(-p - 2, k + 1) == 0", "sympy cannot simplify this remainder"),
    ("Eq(i)", "Eq takes exactly 2 arguments, got 1"),
    ("Eq(i, k, s)", "Eq takes exactly 2 arguments, got 3"),
    ("Eq(i, k=1)", "keyword arguments are not allowed"),
    ("Eq(Eq(i, k), s)", "a comparison cannot be an operand"),
    ("Ge(i, k) < 2", "a comparison cannot be an operand"),
    ("~i", "a claim must be a comparison"),
    ("Eq(i, k) & 1", "a claim must be a comparison"),
    ("Eq(i, k) ^ Eq(k, s)", "a claim must be a comparison"),
    ("i & k", "a claim must be a comparison"),
    ("Eq(i, s / 2)", "use '//'"),
    ("Ge(i, Eq)", "Eq is a function: call it"),
]

# (text, 0-based column, token): errors must point at the right place.
POSITIONS = [
    ("i ** 2", 2, "**"),
    ("(i) ** (2)", 4, "**"),
    ("k + q", 4, "q"),
    ("  k + q", 6, "q"),
    ("i + 1.5", 4, "1.5"),
    ("i; k", 1, ";"),
    ("i +", 3, ""),
    ("(i", 0, "("),
    ("k + i / s", 6, "/"),
    ("i // 0", 5, "0"),
    ("floor(x=i)", 6, "x=i"),
    ("1 + max(i)", 4, "max"),
    ("k + i.real", 4, "i.real"),
    ("-~i", 1, "~"),
    ("i # c", 2, "#"),
    ("x" * 2000, MAX_TEXT_LENGTH, "x"),
    ("i + 1000000 * 1000000", 4, "1000000 * 1000000"),
    ("max(i, 1000000*1000000)", 7, "1000000*1000000"),
    ("i + mod(-p - 2, k + 1)", 4, "mod(-p - 2, k + 1)"),
    ("i + (i - 2) % (2*k + 1)", 4, "(i - 2) % (2*k + 1)"),
]


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_expression(text, expected):
    got = parse_expression(text, NAMES)
    assert got == expected or sympy.simplify(got - expected) == 0


@pytest.mark.parametrize(("text", "expected"), CLAIMS)
def test_claim(text, expected):
    assert parse_claim(text, NAMES) == expected


@pytest.mark.parametrize(("text", "reason"), BAD_EXPRESSIONS)
def test_bad_expression(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_expression(text, DEFAULT_NAMES)


@pytest.mark.parametrize(("text", "reason"), BAD_CLAIMS)
def test_bad_claim(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_claim(text, DEFAULT_NAMES)


@pytest.mark.parametrize(("text", "position", "token"), POSITIONS)
def test_error_points_at_the_token(text, position, token):
    with pytest.raises(ParseError) as caught:
        parse_expression(text, DEFAULT_NAMES)
    error = caught.value
    assert (error.source, error.position, error.token) == (text, position, token)
    assert f"{token!r} at column {position + 1}: {error.reason}" in str(error)
    assert "\n" not in str(error)


def test_columns_count_characters_not_bytes():
    with pytest.raises(ParseError) as caught:
        parse_expression("é + q", {"é": Symbol("é")})
    assert (caught.value.position, caught.value.token) == (4, "q")


@pytest.mark.parametrize("value", [42, None, b"i", ["i"]])
def test_non_string_is_refused(value):
    with pytest.raises(ParseError, match="expected a string") as caught:
        parse_expression(value, DEFAULT_NAMES)
    assert (caught.value.position, caught.value.token) == (0, repr(value))


def test_parse_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_expression("i ** 2", DEFAULT_NAMES)
    assert issubclass(ParseError, SymconvError)
    assert issubclass(ParseError, ValueError)


def test_only_the_given_names_are_known():
    n = Symbol("n", integer=True, nonnegative=True)
    assert parse_expression("2*n + 1", {"n": n}) == 2 * n + 1
    with pytest.raises(ParseError, match="allowed names are n$"):
        parse_expression("i", {"n": n})
    with pytest.raises(ParseError, match="allowed names are none$"):
        parse_expression("i", {})


def test_default_names_are_the_guides_symbols_and_read_only():
    assert dict(DEFAULT_NAMES) == {"i": i, "k": k, "s": s, "d": d, "p": p, "o": o}
    with pytest.raises(TypeError):
        DEFAULT_NAMES["q"] = Symbol("q")  # type: ignore[index]


def _max_of(count):
    return f"max({', '.join(['i'] * count)})"


@pytest.mark.parametrize(
    ("fits", "too_big", "reason"),
    [
        ("i" + " " * (MAX_TEXT_LENGTH - 1), "i" + " " * MAX_TEXT_LENGTH, "characters long"),
        # a call with n arguments makes n + 2 expression nodes, nested only 2 deep
        (_max_of(MAX_NODES - 2), _max_of(MAX_NODES - 1), f"at most {MAX_NODES} are allowed"),
        ("-" * (MAX_DEPTH - 1) + "i", "-" * MAX_DEPTH + "i", f"nested more than {MAX_DEPTH} deep"),
        (str(MAX_INTEGER), str(MAX_INTEGER + 1), "integer literals may be at most"),
        (f"{MAX_INTEGER} * 1000", f"{MAX_INTEGER} * 1001", "a constant may be at most"),
        (f"{MAX_INTEGER} * 1000 - 1 + 1", f"{MAX_INTEGER} * 1000 + 1", "a constant may be at most"),
        (f"i * {MAX_INTEGER // 8} * 8000", f"i * {MAX_INTEGER // 8 + 1} * 8000", "folds to a constant"),
    ],
)
def test_bounds(fits, too_big, reason):
    parse_expression(fits, DEFAULT_NAMES)
    with pytest.raises(ParseError, match=reason):
        parse_expression(too_big, DEFAULT_NAMES)


def test_parsing_never_evaluates_text(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("user text reached an evaluator")

    for owner, name in [
        (builtins, "eval"),
        (builtins, "exec"),
        (sympy, "sympify"),
        (sympy, "parse_expr"),
        (sympy.parsing.sympy_parser, "parse_expr"),
    ]:
        monkeypatch.setattr(owner, name, refuse)
    real_compile = builtins.compile

    # ast.parse itself calls compile, so allow it, but only to build a tree.
    def tree_only(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "user text was compiled to code"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", tree_only)
    assert parse_expression("floor((i + 2*p - k) / s) + 1", DEFAULT_NAMES) == floor(
        (i + 2 * p - k) / s
    ) + 1
    assert parse_expression("max(i % s, k // 2)", DEFAULT_NAMES) == Max(Mod(i, s), floor(k / 2))
    assert parse_claim("0 <= x < s", NAMES) == And(Le(0, x), Lt(x, s))
    with pytest.raises(ParseError, match="unknown function"):
        parse_expression("__import__('os')", DEFAULT_NAMES)


# Random expressions from the grammar, each a (text, evaluate) pair: the text is
# what a user would write, evaluate computes its value with Python's own ints.
SYMBOL_NAMES = sorted(DEFAULT_NAMES)
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul}
DIVISION = {"//": operator.floordiv, "%": operator.mod}


def _literal(n):
    return str(n), lambda env: n


def _name(name):
    return name, lambda env: env[name]


def _binary(parts):
    (left, lvalue), op, (right, rvalue) = parts
    function = {**BINARY, **DIVISION}[op]
    return f"({left} {op} {right})", lambda env: function(lvalue(env), rvalue(env))


def _negate(part):
    text, value = part
    return f"(-{text})", lambda env: -value(env)


def _rounded(parts):
    name, (num, nvalue), (den, dvalue) = parts
    if name == "floor":
        return f"floor({num} / {den})", lambda env: nvalue(env) // dvalue(env)
    return f"{name}({num} / {den})", lambda env: -(-nvalue(env) // dvalue(env))


def _extreme(parts):
    name, args = parts
    function = {"max": max, "min": min}[name]
    texts = ", ".join(text for text, _ in args)
    return f"{name}({texts})", lambda env: function(value(env) for _, value in args)


def _mod_call(parts):
    (left, lvalue), (right, rvalue) = parts
    return f"mod({left}, {right})", lambda env: lvalue(env) % rvalue(env)


def _abs(part):
    text, value = part
    return f"abs({text})", lambda env: abs(value(env))


# Divisors stay positive for positive symbols, as sympy's and Python's floor
# division agree there without any sign convention to argue about.
divisors = st.recursive(
    st.one_of(st.integers(1, 9).map(_literal), st.sampled_from(SYMBOL_NAMES).map(_name)),
    lambda children: st.one_of(
        st.tuples(children, st.sampled_from(["+", "*"]), children).map(_binary),
        st.tuples(st.sampled_from(["max", "min"]), st.lists(children, min_size=2, max_size=3)).map(
            _extreme
        ),
    ),
    max_leaves=3,
)
expressions = st.recursive(
    st.one_of(st.integers(0, 50).map(_literal), st.sampled_from(SYMBOL_NAMES).map(_name)),
    lambda children: st.one_of(
        st.tuples(children, st.sampled_from(sorted(BINARY)), children).map(_binary),
        st.tuples(children, st.sampled_from(sorted(DIVISION)), divisors).map(_binary),
        children.map(_negate),
        st.tuples(st.sampled_from(["floor", "ceil", "ceiling"]), children, divisors).map(_rounded),
        st.tuples(st.sampled_from(["max", "min"]), st.lists(children, min_size=2, max_size=3)).map(
            _extreme
        ),
        st.tuples(children, divisors).map(_mod_call),
        children.map(_abs),
    ),
    max_leaves=8,
)
environments = st.fixed_dictionaries({name: st.integers(1, 40) for name in SYMBOL_NAMES})


@settings(max_examples=150, deadline=None)
@given(expression=expressions, env=environments)
def test_parsed_expression_evaluates_like_python(expression, env):
    text, evaluate = expression
    parsed = parse_expression(text, DEFAULT_NAMES)
    names = [DEFAULT_NAMES[name] for name in env]
    # Every symbol at once: sympy's subs puts them in one by one, and a remainder it rebuilds half-substituted,
    # Mod(2*Mod(2, o), 3) say, comes out wrong in sympy 1.14 (sympy/sympy#28744).
    substituted = parsed.xreplace({symbol: sympy.Integer(value) for symbol, value in zip(names, env.values())})
    assert int(substituted) == evaluate(env), text
    assert compile_expr(parsed, names)(*env.values()) == evaluate(env), text  # what enumeration evaluates


@pytest.mark.parametrize("text, values, expected", [
    ("(2 * (d % o)) % 3", {"d": 5, "o": 3}, 1),                       # sympy 1.14 squares the inner remainder: 2
    ("mod(2 * mod(d, o), 3)", {"d": 5, "o": 3}, 1),
    ("mod(abs(abs(mod(d, (o + o)))), (1 + 2))", {"d": 4, "o": 3}, 1),  # found by the test above
    ("(128 * (k % 3)) % 356", {"k": 2}, 256),                          # sympy/sympy#29757: 156
    ("((d + 4) * (k % (2 * s))) % 64", {"d": 7, "k": 8, "s": 7}, 24),
    ("(k * ((i + 6) * ((0 - 3) % (s + 1)))) % 8", {"k": 2, "i": 1, "s": 4}, 4),
])
def test_a_remainder_sympy_gets_wrong_is_kept_as_written(text, values, expected):
    parsed = parse_expression(text, DEFAULT_NAMES)
    env = {DEFAULT_NAMES[name]: value for name, value in values.items()}
    assert parsed.xreplace({x: sympy.Integer(v) for x, v in env.items()}) == expected
    assert compile_expr(parsed, list(env))(*env.values()) == expected


def test_the_remainder_that_sympy_cannot_settle_has_a_working_rewrite():
    with pytest.raises(ParseError) as caught:
        parse_expression("mod(i - 2, 2*k + 1)", DEFAULT_NAMES)
    rewrite = caught.value.reason.partition("write the same number as ")[2]
    parsed = parse_expression(rewrite, DEFAULT_NAMES)
    for i_ in range(1, 9):
        for k_ in range(1, 6):
            assert parsed.xreplace({i: sympy.Integer(i_), k: sympy.Integer(k_)}) == (i_ - 2) % (2 * k_ + 1)


# Remainders of sums with negative constants modulo sums: where sympy's rewriting of remainders
# loops. Every one parses to the right number or is a one-line ParseError, never a RecursionError.
small_terms = st.tuples(st.integers(-3, 3), st.sampled_from(["i", "k", "p", "s"]))
sums = st.lists(small_terms, min_size=1, max_size=3).flatmap(
    lambda terms: st.integers(-4, 4).map(lambda constant: " + ".join(
        [f"{c}*{name}" for c, name in terms] + [f"({constant})"])))


@settings(max_examples=200, deadline=None)
@given(value=sums, modulus=st.sampled_from(["k + 1", "2*k + 1", "k + s", "s + 2", "3*k + 2"]),
       env=environments)
def test_remainders_never_recurse(value, modulus, env):
    text = f"mod({value}, {modulus})"
    try:
        parsed = parse_expression(text, DEFAULT_NAMES)
    except ParseError as error:
        assert "sympy cannot simplify this remainder" in str(error) and "\n" not in str(error)
        return
    # All at once: substituting one symbol at a time can build a remainder sympy loops on.
    names = {DEFAULT_NAMES[name]: sympy.Integer(number) for name, number in env.items()}
    left = parse_expression(value, DEFAULT_NAMES).xreplace(names)
    right = parse_expression(modulus, DEFAULT_NAMES).xreplace(names)
    assert int(parsed.xreplace(names)) == int(left) % int(right), text
