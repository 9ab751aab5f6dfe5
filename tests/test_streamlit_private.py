"""The app relies on a few names Streamlit does not promise to keep (docs/architecture.md,
"Pages and navigation"). They are found in the app's own source, so a new one is checked too,
and each must still exist in the installed Streamlit: an upgrade that removes one fails here,
not in a user's browser."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = [ROOT / "dashboard.py", ROOT / "signin.py", *sorted((ROOT / "widgets").glob("*.py")),
       *sorted((ROOT / "pages").glob("*.py"))]
# Read from an object the code gets at run time, which the source alone cannot name.
AT_RUN_TIME = [("streamlit.runtime.scriptrunner", "ScriptRunContext", "fragment_ids_this_run")]


def streamlit_names_used() -> list[tuple[str, str, str | None]]:
    """(module, name, attribute or None) for every `from streamlit.… import name` (and
    `from streamlit import name`) in the app, with each attribute the code reads from it."""
    found = set()
    for path in APP:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("streamlit"):
                for alias in node.names:
                    imported[alias.asname or alias.name] = (node.module, alias.name)
                    found.add((node.module, alias.name, None))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported:
                found.add((*imported[node.value.id], node.attr))
    return sorted(found, key=str)


def resolve(module: str, name: str):
    imported = importlib.import_module(module)
    return getattr(imported, name) if hasattr(imported, name) else importlib.import_module(f"{module}.{name}")


def test_the_app_relies_on_the_private_names_it_is_known_to():
    used = {(m, n, a) for m, n, a in streamlit_names_used() if a}
    assert ("streamlit", "net_util", "_external_ip") in used
    assert ("streamlit.runtime.pages_manager", "PagesManager", "uses_pages_directory") in used


@pytest.mark.parametrize(("module", "name", "attribute"), streamlit_names_used() + AT_RUN_TIME)
def test_every_streamlit_name_the_app_relies_on_still_exists(module, name, attribute):
    found = resolve(module, name)
    if attribute is None:
        return
    fields = getattr(found, "__dataclass_fields__", {})
    assert hasattr(found, attribute) or attribute in fields, f"{module}.{name}.{attribute} is gone: see widgets/"
