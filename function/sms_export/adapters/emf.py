"""Metrics on Lambda: one Embedded Metric Format line on standard output, which Lambda
ships to CloudWatch Logs and CloudWatch turns into metrics (no API call, no client)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sms_export.adapters.logs import log_json
from sms_export.core.metric_values import emf_document
from sms_export.core.models import Outcome


@dataclass(frozen=True)
class EmfMetrics:
    namespace: str
    function_name: str

    def publish(self, outcome: Outcome) -> None:
        """One line on standard output, which Lambda ships to CloudWatch Logs."""
        log_json(emf_document(outcome, self.namespace, self.function_name, now_ms()))


def now_ms() -> int:
    return int(time.time() * 1000)
