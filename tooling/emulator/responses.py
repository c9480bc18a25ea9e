"""Wire format of the emulated services, as moto lays it out: one class per service, one
method per action. Each action gets the authenticated request and answers bytes; faults,
signatures and the HTTP plumbing are the dispatcher's (server.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

from emulator.exceptions import ApiError
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


OBS_XMLNS = "http://obs.myhwclouds.com/doc/2015-06-30/"


def obs_error(request_id: str, error: ApiError) -> Answer:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{escape(error.error_code)}</Code><Message>{escape(error.error_msg)}"
        f"</Message><RequestId>{request_id}</RequestId></Error>"
    )
    return Answer(error.status, body.encode(), "application/xml", {"x-obs-request-id": request_id})


class ObsResponse:
    """OBS's object API, virtual-hosted: the bucket is the first label of the host."""

    def __init__(self, backend: SmsBackend) -> None:
        self.backend = backend

    def get_object(self, call: Call) -> Answer:
        found = self.backend.get_obs_object(call.params["bucket"], _key(call))
        return Answer(
            200,
            found.data,
            found.content_type or "application/octet-stream",
            {"ETag": f'"{found.etag}"'},
            is_download=True,
        )

    def put_object(self, call: Call) -> Answer:
        etag = self.backend.put_obs_object(
            call.params["bucket"],
            _key(call),
            call.request.body,
            call.request.headers.get("content-type", ""),
        )
        return Answer(200, b"", "text/plain", {"ETag": f'"{etag}"'})

    def list_objects(self, call: Call) -> Answer:
        query = dict(parse_qsl(call.request.query, keep_blank_values=True))
        bucket = call.params["bucket"]
        items, truncated = self.backend.list_obs_objects(bucket, query)
        contents = "".join(
            f"<Contents><Key>{escape(key)}</Key><LastModified>2026-12-01T00:00:00.000Z"
            f'</LastModified><ETag>"{item.etag}"</ETag><Size>{len(item.data)}</Size>'
            "<StorageClass>STANDARD</StorageClass></Contents>"
            for key, item in items
        )
        marker = escape(query.get("marker", ""))
        next_marker = f"<NextMarker>{escape(items[-1][0])}</NextMarker>" if truncated else ""
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{OBS_XMLNS}">'
            f"<Name>{escape(bucket)}</Name><Prefix>{escape(query.get('prefix', ''))}</Prefix>"
            f"<Marker>{marker}</Marker>{next_marker}<MaxKeys>{query.get('max-keys', 1000)}"
            f"</MaxKeys><IsTruncated>{str(truncated).lower()}</IsTruncated>{contents}"
            "</ListBucketResult>"
        )
        kind = self.backend.obs_buckets[bucket].kind
        return Answer(200, body.encode(), "application/xml", {"x-obs-bucket-type": kind})


def _key(call: Call) -> str:
    return unquote(call.params["key"])
