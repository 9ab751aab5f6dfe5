"""The layering docs/architecture.md describes, held by a test: the library never imports
Streamlit, and storage imports nothing above it (so a later store can replace it behind one
interface)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "copernica_core"
# What storage may build on: records, secrets and their encryption, validation, errors.
BELOW_STORAGE = {"db", "crypto", "errors", "models", "secret", "validation", "config"}


def imports(module: str) -> set[str]:
    """The modules `module` imports: package-relative ones by their own name, others by their top package."""
    found = set()
    for node in ast.walk(ast.parse((CORE / f"{module}.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                found |= {node.module} if node.module else {a.name for a in node.names}
            else:
                found.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
    return found


@pytest.mark.parametrize("module", ["store", "db"])
def test_storage_imports_nothing_above_it(module):
    package = {p.stem for p in CORE.glob("*.py")}
    ours = imports(module) & package
    assert ours and ours <= BELOW_STORAGE, ours - BELOW_STORAGE


def test_the_library_never_imports_streamlit():
    modules = [p.stem for p in CORE.glob("*.py")]
    assert len(modules) > 20
    assert [m for m in modules if "streamlit" in imports(m)] == []
