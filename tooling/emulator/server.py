"""The emulator as a running HTTP server on 127.0.0.1."""

from __future__ import annotations

import sys
import threading
from http.server import ThreadingHTTPServer
from types import TracebackType

from emulator.models import SmsBackend
from emulator.responses import EmulatorRequestHandler


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
        handler = type("BoundHandler", (EmulatorRequestHandler,), {"backend": self.backend})
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
