"""The documentation stays true and reachable: every setting and every error code the
function has is documented, every relative link and anchor resolves, and the README stays a
short front page linking every page of docs/.

Pure file reading, plus `sms_export.settings` for the names of the settings. Each check is a
function of a folder, run here on the repository and on a broken copy, so that each is
seen to fail when it should.
"""

from __future__ import annotations

import ast
import re
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from sms_export.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 150

# The classes whose first argument (or `code=`) is an error code, and the classes of
# errors.py that give their own code to `super().__init__`.
ERROR_ROOTS = {"SmsExportError", "Problem"}
# Codes the scan must find, so that it can never pass by finding nothing.
KNOWN_CODES = {
    "ConfigurationError",
    "DeadlineReached",
    "DiscoveryFailed",
    "DuplicateColumns",
    "InputTooLarge",
    "InputUnreadable",
    "InternalError",
    "InvalidEvent",
    "InvalidMessage",
    "MissingColumns",
    "NoRows",
    "StorageWriteFailed",
    "StrictValidation",
    "TooManyRows",
    "UnknownEvent",
    "UnreadableFile",
}
CODE = re.compile(r"[A-Z][A-Za-z]+")


# -- settings ----------------------------------------------------------------------------------
def setting_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def table_cells(text: str) -> Iterator[list[str]]:
    for line in text.splitlines():
        if line.startswith("|"):
            yield [cell.strip() for cell in line.strip().strip("|").split("|")]


def undocumented_settings(configuration: Path, names: set[str]) -> set[str]:
    """Settings not named in the first column of a table row of the configuration page."""
    named = {
        found
        for cells in table_cells(configuration.read_text(encoding="utf-8"))
        for found in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
    }
    return names - named


# -- error codes -------------------------------------------------------------------------------
def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def error_classes(trees: list[ast.Module]) -> set[str]:
    """SmsExportError, Problem and every class deriving from one of them, transitively."""
    classes = set(ERROR_ROOTS)
    bases = {
        node.name: {base.id for base in node.bases if isinstance(base, ast.Name)}
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    while True:
        more = {name for name, parents in bases.items() if parents & classes} - classes
        if not more:
            return classes
        classes |= more


def _code_arguments(node: ast.Call, classes: set[str], in_error_class: bool) -> list[ast.expr]:
    """What a call gives as an error code: `Error("Code", …)`, `Problem(code="Code")`, or,
    inside an error class, `super().__init__("Code", …)`."""
    called = _called(node)
    if called in classes:
        return [kw.value for kw in node.keywords if kw.arg == "code"] + node.args[:1]
    own_code = (
        in_error_class
        and called == "__init__"
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Call)
        and _called(node.func.value) == "super"
    )
    return node.args[:1] if own_code else []


def raised_codes(package: Path) -> dict[str, str]:
    """Every error code given as a string literal in the code, with where it was found."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in package.rglob("*.py")}
    classes = error_classes(list(trees.values()))
    found: dict[str, str] = {}
    for path, tree in trees.items():
        for scope in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef))]:
            in_error_class = isinstance(scope, ast.ClassDef) and scope.name in classes
            calls = (node for node in ast.walk(scope) if isinstance(node, ast.Call))
            for node in calls:
                for argument in _code_arguments(node, classes, in_error_class):
                    if (
                        isinstance(argument, ast.Constant)
                        and isinstance(argument.value, str)
                        and CODE.fullmatch(argument.value)
                    ):
                        where = f"{path.relative_to(package.parent)}:{node.lineno}"
                        found.setdefault(argument.value, where)
    return found


def documented_codes(page: Path) -> set[str]:
    """Codes named in the first column of a table row of the failure-modes page."""
    return {
        found
        for cells in table_cells(page.read_text(encoding="utf-8"))
        for found in re.findall(r"`([A-Za-z][A-Za-z.]*)`", cells[0])
    }


def undocumented_codes(package: Path, page: Path) -> dict[str, str]:
    documented = documented_codes(page)
    return {code: where for code, where in raised_codes(package).items() if code not in documented}


# -- links -------------------------------------------------------------------------------------
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text without code blocks and code spans, where nothing is a link or a heading."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def links(page: Path) -> Iterator[str]:
    yield from LINK.findall(prose(page.read_text(encoding="utf-8")))


def broken_links(root: Path) -> list[str]:
    """Relative links of README.md and docs/*.md to a missing file or heading."""
    broken = []
    for page in pages(root):
        for target in links(page):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            name = f"{page.relative_to(root)}: {target}"
            if not resolved.exists():
                broken.append(f"{name} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{name} (no such heading in {resolved.name})")
    return broken


def front_page_problems(root: Path) -> list[str]:
    """A README over the limit, and pages of docs/ it does not link to."""
    readme = root / "README.md"
    problems = []
    lines = len(readme.read_text(encoding="utf-8").splitlines())
    if lines > README_MAX_LINES:
        problems.append(f"README.md has {lines} lines, more than {README_MAX_LINES}")
    linked = {
        (root / target.partition("#")[0]).resolve()
        for target in links(readme)
        if target.partition("#")[0]
    }
    problems += [
        f"docs/{page.name} is not linked from README.md"
        for page in sorted((root / "docs").glob("*.md"))
        if page.resolve() not in linked
    ]
    return problems


# -- the repository ----------------------------------------------------------------------------
def test_every_setting_is_in_the_configuration_page() -> None:
    names = setting_names()
    assert {"MAX_CALLS_PER_SECOND", "INPUT_PREFIX", "HUAWEI_CREDENTIALS_SECRET"} <= names
    assert undocumented_settings(ROOT / "docs" / "configuration.md", names) == set()


def test_the_scan_finds_the_error_codes_the_function_raises() -> None:
    found = raised_codes(ROOT / "function")
    assert set(found) >= KNOWN_CODES, f"the scan missed {KNOWN_CODES - set(found)}"


def test_every_error_code_is_in_the_failure_modes_page() -> None:
    assert undocumented_codes(ROOT / "function", ROOT / "docs" / "failure-modes.md") == {}


def test_every_relative_link_and_anchor_resolves() -> None:
    assert broken_links(ROOT) == []


def test_the_readme_is_a_short_front_page_linking_every_page() -> None:
    assert front_page_problems(ROOT) == []
    assert (ROOT / "docs" / "report-sample.png").exists()
    assert "docs/report-sample.png" in (ROOT / "README.md").read_text(encoding="utf-8")


# -- each check fails when it should -----------------------------------------------------------
@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_setting_missing_from_the_page_is_found(copy: Path) -> None:
    configuration = copy / "docs" / "configuration.md"
    _edit(configuration, "| `MAX_CALLS_PER_SECOND` |", "| MAX_CALLS_PER_SECOND |")
    # Named in prose only is not enough: it must have its row.
    assert undocumented_settings(configuration, setting_names()) == {"MAX_CALLS_PER_SECOND"}


def test_an_error_code_missing_from_the_page_is_found(copy: Path, tmp_path: Path) -> None:
    page = copy / "docs" / "failure-modes.md"
    _edit(page, "| `DuplicateColumns` |", "| Duplicate columns |")
    assert set(undocumented_codes(ROOT / "function", page)) == {"DuplicateColumns"}

    package = tmp_path / "function"
    package.mkdir()
    (package / "errors.py").write_text(
        "class SmsExportError(Exception): ...\n"
        "class InputError(SmsExportError): ...\n"
        "class Late(InputError):\n"
        "    def __init__(self) -> None:\n"
        "        super().__init__('BrandNewLate', 'x')\n",
        encoding="utf-8",
    )
    (package / "flow.py").write_text(
        "from errors import InputError\n"
        "def f(problem):\n"
        "    InputError('BrandNewInput', 'x')\n"
        "    problem(code='NotAProblemClass')\n"
        "    Problem(code='BrandNewProblem', message='x')\n",
        encoding="utf-8",
    )
    assert set(undocumented_codes(package, page)) == {
        "BrandNewLate",
        "BrandNewInput",
        "BrandNewProblem",
    }


def test_broken_links_and_anchors_are_found(copy: Path) -> None:
    _edit(copy / "README.md", "(docs/metrics.md)", "(docs/metric.md)")
    _edit(
        copy / "docs" / "configuration.md",
        "(fleet.md)",
        "(failure-modes.md#no-such-heading)",
    )
    assert broken_links(copy) == [
        "README.md: docs/metric.md (no such file)",
        "docs/configuration.md: failure-modes.md#no-such-heading "
        "(no such heading in failure-modes.md)",
    ]


def test_a_long_readme_and_an_orphan_page_are_found(copy: Path) -> None:
    readme = copy / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8") + "\nmore\n" * README_MAX_LINES, encoding="utf-8"
    )
    (copy / "docs" / "orphan.md").write_text("# Orphan\n", encoding="utf-8")
    problems = front_page_problems(copy)
    assert len(problems) == 2
    assert problems[0].startswith("README.md has ")
    assert problems[1] == "docs/orphan.md is not linked from README.md"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Calls: a batch's `error_code`", "calls-a-batchs-error_code"),
        ("Retries, throttling and the deadline", "retries-throttling-and-the-deadline"),
        ("Deploy to Huawei Cloud (FunctionGraph)", "deploy-to-huawei-cloud-functiongraph"),
        ("The operator's path", "the-operators-path"),
        ("What `make run` does", "what-make-run-does"),
    ],
)
def test_anchors_are_githubs(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor
