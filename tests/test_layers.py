"""The floors of docs/architecture.md as a test: every import in the four packages, read with ast.

- ``curation/`` (the library) imports none of ``filters``, ``tokenizer``, ``pipelines``;
- ``filters/`` and ``tokenizer/`` import, of ours, only ``curation/`` (and themselves);
- nothing outside ``pipelines/`` imports ``apache_beam``, except ``curation/io/paths.py`` (Beam filesystems).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"curation", "filters", "tokenizer", "pipelines"}
ALLOWED = {
    "curation": {"curation"},
    "filters": {"curation", "filters"},
    "tokenizer": {"curation", "tokenizer"},
    "pipelines": OURS,
}
# `python -m curation` must keep working: a three-line shim into the CLI on the top floor.
SHIMS = {"curation/__main__.py"}
BEAM_OUTSIDE_PIPELINES = {"curation/io/paths.py"}


def imported_top_levels(path: Path) -> set[str]:
    """Top-level module names imported anywhere in ``path`` (module level or inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.add(path.relative_to(ROOT).parts[0])  # a relative import stays in its own package
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value.split(".")[0])
    return names


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(OURS))
def test_package_imports_only_lower_floors(package):
    wrong = []
    for path in package_files(package):
        rel = path.relative_to(ROOT).as_posix()
        if rel in SHIMS:
            continue
        bad = (imported_top_levels(path) & OURS) - ALLOWED[package]
        if bad:
            wrong.append(f"{rel} imports {sorted(bad)}")
    assert not wrong, "imports that run up a floor:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", ["curation", "filters", "tokenizer"])
def test_beam_only_on_the_top_floor(package):
    wrong = [path.relative_to(ROOT).as_posix() for path in package_files(package)
             if "apache_beam" in imported_top_levels(path)
             and path.relative_to(ROOT).as_posix() not in BEAM_OUTSIDE_PIPELINES]
    assert not wrong, f"apache_beam imported outside pipelines/: {wrong}"


def test_shim_is_only_a_shim():
    shim = ROOT / "curation" / "__main__.py"
    code = [line for line in shim.read_text().splitlines() if line.strip() and not line.startswith(('"""', "#"))]
    assert len(code) <= 3, code


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from pipelines.cli import main\n    import apache_beam as beam\n")
    assert {"pipelines", "apache_beam"} <= imported_top_levels(bad)
