"""Wire format of the emulated services, as moto lays it out: one class per service, one
method per action. Each action gets the authenticated request and answers bytes; faults,
signatures and the HTTP plumbing are the dispatcher's (server.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from emulator.models import SmsBackend
from emulator.signing import SignedRequest

JSON = "application/json;charset=UTF-8"


@dataclass(frozen=True)
class Call:
    """An authenticated request, as an action sees it."""

    request_id: str
    access_key: str
    request: SignedRequest
    params: Mapping[str, str]  # the named groups of the URL pattern, decoded


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = JSON
    headers: Mapping[str, str] = field(default_factory=dict)
    is_download: bool = False  # a file: a `cut` fault sends half of it


def json_answer(document: object, status: int = 200) -> Answer:
    return Answer(status, json.dumps(document).encode())


class SmsResponse:
    def __init__(self, backend: SmsBackend) -> None:
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


class SmnResponse:
    def __init__(self, backend: SmsBackend) -> None:
        self.backend = backend

    def publish_message(self, call: Call) -> Answer:
        message_id = self.backend.publish(
            unquote(call.params["project_id"]), unquote(call.params["topic_urn"]), call.request.body
        )
        return json_answer({"request_id": call.request_id, "message_id": message_id})


class CesResponse:
    def __init__(self, backend: SmsBackend) -> None:
        self.backend = backend

    def create_metric_data(self, call: Call) -> Answer:
        self.backend.put_metric_data(unquote(call.params["project_id"]), call.request.body)
        return Answer(201, b"")
