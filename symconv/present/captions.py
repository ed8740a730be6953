"""The words of figures: titles and captions in the guide's wording, for any layer.

The guide captions its figures "Convolving a 3×3 kernel over a 5×5 input padded
with a 1×1 border of zeros using 2×2 strides (i.e., i = 5, k = 3, s = 2 and p = 1)".
These functions say the same of pooling, of transposed convolutions (with their
equivalent direct convolution), of one-dimensional layers and of values that differ
per axis (``5×7``; a padding ``before:after``).

>>> layer = Layer(2, ((5, 3, 2, (1, 1), 1, 0), (7, 3, 2, (1, 2), 1, 0)))
>>> title("pool", layer, ceil_mode=False)
'pooling i = 5×7, k = 3, s = 2, p = 1×1:2'
>>> convolving(Layer(1, ((5, 3, 1, (0, 2), 1, 0),)))
'convolving a kernel of size 3 over an input of size 5 padded with zeros (2 at the end) using unit strides'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from symconv.core import oracle

Values = tuple[int, int, int, tuple[int, int], int, int]  #: i, k, s, (before, after), d, a along one axis


@dataclass(frozen=True)
class Layer:
    """A layer's parameters, checked: one :data:`Values` per axis (1 or 2 of them)."""

    axes: int
    along: tuple[Values, ...]

    def values(self, index: int) -> tuple[Any, ...]:
        return tuple(values[index] for values in self.along)


def _value(values: Sequence[Any]) -> str:
    """``5`` when every axis agrees, else ``5×7``."""
    return str(values[0]) if len(set(values)) == 1 else "×".join(str(v) for v in values)


def _padding_value(pads: Sequence[tuple[int, int]]) -> str:
    """``1``, or per axis ``1`` or ``before:after``: ``1:2×0``."""
    if len({side for pair in pads for side in pair}) == 1:
        return str(pads[0][0])
    return "×".join(str(b) if b == a else f"{b}:{a}" for b, a in pads)


def named(layer: Layer, transposed: bool = False) -> dict[str, Optional[str]]:
    """The layer's values by the guide's letters, in the guide's order; ``d``, and ``a`` when 0, as ``None``."""
    i, k, s, pads, d, a = (layer.values(index) for index in range(6))
    return {"i'" if transposed else "i": _value(i), "k": _value(k), "d": _value(d) if set(d) != {1} else None,
            "s": _value(s), "p": _padding_value(pads), "a": _value(a) if set(a) != {0} else None}


def parameters(values: dict[str, Optional[str]]) -> str:
    """``i = 5, k = 3, s = 2, p = 1``, leaving out ``None``: the title's order puts ``d`` after ``p``."""
    order = [name for name in values if name != "d"] + ["d"]
    return ", ".join(f"{name} = {values[name]}" for name in order if values.get(name) is not None)


def listing(values: dict[str, Any]) -> str:
    """The guide's "i = 5, k = 3, s = 2 and p = 1", leaving out ``None``."""
    shown = [f"{name} = {value}" for name, value in values.items() if value is not None]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def title(operation: str, layer: Layer, ceil_mode: bool) -> str:
    """The figure's title: the layer's values, ``pooling i = 5, k = 3, s = 2``."""
    values = named(layer, transposed=operation == "transposed")
    if operation == "conv":
        return parameters(values)
    if operation == "transposed":
        return f"transposed {parameters(values)}"
    if values["p"] == "0":
        values["p"] = None
    return f"pooling {parameters(values)}" + (", ceil mode" if ceil_mode else "")


def caption(operation: str, layer: Layer, ceil_mode: bool, outputs: Sequence[int], overhang: Sequence[int]) -> str:
    """The figure's caption, in the guide's words; ``outputs`` and ``overhang`` (cells past the padded input
    that ceil-mode windows cover) are the drawn figure's, per axis."""
    if operation == "conv":
        return f"C{convolving(layer)[1:]} (i.e., {listing(named(layer))})."
    if operation == "pool":
        mode = ""
        if ceil_mode:
            by = f"{overhang[0]}×{overhang[1]} cells" if len(overhang) == 2 else _count(overhang[0], "cell")
            mode = ", in ceil mode" + (f": the last windows overhang the padded input by {by}, which they ignore"
                                       if any(overhang) else "")
        values = named(layer)
        if values["p"] == "0":
            values["p"] = None
        return f"P{convolving(layer, window=True)[1:]}{mode} (i.e., {listing(values)})."
    i, k, s, pads, d, a = (layer.values(index) for index in range(6))
    p_prime = tuple((dd * (kk - 1) - b, dd * (kk - 1) - e) for kk, dd, (b, e) in zip(k, d, pads))
    equivalent = Layer(layer.axes, tuple((ii, kk, 1, pp, dd, aa) for ii, kk, pp, dd, aa in zip(i, k, p_prime, d, a)))
    stretched = [oracle.stretched_length(ii, ss - 1) for ii, ss in zip(i, s)]
    two = layer.axes == 2
    given = [_strides(s, two).replace("using", "with")]
    given += [f"padding {_padding_value(pads)}"] if set(pads) != {(0, 0)} else []
    given += [f"output padding {_value(a)}"] if set(a) != {0} else []
    primes = {"ĩ'": _value(stretched) if set(s) != {1} else None, "k'": _value(k),
              "d'": _value(d) if set(d) != {1} else None, "s'": 1, "p'": _padding_value(p_prime)}
    return (
        f"A transposed convolution of {_sized('kernel', k)} over {_sized('input', i)} {_and(given)}"
        f" (i.e., {listing(named(layer, transposed=True))})."
        f" It is equivalent to {convolving(equivalent, zeros=tuple(ss - 1 for ss in s))}"
        f" (i.e., {listing(primes)}), whose output is {_shape(outputs)}."
    )


def _shape(values: Sequence[int]) -> str:
    return "×".join(map(str, values)) if len(values) == 2 else f"of size {values[0]}"


def _sized(noun: str, values: Sequence[int]) -> str:
    """``a 3×3 kernel``, or in 1-D ``a kernel of size 3``."""
    if len(values) == 2:
        return f"a {_shape(values)} {noun}"
    return f"a{'n' if noun[0] in 'aeiou' else ''} {noun} {_shape(values)}"


def convolving(layer: Layer, zeros: tuple[int, ...] = (), window: bool = False) -> str:
    """The guide's wording: "convolving a 3×3 kernel over a 5×5 input padded with ..."."""
    i, k, s, pads, d, a = (layer.values(index) for index in range(6))
    two = layer.axes == 2
    verb = "pooling with" if window else "convolving"
    words = [f"{verb} {_sized('window' if window else 'kernel', k)} over {_sized('input', i)}"]
    if any(zeros):
        plural = "s" if max(zeros) > 1 or len(set(zeros)) > 1 else ""
        words.append(f"(with {_value(zeros)} zero{plural} inserted between inputs)")
    words.append(_pad_words(pads, two))
    if set(a) != {0}:
        if len(set(a)) == 1 and two:
            words.append(f"(with an additional border of size {a[0]} added to the bottom and right edges)")
        elif two:
            sides = [f"{_count(n, noun)} {where}" for n, noun, where in zip(a, ("row", "column"),
                                                                             ("at the bottom", "on the right")) if n]
            words.append(f"(with {_and(sides)} of extra zeros)")
        else:
            words.append(f"(with {_count(a[0], 'additional zero')} at the end)")
    if set(d) != {1}:
        words.append(f"with a dilation factor of {d[0]}" if len(set(d)) == 1 else f"with dilation factors {_value(d)}")
    words.append(_strides(s, two))
    return " ".join(word for word in words if word)


def _strides(s: Sequence[int], two: bool) -> str:
    if set(s) == {1}:
        return "using unit strides"
    return f"using {s[0]}×{s[1]} strides" if two else f"using a stride of {s[0]}"


def _pad_words(pads: Sequence[tuple[int, int]], two: bool) -> str:
    """``padded with a 1×1 border of zeros``, ``cropped by a 1×1 border``, or side by side."""
    sides = [side for pair in pads for side in pair]
    if all(b == e for b, e in pads) and (min(sides) >= 0 or max(sides) <= 0):
        p = [abs(b) for b, _ in pads]
        if max(p) == 0:
            return ""
        if not two:
            return f"padded with {p[0]} zero{'s' if p[0] > 1 else ''} on each side" if sides[0] > 0 else \
                f"cropped by {p[0]} on each side"
        border = f"a {p[0]}×{p[1]} border"
        return f"padded with {border} of zeros" if max(sides) > 0 else f"cropped by {border}"
    names = ("at the top", "at the bottom", "on the left", "on the right") if two else ("at the start", "at the end")
    added = [f"{v} {name}" for v, name in zip(sides, names) if v > 0]
    cut = [f"{-v} {name}" for v, name in zip(sides, names) if v < 0]
    words = [f"padded with zeros ({_and(added)})"] if added else []
    words += [f"cropped ({_and(cut)})"] if cut else []
    return " and ".join(words)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
