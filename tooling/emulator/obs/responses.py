"""OBS's object API, virtual-hosted: the bucket is the first label of the host. Signed with
OBS's own signature, outside the API gateway, and answering errors in XML."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

from emulator.core import Answer, Call, ServiceResponse, Signature, UrlRule
from emulator.exceptions import ApiError
from emulator.obs.models import ObsService
from emulator.signing import SignedRequest

OBS_XMLNS = "http://obs.myhwclouds.com/doc/2015-06-30/"


class ObsResponse(ServiceResponse):
    signature: ClassVar[Signature] = "OBS"
    host: ClassVar[re.Pattern[str] | None] = re.compile(
        r"(?P<bucket>[^.]+(?:\.[^.]+)*?)\.obs\.[^:]+(?::\d+)?"
    )
    urls: ClassVar[tuple[UrlRule, ...]] = (
        ("GET", re.compile(r"/"), "list_objects"),
        ("GET", re.compile(r"/(?P<key>.+)"), "get_object"),
        ("PUT", re.compile(r"/(?P<key>.+)"), "put_object"),
    )

    def __init__(self, backend: ObsService) -> None:
        self.backend = backend

    def error(self, request_id: str, error: ApiError) -> Answer:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{escape(error.error_code)}</Code><Message>{escape(error.error_msg)}"
            f"</Message><RequestId>{request_id}</RequestId></Error>"
        )
        headers = {"x-obs-request-id": request_id}
        return Answer(error.status, body.encode(), "application/xml", headers)

    def received(self, request: SignedRequest, params: Mapping[str, str]) -> None:
        self.backend.record_request(request, params["bucket"])

    def get_object(self, call: Call) -> Answer:
        found = self.backend.get_object(call.params["bucket"], _key(call))
        return Answer(
            200,
            found.data,
            found.content_type or "application/octet-stream",
            {"ETag": f'"{found.etag}"'},
            is_download=True,
        )

    def put_object(self, call: Call) -> Answer:
        etag = self.backend.put_object(
            call.params["bucket"],
            _key(call),
            call.request.body,
            call.request.headers.get("content-type", ""),
        )
        return Answer(200, b"", "text/plain", {"ETag": f'"{etag}"'})

    def list_objects(self, call: Call) -> Answer:
        query = dict(parse_qsl(call.request.query, keep_blank_values=True))
        bucket = call.params["bucket"]
        items, truncated, kind = self.backend.list_objects(bucket, query)
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
        return Answer(200, body.encode(), "application/xml", {"x-obs-bucket-type": kind})


def _key(call: Call) -> str:
    return unquote(call.params["key"])
