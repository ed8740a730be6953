"""The one error root, and the few kinds of error symconv raises on purpose.

Every error is a :class:`SymconvError`, which is also a :class:`ValueError`, so
``except ValueError`` keeps working for callers that do not know symconv.
Messages are one line: the parameter, its value, then the rule it broke.
"""

from __future__ import annotations

from typing import Any


class SymconvError(ValueError):
    """Root of every error that symconv raises on purpose."""


class ParameterError(SymconvError):
    """A parameter's value breaks a rule: ``stride=0 is invalid: stride must be a positive integer``."""

    def __init__(self, name: str, value: Any, rule: str) -> None:
        self.name = name
        self.value = value
        self.rule = rule
        super().__init__(f"{name}={_show(value)} is invalid: {rule}")


class ParseError(SymconvError):
    """User text (an expression, a claim, a stack) that the whitelist parser refuses."""

    def __init__(self, source: str, position: int, token: str, reason: str) -> None:
        self.source = source
        self.position = position
        self.token = token
        self.reason = reason
        super().__init__(
            f"cannot parse {source!r}: {token!r} at column {position + 1}: {reason}"
        )


class SchemeError(SymconvError):
    """A padding-scheme declaration (Python or TOML) that is malformed."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class TemplateError(ParameterError):
    """A user's template that cannot be used: ``template_dir='t/document.md.j2' is invalid: line 2: ...``."""

    def __init__(self, path: Any, rule: str) -> None:
        super().__init__("template_dir", str(path), " ".join(rule.split()))


class OutputError(SymconvError):
    """A file or directory that symconv was asked to write cannot be written safely."""


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, tuple) and len(value) == 2:
        return f"({_show(value[0])}, {_show(value[1])})"
    return str(value)
