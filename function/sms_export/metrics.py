"""Each input's outcome as a handful of metrics on the platform's own monitoring service:
CloudWatch Embedded Metric Format on Lambda, Cloud Eye custom metrics on FunctionGraph.

EMF is written here, not with Powertools' Metrics: the format is one JSON object per line
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
and Powertools would add a dependency and 7.5 ms to the cold start (README, "Metrics").
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sms_export.adapters.huaweisdk import build_client, error_text
from sms_export.adapters.logs import log_event, log_json
from sms_export.core.models import HuaweiCredentials, Outcome
from sms_export.core.redaction import redact

if TYPE_CHECKING:
    from sms_export.adapters.platform import Invocation
    from sms_export.settings import Settings

MetricsMode = Literal["auto", "emf", "ces", "off"]
Unit = Literal["Count", "Milliseconds"]
CES_UNITS = {"Count": "count", "Milliseconds": "ms"}
AUTO: dict[str, MetricsMode] = {"lambda": "emf", "functiongraph": "ces"}
CES_TTL_SECONDS = 2 * 24 * 3600
# Cloud Eye: "service.item", each part a letter then letters, digits or _, 3 to 32 in all.
CES_NAMESPACE = re.compile(r"(?!(?:SYS|AGT|SRE)\.)[A-Za-z]\w*\.[A-Za-z]\w*", re.ASCII)


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
    if outcome.consistency is not None:
        found.append(Measurement("SourcesInconsistent", outcome.consistency.inconsistent, "Count"))
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


class Publisher(Protocol):
    def publish(self, outcome: Outcome) -> None: ...


@dataclass(frozen=True)
class EmfMetrics:
    namespace: str
    function_name: str

    def publish(self, outcome: Outcome) -> None:
        """One line on standard output, which Lambda ships to CloudWatch Logs."""
        log_json(emf_document(outcome, self.namespace, self.function_name, _now_ms()))


@dataclass(frozen=True)
class CesMetrics:
    namespace: str
    function_name: str
    credentials: HuaweiCredentials
    endpoints: list[str]
    project_id: str | None = None

    @cached_property
    def client(self) -> Any:
        """One client for every input of the invocation (an SQS batch has up to ten)."""
        from huaweicloudsdkces.v1 import CesClient

        return build_client(
            CesClient, self.credentials, self.endpoints, (5.0, 10.0), self.project_id
        )

    def publish(self, outcome: Outcome) -> None:
        """One CreateMetricData call; a failure is logged, never raised."""
        from huaweicloudsdkces.v1 import (
            CreateMetricDataRequest,
            CreateMetricDataRequestBody,
            MetricInfo,
            MetricsDimension,
        )

        named = dimensions(outcome, self.function_name)
        now = _now_ms()
        body = [
            CreateMetricDataRequestBody(
                metric=MetricInfo(
                    namespace=self.namespace,
                    metric_name=m.name,
                    dimensions=[
                        MetricsDimension(name=name, value=_ces_value(named[name])) for name in names
                    ],
                ),
                ttl=CES_TTL_SECONDS,
                collect_time=now,
                value=m.value,
                unit=CES_UNITS[m.unit],
                type="int",
            )
            for names in DIMENSION_SETS
            for m in measurements(outcome)
        ]
        try:
            self.client.create_metric_data(CreateMetricDataRequest(body=body))
        except Exception as error:  # the SDK's and requests' errors alike: never fatal
            not_published("ces", error_text(error), self.credentials.secrets())


def not_published(service: str, error: str, secrets: list[str]) -> None:
    log_event(
        "WARNING",
        "sms-consistency-export metrics not published",
        service=service,
        error=str(redact(error, secrets)),
    )


def metrics_for(
    settings: Settings, invocation: Invocation, credentials: HuaweiCredentials | None
) -> Publisher | None:
    """METRICS: auto is EMF on Lambda, Cloud Eye on FunctionGraph, nothing on a local run."""
    mode: MetricsMode = settings.metrics
    if mode == "auto":
        mode = AUTO.get(invocation.platform, "off")
    if mode == "emf":
        return EmfMetrics(settings.metrics_namespace, invocation.function_name)
    if mode != "ces":
        return None
    if credentials is None:
        not_published("ces", "no Huawei Cloud credentials to sign with", [])
        return None
    endpoints = _ces_endpoints(settings)
    if not endpoints:
        return None
    return CesMetrics(
        settings.metrics_namespace,
        invocation.function_name,
        credentials,
        endpoints,
        invocation.project_id,
    )


def _ces_endpoints(settings: Settings) -> list[str]:
    if settings.ces_endpoint:
        return [settings.ces_endpoint]
    from huaweicloudsdkces.v1.region.ces_region import CesRegion

    try:
        return list(CesRegion.value_of(settings.sms_region).endpoints)
    except KeyError:
        not_published(
            "ces", f"no Cloud Eye endpoint for {settings.sms_region}; set CES_ENDPOINT", []
        )
        return []


def _ces_value(value: str) -> str:
    """Dimension values of the strictest documented form: letters, digits, _ and -."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", value)[:64]
    return cleaned if cleaned[:1].isalnum() else f"x{cleaned}"[:64]


def _now_ms() -> int:
    return int(time.time() * 1000)
