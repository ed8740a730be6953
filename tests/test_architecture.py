"""The package's shape: which subpackage may import which, read from the source with ``ast``.

Every ``import`` statement of every module counts, wherever it stands: at module
level, inside a function (the way a cycle is usually hidden), or under
``if TYPE_CHECKING:``. The layer rules use all of them. The cycle check uses
the imports that run when a module is loaded (module level, not under
``TYPE_CHECKING``), since only those can leave a module half-initialised.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symconv"

#: Subpackages below the presentation layer: models and machinery, which never import a renderer or the CLI.
MODELS = ("symconv.core", "symconv.guide", "symconv.proof", "symconv.schemes", "symconv.layers", "symconv.graphs",
          "symconv.importers")
RENDERERS = ("symconv.present", "symconv.cli")


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    where: str  # "module", "function" or "typing" (under ``if TYPE_CHECKING:``)

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target} ({self.where} level)"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _resolve(name: str) -> str:
    """The deepest module of the package that ``name`` names (``a.b.function`` -> ``a.b``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in MODULES:
            return ".".join(parts[:end])
    return name


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [_resolve(alias.name) for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    # ``from a import b`` imports the submodule a.b when there is one, else a name of a.
    return [_resolve(f"{base}.{alias.name}") if f"{base}.{alias.name}" in MODULES else _resolve(base)
            for alias in node.names]


def _imports(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))
    found: list[Import] = []

    def visit(node: ast.AST, where: str) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.extend(Import(module, target, node.lineno, where) for target in _targets(module, node))
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            where = "function"
        elif isinstance(node, ast.If) and where == "module" and _is_type_checking(node.test):
            for child in node.body:
                visit(child, "typing")
            for child in node.orelse:
                visit(child, where)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, where)

    visit(tree, "module")
    return found


IMPORTS = [edge for module in MODULES for edge in _imports(module)]
INTERNAL = [edge for edge in IMPORTS if _within(edge.target, "symconv")]


def test_the_walker_sees_every_kind_of_import():
    """A graph that missed function-level imports would make the rules below pass for nothing."""
    edges = {(edge.source, edge.target, edge.where) for edge in INTERNAL}
    assert ("symconv.present.render", "symconv.present.figures", "module") in edges
    assert ("symconv.present.document", "symconv.schemes", "function") in edges
    assert ("symconv.proof.theorem", "symconv.proof.certificate", "typing") in edges
    assert {"symconv.core.errors", "symconv.cli", "symconv.present.render"} <= set(MODULES)


@pytest.mark.parametrize("layer", MODELS)
def test_models_never_import_a_renderer_or_the_cli(layer):
    found = [str(edge) for edge in INTERNAL if _within(edge.source, layer)
             and any(_within(edge.target, renderer) for renderer in RENDERERS)]
    assert not found, "models must not import the present layer or the CLI:\n" + "\n".join(found)


def test_core_imports_nothing_from_the_other_subpackages():
    found = [str(edge) for edge in INTERNAL
             if _within(edge.source, "symconv.core") and not _within(edge.target, "symconv.core")]
    assert not found, "symconv.core is the bottom layer:\n" + "\n".join(found)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                walk(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    return cycles


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_module_level_imports_are_acyclic():
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for edge in INTERNAL:
        if edge.where == "module" and edge.target in MODULES and edge.target != edge.source:
            graph[edge.source].add(edge.target)
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize("library, owner", [("jinja2", "symconv.present.render"),
                                            ("markupsafe", "symconv.present.render"),
                                            ("argparse", "symconv.cli"),
                                            ("onnx", "symconv.importers.from_onnx"),
                                            ("torch", "symconv.importers.from_torch"),
                                            ("PIL", "symconv.present.raster")])
def test_one_module_imports_each_outer_library(library, owner):
    found = {edge.source for edge in IMPORTS if _within(edge.target, library)}
    assert found <= {owner}, f"only {owner} imports {library}, not {sorted(found - {owner})}"
