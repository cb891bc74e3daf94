"""A local server speaking HubSpot's CRM v3 wire format, for the official SDK pointed at it.

What it reproduces (HubSpot's CRM v3 objects/search/properties and OAuth v1 reference):
bearer-token auth; `GET /crm/v3/objects/{type}` with `limit` (≤100), `after`, `properties`
(comma-separated) and `archived`, answered `{"results": [...], "paging": {"next": {"after"}}}`;
`POST /crm/v3/objects/{type}/search` with `filterGroups` (GTE/LT/GT/LTE/EQ on any property),
`sorts`, `properties`, `limit` (≤200) and `after`, answered with `total`, and HubSpot's cap: a
search query pages through at most 10,000 results (an `after` at or past it is a 400);
`GET /crm/v3/properties/{type}`; `POST /crm/v4/associations/{from}/{to}/batch/read` (at most
500 associations of one object per result, the rest behind its `paging.next.after`, sent back
beside the id); `POST /oauth/v1/token` (form-encoded refresh grant) issuing access tokens that
the server can expire; error bodies `{status, message, correlationId, category}`; 429 with
HubSpot's rate-limit headers. Every request is recorded.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import functools
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from atlas_assets_tests.dagster_processes import free_port
from atlas_assets_tests.wire_server import WireHandler, serving

ACCESS_TOKEN = "pat-eu1-atlas-local-0123456789abcdef"
CLIENT_ID = "atlas-client-id"
CLIENT_SECRET = "atlas-client-secret-fedcba9876543210"
REFRESH_TOKEN = "atlas-refresh-token-0f1e2d3c4b5a"
SEARCH_CAP = 10_000
"""HubSpot's search API pages through at most 10,000 results of one query."""
ASSOCIATIONS_PAGE = 500
"""HubSpot's v4 associations batch read answers at most 500 associations of one object."""

MODIFIED = {"contacts": "lastmodifieddate"}
"""The modification-date property of an object type (`hs_lastmodifieddate` for all others)."""


def modified_property(object_type: str) -> str:
    return MODIFIED.get(object_type, "hs_lastmodifieddate")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    from_request: int = 1


class HubSpotServer:
    """In-memory HubSpot CRM: objects by type, property definitions, OAuth, faults, a request log."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.property_types: dict[str, dict[str, str]] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.valid_tokens: set[str] = {ACCESS_TOKEN}
        self.budget: dict[str, str] = {
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": "190",
            "X-HubSpot-RateLimit-Remaining": "189",
            "X-HubSpot-RateLimit-Secondly": "19",
            "X-HubSpot-RateLimit-Secondly-Remaining": "18",
        }
        """Rate-limit headers of every non-search response (HubSpot sends none with search results)."""
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        self._version = 0
        self.associations: dict[tuple[str, str], dict[str, list[int]]] = {}
        """(from type, to type) → from id → associated ids."""
        self.stuck_association_cursor = False
        """A broken server: every associations page hands back the cursor of its second page."""
        self._keyset_cache: dict[tuple, list[dict[str, Any]]] = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    # --- data -------------------------------------------------------------------------------

    def define(self, object_type: str, **types: str) -> None:
        """Property definitions of an object type, e.g. `define("deals", amount="number")`;
        `number:currency` is a number HubSpot shows as money (`showCurrencySymbol`)."""
        self.property_types.setdefault(object_type, {}).update(types)

    def put(
        self,
        object_type: str,
        object_id: int,
        modified: dt.datetime,
        archived_at: dt.datetime | None = None,
        **properties: str | None,
    ) -> None:
        """Store an object; properties travel as strings (or null), as HubSpot sends them."""
        stamp = _iso(modified)
        props = {"hs_object_id": str(object_id), modified_property(object_type): stamp, **properties}
        obj: dict[str, Any] = {
            "id": str(object_id),
            "properties": props,
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": archived_at is not None,
        }
        if archived_at is not None:
            obj["archivedAt"] = _iso(archived_at)
        with self._lock:
            self.objects.setdefault(object_type, {})[str(object_id)] = obj
            self._version += 1

    def associate(self, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
        self.associations.setdefault((from_type, to_type), {}).setdefault(str(from_id), []).append(to_id)

    def fail_next(
        self, status: int, message: str, category: str, from_request: int = 1, **headers: str
    ) -> None:
        """The next request (numbered from 1, not before `from_request`) gets this error."""
        body = {"status": "error", "message": message, "category": category}
        self.faults.append(
            Fault(status, body, {k.replace("_", "-"): v for k, v in headers.items()}, from_request)
        )

    def expire_tokens(self) -> None:
        """Every issued access token stops working (as after its `expires_in`)."""
        self.valid_tokens.clear()

    def of(self, method: str, path_part: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # --- serving ----------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[HubSpotServer]:
        with serving(_handler(self), self.port):
            yield self

    def respond(self, request: Request) -> tuple[int, dict, dict]:
        correlation = str(uuid.uuid4())
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            fault = next((f for f in self.faults if f.from_request <= number), None)
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None:
            headers = {"X-HubSpot-Correlation-Id": correlation, **fault.headers}
            return fault.status, {**fault.body, "correlationId": correlation}, headers
        if request.path == "/oauth/v1/token":
            return self._token(request.body, correlation)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens:
            return _error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                "INVALID_AUTHENTICATION",
                correlation,
            )
        parts = request.path.strip("/").split("/")
        if parts[:3] == ["crm", "v4", "associations"] and parts[5:] == ["batch", "read"]:
            return self._associations(parts[3], parts[4], request.body, correlation)
        if parts[:3] == ["crm", "v3", "properties"] and len(parts) == 4:
            status, body, headers = self._properties(parts[3], correlation)
            return status, body, {**headers, **self.budget}
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4:
            object_type = parts[3]
            if object_type not in self.objects:
                return _error(
                    400, f"Unable to infer object type from: {object_type}", "VALIDATION_ERROR", correlation
                )
            if len(parts) == 4 and request.method == "GET":
                return 200, self._list(object_type, request.query), dict(self.budget)
            if parts[4:] == ["search"] and request.method == "POST":
                return self._search(object_type, request.body, correlation)
        return _error(404, f"Unknown path {request.method} {request.path}", "OBJECT_NOT_FOUND", correlation)

    def _token(self, form: dict[str, Any], correlation: str) -> tuple[int, dict, dict]:
        if (
            form.get("grant_type"),
            form.get("client_id"),
            form.get("client_secret"),
            form.get("refresh_token"),
        ) != (
            "refresh_token",
            CLIENT_ID,
            CLIENT_SECRET,
            REFRESH_TOKEN,
        ):
            return (
                400,
                {
                    "status": "BAD_REFRESH_TOKEN",
                    "message": "missing or unknown refresh token",
                    "correlationId": correlation,
                },
                {},
            )
        token = f"CLE-issued-{next(self._tokens)}-{uuid.uuid4().hex}"
        self.valid_tokens.add(token)
        body = {
            "token_type": "bearer",
            "access_token": token,
            "refresh_token": REFRESH_TOKEN,
            "expires_in": 1800,
        }
        return 200, body, {}

    def _properties(self, object_type: str, correlation: str) -> tuple[int, dict, dict]:
        types = {
            "hs_object_id": "number",
            modified_property(object_type): "datetime",
            **self.property_types.get(object_type, {}),
        }
        results = [
            {
                "name": name,
                "label": name,
                "type": kind.partition(":")[0],
                "fieldType": "number" if kind.startswith("number") else "text",
                "showCurrencySymbol": kind == "number:currency",
                "groupName": "info",
                "hidden": False,
                "calculated": False,
                "hasUniqueValue": False,
                "formField": False,
                "options": [],
                "displayOrder": -1,
                "modificationMetadata": {
                    "archivable": True,
                    "readOnlyDefinition": False,
                    "readOnlyValue": False,
                },
            }
            for name, kind in types.items()
        ]
        return 200, {"results": results}, {}

    def _associations(
        self, from_type: str, to_type: str, body: dict[str, Any], correlation: str
    ) -> tuple[int, dict, dict]:
        """`POST /crm/v4/associations/{from}/{to}/batch/read`: at most 500 associations of one
        object per result, which then carries `paging.next.after` (an opaque cursor the client
        sends back beside the id, `{"id", "after"}`); objects without associations are left out
        of `results`, as HubSpot does."""
        known = self.associations.get((from_type, to_type), {})
        results = []
        for item in body.get("inputs", []):
            if item["id"] not in known:
                continue
            to_ids = known[item["id"]]
            try:
                start = _offset(item["after"]) if item.get("after") else 0
            except ValueError:
                return _error(400, f"Invalid after: {item['after']}", "VALIDATION_ERROR", correlation)
            end = start + ASSOCIATIONS_PAGE
            result: dict[str, Any] = {
                "from": {"id": item["id"]},
                "to": [
                    {
                        "toObjectId": to_id,
                        "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 5, "label": None}],
                    }
                    for to_id in to_ids[start:end]
                ],
            }
            if end < len(to_ids):
                next_page = ASSOCIATIONS_PAGE if self.stuck_association_cursor else end
                result["paging"] = {"next": {"after": _cursor(next_page)}}
            results.append(result)
        now = _iso(dt.datetime.now(dt.UTC))
        body = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        return 200, body, dict(self.budget)

    def _shaped(self, obj: dict[str, Any], properties: list[str] | None) -> dict[str, Any]:
        props = obj["properties"]
        if properties is not None:
            props = {name: props.get(name) for name in properties}
        return {**obj, "properties": props}

    def _list(self, object_type: str, query: dict[str, str]) -> dict[str, Any]:
        # Booleans are case-insensitive: the Python SDK sends `archived=True`.
        archived = query.get("archived", "false").lower() == "true"
        limit = min(int(query.get("limit", 10)), 100)
        start = int(query.get("after", 0))
        properties = query["properties"].split(",") if query.get("properties") else None
        rows = sorted(
            (o for o in self.objects[object_type].values() if o["archived"] == archived),
            key=lambda o: int(o["id"]),
        )
        page = rows[start : start + limit]
        body: dict[str, Any] = {"results": [self._shaped(o, properties) for o in page]}
        if start + limit < len(rows):
            body["paging"] = {"next": {"after": str(start + limit), "link": "?after=" + str(start + limit)}}
        return body

    def _search(self, object_type: str, body: dict[str, Any], correlation: str) -> tuple[int, dict, dict]:
        limit = int(body.get("limit", 10))
        if not 1 <= limit <= 200:
            return _error(400, "limit must be between 1 and 200", "VALIDATION_ERROR", correlation)
        start = int(body.get("after") or 0)
        if start + limit > SEARCH_CAP:
            return _error(400, "There was a problem with the request.", "VALIDATION_ERROR", correlation)
        groups = body.get("filterGroups") or []
        rows = self._keyset(object_type, body)
        if rows is None:
            rows = [
                o
                for o in self.objects[object_type].values()
                if not o["archived"] and (not groups or any(_matches(o, g["filters"]) for g in groups))
            ]
            for sort in reversed(body.get("sorts") or []):
                rows.sort(
                    key=lambda o, s=sort: _sort_key(o, s["propertyName"]),
                    reverse=sort.get("direction") == "DESCENDING",
                )
        page = rows[start : start + limit]
        result: dict[str, Any] = {
            "total": len(rows),
            "results": [self._shaped(o, body.get("properties")) for o in page],
        }
        if start + limit < len(rows):
            result["paging"] = {"next": {"after": str(start + limit)}}
        return 200, result, {}

    def _keyset(self, object_type: str, body: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The answer to a keyset page (one filter group, `hs_object_id GT` and ascending by it),
        from the group's other filters matched once per data version: paging through 200,000
        objects (the benchmark) stays linear. None for any other query shape."""
        groups = body.get("filterGroups") or []
        if len(groups) != 1 or body.get("sorts") != [
            {"propertyName": "hs_object_id", "direction": "ASCENDING"}
        ]:
            return None
        filters = groups[0]["filters"]
        after = [f for f in filters if f["propertyName"] == "hs_object_id" and f["operator"] == "GT"]
        rest = [f for f in filters if f not in after]
        key = (object_type, json.dumps(rest, sort_keys=True), self._version)
        with self._lock:
            if key not in self._keyset_cache:
                matching = [
                    o for o in self.objects[object_type].values() if not o["archived"] and _matches(o, rest)
                ]
                self._keyset_cache = {key: sorted(matching, key=lambda o: int(o["id"]))}
            rows = self._keyset_cache[key]
        if not after:
            return rows
        start = bisect.bisect_right(rows, int(float(after[0]["value"])), key=lambda o: int(o["id"]))
        return rows[start:]


def _sort_key(obj: dict[str, Any], name: str) -> Any:
    value = obj["properties"].get(name)
    return float(value) if name == "hs_object_id" else (value or "")


@functools.lru_cache(maxsize=100_000)  # searching 25,000 objects page after page parses each date once
def _as_comparable(value: str | None) -> float | None:
    """Filter values and property values compared as numbers: epoch millis for dates, like HubSpot."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000


def _matches(obj: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    ops = {
        "GTE": float.__ge__,
        "GT": float.__gt__,
        "LT": float.__lt__,
        "LTE": float.__le__,
        "EQ": float.__eq__,
    }
    for f in filters:
        have = _as_comparable(obj["properties"].get(f["propertyName"]))
        want = _as_comparable(str(f["value"]))
        if have is None or want is None or not ops[f["operator"]](have, want):
            return False
    return True


def _cursor(offset: int) -> str:
    """An opaque paging cursor, like HubSpot's (clients must not compute or parse them)."""
    return base64.urlsafe_b64encode(f"assoc:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    kind, _, offset = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    if kind != "assoc":
        raise ValueError(cursor)
    return int(offset)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, message: str, category: str, correlation: str) -> tuple[int, dict, dict]:
    body = {"status": "error", "message": message, "correlationId": correlation, "category": category}
    return status, body, {"X-HubSpot-Correlation-Id": correlation}


def _handler(server: HubSpotServer) -> type[WireHandler]:
    class Handler(WireHandler):
        def do_GET(self) -> None:
            self._serve({})

        def do_POST(self) -> None:
            raw = self.read_body().decode()
            if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                self._serve(dict(parse_qsl(raw)))
            else:
                self._serve(json.loads(raw) if raw else {})

        def _serve(self, body: dict[str, Any]) -> None:
            url = urlsplit(self.path)
            # The SDK sends lists as repeated parameters (`properties=a&properties=b`): joined by commas.
            query = {k: ",".join(v) for k, v in parse_qs(url.query).items()}
            request = Request(self.command, url.path, query, body, self.lower_headers())
            status, payload, extra = server.respond(request)
            self.reply_json(status, payload, extra, content_type="application/json;charset=utf-8")

    return Handler
