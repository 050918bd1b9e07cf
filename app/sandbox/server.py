"""Run the sandbox on a port of its own, in a thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app.sandbox import create_sandbox


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """Tests read the sandbox's own record; request lines (with tokens in Graph query
        strings) stay out of their output."""

    def make_environ(self):
        """Keep headers WSGI drops for having underscores (Meta's `file_offset` has one)."""
        environ = super().make_environ()
        environ["sandbox.raw_headers"] = {k.lower(): v for k, v in self.headers.items()}
        return environ


class SandboxServer:
    """A threaded HTTP server on 127.0.0.1; port 0 picks a free one. Its control routes answer
    only to loopback clients; its consent pages return to `callbacks` (app addresses, default
    OPENPOST_PUBLIC_URL)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, quiet: bool = True,
                 callbacks: list[str] | None = None) -> None:
        self.app = create_sandbox(callbacks=callbacks)
        self.state = self.app.extensions["sandbox_state"]
        self.server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler if quiet else None)
        self.url = f"http://{host}:{self.server.server_port}"
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        self.server.serve_forever()
