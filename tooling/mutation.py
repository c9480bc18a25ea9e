"""`make mutation`: mutation testing (mutmut) of the pure core and the batch runner.

mutmut names a module by its path from the project root, stripping only `src/`, while the
tests import `sms_export` from `function/`. So the run happens in a staged copy, `.mutation/`,
where the package sits under `src/`; the unit tests run against each mutant (seconds each).

    python tooling/mutation.py [module …]     # default: every module in MODULES

Prints, per module, the mutants killed, survived, and the score; the survivors' diffs are
shown by `python tooling/mutation.py --show <module>` (or `mutmut show` inside .mutation/).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutation"
MODULES = (  # paths under function/sms_export, without .py
    "core/batching",
    "core/checkpoint",
    "core/validation",
    "core/readers",
    "core/rows",
    "core/tables",
    "core/workbooks",
    "core/jsonfiles",
    "core/decoding",
    "core/encodings",
    "core/jsontext",
    "core/outcome",
    "core/documents",
    "core/replies",
    "runner",
    "retry",
    "sending_rate",
    "core/verdicts",
    "core/page",
)
# mutmut's statuses: a timeout or a crash (a mutant looping until MemoryError, say) is
# the tests noticing; a mutant no unit test reaches ("no tests") is a survivor.
VERDICTS = {
    "killed": "killed",
    "timeout": "killed",
    "segfault": "killed",
    "survived": "survived",
    "no tests": "survived",
}
PYPROJECT = """\
[tool.mutmut]
source_paths = ["src/sms_export"]
only_mutate = [{only}]
also_copy = ["src", "tooling", "events"]
pytest_add_cli_args_test_selection = ["tests/unit"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]

[tool.pytest.ini_options]
pythonpath = ["src", "tooling", "."]
testpaths = ["tests/unit"]
addopts = "--strict-markers"
"""


def stage(modules: list[str]) -> None:
    if STAGE.exists():
        shutil.rmtree(STAGE)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "function", STAGE / "src", ignore=ignore)
    shutil.copytree(ROOT / "tooling", STAGE / "tooling", ignore=ignore)
    shutil.copytree(ROOT / "events", STAGE / "events")
    shutil.copytree(ROOT / "tests", STAGE / "tests", ignore=ignore)
    only = ", ".join(f'"src/sms_export/{module}.py"' for module in modules)
    (STAGE / "pyproject.toml").write_text(PYPROJECT.format(only=only), encoding="utf-8")


MEMORY_LIMIT = 2 * 1024**3  # bytes per process: the unit tests need a few hundred MB


def _limit_memory() -> None:
    """A mutant that loops while it allocates (say, one that never sees the end of its
    input) fails fast with MemoryError, a kill, instead of swapping the machine for
    minutes before mutmut's own timeout."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def mutmut(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "mutmut"), *arguments]
    return subprocess.run(
        command,
        cwd=STAGE,
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
        preexec_fn=_limit_memory,  # no threads in this process: safe before exec
    )


def statuses() -> dict[str, str]:
    """Each mutant's status, from `mutmut results --all true`: `name: status`."""
    listing = mutmut("results", "--all", "true").stdout
    found = {}
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name.startswith("sms_export."):
            found[name] = status
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES))
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    parser.add_argument("--children", default=str(os.cpu_count() or 2))
    options = parser.parse_args()
    stage(options.modules)
    run = mutmut("run", "--max-children", options.children)
    if run.returncode != 0:
        sys.stderr.write(run.stdout[-4000:] + run.stderr[-4000:])
        return run.returncode
    by_module: dict[str, Counter[str]] = {}
    survivors = []
    for name, status in statuses().items():
        verdict = VERDICTS.get(status, "other")
        by_module.setdefault("/".join(name.split(".")[1:-1]), Counter())[verdict] += 1
        if verdict == "survived":
            survivors.append(f"{name} ({status})")
    print(f"{'module':<18} {'mutants':>7} {'killed':>7} {'survived':>8} {'other':>6} {'score':>6}")
    for module in options.modules:
        counts = by_module.get(module, Counter())
        total, killed, survived = sum(counts.values()), counts["killed"], counts["survived"]
        score = f"{100 * killed / (killed + survived):.0f}%" if killed + survived else "-"
        print(f"{module:<18} {total:>7} {killed:>7} {survived:>8} {counts['other']:>6} {score:>6}")
    for name in survivors:
        print(f"survived: {name}")
        if options.show:
            print(mutmut("show", name.split()[0]).stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
