"""The FunctionGraph package: what is in it, that it is reproducible, and that it runs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from emulator import EmulatorServer
from tests.support import ACCESS_KEY, ROOT, SECRET_KEY, load_event

PACKAGE = ROOT / "tooling" / "package.py"


def build(output: Path, *arguments: str) -> Path:
    subprocess.run(
        [sys.executable, str(PACKAGE), "--output", str(output), *arguments],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return output


@pytest.fixture(scope="module")
def functiongraph_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("fg") / "functiongraph.zip")  # Python 3.12


@pytest.fixture(scope="module")
def local_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("local") / "functiongraph.zip", "--local")


def names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as opened:
        return opened.namelist()


def test_code_at_the_root_and_dependencies_vendored_for_python_312(functiongraph_zip: Path) -> None:
    entries = names(functiongraph_zip)
    assert "index.py" in entries
    assert "sms_export/flow.py" in entries
    roots = {entry.split("/")[0] for entry in entries}
    assert {
        "huaweicloudsdksms",
        "huaweicloudsdkcore",
        "huaweicloudsdksmn",
        "huaweicloudsdkces",
        "pydantic",
        "pydantic_core",
        "boto3",
        "openpyxl",
    } <= roots
    compiled = [e for e in entries if e.startswith("pydantic_core/") and e.endswith(".so")]
    assert compiled
    assert all("cpython-312-x86_64-linux-gnu" in entry for entry in compiled)


def test_no_tests_no_caches_no_local_tooling(functiongraph_zip: Path) -> None:
    entries = names(functiongraph_zip)
    assert not [e for e in entries if "__pycache__" in e or e.endswith(".pyc")]
    roots = {entry.split("/")[0] for entry in entries}
    assert not roots & {
        "tests",
        "tooling",
        "emulator",
        "localrun",
        "sms_export_cli",
        "events",
        "bin",
    }
    with zipfile.ZipFile(functiongraph_zip) as opened:
        assert {info.date_time for info in opened.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_same_inputs_give_the_same_bytes(local_zip: Path, tmp_path: Path) -> None:
    again = build(tmp_path / "again.zip", "--local")
    assert (
        hashlib.sha256(again.read_bytes()).digest()
        == hashlib.sha256(local_zip.read_bytes()).digest()
    )


@pytest.fixture
def unpacked(local_zip: Path, tmp_path: Path) -> Path:
    target = tmp_path / "code"
    with zipfile.ZipFile(local_zip) as opened:
        opened.extractall(target)
    return target


def test_the_unpacked_package_runs_a_direct_event_in_a_clean_interpreter(
    unpacked: Path, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """No site-packages, no repository: only the standard library and the package."""
    program = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(unpacked)!r})\n"
        "import index\n"
        "assert index.__file__.startswith(sys.path[0]), index.__file__\n"
        "event = json.load(sys.stdin)\n"
        "print(json.dumps(index.handler(event, None)))\n"
    )
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SMS_ENDPOINT": emulator.endpoint,
        "CLOUD_SDK_AK": ACCESS_KEY,
        "CLOUD_SDK_SK": SECRET_KEY,
        "EXPORT_DIR": str(tmp_path / "out"),
    }
    interpreter = Path(sys.base_prefix) / "bin" / "python3"
    result = subprocess.run(
        [str(interpreter), "-I", "-S", "-c", program],
        input=json.dumps(load_event("direct.json")),
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "succeeded"
    assert outcome["rows"]["exported"] == 3
    assert len(emulator.backend.calls) == 1
