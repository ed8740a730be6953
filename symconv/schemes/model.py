"""The data: a padding scheme, and how one of its claims stands.

A :class:`Scheme` holds sympy expressions only; it is built by :mod:`.load`
(from TOML or :func:`~symconv.schemes.load.declare`) and never by hand, so
every scheme has passed the same checks.

>>> from symconv.schemes import scheme
>>> scheme("tf-same").padding(input_size=6, kernel_size=4, stride=1)   # the extra zero goes after
(1, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Optional

import sympy
from sympy import Symbol
from sympy.logic.boolalg import Boolean

from symconv.core import symbols as S
from symconv.core.errors import SchemeError
from symconv.core.numeric import compile_expr
from symconv.core.printing import text
from symconv.core.validation import nonnegative, positive

if TYPE_CHECKING:  # pragma: no cover - the kernel is loaded only by what proves (``scheme list`` never does)
    from symconv.proof import Proof

Status = Literal["proved", "holds-enumerated", "unproved", "false", "conflict"]

#: The output size, the output_padding and the transposed output size as a scheme's
#: claims and theorems see them: defined quantities whose bounds are proved, not assumed
#: (``symconv.core.symbols`` says why they are not the guide's ``o``, ``a`` and ``o'``).
o, a, o_t = S.o_claimed, S.a_claimed, S.o_prime_claimed

_ENDLESS = ("sympy's simplification of this scheme's expressions never ends (sympy 1.14 rewrites some remainders "
            "modulo a sum, such as (i - 2) mod (2k + 1), back and forth); write x mod m as x - m * (x // m)")


def terminating(where: str, work: Callable[[], Any]) -> Any:
    """``work()``, with sympy's endless rewriting (a RecursionError) turned into a one-line error."""
    try:
        return work()
    except RecursionError:
        raise SchemeError(where, _ENDLESS) from None


@dataclass(frozen=True)
class Scheme:
    """A padding scheme: zeros ``before`` and ``after`` the input, in ``i, k, s, d``.

    ``where`` is the domain the scheme is meant for and its claims are about;
    ``claims`` are comparisons in ``o`` (the output size), ``a`` (the
    output_padding: the scheme's own, or else the one that recovers ``i``) and
    the sizes. ``ceil_mode`` keeps a last, partial window as PyTorch's and
    ONNX's ceil-mode pooling do. ``transposable`` claims that the transposed
    convolution with ``a`` gives back every input size.
    """

    name: str
    description: str
    before: sympy.Expr
    after: sympy.Expr
    where: tuple[Boolean, ...] = ()
    claims: tuple[Boolean, ...] = ()
    transposable: Optional[bool] = None
    ceil_mode: bool = False
    output_padding: Optional[sympy.Expr] = None
    parameters: tuple[Symbol, ...] = ()
    framework: str = ""
    source: str = "<python>"

    @property
    def variables(self) -> tuple[Symbol, ...]:
        return (S.i, S.k, S.s, S.d, *self.parameters)

    def padding(self, input_size: int, kernel_size: int, stride: int = 1, dilation: int = 1,
                **parameters: int) -> tuple[int, int]:
        """The zeros before and after for one layer; refused outside ``where``.

        >>> from symconv.schemes import scheme
        >>> scheme("torch-same").padding(5, kernel_size=4, stride=2)
        Traceback (most recent call last):
        ...
        symconv.core.errors.SchemeError: torch-same: does not apply to i=5, k=4, s=2, d=1: it needs s = 1
        """
        values = _values(self, input_size, kernel_size, stride, dilation, parameters)
        failed = [condition for condition in self.where if not compile_expr(condition, self.variables)(*values)]
        if failed:
            shown = ", ".join(f"{v}={value}" for v, value in zip(self.variables, values))
            raise SchemeError(self.name, f"does not apply to {shown}: it needs "
                              + " and ".join(text(condition) for condition in failed))
        before, after = (compile_expr(side, self.variables)(*values) for side in (self.before, self.after))
        return before, after


def _values(scheme: Scheme, input_size: int, kernel_size: int, stride: int, dilation: int,
            parameters: Mapping[str, int]) -> list[int]:
    names = [str(p) for p in scheme.parameters]
    unknown = sorted(set(parameters) - set(names))
    if unknown:
        raise SchemeError(scheme.name, f"no parameter {unknown[0]!r}; it declares {names or 'none'}")
    return [positive("input_size", input_size), positive("kernel_size", kernel_size),
            positive("stride", stride), positive("dilation", dilation),
            *(nonnegative(name, parameters.get(name, 0)) for name in names)]


def sides(scheme: Scheme) -> list[tuple[str, sympy.Expr]]:
    """What must never be negative: the paddings, and an output_padding."""
    found = [("before", scheme.before), ("after", scheme.after)]
    return found + ([("output_padding", scheme.output_padding)] if scheme.output_padding is not None else [])


def show_case(case: Mapping[str, int], scheme: Scheme) -> str:
    """``i=1, k=2, ...``: the scheme's variables at one case, in order."""
    return ", ".join(f"{v}={case[str(v)]}" for v in scheme.variables if str(v) in case)


@dataclass(frozen=True)
class ClaimResult:
    """One claim and how it stands: ``proved`` for all integers; ``holds-enumerated``
    (the prover could not close it, but every one of ``cases`` cases up to the bound
    agrees with the oracle: not a proof); ``unproved`` (the prover could not close it
    and no case of the box lies in the domain, so nothing was checked); ``false``
    with the smallest counterexample; or ``conflict`` (a checked proof and a
    counterexample at once: a bug in symconv, never a result).
    """

    claim: Boolean
    status: Status
    cases: int
    counterexample: Optional[Mapping[str, int]]
    proof: Proof


def claim_result(claim: Boolean, proof: Proof) -> ClaimResult:
    """The claim's standing, from the proof pipeline's: an unproved claim that enumeration checked holds-enumerated."""
    statuses: dict[str, Status] = {"proved": "proved", "unproved": "holds-enumerated" if proof.cases else "unproved",
                                   "disproved": "false", "conflict": "conflict"}
    return ClaimResult(claim, statuses[proof.status], proof.cases, proof.counterexample, proof)
