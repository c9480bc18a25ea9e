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

import package
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
        "huaweicloudsdkobs",
        "pydantic",
        "pydantic_core",
        "openpyxl",
    } <= roots
    assert not roots & {"boto3", "botocore", "s3transfer"}  # OBS has its own SDK
    compiled = [e for e in entries if e.startswith("pydantic_core/") and e.endswith(".so")]
    assert compiled
    assert all("cpython-312-x86_64-linux-gnu" in entry for entry in compiled)


def test_at_most_5_mb_without_what_the_function_never_imports(functiongraph_zip: Path) -> None:
    """tooling/package.py's LEFT_OUT, named here again so that emptying the table fails."""
    assert functiongraph_zip.stat().st_size <= 5 * 1024 * 1024  # 7.6 MB with all of it
    entries = names(functiongraph_zip)
    roots = {entry.split("/")[0] for entry in entries}
    assert not roots & {"pymongo", "gridfs", "dns", "cryptography", "_yaml"}
    assert not [e for e in entries if e.startswith(("dnspython-", "cryptography-"))]
    assert not [
        e for e in entries if e.startswith(("huaweicloudsdkces/v2/", "huaweicloudsdkces/v3/"))
    ]
    assert not [e for e in entries if e.startswith(("yaml/_yaml", "pydantic/v1/"))]
    assert not [e for e in entries if e.endswith(("/RECORD", ".c", ".h", ".pyi"))]
    assert not [e for e in entries if "/tests/" in e]
    # What the function does import stays: bson (huaweicloudsdkcore.client), Cloud Eye's
    # v1, pure-Python yaml (the SDK's region file), pymongo's licence (it covers bson).
    assert {"bson/__init__.py", "huaweicloudsdkces/v1/__init__.py", "yaml/__init__.py"} <= set(
        entries
    )
    assert [e for e in entries if e.startswith("pymongo-") and "/licenses/" in e]
    assert [entry for entry in entries if package.left_out(entry)] == []


@pytest.mark.parametrize(
    ("entry", "pattern"),
    [
        ("pymongo/__init__.py", "pymongo"),
        ("pymongo-4.18.2.dist-info/RECORD", "*.dist-info/RECORD"),
        ("huaweicloudsdkces/v2/model/x.py", "huaweicloudsdkces/v2"),
        ("simplejson/tests/test_dump.py", "*/tests"),
        ("yaml/_yaml.cpython-312-x86_64-linux-gnu.so", "yaml/_yaml.*"),
        ("bin/normalizer", "bin"),
        ("bson/__init__.py", None),
        ("pymongo-4.18.2.dist-info/licenses/LICENSE", None),
        ("huaweicloudsdkces/v1/ces_client.py", None),
        ("yaml/__init__.py", None),
        ("dnsutils/x.py", None),  # a name that starts as a left-out one does is not one
        ("tests/x.py", None),  # `*/tests` is below the root: sms_export has no tests folder
    ],
)
def test_left_out_patterns_match_from_the_root(entry: str, pattern: str | None) -> None:
    assert package.left_out(entry) == pattern


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


# -- each runtime's zip, unpacked, on that runtime's Python, as FunctionGraph runs it --------
RUNTIME_CHECK = """
import json, sys
code = sys.argv[1]
sys.path.insert(0, code)
import index


class Context:  # FunctionGraph's getters, with an agency
    def __init__(self, ak, sk, token):
        self.keys = (ak, sk, token)
    def getRequestID(self): return "fg-request-1"
    def getRemainingTimeInMilliSeconds(self): return 290000
    def getRunningTimeInSeconds(self): return 300
    def getSecurityAccessKey(self): return self.keys[0]
    def getSecuritySecretKey(self): return self.keys[1]
    def getSecurityToken(self): return self.keys[2]
    def getProjectID(self): return "0123456789abcdef0123456789abcdef"
    def getUserData(self, key, default=None): return default
    def getFunctionName(self): return "sms-consistency-export"


event = json.load(sys.stdin)
outcome = index.handler(event, Context("AGENCY-AK", "AGENCY-SK", "AGENCY-TOKEN"))
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("boto3", "botocore"))
assert not loaded, loaded
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None) or ""
    if name.split(".")[0].startswith("huaweicloudsdk") and not path.startswith(code):
        raise AssertionError(f"{name} came from {path}")
print(json.dumps(outcome))
"""


def runtime_python(version: str) -> Path | None:
    """FunctionGraph's runtime's Python on this machine: on PATH, else through pyenv."""
    import shutil

    found = shutil.which(f"python{version}")
    candidates = [Path(found)] if found else []
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True)
    for candidate in candidates:
        works = subprocess.run([str(candidate), "-c", "pass"], capture_output=True, check=False)
        if works.returncode == 0:
            return candidate
    return None


@pytest.mark.parametrize("version", ["3.10", "3.12"])
def test_each_runtimes_zip_runs_an_obs_upload_on_that_runtimes_python(
    version: str,
    functiongraph_zip: Path,
    emulator: EmulatorServer,
    tmp_path: Path,
) -> None:
    """The zip built for the runtime, unpacked, in `python -I -S` of that version (no
    site-packages: nothing but the zip), exports an OBS upload through the OBS SDK to the
    emulator's OBS, signed by the agency, with no boto3 anywhere. SMS, Cloud Eye and SMN
    are found as in production, through the SDK's region look-up (no *_ENDPOINT), here
    answered by a regions file: the one path that imports yaml, which the zip carries
    without libyaml's C binding."""
    python = runtime_python(version)
    if python is None:
        if os.environ.get("REQUIRE_RUNTIMES"):
            pytest.fail(f"no Python {version} here and REQUIRE_RUNTIMES is set (CI)")
        pytest.skip(f"needs Python {version} (on PATH or through pyenv)")
    archive = (
        functiongraph_zip if version == "3.12" else build(tmp_path / "fg.zip", "--python", version)
    )
    code = tmp_path / "code"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(code)
    emulator.backend.credentials = {"AGENCY-AK": "AGENCY-SK"}
    emulator.backend.create_bucket("sms-input-obs")
    sample = (ROOT / "events" / "tasks.csv").read_bytes()
    emulator.backend.put_obs_object("sms-input-obs", "incoming/wave 1/tasks.csv", sample)
    regions = tmp_path / "regions.yaml"
    regions.write_text(
        "".join(
            f"{service}:\n  - id: cn-north-4\n    endpoint: {emulator.endpoint}\n"
            for service in ("sms", "ces", "smn")
        ),
        encoding="utf-8",
    )
    topic = "urn:smn:cn-north-4:0123456789abcdef0123456789abcdef:sms-export-outcomes"
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "HUAWEICLOUD_SDK_REGIONS_FILE": str(regions),
        "NOTIFY_TOPIC": topic,
        "STORAGE_ENDPOINT": "http://obs.cn-north-4.myhuaweicloud.com",
        "HTTP_PROXY": emulator.endpoint,  # the emulator stands in for OBS's host
        "NO_PROXY": "127.0.0.1,localhost",
    }
    result = subprocess.run(
        [str(python), "-I", "-S", "-c", RUNTIME_CHECK, str(code)],
        input=json.dumps(load_event("obs-upload.json")),
        capture_output=True,
        text=True,
        env=environment,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert (outcome["status"], outcome["rows"]["exported"]) == ("partial", 3)
    stored = emulator.backend.obs_buckets["sms-input-obs"].objects
    assert any(key.startswith("consistency-results/") for key in stored)
    assert emulator.backend.auth_failures == []
    assert {item["metric"]["metric_name"] for item in emulator.backend.metric_data} >= {
        "RowsExported"
    }
    assert [message["topic_urn"] for message in emulator.backend.smn_messages] == [topic]
