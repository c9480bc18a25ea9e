"""`make package`: dist/functiongraph.zip for FunctionGraph's Python runtime.

The zip holds the code at its root (FunctionGraph's handler is `index.handler`) and the
pinned runtime requirements but boto3 (Lambda's), vendored as manylinux wheels for the
chosen Python. It holds
no tests and no caches, and the same inputs always give the same bytes: entries are
sorted, timestamps and permissions fixed, nothing is compiled.

    python tooling/package.py                 # Python 3.12 (FunctionGraph's default here)
    python tooling/package.py --python 3.10   # the other runtime FunctionGraph offers
    python tooling/package.py --local         # for this machine's Python (tests use it)
"""

from __future__ import annotations

import argparse
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
LEFT_OUT = {"__pycache__", "bin"}  # caches, and console scripts nobody can run there


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


def files_to_zip(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not LEFT_OUT & set(path.relative_to(root).parts)
        and path.suffix != ".pyc"
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
