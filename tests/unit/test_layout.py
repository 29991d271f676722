"""The floor plan of the core (issue 11): no import circles, small modules, every package
says what lives in it. The layers themselves are import-linter's contract (.importlinter)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import grimp
import pytest

import failover_sync

ROOT = Path(failover_sync.__file__).parent
MAX_LINES = 400


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages([str(ROOT)], "failover_sync."))


def test_no_import_circles() -> None:
    graph = grimp.build_graph("failover_sync", cache_dir=None, exclude_type_checking_imports=True)
    circles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported == importer or not imported.startswith("failover_sync"):
                continue
            if graph.chain_exists(importer=imported, imported=importer):
                circles.append(f"{importer} <-> {imported}")
    assert circles == []


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


@pytest.mark.parametrize("name", [m for m in _modules() if importlib.util.find_spec(m)])
def test_every_module_has_a_docstring(name: str) -> None:
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree)
    assert docstring, f"{name} has no module docstring"
    if spec.submodule_search_locations:  # a package: what lives here, what it may import
        assert "import" in docstring or name.endswith(".testing"), name
