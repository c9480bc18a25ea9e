"""The emulator as a running HTTP server on 127.0.0.1: HTTP in and out, nothing else. What
a request meets is the gateway's (gateway.py); what it gets, the service's."""

from __future__ import annotations

import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import ClassVar
from urllib.parse import urlsplit

from emulator.backend import SmsBackend
from emulator.core import Answer, ServiceResponse
from emulator.exceptions import NO_SUCH_API
from emulator.gateway import Gateway
from emulator.signing import SignedRequest
from emulator.urls import Router


class Dispatcher(BaseHTTPRequestHandler):
    """One instance per request; `gateway` and `router` are set on the subclass the server
    creates."""

    gateway: ClassVar[Gateway]
    router: ClassVar[Router]
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, Nagle's algorithm and the
    # client's delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True
    server_version = "sms-emulator"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean: the backends record what matters."""

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
        found = self.router.route(
            self.command, url.netloc or self.headers.get("Host", ""), url.path
        )
        if found is None:
            self._send(request_id, ServiceResponse().error(request_id, NO_SUCH_API))
            return
        passage = self.gateway.serve(request_id, request, found.service, found.action, found.params)
        if passage.answer is None:
            self.close_connection = True  # a dropped connection: no answer at all
            return
        self._send(request_id, passage.answer, cut=passage.cut)

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
        handler = type(
            "BoundDispatcher",
            (Dispatcher,),
            {"gateway": self.backend.gateway, "router": Router(self.backend.services())},
        )
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
