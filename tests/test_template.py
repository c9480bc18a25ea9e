"""template.yaml deploys the function as built here, and passes cfn-lint offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


def load() -> dict[str, Any]:
    template, errors = decode(str(TEMPLATE))
    assert not errors
    assert template is not None
    return dict(template)


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_function_is_the_one_in_this_repository() -> None:
    function = load()["Resources"]["ExportFunction"]["Properties"]
    assert function["CodeUri"] == "function/"
    assert function["Handler"] == "index.handler"
    assert (ROOT / "function" / "index.py").is_file()
    runtime = load()["Globals"]["Function"]["Runtime"]
    assert runtime in ("python3.12", "python3.13")


def test_uploads_under_the_input_prefix_trigger_and_exports_cannot() -> None:
    template = load()
    parameters = template["Parameters"]
    rules = template["Resources"]["ExportFunction"]["Properties"]["Events"]["CsvUpload"][
        "Properties"
    ]["Filter"]["S3Key"]["Rules"]
    assert {"Name": "prefix", "Value": {"Ref": "InputPrefix"}} in rules
    input_prefix = parameters["InputPrefix"]["Default"]
    export_prefix = parameters["ExportPrefix"]["Default"]
    assert not export_prefix.startswith(input_prefix)
    assert not input_prefix.startswith(export_prefix)


def test_the_outcome_topic_is_wired() -> None:
    variables = load()["Resources"]["ExportFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["NOTIFY_TOPIC"] == {"Ref": "OutcomeTopic"}
