"""An outcome as a handful of metrics: names, values, units and dimensions, and the
CloudWatch Embedded Metric Format document that carries them (pure).

EMF is written here, not with Powertools' Metrics: the format is one JSON object per line
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
and Powertools would add a dependency and 7.5 ms to the cold start (docs/metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sms_export.core.models import Outcome

Unit = Literal["Count", "Milliseconds"]


@dataclass(frozen=True)
class Measurement:
    name: str
    value: float
    unit: Unit


def measurements(outcome: Outcome) -> list[Measurement]:
    """What an input came to, in numbers (pure)."""
    rows = outcome.rows
    failed = sum(batch.status == "failed" for batch in outcome.batches)
    found = [
        Measurement("RowsReceived", rows.received, "Count"),
        Measurement("RowsRejected", rows.rejected, "Count"),
        Measurement("RowsExported", rows.exported, "Count"),
        Measurement("BatchesFailed", failed, "Count"),
        Measurement("DurationMs", outcome.duration_ms, "Milliseconds"),
    ]
    summary = outcome.consistency
    if summary is not None:
        found.append(Measurement("SourcesInconsistent", summary.inconsistent, "Count"))
        if summary.changes is not None:
            newly = summary.changes.newly_inconsistent
            found.append(Measurement("SourcesNewlyInconsistent", newly, "Count"))
    return found


def dimensions(outcome: Outcome, function_name: str) -> dict[str, str]:
    return {"FunctionName": function_name, "Trigger": outcome.trigger}


# Each metric is published per trigger and for the function as a whole: an alarm names
# every dimension of the series it watches, and one alarm should see every trigger.
DIMENSION_SETS = (("FunctionName", "Trigger"), ("FunctionName",))


def emf_document(
    outcome: Outcome, namespace: str, function_name: str, now_ms: int
) -> dict[str, object]:
    """One EMF log event: the metrics and dimensions as root members, described once."""
    found = measurements(outcome)
    named = dimensions(outcome, function_name)
    return {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(names) for names in DIMENSION_SETS],
                    "Metrics": [{"Name": m.name, "Unit": m.unit} for m in found],
                }
            ],
        },
        **named,
        **{m.name: m.value for m in found},
        "status": outcome.status,  # a member, not a dimension: searchable in Logs Insights
    }
