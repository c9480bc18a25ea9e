"""The metrics of an outcome, and the EMF document checked against the published spec."""

from __future__ import annotations

import json
import re

import pytest

from sms_export.core.metric_values import emf_document, measurements
from sms_export.core.models import BatchResult, Outcome, RowCounts, SourceVerdict
from sms_export.core.verdicts import summarise

# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
EMF_UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def sample(consistency: bool) -> Outcome:
    batches = [
        BatchResult(index=1, size=5, first=1, last=5, status="exported"),
        BatchResult(index=2, size=5, first=6, last=10, status="failed"),
        BatchResult(index=3, size=2, first=11, last=12, status="pending"),
    ]
    verdicts = [
        SourceVerdict(task_id="t", source_id="s", source_name=name, verdict=verdict)
        for name, verdict in (("a", "inconsistent"), ("b", "consistent"), ("c", "inconsistent"))
    ]
    return Outcome(
        status="partial",
        trigger="storage",
        input="s3://b/k.csv",
        request_id="r",
        rows=RowCounts(received=14, valid=12, rejected=2, exported=5),
        batches=batches,
        consistency=summarise(verdicts) if consistency else None,
        duration_ms=1234,
    )


def test_the_measurements_of_an_outcome() -> None:
    found = {m.name: (m.value, m.unit) for m in measurements(sample(consistency=True))}
    assert found == {
        "RowsReceived": (14, "Count"),
        "RowsRejected": (2, "Count"),
        "RowsExported": (5, "Count"),
        "BatchesFailed": (1, "Count"),  # pending batches are not failed: a retry starts them
        "DurationMs": (1234, "Milliseconds"),
        "SourcesInconsistent": (2, "Count"),
    }
    without = {m.name for m in measurements(sample(consistency=False))}
    assert "SourcesInconsistent" not in without
    assert len(without) == 5


@pytest.mark.parametrize("consistency", [True, False])
def test_the_emf_document_follows_the_specification(consistency: bool) -> None:
    document = emf_document(sample(consistency), "SmsExport.Consistency", "fn-1", 1_796_000_000_000)
    line = json.dumps(document)
    assert "\n" not in line  # one log event, nothing before or after it
    metadata = document["_aws"]
    assert isinstance(metadata, dict)
    assert metadata["Timestamp"] == 1_796_000_000_000
    (directive,) = metadata["CloudWatchMetrics"]
    assert re.fullmatch(r"[^:].{0,254}", directive["Namespace"])
    assert not directive["Namespace"].startswith("AWS/")
    by_trigger, whole = directive["Dimensions"]  # per trigger, and for the function
    assert (by_trigger, whole) == (["FunctionName", "Trigger"], ["FunctionName"])
    for name in by_trigger:  # every dimension a root member holding a string
        value = document[name]
        assert isinstance(value, str)
        assert 1 <= len(value) <= 1024
    assert {name: document[name] for name in by_trigger} == {
        "FunctionName": "fn-1",
        "Trigger": "storage",
    }
    assert len(directive["Metrics"]) <= 100
    for metric in directive["Metrics"]:  # every metric a root member holding a number
        assert set(metric) <= {"Name", "Unit", "StorageResolution"}
        assert metric["Unit"] in EMF_UNITS
        assert isinstance(document[metric["Name"]], (int, float))
    names = [metric["Name"] for metric in directive["Metrics"]]
    assert ("SourcesInconsistent" in names) is consistency
    assert document["RowsExported"] == 5
