"""SMN's wire format: PublishMessage."""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import unquote

from emulator.core import Answer, Call, ServiceResponse, UrlRule, json_answer
from emulator.smn.models import SmnService


class SmnResponse(ServiceResponse):
    urls: ClassVar[tuple[UrlRule, ...]] = (
        (
            "POST",
            re.compile(
                r"/v2/(?P<project_id>[^/]+)/notifications/topics/(?P<topic_urn>[^/]+)/publish"
            ),
            "publish_message",
        ),
    )

    def __init__(self, backend: SmnService) -> None:
        self.backend = backend

    def publish_message(self, call: Call) -> Answer:
        message_id = self.backend.publish(
            unquote(call.params["project_id"]), unquote(call.params["topic_urn"]), call.request.body
        )
        return json_answer({"request_id": call.request_id, "message_id": message_id})
