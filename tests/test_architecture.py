"""The layout holds: dependencies point one way, no two modules import each other, and the case engine names
no case type (docs/adr/0012)."""

from __future__ import annotations

import re
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

from cases.casetypes import case_types

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "yuean", "education", "points", "housing", "permits", "cases", "residents", "notifications", "accounts", "kernel",
)

# Module pairs that import each other, each with the reason it is left so.
CIRCLES_ALLOWED = {
    # The import service queues its own Celery task when the upload commits, and the task calls the service
    # back; the import is inside the function that queues (tests patch the task where it is defined).
    frozenset({"housing.imports", "housing.tasks"}),
}


def _circles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The groups of modules that reach each other through their imports (Tarjan's strongly connected
    components), migrations left out."""
    modules = sorted(m for m in graph.modules if ".migrations" not in m)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if ".migrations" in imported:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(group)

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_dependencies_point_one_way():
    """pyproject.toml's contract: a domain app is never imported by cases, residents, notifications, accounts
    or kernel, and identity never imports residents."""
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_no_two_modules_import_each_other():
    graph = grimp.build_graph(*APPS, cache_dir=None)

    circles = [group for group in _circles(graph) if frozenset(group) not in CIRCLES_ALLOWED]

    assert circles == []


def test_the_circle_check_finds_a_circle():
    graph = grimp.ImportGraph()
    for module in ("app.casetype", "app.services", "app.views"):
        graph.add_module(module)
    graph.add_import(importer="app.casetype", imported="app.services")
    graph.add_import(importer="app.services", imported="app.casetype")
    graph.add_import(importer="app.views", imported="app.services")

    assert _circles(graph) == [{"app.casetype", "app.services"}]


@pytest.mark.parametrize("case_type", [t.key for t in case_types()])
def test_the_case_engine_names_no_case_type(case_type):
    """cases/ offers what the types declare; none of its code or templates names one."""
    quoted = re.compile(rf"""["']{re.escape(case_type)}["']""")
    files = [
        *(ROOT / "cases").rglob("*.py"),
        *(ROOT / "templates" / "cases").rglob("*.html"),
        *(ROOT / "templates" / "admin" / "cases").rglob("*.html"),
    ]

    named_in = [str(f.relative_to(ROOT)) for f in files if "migrations" not in f.parts and quoted.search(f.read_text())]

    assert named_in == []
