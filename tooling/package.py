"""`make package`: dist/functiongraph.zip for FunctionGraph's Python runtime.

The zip holds the code at its root (FunctionGraph's handler is `index.handler`) and the
pinned runtime requirements but boto3 (Lambda's), vendored as manylinux wheels for the
chosen Python, less what no import path of the function reaches (LEFT_OUT, each with its
reason). It holds no tests and no caches, and the same inputs always give the same bytes:
entries are sorted, timestamps and permissions fixed, nothing is compiled.

    python tooling/package.py                 # Python 3.12 (FunctionGraph's default here)
    python tooling/package.py --python 3.10   # the other runtime FunctionGraph offers
    python tooling/package.py --local         # for this machine's Python (tests use it)
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTION = ROOT / "function"
PLATFORM = "manylinux2014_x86_64"  # glibc 2.17: the oldest FunctionGraph may run on
FIXED_TIME = (1980, 1, 1, 0, 0, 0)

# What pip installs that the zip leaves out, and why that is safe: a pattern (fnmatch,
# matched from the zip's root against a file's path and each folder above it; `*` crosses
# folders, so `*/tests` is a tests folder at any depth below the root). Measured on the
# function's end-to-end runs (an OBS upload of CSV and of xlsx, a timer's discovery, a
# direct event, with Cloud Eye metrics and an SMN notification) and its region look-ups,
# by listing sys.modules afterwards: none of these is loaded, but for libyaml's binding,
# which yaml imports where it finds it and the SDK never uses. tests/integration/
# test_package.py runs each runtime's zip end to end, so a wrong entry here fails there.
LEFT_OUT: dict[str, str] = {
    # -- nothing runs it there --
    "*.pyc": "byte code (pip runs with --no-compile, but a cache would differ per build): "
    "the runtime compiles what it imports",
    "bin": "console scripts (pip's entry points): nobody can run them in FunctionGraph",
    "*/tests": "the libraries' own test suites (simplejson, certifi): never imported",
    "*.c": "sources of compiled extensions (bson's): the compiled .so ships beside them",
    "*.h": "headers of those sources",
    "*.pyi": "type stubs (pydantic_core, typing_inspection): read by type checkers only",
    "*.dist-info/RECORD": "pip's list of installed files, to uninstall them: nobody "
    "uninstalls from the zip, and after this table it would list files that are not "
    "there (importlib.metadata's version() reads METADATA, which stays)",
    # -- pymongo: huaweicloudsdkcore requires it for bson alone --
    "pymongo": "MongoDB's driver: huaweicloudsdkcore.client imports `bson` (shipped in "
    "pymongo's wheel, kept, with pymongo's dist-info for its licence), never pymongo",
    "gridfs": "pymongo's GridFS, imported by nobody here",
    "dns": "dnspython, pymongo's dependency for mongodb+srv:// look-ups: bson never "
    "imports it, nor does anything else in the zip",
    "dnspython-*.dist-info": "dnspython's metadata (the package itself is left out)",
    # -- Cloud Eye: the function calls v1 only --
    "huaweicloudsdkces/v2": "Cloud Eye's v2 API (2.5 MB unpacked): the function imports "
    "huaweicloudsdkces.v1 (sms_export/adapters/cloudeye.py), whose modules import no other "
    "version, and huaweicloudsdkces/__init__.py is empty",
    "huaweicloudsdkces/v3": "Cloud Eye's v3 API: as v2",
    # -- compiled accelerators never used --
    "yaml/_yaml.*": "libyaml's C binding (3 MB unpacked): huaweicloudsdkcore.region.cache "
    "reads regions.yaml with yaml.safe_load, the pure-Python SafeLoader (the binding "
    "serves only CLoader and friends), and yaml/__init__.py falls back without it",
    "_yaml": "the shim re-exporting that binding under its old name",
    # -- unreached parts of pydantic --
    "pydantic/v1": "the Pydantic 1 API, kept for migrations: the function's models are "
    "Pydantic 2; pydantic imports pydantic.v1 only for a type with "
    "`__get_validators__` (none in function/) and for names removed in 2.0",
    "pydantic/mypy.py": "pydantic's mypy plugin: loaded by mypy only",
    # -- never installed today, left out should a dependency bring it back --
    "cryptography": "not required by huaweicloudsdkcore 3.1.219; requests imports it only "
    "where the ssl module lacks SNI (never on CPython 3.10+), requests_toolbelt only in "
    "adapters.x509, which the SDK does not import (it imports MultipartEncoder)",
    "cryptography-*.dist-info": "cryptography's metadata",
}


# Lambda's own: FunctionGraph reaches OBS through Huawei's OBS SDK, so the zip carries no
# boto3, botocore or s3transfer (21 MB of the 24 it was).
LAMBDA_ONLY = {"boto3"}


def functiongraph_requirements(target: Path) -> Path:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.split("==")[0].strip() not in LAMBDA_ONLY]
    path = target / "requirements-functiongraph.txt"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def vendor(target: Path, requirements: Path, python: str | None) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "--disable-pip-version-check",
        "--target",
        str(target),
        "--requirement",
        str(requirements),
    ]
    if python is not None:
        command += [
            "--platform",
            PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            python,
            "--only-binary=:all:",
        ]
    subprocess.run(command, check=True)


def left_out(entry: str) -> str | None:
    """The LEFT_OUT pattern that leaves out `entry` (a path inside the zip), if any."""
    parts = entry.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        for pattern in LEFT_OUT:
            if fnmatch.fnmatchcase(prefix, pattern):
                return pattern
    return None


def files_to_zip(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and left_out(path.relative_to(root).as_posix()) is None
    )


def write_zip(root: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files_to_zip(root):
            entry = zipfile.ZipInfo(path.relative_to(root).as_posix(), FIXED_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes(), compresslevel=9)


def build(output: Path, python: str | None) -> Path:
    with tempfile.TemporaryDirectory(prefix="functiongraph-") as work:
        staging = Path(work) / "code"
        staging.mkdir()
        vendor(staging, functiongraph_requirements(Path(work)), python)
        shutil.copy2(FUNCTION / "index.py", staging / "index.py")
        shutil.copytree(
            FUNCTION / "sms_export",
            staging / "sms_export",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        write_zip(staging, output)
    return output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--python",
        default="3.12",
        choices=["3.10", "3.12"],
        help="FunctionGraph runtime to build for (default 3.12)",
    )
    target.add_argument(
        "--local", action="store_true", help="build for this machine's Python instead"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "dist" / "functiongraph.zip")
    arguments = parser.parse_args()
    output = build(arguments.output, None if arguments.local else arguments.python)
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    print(f"{output} ({output.stat().st_size / 1e6:.1f} MB, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
