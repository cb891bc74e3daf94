"""A real local HTTP server for API tests: plain HTTP on a free port, answers scripted per route.

Each route is a function of the received request returning a `Reply`; every request is logged,
so tests assert what the client really sent (paths, params, headers, how many attempts).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from atlas_assets_tests.wire_server import WireHandler, base_url, serving


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)
    """When the request arrived (`time.monotonic()`: comparable across the host's processes)."""


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    gzip: bool = False

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            data = self.body
        elif isinstance(self.body, str):
            data = self.body.encode()
        else:
            data = json.dumps(self.body).encode()
            self.headers.setdefault("Content-Type", "application/json")
        if self.gzip:
            self.headers["Content-Encoding"] = "gzip"
            data = gzip.compress(data)
        return data


def json_reply(body: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status=status, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()})


Route = Callable[[Received], Reply]


class ApiServer:
    """`with ApiServer() as api: api.route("/items", fn)`; `api.url` is its base URL."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(WireHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                received = Received(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    self.lower_headers(),
                    self.read_body(),
                )
                with server._lock:
                    server.log.append(received)
                route = server.routes.get(parts.path)
                reply = route(received) if route else Reply(404, {"error": f"no route {parts.path}"})
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                payload = reply.payload()
                self.reply(reply.status, payload, reply.headers)

        self._handler = Handler
        self._running = contextlib.ExitStack()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the server runs inside `with ApiServer() as api:`"
        return base_url(self._server)

    def route(self, path: str, handler: Route) -> None:
        self.routes[path] = handler

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.log if r.path == path]

    def __enter__(self) -> ApiServer:
        self._server = self._running.enter_context(serving(self._handler))
        return self

    def __exit__(self, *exc: object) -> None:
        self._running.close()
