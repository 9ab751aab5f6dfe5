"""Documentation a test keeps true (sqlite-utils' tests/test_docs.py is the model): every
command and option of the command line stands in the README's command table, and the test
suite keeps its own rule that tests share through conftest.py and helpers, never by importing
another test module."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from copernica_core.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def command_table() -> dict[str, str]:
    """The README's command table: each command's first cell, by command name."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {re.match(r"\| `([\w-]+)", row).group(1): row.split(" | ")[0] + " | " + row.split(" | ")[1]
            for row in rows}


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_and_option_is_in_the_readme(command):
    table = command_table()
    assert command in table, f"the README's command table has no row for `{command}`"
    options = [o for a in commands()[command]._actions for o in a.option_strings if o.startswith("--")]
    missing = [o for o in options if o != "--help" and o not in table[command]]
    assert not missing, f"`{command}` has options the README's table does not name: {missing}"


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_and_argument_has_help(command):
    """`python -m copernica_core COMMAND --help` explains each option, as the README does."""
    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert {a.dest: a.help for a in sub._choices_actions}.get(command), f"`{command}` has no help line"
    parser = commands()[command]
    silent = [a.option_strings or a.dest for a in parser._actions
              if not isinstance(a, argparse._HelpAction) and not a.help]
    assert silent == [], f"`{command}` has arguments without help text: {silent}"


def test_the_readme_names_no_command_that_does_not_exist():
    assert set(command_table()) <= set(commands())


def test_no_test_module_imports_another():
    """Shared fixtures live in conftest.py, shared helpers in helpers.py and factories.py."""
    offenders = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)} imports {node.module}")
    assert not offenders
    assert len(list((ROOT / "tests").rglob("test_*.py"))) > 20  # it did look at the suite


def test_every_module_of_the_library_is_in_the_readmes_layout():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("```", 2)[1]
    core = ROOT / "copernica_core"
    modules = [p.stem for p in [*core.glob("*.py"), *core.glob("store/*.py")] if p.stem != "__init__"]
    assert len(modules) > 20
    assert [m for m in modules if not re.search(rf"\b{m}\b", layout)] == []


def test_every_setting_is_in_the_readme():
    from copernica_core.config import DEFAULTS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(DEFAULTS) > 15
    assert [name for name in DEFAULTS if f"`{name}`" not in readme] == []
