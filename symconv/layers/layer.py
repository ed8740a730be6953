"""The layer, with its parameters per axis, and the stack of layers.

A :class:`Layer` is a kind (``op``, see :mod:`symconv.layers.kinds`) and its
parameters in PyTorch's names. ``kernel_size``, ``stride``, ``dilation`` and
``output_padding`` are each an int (the same on every axis) or a tuple with
one value per axis; ``padding`` is ``P``, a ``(before, after)`` pair, or a
tuple of such pairs, one per axis. A layer with a tuple anywhere has that many
axes; one without applies to any number of axes.

>>> layer = Layer("conv", (3, 1), padding=((1, 1), (0, 0)))
>>> str(layer), layer.axes
('conv k=3,1 p=1:1,0:0', 2)
>>> layer.axis(1)  # doctest: +NORMALIZE_WHITESPACE
LayerAxis(kernel_size=1, stride=1, padding=(0, 0), dilation=1, output_padding=0,
          ceil_mode=False)
>>> str(layer.along(0))
'conv k=3 p=1'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Optional, TypeVar, Union

import sympy

from symconv.core import symbols
from symconv.core.errors import ParameterError, SchemeError
from symconv.core.printing import text
from symconv.core.rebuild import xreplace
from symconv.layers.kinds import LABELS, STANDARD_KEYS, LayerAxis, LayerKind, layer_kind, spelled, taking

Size = Union[int, sympy.Expr]
PerAxis = Union[int, tuple[int, ...]]
Padding = Union[int, tuple[int, int], tuple[tuple[int, int], ...]]

T = TypeVar("T")
_PER_AXIS = ("kernel_size", "stride", "dilation", "output_padding")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _known(op: object) -> Optional[LayerKind]:
    try:
        return layer_kind(op)  # type: ignore[arg-type]
    except ParameterError:
        return None


def _one_or_many(value: Any) -> Any:
    if isinstance(value, list):
        value = tuple(value)
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


def _normal_padding(value: Any) -> Any:
    if isinstance(value, list):
        value = tuple(value)
    if not isinstance(value, tuple):
        return (value, value)
    value = tuple(tuple(entry) if isinstance(entry, list) else entry for entry in value)
    if len(value) == 1:
        return value[0] if isinstance(value[0], tuple) else (value[0], value[0])
    return value


def _per_axis_padding(padding: Any) -> bool:
    return isinstance(padding, tuple) and all(isinstance(entry, tuple) for entry in padding)


def _pick(value: Any, axis: int) -> Any:
    return value[axis] if isinstance(value, tuple) else value


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


@dataclass(frozen=True)
class Layer:
    """One layer: ``op`` names its kind ("conv", "pool", "transposed" or "tconv", "upsample", ...).

    ``op`` is stored as the kind's name. ``stride=None`` means the kind's
    default: the kernel size for pooling (and upsampling, whose kernel size is
    its factor), 1 otherwise.

    >>> Layer("pool", 2)  # doctest: +NORMALIZE_WHITESPACE
    Layer(op='pool', kernel_size=2, stride=2, padding=(0, 0), dilation=1, output_padding=0, ceil_mode=False,
          tap=None, scheme=None)
    >>> str(Layer("tconv", 4, stride=2, padding=1, output_padding=1, tap="d1"))
    'tconv k=4 s=2 p=1 op=1 @d1'
    >>> str(Layer("upsample", (2, 1)))
    'upsample f=2,1'
    """

    op: str
    kernel_size: PerAxis
    stride: Optional[PerAxis] = None
    padding: Padding = 0
    dilation: PerAxis = 1
    output_padding: PerAxis = 0
    ceil_mode: bool = False
    tap: Optional[str] = None
    scheme: Optional[str] = None

    def __post_init__(self) -> None:
        kind = _known(self.op)
        if kind is not None:
            object.__setattr__(self, "op", kind.name)
        for name in _PER_AXIS:
            object.__setattr__(self, name, _one_or_many(getattr(self, name)))
        if self.stride is None:
            object.__setattr__(self, "stride", kind.default("stride", self.kernel_size) if kind else 1)
        object.__setattr__(self, "padding", _normal_padding(self.padding))

    @property
    def kind(self) -> LayerKind:
        """The registered kind of this layer."""
        return layer_kind(self.op)

    def _counts(self) -> dict[str, int]:
        counts = {name: len(getattr(self, name)) for name in _PER_AXIS if isinstance(getattr(self, name), tuple)}
        if _per_axis_padding(self.padding):
            counts["padding"] = len(self.padding)  # type: ignore[arg-type]
        return counts

    @property
    def axes(self) -> Optional[int]:
        """How many axes the per-axis values give, or None when every value holds for every axis."""
        return remembered(self, "axes", lambda: max(self._counts().values(), default=None))

    def axis(self, axis: int = 0) -> LayerAxis:
        """The layer's parameters along ``axis``."""
        if type(axis) is int:  # sizes run every layer for every input they try: remember its axes
            return remembered(self, axis, lambda: self._axis(axis))
        return self._axis(axis)

    def _axis(self, axis: int) -> LayerAxis:
        axes = self.axes
        if axes is not None and not (isinstance(axis, int) and 0 <= axis < axes):
            raise ParameterError("axis", axis, f"the layer {self} has {axes} axes, 0 to {axes - 1}")
        padding: Any = self.padding
        return LayerAxis(_pick(self.kernel_size, axis), _pick(self.stride, axis),
                         padding[axis] if _per_axis_padding(padding) else padding,
                         _pick(self.dilation, axis), _pick(self.output_padding, axis), self.ceil_mode)

    def along(self, axis: int) -> "Layer":
        """The one-axis layer that this layer is along ``axis``."""
        one = self.axis(axis)
        return replace(self, kernel_size=one.kernel_size, stride=one.stride, padding=one.padding,
                       dilation=one.dilation, output_padding=one.output_padding)

    def __str__(self) -> str:
        kind = _known(self.op)
        keys = kind.keys if kind else tuple((key, name) for name, key in STANDARD_KEYS.items())
        items = [kind.word if kind else str(self.op)]
        for key, name in keys:
            value = getattr(self, name)
            if name == "ceil_mode":
                items += [key] if value is True else []
            elif name == "padding":
                shown = _show_padding(value, self.axes is not None)
                items += [f"{key}={shown}"] if shown else []
            elif name == "scheme":
                items += [f"{key}={value}"] if value is not None else []
            elif name == "kernel_size" or value != (kind.default(name, self.kernel_size) if kind else
                                                    {"stride": 1, "dilation": 1, "output_padding": 0}[name]):
                items.append(f"{key}={_show(value)}")
        items += [f"@{self.tap}"] if self.tap is not None else []
        return " ".join(items)


_REMEMBERED: dict[tuple[int, Any], tuple[object, Any]] = {}


def remembered(owner: object, key: Any, compute: Callable[[], T]) -> T:
    """``compute()``, remembered for ``owner`` itself and ``key``: by identity, since equal objects may differ
    (a layer with k=3 equals one with k=3.0 or k=True, which its checks refuse). At most 4096 are kept."""
    found = _REMEMBERED.get((id(owner), key))
    if found is not None and found[0] is owner:
        return found[1]
    value = compute()
    if len(_REMEMBERED) >= 4096:
        _REMEMBERED.clear()
    _REMEMBERED[(id(owner), key)] = (owner, value)  # holding owner keeps its id from being reused
    return value


def _show_padding(padding: Any, per_axis: bool) -> str:
    if _per_axis_padding(padding):
        return ",".join(f"{before}:{after}" for before, after in padding)
    before, after = padding
    if (before, after) == (0, 0):
        return ""
    # B,A is the one-axis form; with per-axis values it would read as one value per axis.
    return str(before) if before == after else f"{before}:{after}" if per_axis else f"{before},{after}"


@dataclass(frozen=True)
class Stack:
    """Layers applied in order, and pairs of taps whose outputs must align.

    Construction checks every value and names the first bad layer:

    >>> Stack([Layer("conv", 0)])
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: layer 1 k=0 is invalid: kernel_size must be a positive integer
    """

    layers: tuple[Layer, ...]
    pairs: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.layers, (str, bytes)) or not hasattr(self.layers, "__iter__"):
            raise ParameterError("layers", type(self.layers).__name__, "layers must be a sequence of Layer")
        object.__setattr__(self, "layers", tuple(self.layers))
        for number, layer in enumerate(self.layers, 1):
            if not isinstance(layer, Layer):
                raise ParameterError(f"layer {number}", type(layer).__name__, "expected a Layer")
        object.__setattr__(self, "pairs", tuple(tuple(pair) for pair in self.pairs))
        if not self.layers:
            raise ParameterError("layers", (), "a stack needs at least one layer")
        taps: dict[str, int] = {}
        first: Optional[tuple[int, Layer]] = None  # the first layer with per-axis values
        for number, layer in enumerate(self.layers, 1):
            _check_layer(layer, number)
            if layer.tap in taps:
                raise ParameterError(f"layer {number} tap", layer.tap,
                                     f"tap names must be unique; it is already on layer {taps[layer.tap]}")
            if layer.tap is not None:
                taps[layer.tap] = number
            if layer.axes is not None and first is None:
                first = number, layer
            elif layer.axes is not None and first is not None and layer.axes != first[1].axes:
                raise ParameterError(f"layer {number}", str(layer),
                                     f"it has {layer.axes} axes, but layer {first[0]} has {first[1].axes}")
        for number, pair in enumerate(self.pairs, 1):
            unknown = [name for name in pair if name not in taps]
            if len(pair) != 2 or unknown:
                reason = f"{unknown[0]!r} is not a tap" if unknown else "a pair names two taps"
                raise ParameterError(f"pair {number}", "=".join(map(str, pair)),
                                     f"{reason} (the taps: {', '.join(taps) or 'none'})")

    @property
    def axes(self) -> Optional[int]:
        """The number of axes its per-axis layers give, or None when every layer holds for any number."""
        return next((layer.axes for layer in self.layers if layer.axes is not None), None)

    def along(self, axis: int) -> "Stack":
        """The one-axis stack that this stack is along ``axis``.

        >>> str(Stack((Layer("conv", (3, 1), 2), Layer("pool", (2, 1)))).along(1))
        'conv k=1 s=2; pool k=1'
        """
        return Stack(tuple(layer.along(axis) for layer in self.layers), self.pairs)

    def tap_index(self, name: str) -> int:
        """The position in :attr:`layers` of the layer tagged ``name``."""
        for n, layer in enumerate(self.layers):
            if layer.tap == name:
                return n
        raise ParameterError("tap", name, "no layer of the stack carries this tap")

    def __str__(self) -> str:
        layers = "; ".join(map(str, self.layers))
        return layers + (" | " + ", ".join(f"{a}={b}" for a, b in self.pairs) if self.pairs else "")


def _is_default(layer: Layer, kind: LayerKind, name: str) -> bool:
    value, default = getattr(layer, name), kind.default(name, layer.kernel_size)
    if name == "padding" and _per_axis_padding(value):
        return all(entry == default for entry in value)
    if name in _PER_AXIS and isinstance(value, tuple) and not isinstance(default, tuple):
        return all(entry == default for entry in value)
    return bool(value == default)


def _check_layer(layer: Layer, number: int) -> None:
    kind = _known(layer.op)

    def fail(name: str, value: object, rule: str, axis: Optional[int] = None) -> ParameterError:
        where = f"layer {number} " + (f"axis {axis} " if axis is not None else "")
        return ParameterError(where + (kind.key(name) if kind else name), value, rule)

    if kind is None:
        raise fail("op", layer.op, f"op must be a layer kind: {spelled()}")
    if not isinstance(layer.ceil_mode, bool):
        raise fail("ceil_mode", layer.ceil_mode, "ceil_mode must be True or False")
    for name in ("ceil_mode", "output_padding", "scheme", "dilation", "padding", "stride"):
        if name not in kind.fields and not _is_default(layer, kind, name):
            raise ParameterError(f"layer {number} {STANDARD_KEYS[name]}", getattr(layer, name),
                                 f"{LABELS[name]} applies to {taking(name)} layers only")
    if layer.tap is not None and not (isinstance(layer.tap, str) and _NAME.match(layer.tap)):
        raise fail("tap", layer.tap, "a tap name is an ASCII identifier")
    padding: Any = layer.padding
    if (isinstance(padding, tuple) and not _per_axis_padding(padding) and len(padding) != 2) or (
            _per_axis_padding(padding) and any(len(entry) != 2 for entry in padding)):
        raise fail("padding", padding, "padding is P, (before, after), or one (before, after) pair per axis")
    counts = layer._counts()
    if len(set(counts.values())) > 1:
        (first, axes), *rest = counts.items()
        name, other = next((name, n) for name, n in rest if n != axes)
        raise fail(name, getattr(layer, name), f"{kind.key(name)} has {other} values but {kind.key(first)} has {axes}:"
                   " give one value per axis, or one for all axes")
    for axis in range(layer.axes or 1):
        try:
            # The kind's size function checks every parameter; a symbolic input
            # size keeps it from judging any particular input.
            apply(layer, symbols.i, axis)
        except ParameterError as error:
            raise fail(error.name, error.value, error.rule, axis if layer.axes else None) from None


def scheme_padding(layer: Layer, input_size: Optional[Size], axis: int = 0) -> tuple[Size, Size]:
    """The ``(before, after)`` padding of ``layer`` along ``axis`` for ``input_size``.

    A padding scheme may depend on the input size (TF "SAME" does), so it is
    resolved layer by layer as sizes flow; ``input_size`` is None where no size
    is known (receptive fields), and a scheme that needs one is refused there.

    >>> scheme_padding(Layer("conv", 3, padding=(0, 1)), 5)
    (0, 1)
    >>> scheme_padding(Layer("conv", 4, stride=2, scheme="tf-same"), 7)
    (1, 2)
    """
    one = layer.axis(axis)
    if layer.scheme is None:
        return one.padding
    from symconv import schemes

    try:
        chosen = schemes.scheme(layer.scheme)
    except SchemeError as error:
        raise ParameterError("scheme", layer.scheme, error.reason) from None
    if chosen.parameters:
        raise ParameterError("scheme", layer.scheme,
                             f"it declares parameters ({', '.join(map(str, chosen.parameters))});"
                             " give the layer's padding with p= instead")
    if chosen.ceil_mode != layer.ceil_mode:
        raise ParameterError("scheme", layer.scheme,
                             "a ceil-mode scheme goes on a pool layer marked 'ceil', and only there")
    if isinstance(input_size, int):
        return chosen.padding(input_size, one.kernel_size, one.stride, one.dilation)
    sides = (chosen.before, chosen.after)
    if input_size is None and any(side.has(symbols.i) for side in sides):
        raise ParameterError("scheme", layer.scheme,
                             "its padding depends on the input size, so it has no fixed receptive field")
    values = {symbols.i: input_size, symbols.k: one.kernel_size, symbols.s: one.stride, symbols.d: one.dilation}
    for condition in chosen.where:
        if xreplace(condition, values) is sympy.false:
            raise ParameterError("scheme", layer.scheme, f"it needs {text(condition)}")
    before, after = (xreplace(side, values) for side in sides)
    return before, after


def resolved(layer: Layer, input_size: Optional[Size], axis: int = 0) -> LayerAxis:
    """The layer's parameters along ``axis`` with its padding scheme resolved for ``input_size``."""
    if layer.scheme is None:  # the padding it was given
        return layer.axis(axis)
    return replace(layer.axis(axis), padding=scheme_padding(layer, input_size, axis))


def apply(layer: Layer, size: Size, axis: int = 0) -> Size:
    """The layer's output size along ``axis`` for input ``size`` (an int or an expression)."""
    one = resolved(layer, size, axis)
    if layer.scheme is not None and not isinstance(size, int):
        # The scheme's output size in the form its checker proved equal to the general formula.
        from symconv import schemes

        values = {symbols.i: size, symbols.k: one.kernel_size, symbols.s: one.stride, symbols.d: one.dilation}
        return xreplace(schemes.output_size(schemes.scheme(layer.scheme)), values)
    return layer.kind.output_size(one, size)


def as_stack(value: object) -> Stack:
    if not isinstance(value, Stack):
        raise ParameterError("stack", type(value).__name__, "expected a Stack: build one with parse_stack(text)")
    return value


def one_axis(value: object) -> Stack:
    """``value`` as a stack whose layers hold on one axis; a stack with per-axis values is refused."""
    stack = as_stack(value)
    if stack.axes is not None:
        raise ParameterError("axes", stack.axes, "this works on one axis at a time:"
                             f" take stack.along(axis) for axis 0 to {stack.axes - 1}")
    return stack
