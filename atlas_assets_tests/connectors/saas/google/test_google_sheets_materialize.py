"""Google Sheets through Dagster into Iceberg: gspread and google-auth against a local Google."""

from __future__ import annotations

import datetime as dt
import json
import os

import dagster as dg
import pyarrow as pa

from atlas_assets_tests.connectors.saas.google.conftest import KEY_VAR
from atlas_assets_tests.connectors.saas.google.server import (
    USER_REFRESH_TOKEN,
    GoogleServer,
    authorized_user_json,
    service_account_json,
)
from atlas_assets_tests.harness import Platform, platform, step_failure

BOOK = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
NODE = "acme__sheets__{}"


def sheets_platform(tmp_path, server: GoogleServer, objects: str, retry: str = "") -> Platform:
    body = f"""
    tenants:
      acme:
        {retry}
        sources:
          sheets:
            kind: google_sheets
            credentials: "${{{KEY_VAR}}}"
            api_base_url: "{server.url}"
            objects: {objects}
    """
    return platform(tmp_path, body)


def rows(atlas: Platform, name: str) -> list[dict]:
    table = atlas.table(f"sheets__{name}", namespace="acme")
    return [{k: v for k, v in r.items() if not k.startswith("_atlas_")} for r in table.to_pylist()]


def retried(result: dg.ExecuteInProcessResult) -> bool:
    return any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)


def budget_sheet(server: GoogleServer, **size: int):
    sheet = server.worksheet(BOOK, "Budget 2026", sheet_id=71234, **size)
    return sheet


def test_values_land_typed_with_serial_dates_read_in_the_spreadsheets_timezone(tmp_path, google):
    google.spreadsheet(BOOK, time_zone="Europe/Paris")
    sheet = budget_sheet(google)
    sheet.formats = {4: "DATE", 5: "DATE_TIME", 6: "TIME"}  # columns D, E, F
    # 46082 is 2026-03-01; .5 is noon; 0.25 is 06:00.
    sheet.put_rows(1, [["item", "amount", "paid", "due", "booked_at", "slot"]])
    sheet.put_rows(
        2, [["rent", 1200, True, 46082, 46082.5, 0.25], ["coffee", 3.5, False, 46083, 46083.75, 0.5]]
    )
    atlas = sheets_platform(
        tmp_path, google, '{budget: {spreadsheet: "' + BOOK + '", worksheet: "Budget 2026"}}'
    )

    atlas.materialize("acme/sheets/budget")

    table = atlas.table("sheets__budget", namespace="acme")
    assert table.schema.field("amount").type == pa.float64()
    assert table.schema.field("paid").type == pa.bool_()
    assert table.schema.field("due").type == pa.date32()
    assert table.schema.field("booked_at").type == pa.timestamp("us", tz="UTC")
    got = sorted(rows(atlas, "budget"), key=lambda r: r["item"])
    assert got[1] == {
        "item": "rent",
        "amount": 1200.0,
        "paid": True,
        "due": dt.date(2026, 3, 1),
        "booked_at": dt.datetime(2026, 3, 1, 11, tzinfo=dt.UTC),  # noon in Paris (UTC+1)
        "slot": dt.time(6),
    }
    assert got[0]["booked_at"] == dt.datetime(2026, 3, 2, 17, tzinfo=dt.UTC)
    values = google.of("GET", f"/v4/spreadsheets/{BOOK}/values/")
    assert values[0].query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert values[0].query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]


def test_the_spreadsheet_may_be_given_by_url_and_the_worksheet_by_gid(tmp_path, google):
    server_sheet = budget_sheet(google)
    server_sheet.put_rows(1, [["item"], ["rent"]])
    url = f"https://docs.google.com/spreadsheets/d/{BOOK}/edit#gid=71234"
    atlas = sheets_platform(tmp_path, google, '{budget: {spreadsheet: "' + url + '", worksheet: 71234}}')

    atlas.materialize("acme/sheets/budget")

    assert rows(atlas, "budget") == [{"item": "rent"}]


def test_blank_rows_above_an_auto_header_are_skipped_and_trailing_blank_rows_dropped(tmp_path, google):
    sheet = budget_sheet(google, row_count=40)
    sheet.put_rows(4, [["name", "score"], ["ada", 1], [None, None], ["bob", 2]])
    sheet.cells[(30, 7)] = ""  # a blank cell far below: formatting only, no value
    atlas = sheets_platform(tmp_path, google, "{scores: {spreadsheet: " + BOOK + ", chunk_rows: 5}}")

    atlas.materialize("acme/sheets/scores")

    # The blank row between data is kept as nulls; the blank rows after "bob" are not rows.
    assert rows(atlas, "scores") == [
        {"name": "ada", "score": 1},
        {"name": None, "score": None},
        {"name": "bob", "score": 2},
    ]


def test_header_row_and_range_choose_where_the_table_starts(tmp_path, google):
    sheet = budget_sheet(google)
    sheet.put_rows(
        1, [["Budget report — do not edit"], [], ["x", "name", "score", "note"], ["", "ada", 1, "hi"]]
    )
    atlas = sheets_platform(
        tmp_path, google, "{scores: {spreadsheet: " + BOOK + ", range: 'B1:C', header_row: 3}}"
    )

    atlas.materialize("acme/sheets/scores")

    assert rows(atlas, "scores") == [{"name": "ada", "score": 1}]


def test_blank_and_repeated_header_cells_fail_naming_the_cells(tmp_path, google):
    sheet = budget_sheet(google)
    # "Q1" was merged over B2:C2: Sheets reads it in B2 and a blank in C2.
    sheet.put_rows(2, [["region", "Q1", None, "amount", "amount"], ["north", 1, 2, 3, 4]])
    atlas = sheets_platform(tmp_path, google, "{sales: {spreadsheet: " + BOOK + "}}")

    result = atlas.materialize("acme/sheets/sales", raise_on_error=False)

    error = step_failure(result)
    assert "blank header cells C2" in error.description
    assert "'amount' repeated in D2 and E2" in error.description
    assert "dedupe_headers" in error.description
    assert not retried(result)


def test_dedupe_headers_names_blank_and_repeated_columns(tmp_path, google):
    sheet = budget_sheet(google)
    sheet.put_rows(2, [["region", "Q1", None, "amount", "amount"], ["north", 1, 2, 3, 4]])
    atlas = sheets_platform(tmp_path, google, "{sales: {spreadsheet: " + BOOK + ", dedupe_headers: true}}")

    atlas.materialize("acme/sheets/sales")

    assert rows(atlas, "sales") == [{"region": "north", "Q1": 1, "column_C": 2, "amount": 3, "amount_2": 4}]


def test_a_value_under_no_header_fails_naming_its_cell(tmp_path, google):
    sheet = budget_sheet(google)
    sheet.put_rows(1, [["name"], ["ada", "stray"]])
    atlas = sheets_platform(tmp_path, google, "{people: {spreadsheet: " + BOOK + "}}")

    result = atlas.materialize("acme/sheets/people", raise_on_error=False)

    assert "cell B2 of worksheet 'Budget 2026' holds a value" in step_failure(result).description


def test_a_large_sheet_is_read_in_row_chunks(tmp_path, google):
    sheet = budget_sheet(google, row_count=3000)
    sheet.put_rows(1, [["n", "label"], *([i, f"row {i}"] for i in range(1, 2501))])
    atlas = sheets_platform(tmp_path, google, "{big: {spreadsheet: " + BOOK + ", chunk_rows: 1000}}")

    result = atlas.materialize("acme/sheets/big")

    assert sorted(r["n"] for r in rows(atlas, "big")) == list(range(1, 2501))
    ranges = [r.path.rsplit("/values/", 1)[1] for r in google.of("GET", f"/v4/spreadsheets/{BOOK}/values/")]
    assert ranges == ["'Budget 2026'!A1:Z1000", "'Budget 2026'!A1001:Z2000", "'Budget 2026'!A2001:Z3000"]
    metadata = result.asset_materializations_for_node(NODE.format("big"))[0].metadata
    assert metadata["atlas/source/chunks"].value == 3


def test_a_quota_429_retries_the_chunk_it_hit(tmp_path, google):
    sheet = budget_sheet(google, row_count=30)
    sheet.put_rows(1, [["n"], *([i] for i in range(1, 26))])
    atlas = sheets_platform(
        tmp_path,
        google,
        "{big: {spreadsheet: " + BOOK + ", chunk_rows: 10}}",
        retry="retry: {max_retries: 3, delay_seconds: 0.01}",
    )
    google.fail(f"/v4/spreadsheets/{BOOK}/values/'Budget 2026'!A11", status=429, times=2, retry_after="0")

    result = atlas.materialize("acme/sheets/big")

    assert sorted(r["n"] for r in rows(atlas, "big")) == list(range(1, 26))
    ranges = [r.path.rsplit("!", 1)[1] for r in google.of("GET", f"/v4/spreadsheets/{BOOK}/values/")]
    assert ranges == ["A1:Z10", "A11:Z20", "A11:Z20", "A11:Z20", "A21:Z30"]
    metadata = result.asset_materializations_for_node(NODE.format("big"))[0].metadata
    assert metadata["atlas/source/rate_limit_waits"].value == 2


def test_unknown_service_account_fails_once_permanently_without_retries(tmp_path, google, monkeypatch):
    key = service_account_json(google.token_uri, client_email="revoked@atlas-test.iam.gserviceaccount.com")
    monkeypatch.setenv(KEY_VAR, key)
    budget_sheet(google).put_rows(1, [["n"], [1]])
    atlas = sheets_platform(
        tmp_path,
        google,
        "{big: {spreadsheet: " + BOOK + "}}",
        retry="retry: {max_retries: 3, delay_seconds: 0.01}",
    )

    result = atlas.materialize("acme/sheets/big", raise_on_error=False)

    error = step_failure(result)
    assert "invalid_grant" in error.description
    assert not retried(result)
    assert len(google.of("POST", "/token")) == 1
    assert google.of("GET", "/v4/") == []
    private_key = json.loads(os.environ[KEY_VAR])["private_key"]
    assert private_key.splitlines()[1] not in error.description


def test_snapshot_keeps_one_copy_of_the_worksheet_per_partition(tmp_path, google):
    sheet = budget_sheet(google)
    sheet.put_rows(1, [["name"], ["ada"]])
    atlas = sheets_platform(tmp_path, google, "{people: {spreadsheet: " + BOOK + ", write: snapshot}}")

    atlas.materialize("acme/sheets/people", partition="2026-03-01")
    sheet.put_rows(3, [["bob"]])
    atlas.materialize("acme/sheets/people", partition="2026-03-02")
    atlas.materialize("acme/sheets/people", partition="2026-03-02")

    table = atlas.table("sheets__people", namespace="acme").to_pylist()
    by_day = sorted((r["_atlas_partition"], r["name"]) for r in table)
    assert by_day == [("2026-03-01", "ada"), ("2026-03-02", "ada"), ("2026-03-02", "bob")]


def test_a_replace_run_replaces_the_whole_table(tmp_path, google):
    sheet = budget_sheet(google)
    sheet.put_rows(1, [["name"], ["ada"], ["bob"]])
    atlas = sheets_platform(tmp_path, google, "{people: {spreadsheet: " + BOOK + "}}")
    atlas.materialize("acme/sheets/people")
    del sheet.cells[(3, 1)]

    atlas.materialize("acme/sheets/people")

    assert rows(atlas, "people") == [{"name": "ada"}]


def test_check_connection_exchanges_the_key_for_a_token_once(tmp_path, google):
    atlas = sheets_platform(tmp_path, google, "{people: {spreadsheet: " + BOOK + "}}")

    result = atlas.check_sources()

    assert result.output_for_node("check_source_connections") == {"acme.sheets": "ok"}
    assert [r.path for r in google.requests] == ["/token"]


def test_no_key_or_token_appears_in_anything_dagster_stores(tmp_path, google):
    budget_sheet(google).put_rows(1, [["name"], ["ada"]])
    atlas = sheets_platform(tmp_path, google, "{people: {spreadsheet: " + BOOK + "}}")
    atlas.materialize("acme/sheets/people")
    google.fail("/v4/", status=403)
    atlas.materialize("acme/sheets/people", raise_on_error=False)

    stored = atlas.stored()
    key_line = json.loads(os.environ[KEY_VAR])["private_key"].splitlines()[1]
    assert key_line not in stored
    assert all(token not in stored for token in google.tokens)
    assert "Google API HTTP 403 PERMISSION_DENIED" in stored


def test_an_authorized_users_key_reads_through_its_refresh_token(tmp_path, google, monkeypatch):
    monkeypatch.setenv(KEY_VAR, authorized_user_json(google.token_uri))
    budget_sheet(google).put_rows(1, [["name"], ["ada"]])
    atlas = sheets_platform(tmp_path, google, "{people: {spreadsheet: " + BOOK + "}}")

    atlas.materialize("acme/sheets/people")

    assert rows(atlas, "people") == [{"name": "ada"}]
    assert google.of("POST", "/token")[0].form["grant_type"] == ["refresh_token"]


def test_a_revoked_refresh_token_fails_once_without_showing_it(tmp_path, google, monkeypatch):
    monkeypatch.setenv(KEY_VAR, authorized_user_json(google.token_uri, refresh_token="1//revoked-token"))
    atlas = sheets_platform(
        tmp_path,
        google,
        "{people: {spreadsheet: " + BOOK + "}}",
        retry="retry: {max_retries: 3, delay_seconds: 0.01}",
    )

    result = atlas.materialize("acme/sheets/people", raise_on_error=False)

    description = step_failure(result).description
    assert "invalid_grant" in description
    assert "1//revoked-token" not in description
    assert USER_REFRESH_TOKEN not in description
    assert len(google.of("POST", "/token")) == 1
