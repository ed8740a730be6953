"""Importers: real models in, :class:`~symconv.graphs.graph.Graph` out.

Each importer is registered once, in :data:`IMPORTERS`, with the file suffixes
and the kinds of object it reads and the optional extra it needs. Its module
is imported only when it is used, so ``import symconv`` never imports onnx or
torch:

- ``onnx``: :func:`symconv.importers.from_onnx.from_onnx`, ``.onnx`` files and
  ``onnx.ModelProto`` (``pip install 'symconv[onnx]'``);
- ``torch``: :func:`symconv.importers.from_torch.from_torch`, ``torch.nn.Module``
  (``pip install 'symconv[torch]'``).

A new importer is one :func:`register_importer` call:

>>> sorted(IMPORTERS)
['onnx', 'torch']
>>> importer_for("resnet50.onnx").name
'onnx'
>>> importer_for("model.pb")
Traceback (most recent call last):
...
symconv.core.errors.ParameterError: model='model.pb' is invalid: symconv reads .onnx files (onnx)
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import PurePath
from typing import Any, Callable

from symconv.core.errors import ParameterError


@dataclass(frozen=True)
class Importer:
    """One importer: its ``name``, where its function lives (``module``, ``function``), the file
    ``suffixes`` it reads, the ``types`` of object it reads (``"module.Class"``, matched along the
    object's class hierarchy without importing anything), and the pip ``extra`` it needs."""

    name: str
    module: str
    function: str
    suffixes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    extra: str = ""

    def load(self) -> Callable[..., Any]:
        """The importer's function; a missing extra is a one-line error that says what to install."""
        try:
            module = import_module(self.module)
        except ModuleNotFoundError as error:
            missing = error.name or "a package"
            raise ParameterError("model", self.name, f"importing {self.name} models needs the {missing} package:"
                                 f" pip install 'symconv[{self.extra or self.name}]'") from None
        return getattr(module, self.function)

    def reads(self, source: Any) -> bool:
        """Whether ``source`` (a path or an object) is this importer's."""
        if isinstance(source, (str, PurePath)):
            return PurePath(source).suffix.lower() in self.suffixes
        names = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(source).__mro__}
        return bool(names & set(self.types))


IMPORTERS: dict[str, Importer] = {}


def register_importer(importer: Importer) -> Importer:
    """Add ``importer`` to :data:`IMPORTERS` (a name already taken is refused)."""
    if not isinstance(importer, Importer):
        raise ParameterError("importer", type(importer).__name__, "expected an Importer")
    if importer.name in IMPORTERS:
        raise ParameterError("importer", importer.name, "an importer of that name is already registered")
    IMPORTERS[importer.name] = importer
    return importer


register_importer(Importer("onnx", "symconv.importers.from_onnx", "from_onnx", (".onnx",),
                           ("onnx.onnx_ml_pb2.ModelProto", "onnx.onnx_pb.ModelProto", "onnx.ModelProto"), "onnx"))
register_importer(Importer("torch", "symconv.importers.from_torch", "from_torch", (),
                           ("torch.nn.modules.module.Module",), "torch"))


def importer_for(source: Any) -> Importer:
    """The importer that reads ``source``: a path (by its suffix) or a model object (by its class)."""
    for importer in IMPORTERS.values():
        if importer.reads(source):
            return importer
    suffixes = ", ".join(f"{suffix} files ({importer.name})" for importer in IMPORTERS.values()
                         for suffix in importer.suffixes)
    shown = str(source) if isinstance(source, (str, PurePath)) else type(source).__name__
    raise ParameterError("model", shown, f"symconv reads {suffixes}" if isinstance(source, (str, PurePath))
                         else f"symconv imports {', '.join(sorted(IMPORTERS))} models, and this is none of them")


def import_graph(source: Any, *args: Any, **options: Any) -> Any:
    """The :class:`~symconv.graphs.graph.Graph` of ``source``, through the importer that reads it."""
    return importer_for(source).load()(source, *args, **options)


__all__ = ["Importer", "IMPORTERS", "register_importer", "importer_for", "import_graph"]
