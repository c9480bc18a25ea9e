"""State and behaviour of the emulated Cloud Eye: CreateMetricData, checked against the
field rules Cloud Eye documents, and the data kept for tests to read."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from emulator.exceptions import ApiError

_CES_NAMESPACE = re.compile(r"[A-Za-z]\w*\.[A-Za-z]\w*")
_CES_NAME = re.compile(r"[A-Za-z][\w-]{0,95}")
_CES_DIMENSION = re.compile(r"[A-Za-z][\w-]{0,31}")


def _metric_problem(item: Any, now_ms: float) -> str | None:
    """Why Cloud Eye would refuse one metric data item, or None."""
    metric = item.get("metric") if isinstance(item, dict) else None
    if not isinstance(metric, dict):
        return "each item needs a metric"
    namespace = str(metric.get("namespace", ""))
    dimensions = metric.get("dimensions") or []
    collect_time, value, ttl = item.get("collect_time"), item.get("value"), item.get("ttl")
    rules = [
        (
            bool(_CES_NAMESPACE.fullmatch(namespace)) and 3 <= len(namespace) <= 32,
            f"invalid namespace {namespace!r}",
        ),
        (
            namespace.split(".", maxsplit=1)[0].upper() not in ("SYS", "AGT", "SRE"),
            f"namespace {namespace!r} is reserved",
        ),
        (
            bool(_CES_NAME.fullmatch(str(metric.get("metric_name", "")))),
            f"invalid metric_name {metric.get('metric_name')!r}",
        ),
        (1 <= len(dimensions) <= 4, "dimensions must hold 1 to 4 items"),
        (
            all(
                isinstance(d, dict)
                and _CES_DIMENSION.fullmatch(str(d.get("name", "")))
                and 1 <= len(str(d.get("value", ""))) <= 256
                for d in dimensions
            ),
            f"invalid dimensions {dimensions!r}",
        ),
        (
            isinstance(ttl, int) and 1 <= ttl <= 604800,
            "ttl must be 1 to 604800 seconds",
        ),
        (
            isinstance(collect_time, int)
            and now_ms - 3 * 86_400_000 < collect_time < now_ms + 600_000,
            "collect_time must be within 3 days before and 10 minutes after now",
        ),
        (
            isinstance(value, (int, float)) and not isinstance(value, bool),
            "value must be a number",
        ),
    ]
    return next((message for fits, message in rules if not fits), None)


class CesService:
    def __init__(self) -> None:
        self.metric_data: list[dict[str, Any]] = []  # each item as sent, with project_id
        self._lock = threading.Lock()

    def put_metric_data(self, project_id: str, body: bytes) -> None:
        """CreateMetricData: checks what Cloud Eye documents, keeps the data."""
        if len(body) > 512 * 1024:
            raise ApiError(400, "ces.0014", "The request body is larger than 512 KB")
        try:
            items = json.loads(body)
        except ValueError:
            raise ApiError(400, "ces.0014", "Invalid request body") from None
        if not isinstance(items, list) or not items:
            raise ApiError(400, "ces.0014", "The body must be a non-empty array")
        now = time.time() * 1000
        for item in items:
            problem = _metric_problem(item, now)
            if problem:
                raise ApiError(400, "ces.0014", problem)
        with self._lock:
            self.metric_data.extend({"project_id": project_id, **item} for item in items)
