"""Every pagination kind, run through Dagster into Iceberg against a real local HTTP server."""

from __future__ import annotations

import dagster as dg
import pytest

from atlas_assets_tests.connectors.http.api_server import Received, json_reply
from atlas_assets_tests.connectors.http.conftest import ids, items, rest_body
from atlas_assets_tests.harness import failure_message, platform

TOTAL = 23


def offset_route(request: Received):
    offset, limit = int(request.params["offset"]), int(request.params["limit"])
    return json_reply({"data": items(offset, max(0, min(limit, TOTAL - offset))), "total": TOTAL})


def page_route(request: Received):
    page, size = int(request.params["page"]), int(request.params["per_page"])
    first = (page - 1) * size
    return json_reply({"items": items(first, max(0, min(size, TOTAL - first)))})


def cursor_route(request: Received):
    first = int(request.params.get("cursor", "0"))
    last = min(first + 10, TOTAL)
    return json_reply(
        {"data": items(first, last - first), "meta": {"next": str(last) if last < TOTAL else None}}
    )


def next_url_route(base: str):
    def route(request: Received):
        first = int(request.params.get("from", "0"))
        last = min(first + 10, TOTAL)
        following = f"{base}/items?from={last}" if last < TOTAL else None
        return json_reply({"results": items(first, last - first), "links": {"next": following}})

    return route


def link_route(base: str):
    def route(request: Received):
        first = int(request.params.get("from", "0"))
        last = min(first + 10, TOTAL)
        reply = json_reply(items(first, last - first))
        if last < TOTAL:
            reply.headers["Link"] = f'<{base}/items?from={last}>; rel="next", <{base}/items>; rel="first"'
        return reply

    return route


@pytest.mark.parametrize(
    ("pagination", "records", "route", "requests"),
    [
        ({"type": "offset", "limit": 10, "total_path": "total"}, "data", lambda base: offset_route, 3),
        ({"type": "page_number", "page_size": 10}, "items", lambda base: page_route, 4),
        ({"type": "cursor", "cursor_path": "meta.next"}, "data", lambda base: cursor_route, 3),
        ({"type": "next_url", "next_url_path": "links.next"}, "$.results[*]", next_url_route, 3),
        ({"type": "link_header"}, None, link_route, 3),
    ],
    ids=["offset", "page_number", "cursor", "next_url", "link_header"],
)
def test_every_page_lands_exactly_once(tmp_path, api, pagination, records, route, requests):
    api.route("/items", route(api.url))
    item = {"pagination": pagination, "primary_key": ["id"]}
    if records:
        item["records"] = records
    atlas = platform(tmp_path, rest_body(api.url, {"items": item}))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == list(range(TOTAL))
    assert len(api.requests_to("/items")) == requests


def test_no_pagination_reads_one_response(tmp_path, api):
    api.route("/items", lambda request: json_reply(items(0, 5)))
    atlas = platform(tmp_path, rest_body(api.url, {"items": {}}))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == [0, 1, 2, 3, 4]
    assert len(api.requests_to("/items")) == 1


def test_offset_pagination_stops_at_an_empty_page_without_a_total(tmp_path, api):
    api.route(
        "/items",
        lambda r: json_reply(
            {"data": items(int(r.params["offset"]), max(0, min(10, 15 - int(r.params["offset"]))))}
        ),
    )
    atlas = platform(
        tmp_path,
        rest_body(api.url, {"items": {"records": "data", "pagination": {"type": "offset", "limit": 10}}}),
    )

    atlas.materialize("acme/api/items")

    assert ids(atlas) == list(range(15))
    assert [r.params["offset"] for r in api.requests_to("/items")] == ["0", "10", "15"]


def test_a_server_that_loops_is_stopped_by_the_page_count_guard(tmp_path, api):
    api.route("/items", lambda r: json_reply({"data": items(0, 2), "next": "same"}))
    atlas = platform(
        tmp_path,
        rest_body(
            api.url,
            {
                "items": {
                    "records": "data",
                    "pagination": {"type": "cursor", "cursor_path": "next", "max_pages": 5},
                }
            },
        ),
    )

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    assert not result.success
    assert "acme.api.items: more than 5 pages (pagination.max_pages)" in failure_message(result)
    assert len(api.requests_to("/items")) == 5
    assert not atlas.catalog.table_exists(("acme", "api__items"))


def test_a_next_url_on_another_host_is_refused_before_credentials_leave(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ACME_TOKEN", "tok-123")
    api.route(
        "/items", lambda r: json_reply({"data": items(0, 2), "next": "http://example.invalid/items?p=2"})
    )
    atlas = platform(
        tmp_path,
        rest_body(
            api.url,
            {"items": {"records": "data", "pagination": {"type": "next_url", "next_url_path": "next"}}},
            auth={"type": "bearer", "token": "${ACME_TOKEN}"},
        ),
    )

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    assert "on another host (example.invalid); refusing to send credentials there" in failure_message(result)


def test_an_api_total_gives_progress_lines_a_share_done_and_eta(tmp_path, api):
    api.route("/items", offset_route)
    pagination = {"type": "offset", "limit": 10, "total_path": "total"}
    item = {"pagination": pagination, "records": "data", "primary_key": ["id"], "batch_size": 10}
    atlas = platform(tmp_path, rest_body(api.url, {"items": item}))
    job = atlas.defs.resolve_implicit_global_asset_job_def()

    result = job.execute_in_process(
        asset_selection=[dg.AssetKey(["acme", "api", "items"])],
        instance=atlas.instance,
        run_config={"resources": {"iceberg_io_manager": {"config": {"progress_interval_seconds": 0}}}},
    )

    lines = [r.user_message for r in atlas.instance.all_logs(result.run_id)]
    first = next(line for line in lines if line.startswith("acme.api.items: extracting "))
    assert first.startswith("acme.api.items: extracting 10 rows,")
    assert f"{10 / TOTAL:.0%} done, ETA " in first
