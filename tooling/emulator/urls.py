"""Which action answers which request: method, path pattern (matched whole), service, action."""

from __future__ import annotations

import re

from emulator.responses import CesResponse, SmnResponse, SmsResponse

Service = type[SmsResponse] | type[SmnResponse] | type[CesResponse]

URL_PATHS: tuple[tuple[str, re.Pattern[str], Service, str], ...] = (
    (
        "POST",
        re.compile(r"/v3/tasks/consistency-results/export"),
        SmsResponse,
        "export_consistency_results",
    ),
    ("GET", re.compile(r"/v3/sources"), SmsResponse, "list_servers"),
    (
        "GET",
        re.compile(r"/v3/tasks/(?P<task_id>[^/]+)/consistency-result"),
        SmsResponse,
        "show_consistency_result",
    ),
    (
        "POST",
        re.compile(r"/v2/(?P<project_id>[^/]+)/notifications/topics/(?P<topic_urn>[^/]+)/publish"),
        SmnResponse,
        "publish_message",
    ),
    (
        "POST",
        re.compile(r"/V1\.0/(?P<project_id>[^/]+)/metric-data"),
        CesResponse,
        "create_metric_data",
    ),
)


def route(method: str, path: str) -> tuple[Service, str, dict[str, str]] | None:
    for route_method, pattern, service, action in URL_PATHS:
        found = pattern.fullmatch(path)
        if route_method == method and found is not None:
            return service, action, found.groupdict()
    return None
