"""Flat tensors: the size a flatten gives, and the ops that require one size of it.

After a :class:`~symconv.graphs.ops.Flatten` with its channels known, a flat
tensor has ``channels × ∏ sizes`` elements, the product of a spatial tensor's
sizes. A :class:`~symconv.graphs.ops.Dense` with ``in_features`` (or a flatten
with a ``size``, a reshape to a fixed shape) requires that number exactly: a
VGG without adaptive pooling runs only where its last feature map is 7×7.
Such a check couples the input axes (``h·w = 49``), so it is decided apart
from the per-axis sets (:mod:`.joint`).

>>> from symconv.graphs.parse import parse_graph
>>> net = parse_graph("x = input [H, W]; a = pool k=32; f = flatten c=512; g = linear in=25088 out=10")
>>> flat_sizes(net)["f"], flat_sizes(net)["g"]
(Flat(channels=512, tensor='a'), Flat(channels=10, tensor=None))
>>> [(check.node, check.needs, check.flat.tensor) for check in flat_checks(net)]
[('g', 25088, 'a')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from symconv.graphs.graph import Graph
from symconv.graphs.ops import Dense, Flatten, Identity


@dataclass(frozen=True)
class Flat:
    """A flat tensor's size: ``channels`` times the product of spatial ``tensor``'s sizes, or (``tensor`` None)
    the constant ``channels``."""

    channels: int
    tensor: Optional[str] = None

    def value(self, sizes: Mapping[str, Any]) -> int:
        """The size, given the spatial tensors' ``sizes`` by name."""
        total = self.channels
        for size in ([] if self.tensor is None else sizes[self.tensor]):
            total *= size
        return total

    def shown(self, sizes: Mapping[str, Any]) -> str:
        """The size as a product: ``512 × 5 × 10``."""
        return " × ".join(map(str, [self.channels, *([] if self.tensor is None else sizes[self.tensor])]))


@dataclass(frozen=True)
class FlatCheck:
    """Node ``node`` requires its flat input (or, for a flatten, its output) to have ``needs`` elements."""

    node: str
    needs: int
    flat: Flat


def flat_sizes(graph: Graph) -> dict[str, Optional[Flat]]:
    """The size of every flat tensor, where the graph says it (None where it does not)."""
    found: dict[str, Optional[Flat]] = {}
    for node in graph.nodes:
        if graph.tensors[node.name].axes:
            continue
        op, source = node.op, node.inputs[0] if node.inputs else None
        if isinstance(op, Flatten):
            if source is not None and not graph.tensors[source].axes:
                found[node.name] = found.get(source)  # flattening a flat tensor changes nothing
            else:
                found[node.name] = None if op.channels is None else Flat(op.channels, source)
        elif isinstance(op, Dense):
            found[node.name] = None if op.out_features is None else Flat(op.out_features)
        elif isinstance(op, Identity) and source is not None:
            found[node.name] = found.get(source)
        else:
            found[node.name] = None
    return found


def flat_checks(graph: Graph) -> tuple[FlatCheck, ...]:
    """Every op that requires one flat size, with the size it reads."""
    sizes = flat_sizes(graph)
    checks = []
    for node in graph.nodes:
        op = node.op
        needs = getattr(op, "needs", None)
        if needs is None:
            continue
        flat = sizes.get(node.name) if isinstance(op, Flatten) else sizes.get(node.inputs[0])
        if flat is not None:
            checks.append(FlatCheck(node.name, needs, flat))
    return tuple(checks)


__all__ = ["Flat", "FlatCheck", "flat_sizes", "flat_checks"]
