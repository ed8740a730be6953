"""Layer kinds: what each kind of layer computes, said once and found by name.

A :class:`LayerKind` says, for one axis of a layer (a :class:`LayerAxis`):

- ``output_size``: its output size, from :mod:`symconv.guide.shapes` (ints in,
  ints out; expressions in, expressions out);
- ``receptive_step``: how the input regions of its outputs follow from those
  of its inputs (:mod:`symconv.layers.regions`);
- ``down_samples``: whether its output floors ``i/s``, so that the residue of
  the input mod ``s`` decides what it drops;
- ``undo``: the input size its output size gives back, the way a skip
  connection's partner layer undoes it (:func:`~symconv.layers.exact_inputs`);
- ``oracle``: its output size by brute force, never by the formula.

Stacks, the text form, receptive fields and decisions ask the kind and never
test its name, so adding a kind is one :func:`register` call here (and its
tests). The kinds are found by name, by the text form's word or by an alias:

>>> [kind.name for kind in layer_kinds()]
['conv', 'pool', 'transposed', 'upsample']
>>> layer_kind("tconv").name, layer_kind("transposed").word
('transposed', 'tconv')
>>> axis = LayerAxis(kernel_size=3, stride=2, padding=(1, 1))
>>> layer_kind("conv").output_size(axis, 5), layer_kind("conv").oracle(axis, 5)
(3, 3)
>>> up = LayerAxis(kernel_size=2, stride=2)
>>> layer_kind("upsample").output_size(up, 5), layer_kind("upsample").oracle(up, 5), layer_kind("upsample").undo(up, 10)
(10, 10, 5)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from symconv.core.errors import ParameterError
from symconv.guide.shapes import conv_output_size, pool_output_size, transposed_output_size
from symconv.layers.regions import Regions, through_scatter, through_window

#: The text form's key for each field of a layer, unless a kind names its own.
STANDARD_KEYS = {"kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d", "output_padding": "op",
                 "ceil_mode": "ceil", "scheme": "scheme"}
#: The words of a field in messages.
LABELS = {"kernel_size": "kernel size", "stride": "stride", "padding": "padding", "dilation": "dilation",
          "output_padding": "output padding", "ceil_mode": "ceil mode", "scheme": "a padding scheme"}
_WORD = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class LayerAxis:
    """One layer's parameters along one axis: what a kind computes with.

    ``padding`` is ``(before, after)``, already resolved from any padding scheme.
    """

    kernel_size: int
    stride: int = 1
    padding: tuple[Any, Any] = (0, 0)
    dilation: int = 1
    output_padding: int = 0
    ceil_mode: bool = False


@dataclass(frozen=True)
class LayerKind:
    """A kind of layer, registered by ``name`` (see the module docstring for each function).

    ``keys`` are the text form's items, ``(key, field)`` in the order they are
    printed; a field's key is its standard one (``k``, ``s``, ...) unless the
    kind names another (upsampling's ``f``). ``word`` is the text form's word
    for the kind (the name unless shorter), ``aliases`` more words accepted on
    input. With ``stride_is_kernel`` the stride defaults to the kernel size, as
    in pooling; a kind without an ``s`` key then always has stride = kernel.

    Decisions assume what the built-in kinds satisfy: the output size is
    nondecreasing in the input size, and linear in it unless the kind
    ``down_samples`` (then it is a floor or ceiling of a linear function over the stride).
    """

    name: str
    keys: tuple[tuple[str, str], ...]
    output_size: Callable[[LayerAxis, Any], Any]
    receptive_step: Callable[[Regions, LayerAxis], Regions]
    down_samples: bool
    undo: Callable[[LayerAxis, Any], Any]
    oracle: Callable[[LayerAxis, int], int]
    word: str = ""
    aliases: tuple[str, ...] = ()
    stride_is_kernel: bool = False

    def __post_init__(self) -> None:
        if not self.word:
            object.__setattr__(self, "word", self.name)

    @property
    def fields(self) -> frozenset[str]:
        """The fields a layer of this kind may set."""
        return frozenset(field for _, field in self.keys)

    def key(self, field: str) -> str:
        """The text form's key for ``field`` (``padding[0]`` counts as ``padding``)."""
        field = field.partition("[")[0]
        for key, name in self.keys:
            if name == field:
                return key
        if field == "stride" and self.stride_is_kernel:
            return self.key("kernel_size")
        return STANDARD_KEYS.get(field, field)

    def default(self, field: str, kernel_size: Any) -> Any:
        """The value ``field`` takes when a layer of this kind does not give it."""
        if field == "stride":
            return kernel_size if self.stride_is_kernel else 1
        return {"padding": (0, 0), "dilation": 1, "output_padding": 0, "ceil_mode": False, "scheme": None}[field]


_KINDS: dict[str, LayerKind] = {}
_WORDS: dict[str, str] = {}  # name, word and aliases -> name


def register(kind: LayerKind) -> LayerKind:
    """Add ``kind`` to the registry; its name, word and aliases must be new lowercase words."""
    if not isinstance(kind, LayerKind):
        raise ParameterError("kind", type(kind).__name__, "expected a LayerKind")
    words = {kind.name, kind.word, *kind.aliases}
    for word in sorted(words):
        if not _WORD.match(word):
            raise ParameterError("kind", word, "a layer kind's name, word and aliases are lowercase ASCII words")
        if word in _WORDS:
            raise ParameterError("kind", word, f"the word is taken by the kind {_WORDS[word]!r}")
    for key, field in kind.keys:
        if field not in STANDARD_KEYS:
            raise ParameterError(f"kind {kind.name} key {key}", field, f"a key sets one of {', '.join(STANDARD_KEYS)}")
    if "kernel_size" not in kind.fields:
        raise ParameterError(f"kind {kind.name}", "keys", "a kind needs a key for kernel_size")
    _KINDS[kind.name] = kind
    _WORDS.update(dict.fromkeys(words, kind.name))
    return kind


def unregister(name: str) -> None:
    """Remove the kind called ``name`` (and its word and aliases) from the registry."""
    kind = layer_kind(name)
    del _KINDS[kind.name]
    for word in [word for word, owner in _WORDS.items() if owner == kind.name]:
        del _WORDS[word]


def layer_kind(word: str) -> LayerKind:
    """The kind with this name, text word or alias.

    >>> layer_kind("dense")
    Traceback (most recent call last):
    ...
    symconv.core.errors.ParameterError: op='dense' is invalid: op must be a layer kind: conv, pool, tconv or upsample
    """
    if isinstance(word, str) and word in _WORDS:
        return _KINDS[_WORDS[word]]
    raise ParameterError("op", word, f"op must be a layer kind: {spelled()}")


def layer_kinds() -> tuple[LayerKind, ...]:
    """Every registered kind, in registration order."""
    return tuple(_KINDS.values())


def spelled(kinds: Any = None) -> str:
    """The text words of ``kinds`` (default: all), as in a sentence: ``conv, pool or tconv``."""
    words = [kind.word for kind in (layer_kinds() if kinds is None else kinds)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def taking(field: str) -> str:
    """The words of the kinds that take ``field``, as in ``pool``, ``conv and pool``."""
    words = [kind.word for kind in layer_kinds() if field in kind.fields]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _keys(*fields: str) -> tuple[tuple[str, str], ...]:
    return tuple((STANDARD_KEYS[field], field) for field in fields)


# ---------------------------------------------------------------- the built-in kinds


def _conv_size(axis: LayerAxis, size: Any) -> Any:
    return conv_output_size(size, axis.kernel_size, axis.stride, axis.padding, axis.dilation)


def _pool_size(axis: LayerAxis, size: Any) -> Any:
    return pool_output_size(size, axis.kernel_size, axis.stride, axis.padding, axis.dilation, axis.ceil_mode)


def _transposed_size(axis: LayerAxis, size: Any) -> Any:
    return transposed_output_size(size, axis.kernel_size, axis.stride, axis.padding, axis.dilation,
                                  axis.output_padding)


def _window_step(regions: Regions, axis: LayerAxis) -> Regions:
    return through_window(regions, axis.kernel_size, axis.stride, axis.padding[0], axis.dilation)


def _scatter_step(regions: Regions, axis: LayerAxis) -> Regions:
    return through_scatter(regions, axis.kernel_size, axis.stride, axis.padding[0], axis.dilation)


def _undo_window(axis: LayerAxis, size: Any) -> Any:
    # The transposed layer with the same parameters gives back the smallest input with this
    # output size: the input itself exactly when the layer drops no remainder.
    return transposed_output_size(size, axis.kernel_size, axis.stride, axis.padding, axis.dilation)


def _undo_scatter(axis: LayerAxis, size: Any) -> Any:
    # The convolution with the same parameters; for upsampling (k = s = f) that is ⌊o/f⌋, a division.
    return conv_output_size(size, axis.kernel_size, axis.stride, axis.padding, axis.dilation)


def _count_windows(axis: LayerAxis, size: int) -> int:
    from symconv.core import oracle

    return oracle.count_positions(size, axis.kernel_size, axis.stride, axis.padding, axis.dilation)


def _count_pool_windows(axis: LayerAxis, size: int) -> int:
    from symconv.core import oracle

    return oracle.count_pool_windows(size, axis.kernel_size, axis.stride, axis.padding, axis.dilation, axis.ceil_mode)


def _count_scattered(axis: LayerAxis, size: int) -> int:
    # Scatter every input through every tap: the full output runs from 0 to the
    # furthest position reached. Then crop the padding and add the output padding.
    reached = {axis.stride * x + axis.dilation * t for x in range(size) for t in range(axis.kernel_size)}
    before, after = axis.padding
    return max(reached) + 1 - before - after + axis.output_padding


def _count_repeated(axis: LayerAxis, size: int) -> int:
    # Nearest upsampling repeats every unit f times.
    return len([unit for unit in range(size) for _ in range(axis.kernel_size)])


CONV = register(LayerKind(
    "conv", _keys("kernel_size", "stride", "padding", "dilation", "scheme"),
    _conv_size, _window_step, True, _undo_window, _count_windows))
POOL = register(LayerKind(
    "pool", _keys("kernel_size", "stride", "padding", "dilation", "ceil_mode", "scheme"),
    _pool_size, _window_step, True, _undo_window, _count_pool_windows, stride_is_kernel=True))
TRANSPOSED = register(LayerKind(
    "transposed", _keys("kernel_size", "stride", "padding", "dilation", "output_padding"),
    _transposed_size, _scatter_step, False, _undo_scatter, _count_scattered, word="tconv"))
# Nearest upsampling by f: o = f i, each output reads one input. Its size, regions
# and undo are a transposed convolution's with k = s = f; its oracle is its own.
UPSAMPLE = register(LayerKind(
    "upsample", (("f", "kernel_size"),),
    _transposed_size, _scatter_step, False, _undo_scatter, _count_repeated, stride_is_kernel=True))
