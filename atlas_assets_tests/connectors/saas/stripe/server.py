"""A local server speaking Stripe's v1 wire format, for the official SDK pointed at it.

What it reproduces (from stripe/openapi `spec3.json` and Stripe's API reference): bearer-key
auth; `GET /v1/<resource>` list endpoints with the `{"object": "list", "url", "has_more", "data"}`
envelope, newest first, paged by `limit` (1..100) and `starting_after`; `created[gte|gt|lt|lte]`
range filters; `GET /v1/events` with `type` (a `*` wildcard) or `types[]`; `expand[]` accepted;
error bodies `{"error": {"type", "code", "message", "request_log_url"}}` with a `Request-Id`
header; 429 for rate limits and `lock_timeout`, optionally with `Retry-After`. Every request is
recorded (path, query, headers) so tests can assert what reached the wire.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from atlas_assets_tests.dagster_processes import free_port
from atlas_assets_tests.wire_server import WireHandler, serving

API_KEY = "sk_test_atlas_local_0123456789"


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Fault:
    status: int
    error: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    from_request: int = 1


class StripeServer:
    """In-memory Stripe: resources by list name, events, scripted faults, a request log."""

    def __init__(self, api_key: str = API_KEY):
        self.api_key = api_key
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._version = 0
        self._cache: dict[tuple, tuple[list[dict], dict[str, int]]] = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    # --- data -------------------------------------------------------------------------------

    def put(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store (or replace) an object of a list resource, e.g. `put("customers", {...})`."""
        with self._lock:
            self.objects.setdefault(resource, {})[obj["id"]] = obj
            self._version += 1
        return obj

    def event(self, event_type: str, obj: dict[str, Any], created: int) -> dict[str, Any]:
        """Record an event whose `data.object` is a snapshot of `obj`."""
        number = next(self._ids)
        return self.put(
            "events",
            {
                "id": f"evt_{number:024d}",
                "object": "event",
                "api_version": "2026-01-28.clover",
                "created": created,
                "type": event_type,
                "livemode": False,
                "pending_webhooks": 0,
                "request": {"id": None, "idempotency_key": None},
                "data": {"object": json.loads(json.dumps(obj))},
            },
        )

    def fail_next(
        self,
        status: int,
        error_type: str,
        message: str,
        code: str | None = None,
        from_request: int = 1,
        **headers: str,
    ) -> None:
        """The next request (numbered from 1, not before `from_request`) gets this error response;
        queue several for a storm. `Retry_After="2"` sends a `Retry-After` header."""
        error = {"type": error_type, "message": message}
        if code:
            error["code"] = code
        headers = {k.replace("_", "-"): v for k, v in headers.items()}
        self.faults.append(Fault(status, error, headers, from_request))

    def list_requests(self, resource: str) -> list[Request]:
        return [r for r in self.requests if r.path == f"/v1/{resource}"]

    # --- serving ----------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[StripeServer]:
        with serving(_handler(self), self.port):
            yield self

    def respond(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, dict, dict]:
        request_id = f"req_{next(self._ids):014d}"
        with self._lock:
            self.requests.append(Request(path, query, headers))
            number = len(self.requests)
            fault = next((f for f in self.faults if f.from_request <= number), None)
            if fault is not None:
                self.faults.remove(fault)
        base = {"Request-Id": request_id}
        if headers.get("authorization") != f"Bearer {self.api_key}":
            given = headers.get("authorization", "").removeprefix("Bearer ")
            return 401, _error("invalid_request_error", f"Invalid API Key provided: {_masked(given)}"), base
        if fault is not None:
            return fault.status, {"error": fault.error}, {**base, **fault.headers}
        parts = path.strip("/").split("/")
        if parts == ["v1", "balance"]:
            return 200, {"object": "balance", "available": [], "pending": [], "livemode": False}, base
        if len(parts) != 2 or parts[0] != "v1" or parts[1] not in self.objects:
            return 404, _error("invalid_request_error", f"Unrecognized request URL (GET: {path})."), base
        return self._list(parts[1], query, base)

    def _list(self, resource: str, query: dict[str, str], headers: dict) -> tuple[int, dict, dict]:
        limit = int(query.get("limit", 10))
        if not 1 <= limit <= 100:
            message = "This value must be greater than or equal to 1 and less than or equal to 100."
            return (
                400,
                _error("invalid_request_error", message, "parameter_invalid_integer", "limit"),
                headers,
            )
        rows, positions = self._matching(resource, query)
        if "starting_after" in query:
            position = positions.get(query["starting_after"])
            if position is None:
                message = f"No such object: '{query['starting_after']}'"
                return (
                    400,
                    _error("invalid_request_error", message, "resource_missing", "starting_after"),
                    headers,
                )
            rows = rows[position + 1 :]
        page = rows[:limit]
        body = {"object": "list", "url": f"/v1/{resource}", "has_more": len(rows) > limit, "data": page}
        return 200, body, headers

    def _matching(self, resource: str, query: dict[str, str]) -> tuple[list[dict], dict[str, int]]:
        """The filtered list, newest first, and each id's position; cached per filter until data
        changes, so paging through 200,000 objects (the benchmark) stays linear."""
        filters = tuple(sorted((k, v) for k, v in query.items() if k.startswith(("created[", "type"))))
        with self._lock:
            key = (resource, filters, self._version)
            if key not in self._cache:
                rows = sorted(
                    self.objects[resource].values(), key=lambda o: (o["created"], o["id"]), reverse=True
                )
                rows = [o for o in rows if _in_created_range(o["created"], query)]
                if resource == "events":
                    types = [v for k, v in query.items() if k.startswith("types[")] or [
                        query.get("type", "*")
                    ]
                    rows = [o for o in rows if any(fnmatch.fnmatchcase(o["type"], t) for t in types)]
                self._cache = {key: (rows, {o["id"]: i for i, o in enumerate(rows)})}
            return self._cache[key]


def _in_created_range(created: int, query: dict[str, str]) -> bool:
    checks = {"gte": created.__ge__, "gt": created.__gt__, "lt": created.__lt__, "lte": created.__le__}
    return all(
        check(int(query[f"created[{op}]"])) for op, check in checks.items() if f"created[{op}]" in query
    )


def _error(error_type: str, message: str, code: str | None = None, param: str | None = None) -> dict:
    """Stripe's error body (`api_errors` in the OpenAPI spec): `doc_url` with a `code`, `param` when
    one parameter is at fault."""
    error = {"type": error_type, "message": message, "request_log_url": "https://dashboard.stripe.com/logs"}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    return {"error": error}


def _masked(key: str) -> str:
    return key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "****"


def _handler(server: StripeServer) -> type[WireHandler]:
    class Handler(WireHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            status, body, extra = server.respond(url.path, dict(parse_qsl(url.query)), self.lower_headers())
            self.reply_json(status, body, extra)

    return Handler
