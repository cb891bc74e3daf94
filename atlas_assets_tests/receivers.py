"""Local servers that notifications are delivered to: an HTTP receiver and an SMTP server (aiosmtpd).

Both listen on a free port of 127.0.0.1 in a thread of the test process and record what they get.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from atlas_assets_tests.dagster_processes import free_port
from atlas_assets_tests.wire_server import WireHandler, serving


@dataclass
class HttpRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every POST; answers with `statuses` in turn (then 200)."""

    url: str
    requests: list[HttpRequest] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def bodies(self, path: str) -> list[Any]:
        return [request.json() for request in self.requests if request.path == path]


@contextlib.contextmanager
def http_receiver(statuses: list[int] | None = None, port: int | None = None) -> Iterator[HttpReceiver]:
    """An HTTP server on 127.0.0.1 (on `port`, else a free one) recording the requests posted to any path."""
    port = port or free_port()
    receiver = HttpReceiver(f"http://127.0.0.1:{port}", statuses=list(statuses or []))
    lock = threading.Lock()

    class Handler(WireHandler):
        def do_POST(self) -> None:
            body = self.read_body()
            with lock:
                receiver.requests.append(HttpRequest(self.path, dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.reply(status, b"ok")

    with serving(Handler, port):
        yield receiver


@dataclass
class SmtpServer:
    """Records every accepted message; accepts only `username`/`password` when logging in."""

    host: str
    port: int
    username: str
    password: str
    messages: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)


@contextlib.contextmanager
def smtp_server(username: str = "alerts", password: str = "smtp-pass-0123456789") -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1 requiring AUTH (over plain TCP: the test has no certificate)."""
    server = SmtpServer("127.0.0.1", free_port(), username, password)

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
            server.raw.append(envelope.content)
            server.messages.append(message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    def authenticate(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            username.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Handler(),
        hostname=server.host,
        port=server.port,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
