"""Request-level resilience: throttling, server errors, hangs and malformed bodies, through Dagster."""

from __future__ import annotations

import email.utils
import random
import threading
import time

import pytest

from atlas_assets_tests.connectors.http.api_server import Received, Reply, json_reply
from atlas_assets_tests.connectors.http.conftest import FAST_RETRIES, ids, items, rest_body
from atlas_assets_tests.harness import failure_message, platform

PAGES = {"type": "offset", "limit": 10}


def paged(total: int):
    def route(request: Received):
        offset = int(request.params["offset"])
        return json_reply(items(offset, max(0, min(10, total - offset))))

    return route


def failing_first(count: int, reply, then):
    """A route answering `reply()` to its first `count` requests, then delegating to `then`."""
    seen = []
    lock = threading.Lock()

    def route(request: Received):
        with lock:
            seen.append(request)
            failing = len(seen) <= count
        return reply() if failing else then(request)

    return route


def test_a_429_storm_honouring_retry_after_retries_that_page_only(tmp_path, api):
    storm = failing_first(
        4, lambda: json_reply({"error": "slow down"}, status=429, Retry_After="0"), paged(30)
    )
    api.route("/items", lambda r: storm(r) if r.params["offset"] == "20" else paged(30)(r))
    atlas = platform(tmp_path, rest_body(api.url, {"items": {"pagination": PAGES}}, retry=FAST_RETRIES))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == list(range(30))
    assert [r.params["offset"] for r in api.requests_to("/items")] == ["0", "10", *["20"] * 5, "30"]


def test_retry_after_seconds_are_waited_for(tmp_path, api):
    moments: list[float] = []
    route = failing_first(
        1, lambda: json_reply({}, status=429, Retry_After="1"), lambda r: json_reply(items(0, 2))
    )

    def timed(request: Received):
        moments.append(time.monotonic())
        return route(request)

    api.route("/items", timed)
    atlas = platform(tmp_path, rest_body(api.url, {"items": {}}, retry=FAST_RETRIES))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == [0, 1]
    assert len(moments) == 2
    assert moments[1] - moments[0] >= 1.0


def test_retry_after_as_an_http_date_is_honoured(tmp_path, api):
    moments = []

    def later():
        return json_reply({}, status=503, Retry_After=email.utils.formatdate(time.time() + 2, usegmt=True))

    def ok(request):
        moments.append(time.monotonic())
        return json_reply(items(0, 1))

    start = time.monotonic()
    api.route("/items", failing_first(1, later, ok))
    atlas = platform(tmp_path, rest_body(api.url, {"items": {}}, retry=FAST_RETRIES))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == [0]
    assert moments[0] - start >= 1.0


def test_a_burst_of_5xx_is_retried_per_request(tmp_path, api):
    statuses = iter([500, 502, 503, 504])
    api.route(
        "/items",
        failing_first(4, lambda: json_reply({"error": "upstream"}, status=next(statuses)), paged(15)),
    )
    atlas = platform(tmp_path, rest_body(api.url, {"items": {"pagination": PAGES}}, retry=FAST_RETRIES))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == list(range(15))
    assert len(api.requests_to("/items")) == 4 + 3


def test_5xx_beyond_max_retries_fails_naming_the_object_path_and_server_text(tmp_path, api):
    api.route("/items", lambda r: json_reply({"error": "database down"}, status=503))
    retry = {**FAST_RETRIES, "max_retries": 2}
    atlas = platform(tmp_path, rest_body(api.url, {"items": {}}, retry=retry))

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    assert not result.success
    message = failure_message(result)
    assert "acme.api.items: GET /items: HTTP 503" in message
    assert "database down" in message


def test_a_hung_response_times_out_and_is_retried(tmp_path, api):
    moments: list[float] = []
    route = failing_first(
        1, lambda: Reply(200, items(0, 1), delay_seconds=3), lambda r: json_reply(items(0, 2))
    )

    def timed(request: Received):
        moments.append(time.monotonic())
        return route(request)

    api.route("/items", timed)
    atlas = platform(tmp_path, rest_body(api.url, {"items": {}}, retry=FAST_RETRIES, timeout=0.3))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == [0, 1]
    assert len(moments) == 2
    assert moments[1] - moments[0] < 2  # the client gave up on the hung answer after its timeout


def test_malformed_json_fails_at_once_with_the_path_and_byte_offset(tmp_path, api):
    api.route(
        "/v2/items", lambda r: Reply(200, b'[{"id": 1}, {"id": 2,, }]', {"Content-Type": "application/json"})
    )
    atlas = platform(tmp_path, rest_body(f"{api.url}/v2", {"items": {}}, retry=FAST_RETRIES))

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    message = failure_message(result)
    assert "acme.api.items: GET /v2/items: malformed JSON at byte offset 21" in message
    assert len(api.requests_to("/v2/items")) == 1


@pytest.mark.parametrize("status", [400, 403, 404])
def test_client_errors_are_permanent(tmp_path, api, status):
    api.route("/items", lambda r: json_reply({"message": "no such resource"}, status=status))
    atlas = platform(tmp_path, rest_body(api.url, {"items": {}}, retry=FAST_RETRIES))

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    assert f"acme.api.items: GET /items: HTTP {status}: " in failure_message(result)
    assert len(api.requests_to("/items")) == 1


def test_fault_soak_every_row_lands_once_and_no_page_is_fetched_twice_after_success(tmp_path, api):
    total, size = 2_000, 20
    chaos = random.Random(7)
    lock = threading.Lock()
    served: list[str] = []

    def route(request: Received):
        with lock:
            roll = chaos.random()
        if roll < 0.07:
            return json_reply({"error": "throttled"}, status=429, Retry_After="0")
        if roll < 0.14:
            return json_reply({"error": "boom"}, status=500)
        if roll < 0.20:
            return Reply(200, b"[]", delay_seconds=0.6)  # hangs past the client's timeout
        offset = int(request.params["offset"])
        with lock:
            served.append(request.params["offset"])
        return json_reply(items(offset, max(0, min(size, total - offset))))

    api.route("/items", route)
    retry = {"max_retries": 20, "delay_seconds": 0.001, "backoff": None}
    source = rest_body(
        api.url,
        {"items": {"pagination": {"type": "offset", "limit": size}, "primary_key": ["id"]}},
        retry=retry,
        timeout=0.3,
    )
    atlas = platform(tmp_path, source)

    atlas.materialize("acme/api/items")

    rows = ids(atlas)
    assert rows == list(range(total))
    pages = total // size + 1  # the last, empty page ends the extraction
    assert len(served) == pages
    assert len(set(served)) == pages
    assert len(api.requests_to("/items")) > pages  # faults really happened
