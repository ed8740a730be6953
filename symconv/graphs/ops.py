"""What a node of a graph computes, for every axis: the operations and their parameters, checked once.

An :class:`Op` holds its parameters per axis (one value for every axis, or one
per axis) and gives, along one axis, a :class:`~symconv.graphs.steps.Step`
that says what it does there. The operations:

- :class:`LayerOp`: a registered layer kind (:mod:`symconv.layers.kinds`:
  ``conv``, ``pool``, ``tconv``, ``upsample``, ...) as a
  :class:`~symconv.layers.layer.Layer`;
- :class:`Pad`: explicit padding, negative amounts crop;
- :class:`Slice`: a slice with constant bounds, as Python reads ``x[..., 1:-1, ::2]``;
- :class:`Fixed`: a fixed output size whatever the input's: ``resize`` (to a
  ``size``), ``apool`` (adaptive pooling) and ``gpool`` (global pooling, size 1);
- :class:`Identity`: shape-preserving ops (activations, normalisation, dropout);
- :class:`Flatten`, and :class:`Dense` (``linear``, ``gemm``, ``matmul``) after it;
- the joins: :class:`Concat` (equal sizes, or sizes that add along the
  concatenated axis) and :class:`Elementwise` (sizes that broadcast).

Constructing an op checks its parameters and names the first bad one:

>>> Pad(((1, 2),)).along(0).size([5])
8
>>> Fixed("apool", (0,))
Traceback (most recent call last):
...
symconv.core.errors.ParameterError: size=(0,) is invalid: size is one positive integer for every axis, or one per axis
>>> str(Slice.of(slice(1, -1), slice(None, None, 2)).text())
'slice [1:-1, ::2]'
"""

from __future__ import annotations

import keyword
import operator
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Optional, Union

from symconv.core.errors import ParameterError
from symconv.graphs.steps import (
    BroadcastStep, ConcatStep, FixedStep, LayerStep, PadStep, Range, SliceStep, Step, show_range,
)
from symconv.layers.layer import Layer, Stack
from symconv.layers.parse import MAX_INTEGER

MAX_AXES = 8  #: spatial axes of a tensor

#: The frameworks' word for each built-in layer kind, in messages ("Conv 'a': ...").
TITLES = {"conv": "Conv", "pool": "Pool", "transposed": "ConvTranspose", "upsample": "Upsample"}
#: Shape-preserving ops: activations, normalisation, dropout and the like.
SHAPE_PRESERVING = (
    "identity", "relu", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "swish", "mish",
    "sigmoid", "hardsigmoid", "hardswish", "tanh", "softmax", "log_softmax", "clip", "abs", "neg", "exp", "log",
    "sqrt", "act", "norm", "bn", "batchnorm", "ln", "layernorm", "gn", "groupnorm", "instancenorm", "lrn",
    "dropout",
)
#: Element-wise ops, whose inputs broadcast.
ELEMENTWISE = ("add", "sub", "mul", "div", "pow", "max", "min", "mean", "where")
#: Ops whose output has a fixed size, whatever the input's, and their words in messages.
FIXED = {"resize": "Resize", "apool": "AdaptivePool", "gpool": "GlobalPool"}
#: Ops that read a flat tensor (after a flatten).
DENSE = {"linear": "Linear", "gemm": "Gemm", "matmul": "MatMul"}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}\Z")
#: Axis names that would read back as something else in an expression: symconv's other letters,
#: the names of the expression grammar, and the m of the decisions' i = M m + r.
RESERVED_AXES = frozenset({
    "k", "s", "p", "d", "o", "a", "n", "p_l", "p_r", "j", "t", "m", "i_prime", "o_prime", "k_prime", "s_prime",
    "d_prime", "p_prime", "i_tilde", "floor", "ceiling", "ceil", "Mod", "mod", "Max", "max", "Min", "min", "Abs",
    "abs", "Eq", "Ne", "True", "False", "None",
})


def _integer(name: str, value: Any, rule: str, low: Optional[int] = None, most: int = MAX_INTEGER) -> int:
    """``value`` as an int within the budget ``most`` (and at least ``low``), or a ParameterError with ``rule``."""
    if isinstance(value, bool):
        raise ParameterError(name, value, rule)
    try:
        number = operator.index(value)
    except TypeError:
        raise ParameterError(name, value, rule) from None
    if abs(number) > most:
        raise ParameterError(name, number, f"integers are at most {most} in size")
    if low is not None and number < low:
        raise ParameterError(name, number, rule)
    return number


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _per_axis(values: tuple, axis: int) -> Any:
    return values[0] if len(values) == 1 else values[axis]


def _count(values: tuple) -> Optional[int]:
    return len(values) if len(values) > 1 else None


@dataclass(frozen=True)
class Op:
    """What a node computes. ``arity`` is the least and most inputs (None: any number)."""

    arity: ClassVar[tuple[int, Optional[int]]] = (1, 1)
    word: ClassVar[str] = ""

    @property
    def title(self) -> str:
        """The frameworks' word for the op, in messages."""
        return self.word.capitalize()

    @property
    def axes(self) -> Optional[int]:
        """How many axes its per-axis values give, or None when they hold for any number."""
        return None

    @property
    def spatial(self) -> bool:
        """Whether it needs spatial axes (a flat tensor has none)."""
        return True

    def along(self, axis: int) -> Step:
        """The op along ``axis``."""
        return Step()

    def output_axes(self, axes: int) -> int:
        """The output's number of spatial axes for inputs with ``axes``."""
        return axes

    def text(self) -> str:
        """The op and its items in the text form."""
        return self.word


@dataclass(frozen=True)
class Input(Op):
    """A graph input: per spatial axis a name (its size is that symbol) or a fixed size.

    >>> Input(["H", 1]).text()
    'input [H, 1]'
    """

    shape: tuple[Union[str, int], ...] = ("H", "W")
    arity: ClassVar[tuple[int, Optional[int]]] = (0, 0)
    word: ClassVar[str] = "input"

    def __post_init__(self) -> None:
        shape = _tuple(self.shape)
        rule = (f"an input's shape is 1 to {MAX_AXES} axes, each a name like H or a positive integer; names are"
                " ASCII identifiers other than symconv's letters k, s, p, d, o, a, n, j, t, m")
        if not isinstance(shape, tuple) or not 1 <= len(shape) <= MAX_AXES:
            raise ParameterError("shape", shape, rule)
        for entry in shape:
            if isinstance(entry, str):
                if not _IDENTIFIER.match(entry) or entry in RESERVED_AXES or keyword.iskeyword(entry):
                    raise ParameterError("shape", shape, rule)
            elif isinstance(entry, bool) or not isinstance(entry, int) or not 1 <= entry <= MAX_INTEGER:
                raise ParameterError("shape", shape, rule + f", at most {MAX_INTEGER}")
        object.__setattr__(self, "shape", shape)

    def text(self) -> str:
        return f"input [{', '.join(map(str, self.shape))}]"


@lru_cache(maxsize=4096)
def _layer_problem(layer: Layer) -> Optional[tuple[str, Any, str]]:
    """What is wrong with ``layer`` as a stack's checks find it, without the stack's "layer 1"."""
    try:
        Stack((layer,))
    except ParameterError as error:
        return error.name.replace("layer 1 ", "", 1), error.value, error.rule
    return None


@dataclass(frozen=True)
class LayerOp(Op):
    """A registered layer kind with its per-axis parameters (a :class:`~symconv.layers.layer.Layer`).

    >>> LayerOp(Layer("conv", 3, padding=1)).text()
    'conv k=3 p=1'
    """

    layer: Layer

    def __post_init__(self) -> None:
        if not isinstance(self.layer, Layer):
            raise ParameterError("layer", type(self.layer).__name__, "expected a Layer")
        if self.layer.tap is not None:
            raise ParameterError("tap", self.layer.tap, "a graph names its nodes: give the node the tap's name")
        try:
            problem = _layer_problem(self.layer)
        except TypeError:  # unhashable parameters
            raise ParameterError("layer", str(self.layer), "parameters are integers, or tuples of them") from None
        if problem is not None:
            raise ParameterError(*problem)

    @property
    def title(self) -> str:
        return TITLES.get(self.layer.op, self.layer.op.capitalize())

    @property
    def axes(self) -> Optional[int]:
        return self.layer.axes

    def along(self, axis: int) -> Step:
        return LayerStep(self.layer.along(axis))

    def text(self) -> str:
        return str(self.layer)


def show_padding(padding: tuple[tuple[int, int], ...]) -> str:
    """``p=`` of the text form: ``1``, ``1:2``, or one ``B:A`` per axis.

    >>> show_padding(((1, 1),)), show_padding(((1, 2),)), show_padding(((1, 1), (0, 2)))
    ('1', '1:2', '1:1,0:2')
    """
    if len(padding) == 1 and padding[0][0] == padding[0][1]:
        return str(padding[0][0])
    return ",".join(f"{before}:{after}" for before, after in padding)


@dataclass(frozen=True)
class Pad(Op):
    """Explicit padding: P on both sides of every axis, a ``(before, after)`` pair, or one pair per axis.

    Negative amounts crop, as in ``F.pad`` and ONNX ``Pad``.

    >>> Pad(-1).text(), Pad(((1, 1), (0, 2))).text()
    ('pad p=-1', 'pad p=1:1,0:2')
    """

    padding: Any
    word: ClassVar[str] = "pad"

    def __post_init__(self) -> None:
        value = _tuple(self.padding)
        rule = "padding is P, (before, after), or one (before, after) pair per axis, in integers"
        if not isinstance(value, tuple):
            pairs: Any = ((value, value),)
        elif value and all(not isinstance(entry, (tuple, list)) for entry in value):
            if len(value) != 2:
                raise ParameterError("padding", value, rule)
            pairs = (value,)
        else:
            pairs = tuple(_tuple(entry) for entry in value)
        if not 1 <= len(pairs) <= MAX_AXES or any(not isinstance(pair, tuple) or len(pair) != 2 for pair in pairs):
            raise ParameterError("padding", value, rule)
        object.__setattr__(self, "padding", tuple((_integer("padding", before, rule), _integer("padding", after, rule))
                                                  for before, after in pairs))

    @property
    def axes(self) -> Optional[int]:
        return _count(self.padding)

    def along(self, axis: int) -> Step:
        return PadStep(*_per_axis(self.padding, axis))

    def text(self) -> str:
        return f"pad p={show_padding(self.padding)}"


@dataclass(frozen=True)
class Slice(Op):
    """A slice with constant bounds: ``(start, stop, step)`` for every axis or one per axis, as Python reads them.

    ``None`` is an open end; a negative start or stop counts from the end; the step is positive.
    """

    ranges: tuple[Range, ...]
    word: ClassVar[str] = "slice"

    @classmethod
    def of(cls, *ranges: slice) -> "Slice":
        """The op from Python slices, one for every axis or one per axis: ``Slice.of(slice(1, -1))``."""
        return cls(tuple((entry.start, entry.stop, 1 if entry.step is None else entry.step)
                         if isinstance(entry, slice) else entry for entry in ranges))

    def __post_init__(self) -> None:
        value = _tuple(self.ranges)
        rule = "a slice is (start, stop, step) for every axis or one per axis: integers or None, a positive step"
        if not isinstance(value, tuple) or not 1 <= len(value) <= MAX_AXES:
            raise ParameterError("ranges", value, rule)
        checked = []
        for entry in map(_tuple, value):
            if not isinstance(entry, tuple) or len(entry) != 3:
                raise ParameterError("ranges", value, rule)
            start, stop = (None if end is None else _integer("ranges", end, rule) for end in entry[:2])
            if start is not None and start < 0 and stop is not None and stop >= 0:
                raise ParameterError("ranges", value, f"a slice from the end to a fixed stop ({show_range(*entry)})"
                                     " shrinks as the input grows: give the start from the front, or the stop from"
                                     " the end")
            checked.append((start, stop, _integer("ranges", 1 if entry[2] is None else entry[2], rule, low=1)))
        object.__setattr__(self, "ranges", tuple(checked))

    @property
    def axes(self) -> Optional[int]:
        return _count(self.ranges)

    def along(self, axis: int) -> Step:
        return SliceStep(*_per_axis(self.ranges, axis))

    def text(self) -> str:
        return f"slice [{', '.join(show_range(*entry) for entry in self.ranges)}]"


@dataclass(frozen=True)
class Fixed(Op):
    """An output of a fixed size per axis, whatever the input's size.

    ``kind`` is ``resize`` (``F.interpolate(size=...)``, ONNX ``Resize`` with
    sizes), ``apool`` (adaptive pooling to ``output_size``) or ``gpool``
    (global pooling: size 1). ``size`` is one size for every axis or one per axis;
    an adaptive pool's None keeps the input's size on that axis, as PyTorch's
    ``nn.AdaptiveAvgPool2d((None, 7))`` does (each unit then averages one input unit).

    >>> Fixed("apool", (None, 7)).text(), Fixed("apool", (None, 7)).along(0).constant
    ('apool size=_,7', False)
    """

    kind: str
    size: Any = 1

    def __post_init__(self) -> None:
        if self.kind not in FIXED:
            raise ParameterError("op", self.kind, f"a fixed-size op is one of {', '.join(FIXED)}")
        value = _tuple(self.size)
        rule = "size is one positive integer for every axis, or one per axis"
        sizes = value if isinstance(value, tuple) else (value,)
        if not 1 <= len(sizes) <= MAX_AXES:
            raise ParameterError("size", value, rule)
        if self.kind == "apool" and any(entry is None for entry in sizes):
            if all(entry is None for entry in sizes):
                raise ParameterError("size", value, "an adaptive pool that keeps every axis is shape-preserving:"
                                     " give at least one size")
            rule += " (an adaptive pool's None keeps that axis)"
        try:
            checked = tuple(None if entry is None and self.kind == "apool" else _integer("size", entry, rule, low=1)
                            for entry in sizes)
        except ParameterError:
            raise ParameterError("size", value, rule) from None
        if self.kind == "gpool" and checked != (1,):
            raise ParameterError("size", value, "global pooling gives size 1: use apool for another size")
        object.__setattr__(self, "size", checked)

    @property
    def title(self) -> str:
        return FIXED[self.kind]

    @property
    def axes(self) -> Optional[int]:
        return _count(self.size)

    def along(self, axis: int) -> Step:
        units = _per_axis(self.size, axis)
        return Step() if units is None else FixedStep(units, self.kind)

    def text(self) -> str:
        sizes = ",".join("_" if entry is None else str(entry) for entry in self.size)
        return "gpool" if self.kind == "gpool" else f"{self.kind} size={sizes}"


def _word(kind: Any, words: Any, what: str) -> None:
    if kind not in words:
        raise ParameterError("op", kind, f"{what} is one of {', '.join(words)}")


@dataclass(frozen=True)
class Identity(Op):
    """A shape-preserving op (an activation, a normalisation, dropout): ``kind`` is its word."""

    kind: str = "identity"

    def __post_init__(self) -> None:
        _word(self.kind, SHAPE_PRESERVING, "a shape-preserving op")

    @property
    def title(self) -> str:
        return self.kind.capitalize()

    @property
    def spatial(self) -> bool:
        return False

    def text(self) -> str:
        return self.kind


MAX_FEATURES = 10**12  #: largest flat size (channels, features)


def _features(name: str, value: Any) -> Optional[int]:
    rule = f"{name} is a positive integer, at most {MAX_FEATURES}"
    return None if value is None else _integer(name, value, rule, low=1, most=MAX_FEATURES)


@dataclass(frozen=True)
class Flatten(Op):
    """Flatten the channels and the spatial axes into one: the output is flat (no spatial axes).

    ``channels``, when known (an importer reads it from the weights), makes the
    flat size ``channels`` times the product of the spatial sizes, so that a
    later :class:`Dense` can check it; ``size`` is the flat size the op itself
    requires (a ``Reshape`` to a fixed shape).

    >>> Flatten(512).text(), Flatten(512, 25088).text()
    ('flatten c=512', 'flatten c=512 size=25088')
    """

    channels: Optional[int] = None
    size: Optional[int] = None
    word: ClassVar[str] = "flatten"

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", _features("channels", self.channels))
        object.__setattr__(self, "size", _features("size", self.size))
        if self.size is not None and self.channels is None:
            raise ParameterError("size", self.size, "a flatten's size can be checked only when its channels are known")

    @property
    def spatial(self) -> bool:
        return False

    @property
    def needs(self) -> Optional[int]:
        """The flat size this op requires of its input, if any."""
        return self.size

    def output_axes(self, axes: int) -> int:
        return 0

    def text(self) -> str:
        items = [f"c={self.channels}"] * (self.channels is not None) + [f"size={self.size}"] * (self.size is not None)
        return " ".join([self.word, *items])


@dataclass(frozen=True)
class Dense(Op):
    """A fully connected op (``linear``, ``gemm``, ``matmul``) on a flat tensor.

    ``in_features`` is the flat size it reads (``nn.Linear``'s, the rows of a
    ``Gemm``'s weight): where it is known, and so is the size of the flat
    tensor (after a :class:`Flatten` with its channels), the two must agree,
    as PyTorch's "mat1 and mat2 shapes cannot be multiplied" says.
    ``out_features`` is the flat size it gives.

    >>> Dense("gemm", 25088, 4096).text()
    'gemm in=25088 out=4096'
    """

    kind: str = "linear"
    in_features: Optional[int] = None
    out_features: Optional[int] = None

    def __post_init__(self) -> None:
        _word(self.kind, DENSE, "a dense op")
        object.__setattr__(self, "in_features", _features("in_features", self.in_features))
        object.__setattr__(self, "out_features", _features("out_features", self.out_features))

    @property
    def title(self) -> str:
        return DENSE[self.kind]

    @property
    def spatial(self) -> bool:
        return False

    @property
    def needs(self) -> Optional[int]:
        """The flat size this op requires of its input, if any."""
        return self.in_features

    def text(self) -> str:
        items = [f"in={self.in_features}"] * (self.in_features is not None)
        return " ".join([self.kind, *items, *[f"out={self.out_features}"] * (self.out_features is not None)])


@dataclass(frozen=True)
class Concat(Op):
    """Concatenation along the channels (``axis=None``), or along spatial axis ``axis`` (0 is the first)."""

    axis: Optional[int] = None
    arity: ClassVar[tuple[int, Optional[int]]] = (1, None)

    def __post_init__(self) -> None:
        if self.axis is not None:
            _integer("axis", self.axis, f"axis is None (the channels) or a spatial axis, 0 to {MAX_AXES - 1}", low=0)

    @property
    def title(self) -> str:
        return "Concat"

    @property
    def spatial(self) -> bool:
        return self.axis is not None

    def along(self, axis: int) -> Step:
        return ConcatStep(summed=axis == self.axis)

    def text(self) -> str:
        return "cat" if self.axis is None else f"cat axis={self.axis}"


@dataclass(frozen=True)
class Elementwise(Op):
    """An element-wise op (``add``, ``mul``, ...) whose inputs broadcast: equal sizes, or 1."""

    kind: str = "add"
    arity: ClassVar[tuple[int, Optional[int]]] = (1, None)

    def __post_init__(self) -> None:
        _word(self.kind, ELEMENTWISE, "an element-wise op")

    @property
    def title(self) -> str:
        return self.kind.capitalize()

    @property
    def spatial(self) -> bool:
        return False

    def along(self, axis: int) -> Step:
        return BroadcastStep()

    def text(self) -> str:
        return self.kind


JOINS = (Concat, Elementwise)

__all__ = ["Op", "Input", "LayerOp", "Pad", "Slice", "Fixed", "Identity", "Flatten", "Dense", "Concat", "Elementwise",
           "JOINS", "FIXED", "SHAPE_PRESERVING", "ELEMENTWISE", "DENSE", "TITLES", "MAX_AXES", "RESERVED_AXES"]
