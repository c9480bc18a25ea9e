"""Boundaries between the parts of the project, checked on the code itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "tests" / "unit"
CLI = ROOT / "tooling" / "sms_export_cli"
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


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_command_line_goes_only_through_the_public_api() -> None:
    reached = {
        f"{path.name}: {name}"
        for path in CLI.glob("*.py")
        for name in imported(path)
        if name.startswith("sms_export.") and name not in CLI_MAY_IMPORT
    }
    assert reached == set()
