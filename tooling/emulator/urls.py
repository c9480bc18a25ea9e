"""Which action answers which request: method, path pattern (matched whole), service, action.
OBS is addressed by virtual host (`<bucket>.obs.<region>.…`), the API gateway's services by
path alone."""

from __future__ import annotations

import re

from emulator.models import EXPORT_ACTION, LOOKUP_ACTION
from emulator.responses import CesResponse, ObsResponse, SmnResponse, SmsResponse

Service = type[SmsResponse] | type[SmnResponse] | type[CesResponse] | type[ObsResponse]

URL_PATHS: tuple[tuple[str, re.Pattern[str], Service, str], ...] = (
    (
        "POST",
        re.compile(r"/v3/tasks/consistency-results/export"),
        SmsResponse,
        EXPORT_ACTION,
    ),
    ("GET", re.compile(r"/v3/sources"), SmsResponse, "list_servers"),
    (
        "GET",
        re.compile(r"/v3/tasks/(?P<task_id>[^/]+)/consistency-result"),
        SmsResponse,
        LOOKUP_ACTION,
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

OBS_HOST = re.compile(r"(?P<bucket>[^.]+(?:\.[^.]+)*?)\.obs\.[^:]+(?::\d+)?")
OBS_PATHS: tuple[tuple[str, re.Pattern[str], Service, str], ...] = (
    ("GET", re.compile(r"/"), ObsResponse, "list_objects"),
    ("GET", re.compile(r"/(?P<key>.+)"), ObsResponse, "get_object"),
    ("PUT", re.compile(r"/(?P<key>.+)"), ObsResponse, "put_object"),
)


def route(method: str, host: str, path: str) -> tuple[Service, str, dict[str, str]] | None:
    virtual_host = OBS_HOST.fullmatch(host)
    table = OBS_PATHS if virtual_host else URL_PATHS
    for route_method, pattern, service, action in table:
        found = pattern.fullmatch(path)
        if route_method == method and found is not None:
            params = found.groupdict()
            if virtual_host:
                params["bucket"] = virtual_host.group("bucket")
            return service, action, params
    return None
