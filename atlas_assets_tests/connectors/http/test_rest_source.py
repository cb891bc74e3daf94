"""The `rest` kind end to end: bodies, schema growth across pages, windows, connection checks."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets_tests.connectors.http.api_server import Reply, json_reply
from atlas_assets_tests.connectors.http.conftest import ids, items, rest_body
from atlas_assets_tests.harness import failure_message, platform


def body_reply(kind: str) -> Reply:
    rows = items(0, 3)
    if kind == "jsonl":
        return Reply(
            200, "\n".join(json.dumps(r) for r in rows) + "\n", {"Content-Type": "application/x-ndjson"}
        )
    if kind == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, ["id", "name"])
        writer.writeheader()
        writer.writerows(rows)
        return Reply(200, out.getvalue(), {"Content-Type": "text/csv"})
    if kind == "xml":
        inner = "".join(f'<item id="{r["id"]}"><name>{r["name"]}</name></item>' for r in rows)
        return Reply(200, f"<response><items>{inner}</items></response>", {"Content-Type": "application/xml"})
    if kind == "gzip":
        return Reply(200, json.dumps({"data": rows}), {"Content-Type": "application/json"}, gzip=True)
    return Reply(200, gzip.compress(json.dumps(rows).encode()), {"Content-Type": "application/octet-stream"})


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("jsonl", {}),
        ("csv", {"column_types": {"id": "int64"}}),
        ("xml", {"records": "items.item", "column_types": {"id": "int64"}}),
        ("gzip", {"records": "data"}),
        ("gzip_file", {"format": "json"}),
    ],
)
def test_every_body_format_lands_its_records(tmp_path, api, kind, options):
    api.route("/items", lambda r: body_reply(kind))
    atlas = platform(tmp_path, rest_body(api.url, {"items": options}))

    atlas.materialize("acme/api/items")

    table = atlas.table("api__items", namespace="acme")
    assert sorted(zip(table.column("id").to_pylist(), table.column("name").to_pylist(), strict=True)) == [
        (0, "item 0"),
        (1, "item 1"),
        (2, "item 2"),
    ]


def test_a_schema_growing_on_a_later_page_evolves_the_table_in_the_same_commit(tmp_path, api):
    pages = {
        "0": [{"id": 1, "score": 5}, {"id": 2, "score": 6}],
        "2": [{"id": 3, "score": 7.5, "country": "FR", "address": {"city": "Lyon"}}],
        "3": [],
    }
    api.route("/items", lambda r: json_reply(pages[r.params["offset"]]))
    objects = {"items": {"pagination": {"type": "offset", "limit": 2}, "batch_size": 2}}
    atlas = platform(tmp_path, rest_body(api.url, objects))

    result = atlas.materialize("acme/api/items")

    table = atlas.catalog.load_table(("acme", "api__items"))
    rows = {r["id"]: r for r in table.scan().to_arrow().to_pylist()}
    assert {i: (r["score"], r["country"], r["address"]) for i, r in rows.items()} == {
        1: (5.0, None, None),
        2: (6.0, None, None),
        3: (7.5, "FR", '{"city":"Lyon"}'),
    }
    assert str(table.schema().find_field("score").field_type) == "double"
    assert len(table.history()) == 1
    changes = result.asset_materializations_for_node("acme__api__items")[0].metadata["atlas/schema_changes"]
    assert (
        changes.value
        == "created table; added country: string; added address: string; widened score to double"
    )


def test_nested_struct_mode_stores_objects_as_structs(tmp_path, api):
    api.route("/items", lambda r: json_reply([{"id": 1, "address": {"city": "Lyon", "zip": "69001"}}]))
    atlas = platform(tmp_path, rest_body(api.url, {"items": {"nested": "struct"}}))

    atlas.materialize("acme/api/items")

    table = atlas.catalog.load_table(("acme", "api__items"))
    assert str(table.schema().find_field("address").field_type).startswith("struct<")
    assert table.scan().to_arrow().column("address").to_pylist() == [{"city": "Lyon", "zip": "69001"}]


def test_the_window_goes_to_the_api_and_epoch_cursors_place_rows_in_partitions(tmp_path, api):
    day = 1767225600  # 2026-01-01T00:00:00Z
    rows = [{"id": 1, "updated": day + 60}, {"id": 2, "updated": day + 86_400 + 60}]
    api.route("/items", lambda r: json_reply({"data": rows}))
    objects = {
        "items": {
            "records": "data",
            "cursor": "updated",
            "cursor_format": "epoch_seconds",
            "incremental": {"start_param": "since", "end_param": "until", "format": "epoch_seconds"},
        }
    }
    atlas = platform(tmp_path, rest_body(api.url, objects))

    atlas.materialize("acme/api/items", partition="2026-01-01")

    [request] = api.requests_to("/items")
    assert request.params == {"since": str(day), "until": str(day + 86_400)}
    assert ids(atlas) == [1]


def test_check_connection_requests_the_check_path_with_credentials(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ACME_API_SECRET", "k-1")
    api.route(
        "/me",
        lambda r: json_reply({"ok": True}) if r.headers.get("x-api-key") == "k-1" else json_reply({}, 401),
    )
    atlas = platform(
        tmp_path,
        rest_body(
            api.url,
            {"items": {}},
            check_path="/me",
            auth={"type": "api_key", "api_key": "${ACME_API_SECRET}"},
        ),
    )

    result = atlas.check_sources()

    assert result.output_for_node("check_source_connections") == {"acme.api": "ok"}
    assert len(api.requests_to("/me")) == 1


def test_incomplete_auth_is_a_config_error_naming_the_key_and_line():
    text = (
        "tenants:\n  acme:\n    sources:\n      api:\n        kind: rest\n        base_url: http://x\n"
        "        auth: {type: oauth2, token_url: http://x/token}\n        objects: [items]\n"
    )

    with pytest.raises(
        RunnerConfigError, match=r"line \d+: tenants\.acme\.sources\.api\.auth\.client_id: .*needs"
    ):
        parse_runner_config(text, "runner.yaml", {})


def test_a_missing_records_path_fails_naming_it(tmp_path, api):
    api.route("/items", lambda r: json_reply({"results": []}))
    atlas = platform(tmp_path, rest_body(api.url, {"items": {"records": "data.items"}}))

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    assert (
        "acme.api.items: GET /items: the response has no 'data.items' (records selector)"
        in failure_message(result)
    )


def test_lookback_moves_the_window_start_sent_to_the_api(tmp_path, api):
    api.route("/items", lambda r: json_reply([{"id": 1, "updated": "2026-01-01T23:00:00Z"}]))
    objects = {
        "items": {
            "cursor": "updated",
            "lookback": "2h",
            "incremental": {"start_param": "since", "end_param": "until"},
        }
    }
    atlas = platform(tmp_path, rest_body(api.url, objects))

    atlas.materialize("acme/api/items", partition="2026-01-02")

    [request] = api.requests_to("/items")
    assert request.params == {"since": "2026-01-01T22:00:00Z", "until": "2026-01-03T00:00:00Z"}
    assert ids(atlas) == [1]  # inside the lookback, so kept


def test_integers_beyond_64_bits_keep_every_digit(tmp_path, api):
    api.route("/items", lambda r: Reply(200, b'[{"id": 1, "ref": 123456789012345678901234567890}]'))
    atlas = platform(tmp_path, rest_body(api.url, {"items": {}}))

    atlas.materialize("acme/api/items")

    assert atlas.table("api__items", namespace="acme").column("ref").to_pylist() == [
        "123456789012345678901234567890"
    ]


def test_a_first_window_without_records_materializes_and_its_checks_judge_zero_rows(tmp_path, api):
    api.route("/items", lambda r: json_reply([]))
    quality = {"required": ["name"], "columns": {"amount": {"min": 0}}}
    item = {"cursor": "updated_at", "primary_key": ["id"], "write": "upsert", "quality": quality}
    objects = {"items": item}
    atlas = platform(tmp_path, rest_body(api.url, objects))

    result = atlas.materialize("acme/api/items", partition="2026-01-02")

    verdicts = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert {name: verdicts[name] for name in ("missing_id", "missing_name", "invalid_amount", "schema")} == {
        "missing_id": True,
        "missing_name": True,
        "invalid_amount": True,
        "schema": True,
    }
