"""Wire format of the emulated endpoints: HTTP in, JSON errors or a file out."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from emulator.models import ApiError, ExportFile, Fault, SmsBackend
from emulator.signing import SignatureRejected, SignedRequest, verify

Route = Callable[["EmulatorRequestHandler", str, SignedRequest, "Fault | None"], None]


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """One instance per request; `backend` is set on the subclass the server creates."""

    backend: ClassVar[SmsBackend]
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True
    server_version = "sms-emulator"
    routes: ClassVar[dict[tuple[str, str], Route]] = {}

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean: the backend records what matters."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        request_id = uuid.uuid4().hex
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = SignedRequest(
            method=self.command,
            path=url.path,
            query=url.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        route = self.route(self.command, url.path)
        if route is None:
            self._send_error(
                request_id,
                ApiError(404, "APIGW.0101", "The API does not exist or has not been published"),
            )
            return
        backend = self.backend
        backend.enter()
        try:
            access_key = self._authenticate(request_id, request)
            if access_key is None:
                return
            if backend.latency:
                time.sleep(backend.latency)
            fault = backend.next_fault(request.body)
            if fault is not None and fault.kind == "drop":
                self.close_connection = True
                return
            if fault is not None and fault.kind == "hang":
                time.sleep(fault.seconds)
            route(self, request_id, request, fault)
        finally:
            backend.leave()

    @classmethod
    def route(cls, method: str, path: str) -> Route | None:
        for (route_method, pattern), handler in cls.routes.items():
            if route_method == method and re.fullmatch(pattern, path):
                return handler
        return None

    def _authenticate(self, request_id: str, request: SignedRequest) -> str | None:
        access_key: str | None = None
        try:
            access_key = verify(request, self.backend.credentials)
            self.backend.check_not_locked(access_key)
        except SignatureRejected as rejection:
            self.backend.record_auth(rejection.access_key, rejection)
            self._send_error(request_id, ApiError(401, rejection.error_code, rejection.error_msg))
            return None
        except ApiError as error:
            self._send_error(request_id, error)
            return None
        self.backend.record_auth(access_key, None)
        return access_key

    # -- answers ---------------------------------------------------------------------------
    def _send_error(self, request_id: str, error: ApiError) -> None:
        body = json.dumps(
            {"error_code": error.error_code, "error_msg": error.error_msg, "request_id": request_id}
        ).encode()
        self._send(error.status, request_id, "application/json;charset=UTF-8", body)

    def _send(
        self,
        status: int,
        request_id: str,
        content_type: str,
        body: bytes,
        extra_headers: dict[str, str] | None = None,
        cut: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", request_id)
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def send_file(self, request_id: str, file: ExportFile, fault: Fault | None) -> None:
        self._send(
            200,
            request_id,
            file.content_type,
            file.content,
            {"Content-Disposition": f'attachment; filename="{file.filename}"'},
            cut=fault is not None and fault.kind == "cut",
        )


def export_consistency_results(
    handler: EmulatorRequestHandler, request_id: str, request: SignedRequest, fault: Fault | None
) -> None:
    access_key = request.headers["authorization"].split("Access=")[1].split(",")[0]
    try:
        file = handler.backend.export(request_id, access_key, request.headers, request.body, fault)
    except ApiError as error:
        handler._send_error(request_id, error)
        return
    handler.send_file(request_id, file, fault)


def list_servers(
    handler: EmulatorRequestHandler, request_id: str, request: SignedRequest, fault: Fault | None
) -> None:
    query = dict(parse_qsl(request.query, keep_blank_values=True))
    try:
        if fault is not None and fault.kind == "status":
            raise ApiError(fault.status, fault.error_code, fault.error_msg)
        count, page = handler.backend.list_servers(query)
    except ApiError as error:
        handler._send_error(request_id, error)
        return
    body = json.dumps({"count": count, "source_servers": page}).encode()
    handler._send(200, request_id, "application/json;charset=UTF-8", body)


def publish_message(
    handler: EmulatorRequestHandler, request_id: str, request: SignedRequest, fault: Fault | None
) -> None:
    match = re.fullmatch(SMN_PUBLISH, request.path)
    assert match is not None
    try:
        if fault is not None and fault.kind == "status":
            raise ApiError(fault.status, fault.error_code, fault.error_msg)
        message_id = handler.backend.publish(
            unquote(match["project_id"]), unquote(match["topic_urn"]), request.body
        )
    except ApiError as error:
        handler._send_error(request_id, error)
        return
    body = json.dumps({"request_id": request_id, "message_id": message_id}).encode()
    handler._send(200, request_id, "application/json;charset=UTF-8", body)


SMN_PUBLISH = r"/v2/(?P<project_id>[^/]+)/notifications/topics/(?P<topic_urn>[^/]+)/publish"

# Paths are regular expressions, matched whole.
EmulatorRequestHandler.routes.update(
    {
        ("POST", "/v3/tasks/consistency-results/export"): export_consistency_results,
        ("GET", "/v3/sources"): list_servers,
        ("POST", SMN_PUBLISH): publish_message,
    }
)
