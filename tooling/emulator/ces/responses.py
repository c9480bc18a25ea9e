"""Cloud Eye's wire format: CreateMetricData."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import unquote

from emulator.ces.models import CesService
from emulator.core import Answer, Call, ServiceResponse, UrlRule


class CesResponse(ServiceResponse):
    urls: ClassVar[tuple[UrlRule, ...]] = (
        ("POST", re.compile(r"/V1\.0/(?P<project_id>[^/]+)/metric-data"), "create_metric_data"),
    )

    def __init__(self, backend: CesService) -> None:
        self.backend = backend

    def create_metric_data(self, call: Call) -> Answer:
        self.backend.put_metric_data(unquote(call.params["project_id"]), call.request.body)
        return Answer(201, b"")
