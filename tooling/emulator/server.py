"""The emulator as a running HTTP server on 127.0.0.1, and the dispatcher: route, check the
signature like the gateway, apply the scripted faults (all of them, here and only here),
call the action, record the call, answer."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import ClassVar
from urllib.parse import urlsplit

from emulator import obs_signing
from emulator.exceptions import NO_SUCH_API, ApiError, SignatureRejected
from emulator.models import EXPORT_ACTION, Fault, SmsBackend
from emulator.responses import Answer, Call, ObsResponse, json_answer, obs_error
from emulator.signing import SignedRequest, verify
from emulator.urls import route


def error_answer(request_id: str, error: ApiError) -> Answer:
    return json_answer(
        {"error_code": error.error_code, "error_msg": error.error_msg, "request_id": request_id},
        error.status,
    )


class Dispatcher(BaseHTTPRequestHandler):
    """One instance per request; `backend` is set on the subclass the server creates."""

    backend: ClassVar[SmsBackend]
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True
    server_version = "sms-emulator"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean: the backend records what matters."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
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
        # A proxied request names its host in the URL; a direct one in its Host header.
        found = route(self.command, url.netloc or self.headers.get("Host", ""), url.path)
        if found is None:
            self._send(request_id, error_answer(request_id, NO_SUCH_API))
            return
        service, action, params = found
        obs = service is ObsResponse
        errors = obs_error if obs else error_answer
        backend = self.backend
        backend.enter()
        try:
            try:
                access_key = (
                    self._authenticate_obs(request, params["bucket"])
                    if obs
                    else self._authenticate(request)
                )
            except ApiError as error:
                backend.record_answer(action, error.status)
                self._send(request_id, errors(request_id, error))
                return
            call = Call(request_id, access_key, request, params)
            answer, fault = self._answer(
                call, action, getattr(service(backend), action), errors, gateway=not obs
            )
            backend.record_answer(action, 0 if answer is None else answer.status)
            if answer is None:
                self.close_connection = True  # a dropped connection: no answer at all
                return
            if action == EXPORT_ACTION:
                backend.record_export(
                    request_id, access_key, request.headers, request.body, answer.status
                )
            self._send(request_id, answer, cut=fault is not None and fault.kind == "cut")
        finally:
            backend.leave()

    def _authenticate_obs(self, request: SignedRequest, bucket: str) -> str:
        backend = self.backend
        with backend._lock:
            backend.obs_requests.append(
                {"method": request.method, "bucket": bucket, "path": request.path,
                 "query": request.query, "headers": dict(request.headers)}
            )  # fmt: skip
        try:
            return obs_signing.verify(request, bucket, backend.credentials)
        except SignatureRejected as rejection:
            backend.auth_failures.append(rejection)
            raise ApiError(403, rejection.error_code, rejection.error_msg) from None

    def _authenticate(self, request: SignedRequest) -> str:
        backend = self.backend
        try:
            access_key = verify(request, backend.credentials)
            backend.check_not_locked(access_key)
        except SignatureRejected as rejection:
            backend.record_auth(rejection.access_key, rejection)
            raise rejection.as_api_error() from None
        backend.record_auth(access_key, None)
        return access_key

    def _answer(
        self,
        call: Call,
        name: str,
        action: Callable[[Call], Answer],
        errors: Callable[[str, ApiError], Answer],
        gateway: bool,
    ) -> tuple[Answer | None, Fault | None]:
        """Every fault is applied here: the gateway's quota (on APIs behind the gateway,
        `gateway`), latency, drops, hangs and error answers before the action, cut
        downloads on the way out. A throttled call is answered at once, as the gateway
        does: it never reaches the service, so it costs none of the service's latency."""
        backend = self.backend
        fault = backend.admit(name) if gateway else None
        if fault is None:
            fault = backend.next_fault(call.request.body, call.params.get("task_id"), name)
        if backend.latency and not (fault is not None and fault.from_gateway):
            time.sleep(backend.latency)
        if fault is not None and fault.kind == "drop":
            return None, fault
        if fault is not None and fault.kind == "hang":
            time.sleep(fault.seconds)
        try:
            if fault is not None and fault.kind == "status":
                raise ApiError(fault.status, fault.error_code, fault.error_msg)
            return action(call), fault
        except ApiError as error:
            return errors(call.request_id, error), fault

    def _send(self, request_id: str, answer: Answer, cut: bool = False) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("X-Request-Id", request_id)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if cut and answer.is_download:
            self.wfile.write(answer.body[: len(answer.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(answer.body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (a read timeout, a dropped connection) is part of the
        scenarios this server plays; it is not worth a traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class EmulatorServer:
    """Serve `backend` on 127.0.0.1 (a random free port unless `port` is given)."""

    def __init__(self, backend: SmsBackend | None = None, port: int = 0) -> None:
        self.backend = backend or SmsBackend()
        handler = type("BoundDispatcher", (Dispatcher,), {"backend": self.backend})
        self._server = _QuietServer(("127.0.0.1", port), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True, name="sms-emulator"
        )

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> EmulatorServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
