"""Boundaries between the parts of the project, checked on the code itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "tests" / "unit"
CLI = ROOT / "tooling" / "sms_export_cli"
FUNCTION = ROOT / "function"
# A module past this has grown a second concern: split it along them.
MAX_MODULE_LINES = 300
CORE = "sms_export.core"
# The core is pure: beside itself and the standard library, only libraries that parse and
# check values in memory (pydantic and its core, openpyxl reading a workbook from a stream).
CORE_MAY_ALSO_IMPORT = ("pydantic", "pydantic_core", "typing_extensions", "openpyxl")
# What an import of the pure unit suite must never load: they start servers and patch
# botocore, and cost half a second before the first test.
OUTSIDE_THE_UNIT_SUITE = ("moto", "boto3", "emulator")
# The command line is a client of the function like any script: its public API, its
# settings and the types its answers are made of.
CLI_MAY_IMPORT = ("sms_export.api", "sms_export.settings", "sms_export.core.models")


def unit_modules() -> list[str]:
    return ["tests.conftest"] + [
        f"tests.unit.{path.stem}" for path in sorted(UNIT.glob("test_*.py"))
    ]


def test_the_unit_suite_loads_neither_moto_nor_boto3_nor_the_emulator() -> None:
    # In a fresh interpreter: this one may have loaded them for another suite.
    probe = (
        "import importlib, sys\n"
        f"for name in {unit_modules()!r}: importlib.import_module(name)\n"
        f"print(','.join(sorted(n for n in {OUTSIDE_THE_UNIT_SUITE!r} if n in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'function'}:{ROOT / 'tooling'}:{ROOT}"},
        timeout=120,
    ).stdout.strip()
    assert loaded == ""


def imported(path: Path, package: str = "") -> set[str]:
    """Every module a file imports, at its top or inside a function; for `from X import y`,
    X and X.y (y may be a module). `package` resolves relative imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            anchor = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [anchor, node.module]))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_command_line_goes_only_through_the_public_api() -> None:
    reached = {
        f"{path.name}: {name}"
        for path in CLI.glob("*.py")
        for name in imported(path)
        if name.startswith("sms_export.")
        and name not in CLI_MAY_IMPORT
        and name.rpartition(".")[0] not in CLI_MAY_IMPORT  # a name imported from one
    }
    assert reached == set()


# -- the function's own shape: each check is a function of a folder, also run on a tiny tree
# made to break it, so that each is seen to fail when it should.
def modules(base: Path) -> dict[str, Path]:
    """The modules under `base` (a folder on the import path), by dotted name."""
    found: dict[str, Path] = {}
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(base).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def long_modules(base: Path) -> dict[str, int]:
    lengths = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in modules(base).items()
    }
    return {name: length for name, length in lengths.items() if length > MAX_MODULE_LINES}


def outside_the_core(base: Path) -> set[str]:
    """What the core's modules import beyond themselves, the standard library and the few
    libraries allowed, as "module: import"."""
    return {
        f"{name}: {target}"
        for name, path in modules(base).items()
        if name == CORE or name.startswith(f"{CORE}.")
        for target in imported(path, package_of(name, path))
        if target.split(".")[0] not in sys.stdlib_module_names
        and target.split(".")[0] not in CORE_MAY_ALSO_IMPORT
        and target != CORE
        and not target.startswith(f"{CORE}.")
    }


def import_graph(base: Path, package: str) -> dict[str, set[str]]:
    """Which of the package's modules each of its modules imports."""
    found = {
        name: path
        for name, path in modules(base).items()
        if name == package or name.startswith(f"{package}.")
    }
    return {
        name: {target for target in imported(path, package_of(name, path)) if target in found}
        - {name}
        for name, path in found.items()
    }


def a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle, as the modules around it (the first one repeated at the end), or
    [] when there is none: a depth-first search meeting a module still on its path."""
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> list[str]:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return []
        path.append(name)
        for target in sorted(graph[name]):
            if cycle := visit(target):
                return cycle
        path.pop()
        done.add(name)
        return []

    for name in sorted(graph):
        if cycle := visit(name):
            return cycle
    return []


def test_no_module_of_the_function_is_over_300_lines() -> None:
    assert long_modules(FUNCTION) == {}


def test_the_core_imports_nothing_outside_itself() -> None:
    assert outside_the_core(FUNCTION) == set()


def test_the_function_has_no_import_circle() -> None:
    graph = import_graph(FUNCTION, "sms_export")
    assert "sms_export.core.readers" in graph["sms_export.api"]  # the graph has edges
    assert a_cycle(graph) == []


def write_tree(base: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return base


def test_the_shape_checks_fail_on_a_tree_made_to_break_them(tmp_path: Path) -> None:
    tree = write_tree(
        tmp_path,
        {
            "sms_export/__init__.py": "",
            "sms_export/core/__init__.py": "",
            # A circle through a relative import and an import inside a function.
            "sms_export/core/a.py": "from . import b\n",
            "sms_export/core/b.py": "def f():\n    from sms_export.core import c\n",
            "sms_export/core/c.py": "import json\nfrom ..core.a import y\n",
            # The core reaching out, from inside a function too.
            "sms_export/core/d.py": "def g():\n    import boto3\n    from sms_export import io\n",
            "sms_export/io.py": "from sms_export.core import d\n" + "\n" * MAX_MODULE_LINES,
        },
    )
    assert long_modules(tree) == {"sms_export.io": MAX_MODULE_LINES + 1}
    assert outside_the_core(tree) == {
        "sms_export.core.d: boto3",
        "sms_export.core.d: sms_export",
        "sms_export.core.d: sms_export.io",
    }
    assert a_cycle(import_graph(tree, "sms_export")) == [
        "sms_export.core.a",
        "sms_export.core.b",
        "sms_export.core.c",
        "sms_export.core.a",
    ]
