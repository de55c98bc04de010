"""Who may import whom: the product never loads the sandbox or the tests, rules never reach
into the store, and benchmarks stand on their own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    """Absolute modules a file imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def offenders(package: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list:
    return sorted(
        (str(path.relative_to(ROOT)), module)
        for path in (ROOT / package).rglob("*.py")
        if str(path.relative_to(ROOT)) not in allowed
        for module in imported_modules(path)
        if module.split(".")[0] in forbidden or module.startswith(forbidden)
    )


@pytest.mark.parametrize("package", ["sync_core", "graphql_api", "bot"])
def test_the_product_imports_neither_the_sandbox_nor_the_tests(package):
    assert offenders(package, ("sandbox", "tests", "bench")) == []


def test_the_cli_loads_the_sandbox_only_for_the_demo_and_the_sandbox_command():
    assert offenders("appventory", ("sandbox", "tests", "bench"), ("appventory/demo.py",)) == [
        ("appventory/cli.py", "sandbox.cli"),  # inside the `sandbox` command
        ("appventory/cli.py", "sandbox.cli.run_sandbox_command"),
    ]
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, appventory.cli; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "'sandbox" not in loaded


def test_insight_rules_decide_on_records_not_on_the_store():
    rules = ("sync_core/insights/rules.py", "sync_core/insights/findings.py")
    for path in rules:
        assert not any(m.startswith("sync_core.store") for m in imported_modules(ROOT / path))


def test_benchmarks_do_not_import_the_tests():
    assert offenders("bench", ("tests",)) == []
