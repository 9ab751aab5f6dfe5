"""The layering docs/architecture.md describes, held by a test: the library never imports
Streamlit, and storage imports nothing above it (so a later store can replace it behind one
interface)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "copernica_core"
# What storage may build on: records, the clock, secrets (and what encrypts them, as a protocol), validation, errors.
BELOW_STORAGE = {"clock", "errors", "models", "secret", "validation", "config"}


STORAGE = CORE / "store"


def imports(path: Path) -> set[str]:
    """The library's modules `path` imports, by their own name (a module of the storage package
    as `store`), and other packages by their top name."""
    found = set()
    in_storage = path.parent == STORAGE
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            level, module = node.level, node.module or ""
            if level == 1 and in_storage:  # a sibling inside the storage package
                found.add("store")
            elif level:
                found |= {module.split(".")[0]} if module else {a.name for a in node.names}
            else:
                found.add(module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
    return found


@pytest.mark.parametrize("path", sorted(STORAGE.glob("*.py")), ids=lambda p: p.name)
def test_storage_imports_nothing_above_it(path):
    package = {p.stem for p in CORE.glob("*.py")}
    ours = imports(path) & package
    assert ours <= BELOW_STORAGE, ours - BELOW_STORAGE


def test_the_library_never_imports_streamlit():
    paths = [*CORE.glob("*.py"), *STORAGE.glob("*.py")]
    assert len(paths) > 20
    assert [p.name for p in paths if "streamlit" in imports(p)] == []


SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK|WITH|REPLACE)\b"
                 r"|\b(FROM|INTO|SET|WHERE)\b.*\b(FROM|VALUES|WHERE|ORDER BY|GROUP BY)\b")


def sql_literals(path: Path) -> list[str]:
    """The string literals in `path` (f-strings' parts too) that read as SQL."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{path.name}:{node.lineno}: {node.value.strip()[:60]}")
    return found


def test_every_sql_statement_lives_in_the_storage_package():
    """One home for SQL (docs/architecture.md, "Data"): the seam where a second engine plugs in."""
    root = CORE.parent
    outside = [*CORE.glob("*.py"), root / "dashboard.py", root / "signin.py", *(root / "widgets").glob("*.py"),
               *(root / "pages").glob("*.py")]
    inside = sorted(STORAGE.glob("*.py"))
    assert sum(len(sql_literals(p)) for p in inside) > 100  # the rule sees SQL where it is
    assert [found for p in outside for found in sql_literals(p)] == []


def test_the_door_and_the_pages_stay_thin():
    """The Workspace checks and delegates (a new capability gets a module of its own); a page reads
    input, calls the core and renders (what grows goes into widgets/ or the core)."""
    root = CORE.parent
    lines = {p.relative_to(root).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in [CORE / "workspace.py", *(root / "pages").glob("*.py")]}
    assert len(lines) > 5
    assert {name: n for name, n in lines.items() if n > (600 if name.endswith("workspace.py") else 200)} == {}
