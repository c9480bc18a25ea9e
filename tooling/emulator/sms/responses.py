"""SMS's wire format: its URL table and one method per action."""

from __future__ import annotations

import json
import re
from typing import ClassVar
from urllib.parse import parse_qsl, unquote

from emulator.core import Answer, Call, ServiceResponse, UrlRule, json_answer
from emulator.sms.models import SmsService

# The action names of the two SMS APIs the function calls in bulk, each with its own quota.
EXPORT_ACTION = "export_consistency_results"
LOOKUP_ACTION = "show_consistency_result"


class SmsResponse(ServiceResponse):
    urls: ClassVar[tuple[UrlRule, ...]] = (
        ("POST", re.compile(r"/v3/tasks/consistency-results/export"), EXPORT_ACTION),
        ("GET", re.compile(r"/v3/sources"), "list_servers"),
        ("GET", re.compile(r"/v3/tasks/(?P<task_id>[^/]+)/consistency-result"), LOOKUP_ACTION),
    )

    def __init__(self, backend: SmsService) -> None:
        self.backend = backend

    def export_consistency_results(self, call: Call) -> Answer:
        file = self.backend.export(call.request.headers, call.request.body)
        return Answer(
            200,
            file.content,
            file.content_type,
            {"Content-Disposition": f'attachment; filename="{file.filename}"'},
            is_download=True,
        )

    def show_consistency_result(self, call: Call) -> Answer:
        return json_answer(self.backend.consistency_result(unquote(call.params["task_id"])))

    def list_servers(self, call: Call) -> Answer:
        query = dict(parse_qsl(call.request.query, keep_blank_values=True))
        count, page = self.backend.list_servers(query)
        return json_answer({"count": count, "source_servers": page})

    def task_ids(self, call: Call) -> list[str]:
        """An export names its tasks in the body, a lookup in the path."""
        if "task_id" in call.params:
            return super().task_ids(call)
        try:
            items = json.loads(call.request.body).get("task_info", [])
        except (ValueError, AttributeError):
            return []
        return [str(item.get("task_id")) for item in items if isinstance(item, dict)]

    def answered(self, action: str, call: Call, status: int) -> None:
        if action == EXPORT_ACTION:
            request = call.request
            self.backend.record_export(
                call.request_id, call.access_key, request.headers, request.body, status
            )
