"""The text form of a stack.

A stack is layers separated by ``;``, optionally followed by ``|`` and
alignment pairs separated by ``,``::

    stack  := layer (";" layer)* ["|" pair ("," pair)*]
    layer  := WORD item*
    item   := KEY "=" INT ("," INT)* | "p=" padding | "ceil" | "scheme=" NAME | "@" NAME
    padding:= INT | INT ":" INT | INT ":" INT ("," INT ":" INT)+ | INT "," INT
    pair   := NAME "=" NAME

``WORD`` is a layer kind's word (:mod:`symconv.layers.kinds`): ``conv``,
``pool``, ``tconv`` (or ``transposed``), ``upsample``. Its items:

- ``k`` the kernel size (required), ``s`` the stride (default 1; for ``pool``
  the kernel size), ``d`` the dilation, ``op`` a transposed layer's output
  padding, ``f`` an upsampling factor (required for ``upsample``);
- each takes one integer for every axis (``k=3``) or one per axis (``k=3,1``);
- ``p`` the padding: ``p=P`` pads P before and after on every axis,
  ``p=B:A`` B before and A after on every axis, ``p=B0:A0,B1:A1`` one ``B:A``
  per axis. ``p=B,A`` (B before, A after) is the one-axis form of earlier
  versions; in a layer with per-axis values it would read as one value per
  axis, so it is refused there;
- ``ceil`` ceil-mode pooling; ``scheme=NAME`` a padding scheme ("half",
  "tf-same", ...) for ``conv`` and ``pool``, instead of ``p``.

**Taps** name a layer's output: ``@e1`` on a layer tags its output ``e1``.
Tap names are ASCII identifiers and unique within a stack. **Pairs** after the
``|`` ask for alignment: ``e1=d1`` means the output of the layer tagged ``e1``
must be as long as the output of the layer tagged ``d1`` (a skip connection
concatenates them).

>>> str(parse_stack("conv k=3,1 s=2 p=1:1,0:0 @e1; upsample f=2,1 @d1 | e1=d1"))
'conv k=3,1 s=2 p=1:1,0:0 @e1; upsample f=2,1 @d1 | e1=d1'
>>> parse_stack("conv k=3,1 p=1,0")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symconv.core.errors.ParseError: cannot parse 'conv k=3,1 p=1,0': 'p=1,0' at column 12: layer 1: p=1,0 is ambiguous ...

Text is read by a hand-written tokenizer (whitespace, then a regular expression
per token); it never reaches ``eval``, ``exec`` or ``sympify``. Malformed text
raises a one-line :class:`~symconv.core.errors.ParseError` naming the layer and the
token; a value that breaks a rule (``k=0``, ``p=-1``, ``op=2`` with ``s=2``)
raises a :class:`~symconv.core.errors.ParameterError` naming the layer, the key and
the rule.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable, Optional

from symconv.core.errors import ParameterError, ParseError
from symconv.layers.kinds import STANDARD_KEYS, LayerKind, layer_kind, spelled
from symconv.layers.layer import Layer, Stack

MAX_TEXT_LENGTH = 10_000  #: characters of a stack's text
MAX_LAYERS = 500  #: layers of a stack's text
MAX_INTEGER = 10**6  #: largest integer in a stack's text

_FIELDS = {key: field for field, key in STANDARD_KEYS.items()}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_INT = re.compile(r"[+-]?[0-9]+\Z")
_PAIR = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([A-Za-z_][A-Za-z0-9_]*)\s*\Z")
_PADDING_FORMS = "p= is one integer or two (before,after), B:A for every axis, or one B:A per axis like p=1:1,0:0"

Fail = Callable[[str], ParseError]


def parse_stack(source: str) -> Stack:
    """Read a stack from its text form (see the module docstring).

    >>> parse_stack("conv k=3 s=2 p=1; pool k=2 s=2 ceil; tconv k=4 s=2 p=1 op=1").layers[1]  # doctest: +ELLIPSIS
    Layer(op='pool', kernel_size=2, stride=2, padding=(0, 0), ..., ceil_mode=True, tap=None, scheme=None)
    >>> parse_stack("conv k=3; cnv k=3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParseError: cannot parse 'cnv k=3': 'cnv' at column 1: layer 2: unknown op, expected conv, ...
    """
    if not isinstance(source, str):
        raise ParseError(repr(source)[:40], 0, repr(source)[:20], "a stack's text must be a string")
    if len(source) > MAX_TEXT_LENGTH:
        raise ParseError(source[:40] + "...", MAX_TEXT_LENGTH, source[MAX_TEXT_LENGTH:][:10],
                         f"a stack's text is at most {MAX_TEXT_LENGTH} characters")
    body, *rest = source.split("|")
    if len(rest) > 1:
        raise ParseError(source, len(body) + len(rest[0]) + 1, "|", "only one '|' may start the alignment pairs")
    if not body.strip():
        raise ParseError(source, 0, source, "empty stack: give at least one layer")
    segments = body.split(";")
    if len(segments) > MAX_LAYERS:
        raise ParseError(source[:40] + "...", 0, "", f"a stack's text has at most {MAX_LAYERS} layers")
    layers, position = [], 0
    for number, segment in enumerate(segments, 1):
        if not segment.strip():
            raise ParseError(source, position, segment, f"layer {number} is empty")
        layers.append(_parse_layer(segment.strip(), number))
        position += len(segment) + 1
    return Stack(tuple(layers), _parse_pairs(rest[0]) if rest else ())


def _item_field(kind: LayerKind, key: str, flag: bool) -> Optional[str]:
    """The field that ``key`` sets on a layer of ``kind``; None for an unknown item."""
    field = dict(kind.keys).get(key) or _FIELDS.get(key)
    if field is None or flag != (field == "ceil_mode"):
        return None
    return field


def _parse_layer(source: str, number: int) -> Layer:
    tokens = [(match.start(), match.group()) for match in re.finditer(r"\S+", source)]

    def fail(position: int, token: str, reason: str) -> ParseError:
        return ParseError(source, position, token, f"layer {number}: {reason}")

    (_, word), *items = tokens
    try:
        kind = layer_kind(word)
    except ParameterError:
        raise fail(0, word, f"unknown op, expected {spelled()}") from None
    values: dict[str, Any] = {}
    legacy: Optional[tuple[int, str]] = None  # where p=B,A was given
    parsed: object
    for position, token in items:
        key, equals, value = token.partition("=")
        field = None if token.startswith("@") else _item_field(kind, key, not equals)
        if token.startswith("@"):
            if not _NAME.match(token[1:]):
                raise fail(position, token, "a tap is '@' and an ASCII identifier, like @e1")
            field, parsed = "tap", token[1:]
        elif field is None:
            expected = [f"{k}=" if f != "ceil_mode" else k for k, f in kind.keys]
            raise fail(position, token, f"unknown item, expected {', '.join(expected)} or @name")
        elif kind.key(field) != key and field in kind.fields:
            raise fail(position, token, f"{kind.word} takes {kind.key(field)}=, not {key}=")
        elif field == "ceil_mode":
            parsed = True
        else:
            parsed = _parse_value(field, value, partial(fail, position, token))
            if field == "padding" and "," in value and ":" not in value:
                legacy = (position, token)
        if field in values:
            raise fail(position, token, f"{key} given twice")
        values[field] = parsed
    if "kernel_size" not in values:
        raise fail(0, word, f"{kind.key('kernel_size')}= is required")
    if "scheme" in values and "padding" in values:
        raise fail(0, word, "give p= or scheme=, not both")
    counts = {kind.key(f): len(v) for f, v in values.items() if isinstance(v, tuple) and f != "padding"}
    if isinstance(values.get("padding"), tuple) and isinstance(values["padding"][0], tuple):
        counts["p"] = len(values["padding"])
    if len(set(counts.values())) > 1:
        (first, axes), (other, n) = next(((a, b) for a in counts.items() for b in counts.items() if a[1] != b[1]))
        raise fail(0, word, f"{other} has {n} values but {first} has {axes}:"
                   " give one value per axis, or one for all axes")
    if legacy is not None and counts:
        before, after = values["padding"]
        raise fail(*legacy, f"p={before},{after} is ambiguous in a layer with per-axis values: write p={before}:{after}"
                   f" for {before} before and {after} after on every axis, or one B:A per axis like"
                   f" p={before}:{before},{after}:{after}")
    return Layer(kind.name, **values)


def _integers(text: str, fail: Fail, hint: str) -> list[int]:
    parts = text.split(",")
    for part in parts:
        if not _INT.match(part):
            raise fail(hint)
        if abs(int(part)) > MAX_INTEGER:
            raise fail(f"integers are at most {MAX_INTEGER}")
    return [int(part) for part in parts]


def _parse_value(field: str, value: str, fail: Fail) -> object:
    if field == "scheme":
        if not _SCHEME.match(value):
            raise fail("a scheme is a name like half or tf-same")
        return value
    if field == "padding":
        return _parse_padding(value, fail)
    numbers = _integers(value, fail, "expected an integer, or one integer per axis like k=3,1")
    return numbers[0] if len(numbers) == 1 else tuple(numbers)


def _parse_padding(value: str, fail: Fail) -> object:
    hint = "expected an integer, or B,A without spaces"
    if ":" not in value:
        numbers = _integers(value, fail, hint)
        if len(numbers) > 2:
            raise fail(_PADDING_FORMS)
        return numbers[0] if len(numbers) == 1 else tuple(numbers)
    entries = []
    for entry in value.split(","):
        sides = entry.split(":")
        if len(sides) != 2:
            raise fail(f"expected B:A for every axis, like p=1:1,0:1 ({_PADDING_FORMS})")
        before, after = (_integers(side, fail, "expected B:A with integers B and A")[0] for side in sides)
        entries.append((before, after))
    return entries[0] if len(entries) == 1 else tuple(entries)


def _parse_pairs(source: str) -> tuple[tuple[str, str], ...]:
    source = source.strip()
    pairs, position = [], 0
    for piece in source.split(","):
        match = _PAIR.match(piece)
        if not match:
            raise ParseError(source, position, piece.strip(), "expected an alignment pair of taps like e1=d1")
        pairs.append((match.group(1), match.group(2)))
        position += len(piece) + 1
    return tuple(pairs)
