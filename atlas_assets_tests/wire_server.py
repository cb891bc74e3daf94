"""What every local wire-format server of the tests shares: a quiet handler and a server thread.

The vendor servers (Stripe, HubSpot, the generic rest API, the notification receivers) differ in
what they answer; how they read a request, write a reply and run on 127.0.0.1 is the same.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WireHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean and knows how to reply."""

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a test's output shows its own failures, not every request served."""

    def lower_headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, payload: bytes, headers: Mapping[str, str] | None = None) -> None:
        """Send one whole reply; a client that already hung up (a timeout test) gets none."""
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def reply_json(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.reply(status, json.dumps(body).encode(), {"Content-Type": content_type, **(headers or {})})


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler], port: int = 0, tls: ssl.SSLContext | None = None
) -> Iterator[ThreadingHTTPServer]:
    """Serve `handler` on 127.0.0.1 (`port`, or any free one) in a thread for the `with` block;
    over HTTPS with `tls` (a server context holding the certificate) for clients that insist."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"
