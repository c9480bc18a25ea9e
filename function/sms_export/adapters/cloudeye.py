"""Metrics on FunctionGraph: Cloud Eye custom metrics, one CreateMetricData call per outcome,
through Huawei's SDK (v1 of the Cloud Eye API: the only one the package keeps)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sms_export.adapters.emf import now_ms
from sms_export.adapters.huaweisdk import build_client, error_text
from sms_export.adapters.logs import metrics_not_published
from sms_export.core.metric_values import DIMENSION_SETS, dimensions, measurements
from sms_export.core.models import HuaweiCredentials, Outcome

CES_UNITS = {"Count": "count", "Milliseconds": "ms"}
CES_TTL_SECONDS = 2 * 24 * 3600


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
        now = now_ms()
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
            metrics_not_published("ces", error_text(error), self.credentials.secrets())


def endpoints(region: str) -> list[str]:
    """The region's Cloud Eye endpoints, or none (logged) for a region the SDK does not know."""
    from huaweicloudsdkces.v1.region.ces_region import CesRegion

    try:
        return list(CesRegion.value_of(region).endpoints)
    except KeyError:
        metrics_not_published("ces", f"no Cloud Eye endpoint for {region}; set CES_ENDPOINT", [])
        return []


def _ces_value(value: str) -> str:
    """Dimension values of the strictest documented form: letters, digits, _ and -."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", value)[:64]
    return cleaned if cleaned[:1].isalnum() else f"x{cleaned}"[:64]
