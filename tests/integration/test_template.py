"""template.yaml: cfn-lint clean, no dependency cycle once SAM expands it, least privilege."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from tests.support import ROOT, published_metrics, upload_suffixes

TEMPLATE = ROOT / "template.yaml"


def load() -> dict[str, Any]:
    template, errors = decode(str(TEMPLATE))
    assert not errors
    assert template is not None
    return dict(template)


def function() -> dict[str, Any]:
    return dict(load()["Resources"]["ExportFunction"]["Properties"])


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- dependency cycles (cfn-lint skips the ones that involve SAM resources) -------------------
class NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def expanded(template: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(template)
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts/function.zip"
    return dict(transform(template, {}, NoManagedPolicies())["Resources"])


def references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                yield from (name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text))
                yield from references(inner[1] if isinstance(inner, list) else {})
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def cycle(resources: dict[str, Any]) -> list[str] | None:
    graph = {
        name: {ref for ref in references(body) if ref in resources}
        | set(
            body.get("DependsOn", [])
            if isinstance(body.get("DependsOn"), list)
            else [body["DependsOn"]]
            if body.get("DependsOn")
            else []
        )
        for name, body in resources.items()
    }
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*path, node, target]
            if target not in state:
                found = visit(target, [*path, node])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def test_the_expanded_template_has_no_dependency_cycle() -> None:
    template = yaml_parse(TEMPLATE.read_text())
    assert cycle(expanded(template)) is None


def test_the_cycle_check_finds_the_classic_s3_trap() -> None:
    """A direct S3 event plus a policy naming the bucket: Bucket → Function → Role → Bucket."""
    template = yaml_parse(TEMPLATE.read_text())
    events = template["Resources"]["ExportFunction"]["Properties"]["Events"]
    events["Upload"] = {
        "Type": "S3",
        "Properties": {"Bucket": {"Ref": "InputBucket"}, "Events": "s3:ObjectCreated:*"},
    }
    del template["Resources"]["InputBucket"]["Properties"]["NotificationConfiguration"]
    found = cycle(expanded(template))
    assert found is not None
    assert "InputBucket" in found
    assert "ExportFunctionRole" in found


# -- what is deployed --------------------------------------------------------------------------
def test_the_function_is_the_one_in_this_repository() -> None:
    assert function()["CodeUri"] == "function/"
    assert function()["Handler"] == "index.handler"
    assert (ROOT / "function" / "index.py").is_file()
    settings = load()["Globals"]["Function"]
    assert settings["Runtime"] in ("python3.12", "python3.13")
    assert settings["MemorySize"] == 256


def test_uploads_trigger_only_under_the_input_prefix_for_every_accepted_format() -> None:
    pattern = function()["Events"]["Upload"]["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    wildcards = [rule["wildcard"]["Fn::Sub"] for rule in pattern["detail"]["object"]["key"]]
    assert all(rule.startswith("${InputPrefix}*.") for rule in wildcards)
    suffixes = {rule.removeprefix("${InputPrefix}*") for rule in wildcards}
    assert suffixes == upload_suffixes()  # every format the readers accept, no more
    parameters = load()["Parameters"]
    assert not parameters["ExportPrefix"]["Default"].startswith(
        parameters["InputPrefix"]["Default"]
    )


def test_the_input_prefix_reaches_the_function() -> None:
    """The function ignores what lies outside INPUT_PREFIX: the same prefix as the trigger's."""
    assert function()["Environment"]["Variables"]["INPUT_PREFIX"] == {"Ref": "InputPrefix"}


# -- one API quota for every instance: the fleet is bounded (docs/fleet.md) --------------------
def test_the_fleet_is_bounded_by_parameters_with_defaults() -> None:
    parameters = load()["Parameters"]
    reserved, queue = parameters["ReservedConcurrency"], parameters["QueueMaximumConcurrency"]
    assert reserved["Type"] == queue["Type"] == "Number"
    # Lambda refuses a queue maximum below 2; the queue's is below the function's, so an
    # upload still finds an instance while the queue is busy.
    assert queue["MinValue"] == 2
    assert queue["MinValue"] <= queue["Default"] < reserved["Default"]
    assert reserved["MinValue"] >= queue["MinValue"]
    # ...and SAM carries both to the function and to the queue's event source mapping.
    resources = expanded(yaml_parse(TEMPLATE.read_text()))
    (lambda_function,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    assert lambda_function["Properties"]["ReservedConcurrentExecutions"] == {
        "Ref": "ReservedConcurrency"
    }
    (mapping,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mapping["Properties"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "QueueMaximumConcurrency"}
    }


def test_the_topic_and_the_queues_are_encrypted_at_rest() -> None:
    resources = load()["Resources"]
    assert resources["OutcomeTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "OutcomeKey"}
    key = resources["OutcomeKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    # The alarms publish to the topic, which they can only with a key whose policy lets them.
    (alarms,) = [
        statement
        for statement in key["KeyPolicy"]["Statement"]
        if statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(alarms["Action"])
    # ...and so does the function, through its role.
    statements = {s["Sid"]: s for s in function()["Policies"][0]["Statement"]}
    assert statements["PublishEncrypted"]["Resource"] == {"Fn::GetAtt": ["OutcomeKey", "Arn"]}
    assert {"kms:GenerateDataKey", "kms:Decrypt"} <= set(statements["PublishEncrypted"]["Action"])
    for queue in ("RequestQueue", "RequestDeadLetters"):
        assert resources[queue]["Properties"]["SqsManagedSseEnabled"] is True


def test_every_skipped_checkov_check_says_why() -> None:
    skips = [
        (name, skip)
        for name, resource in load()["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips  # the queues' encryption check at least (SSE-SQS, not KMS)
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
        assert len(skip.get("comment", "")) > 20, (name, skip["id"])


def test_the_schedule_asks_for_discovery_and_is_off_by_default() -> None:
    nightly = function()["Events"]["Nightly"]["Properties"]
    assert nightly["Input"] == '{"discover": {}}'
    assert load()["Parameters"]["NightlyDiscovery"]["Default"] == "false"


def test_the_queue_reports_partial_failures_and_has_a_dead_letter_queue() -> None:
    requests = function()["Events"]["Requests"]["Properties"]
    assert requests["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = load()["Resources"]["RequestQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["RequestDeadLetters", "Arn"]
    }
    assert queue["VisibilityTimeout"] >= 6 * load()["Globals"]["Function"]["Timeout"]


@pytest.mark.parametrize(
    ("sid", "actions", "resource"),
    [
        (
            "ReadUploads",
            ["s3:GetObject", "s3:GetObjectVersion"],
            "${InputBucket.Arn}/${InputPrefix}*",
        ),
        (
            "WriteExports",
            ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"],  # merged: read back
            "${InputBucket.Arn}/${ExportPrefix}*",
        ),
    ],
)
def test_storage_access_is_limited_to_its_prefix(
    sid: str, actions: list[str], resource: str
) -> None:
    statements = {s["Sid"]: s for s in function()["Policies"][0]["Statement"]}
    assert statements[sid]["Action"] == actions
    assert statements[sid]["Resource"] == {"Fn::Sub": resource}


def test_listing_publishing_and_the_secret_are_scoped() -> None:
    policies = function()["Policies"]
    listing = {s["Sid"]: s for s in policies[0]["Statement"]}["SeeEarlierExports"]
    assert listing["Condition"]["StringLike"]["s3:prefix"] == {"Fn::Sub": "${ExportPrefix}*"}
    assert policies[1] == {
        "SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["OutcomeTopic", "TopicName"]}}
    }
    assert policies[2] == {
        "AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": {"Ref": "HuaweiCredentials"}}
    }
    variables = function()["Environment"]["Variables"]
    assert variables["HUAWEI_CREDENTIALS_SECRET"] == {"Ref": "HuaweiCredentials"}
    assert not {"CLOUD_SDK_AK", "CLOUD_SDK_SK"} & set(variables)  # no keys in plain sight


def test_no_real_secret_is_in_the_template() -> None:
    secret = load()["Resources"]["HuaweiCredentials"]["Properties"]["SecretString"]
    assert secret == '{"ak": "", "sk": ""}'


ALARMS = {
    "FailedBatchesAlarm": "BatchesFailed",
    "InconsistentSourcesAlarm": "SourcesInconsistent",
    "NewlyInconsistentSourcesAlarm": "SourcesNewlyInconsistent",
}


def test_every_alarm_is_one_checked_here() -> None:
    alarms = {
        name
        for name, resource in load()["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert alarms == set(ALARMS)


@pytest.mark.parametrize(("alarm", "metric"), sorted(ALARMS.items()))
def test_alarms_watch_the_functions_metrics_and_tell_the_outcome_topic(
    alarm: str, metric: str
) -> None:
    from sms_export.core.metric_values import DIMENSION_SETS

    template = load()
    properties = template["Resources"][alarm]["Properties"]
    assert properties["MetricName"] == metric
    assert metric in published_metrics()  # a metric the function writes, by that name
    assert properties["Namespace"] == {"Ref": "MetricsNamespace"}
    # The alarm's series is one the function writes: its namespace and dimensions.
    variables = function()["Environment"]["Variables"]
    assert variables["METRICS"] == "emf"
    assert variables["METRICS_NAMESPACE"] == {"Ref": "MetricsNamespace"}
    names = [dimension["Name"] for dimension in properties["Dimensions"]]
    assert tuple(names) in DIMENSION_SETS
    assert properties["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "ExportFunction"}}
    ]
    assert (properties["ComparisonOperator"], properties["Threshold"]) == (
        "GreaterThanThreshold",
        0,
    )
    assert properties["Statistic"] == "Sum"
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmActions"] == [{"Ref": "OutcomeTopic"}]
