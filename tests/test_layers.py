"""The layers point one way (README "Architecture"): every import of every module, functions'
included, is walked with ``ast``; a cycle between top-level folders or an arrow pointing up fails.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lower number, lower layer. A folder may import its own layer or any below it.
LAYER = {
    "rules": 0,
    "evidence": 0,
    "efirma": 0,
    "core": 1,
    "schema": 1,
    "mailer": 2,
    "workflow": 2,
    "workers": 3,
    "review": 3,
    "cli": 3,
}
# Third-party packages that no folder below this layer may import.
THIRD_PARTY_FLOOR = {
    "sqlalchemy": 1,
    "sqlmodel": 1,
    "alembic": 1,
    "psycopg": 1,
    "celery": 3,
    "kombu": 3,
    "redis": 3,
    "fastapi": 3,
    "starlette": 3,
    "uvicorn": 3,
}


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def arrows(root: Path) -> dict[tuple[str, str], str]:
    """(importer folder, imported top-level name) -> the first place it happens."""
    found: dict[tuple[str, str], str] = {}
    for folder in LAYER:
        for path in sorted((root / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic's revisions are generated against schema, by design
            for name, line in _imports(path):
                if name != folder:
                    found.setdefault((folder, name), f"{path.relative_to(root)}:{line}")
    return found


def violations(root: Path) -> list[str]:
    """Every upward arrow, library used below its floor, and cycle between folders."""
    found = arrows(root)
    problems = [
        f"{where}: {src} (layer {LAYER[src]}) imports {dst} (layer {LAYER[dst]})"
        for (src, dst), where in found.items()
        if dst in LAYER and LAYER[dst] > LAYER[src]
    ]
    problems += [
        f"{where}: {src} imports {package}"
        for (src, package), where in found.items()
        if package in THIRD_PARTY_FLOOR and LAYER[src] < THIRD_PARTY_FLOOR[package]
    ]
    edges: dict[str, set[str]] = {folder: set() for folder in LAYER}
    for src, dst in found:
        if dst in LAYER:
            edges[src].add(dst)

    def way_back(start: str, goal: str, seen: set[str]) -> list[str] | None:
        for nxt in sorted(edges[start]):
            if nxt == goal:
                return [start, nxt]
            if nxt not in seen:
                seen.add(nxt)
                rest = way_back(nxt, goal, seen)
                if rest:
                    return [start, *rest]
        return None

    cycles = {" -> ".join(c) for f in sorted(LAYER) if (c := way_back(f, f, set())) is not None}
    return problems + [f"cycle: {c}" for c in sorted(cycles)]


def test_every_top_level_package_has_a_layer():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages <= set(LAYER), f"give these a layer: {sorted(packages - set(LAYER))}"


def test_the_layers_point_one_way():
    assert violations(ROOT) == []


def test_a_cycle_an_upward_arrow_and_a_misplaced_library_are_caught(tmp_path: Path):
    for folder, source in {
        "workflow": "from workers.tasks import x\n",
        "workers": "def f():\n    import workflow.dispatch\n",
        "evidence": "import sqlalchemy\n",
    }.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text(source)
    found = violations(tmp_path)
    assert "workflow/m.py:1: workflow (layer 2) imports workers (layer 3)" in found
    assert "evidence/m.py:1: evidence imports sqlalchemy" in found
    assert "cycle: workers -> workflow -> workers" in found
    assert "cycle: workflow -> workers -> workflow" in found
