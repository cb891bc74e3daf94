"""Google Drive CSV through Dagster into Iceberg: google-auth's session against a local Drive v3."""

from __future__ import annotations

import dagster as dg

from atlas_assets_tests.connectors.saas.google.conftest import KEY_VAR
from atlas_assets_tests.connectors.saas.google.server import SHEET_MIME, GoogleServer, service_account_json
from atlas_assets_tests.harness import Platform, platform

FOLDER = "1FolderExports0123456789"
DAY1, DAY2 = "2026-03-01", "2026-03-02"
NODE = "acme__drive__{}"


def drive_platform(tmp_path, server: GoogleServer, objects: str, retry: str = "") -> Platform:
    body = f"""
    tenants:
      acme:
        {retry}
        sources:
          drive:
            kind: google_drive
            credentials: "${{{KEY_VAR}}}"
            api_base_url: "{server.url}"
            objects: {objects}
    """
    return platform(tmp_path, body)


ORDERS = "{orders: {folder_id: " + FOLDER + "}}"


def rows(atlas: Platform, name: str = "orders") -> list[tuple]:
    table = atlas.table(f"drive__{name}", namespace="acme").to_pylist()
    return sorted((r["_drive_file_name"], r["id"], r["amount"]) for r in table)


def metadata(result: dg.ExecuteInProcessResult, name: str = "orders") -> dict:
    return result.asset_materializations_for_node(NODE.format(name))[0].metadata


def test_csv_files_modified_in_the_window_land_with_their_drive_lineage(tmp_path, google):
    google.upload(FOLDER, "orders-a.csv", b"id,amount\n1,9.5\n2,3\n", f"{DAY1}T08:00:00.000Z")
    google.upload(FOLDER, "orders-b.csv", b"id,amount\n3,1\n", f"{DAY1}T23:59:59.999Z")
    google.upload(FOLDER, "orders-c.csv", b"id,amount\n4,1\n", f"{DAY2}T00:00:00.000Z")  # next day
    google.upload(FOLDER, "notes.txt", b"not an order", f"{DAY1}T09:00:00.000Z")  # glob: orders*.csv
    google.upload("1OtherFolder", "orders-z.csv", b"id,amount\n9,9\n", f"{DAY1}T09:00:00.000Z")
    atlas = drive_platform(tmp_path, google, ORDERS)

    result = atlas.materialize("acme/drive/orders", partition=DAY1)

    assert rows(atlas) == [("orders-a.csv", 1, 9.5), ("orders-a.csv", 2, 3.0), ("orders-b.csv", 3, 1.0)]
    stored = atlas.table("drive__orders", namespace="acme").to_pylist()[0]
    assert stored["_drive_file_id"].startswith("1drv")
    assert stored["_drive_version"] == 1
    assert metadata(result)["atlas/source/files_loaded"].value == 2
    listed = google.of("GET", "/drive/v3/files")[0].query
    assert listed["supportsAllDrives"] == ["true"]
    assert listed["includeItemsFromAllDrives"] == ["true"]
    downloads = [r for r in google.of("GET", "/drive/v3/files/") if r.query.get("alt") == ["media"]]
    assert len(downloads) == 2


def test_a_file_reuploaded_with_fewer_rows_keeps_only_its_new_rows(tmp_path, google):
    item = google.upload(FOLDER, "orders.csv", b"id,amount\n1,1\n2,2\n3,3\n", f"{DAY1}T08:00:00Z")
    google.upload(FOLDER, "orders-other.csv", b"id,amount\n7,7\n", f"{DAY1}T09:00:00Z")
    atlas = drive_platform(tmp_path, google, ORDERS)
    atlas.materialize("acme/drive/orders", partition=DAY1)
    google.reupload(item, b"id,amount\n1,10\n", f"{DAY2}T08:00:00Z")

    atlas.materialize("acme/drive/orders", partition=DAY2)
    atlas.materialize("acme/drive/orders", partition=DAY1)  # an older window, re-run: no effect on it

    assert rows(atlas) == [("orders-other.csv", 7, 7.0), ("orders.csv", 1, 10.0)]
    versions = {r["_drive_version"] for r in atlas.table("drive__orders", namespace="acme").to_pylist()}
    assert versions == {1, 2}


def test_a_trashed_file_loses_its_rows(tmp_path, google):
    item = google.upload(FOLDER, "orders.csv", b"id,amount\n1,1\n", f"{DAY1}T08:00:00Z")
    google.upload(FOLDER, "orders-2.csv", b"id,amount\n2,2\n", f"{DAY1}T08:00:00Z")
    atlas = drive_platform(tmp_path, google, ORDERS)
    atlas.materialize("acme/drive/orders", partition=DAY1)
    item.trashed = True

    result = atlas.materialize("acme/drive/orders", partition=DAY2)

    assert rows(atlas) == [("orders-2.csv", 2, 2.0)]
    assert metadata(result)["atlas/source/files_trashed"].value == 1


def test_a_native_sheet_in_the_folder_is_exported_as_csv(tmp_path, google):
    google.upload(FOLDER, "orders-live", b"id,amount\n5,2.5\n", f"{DAY1}T08:00:00Z", mime_type=SHEET_MIME)
    atlas = drive_platform(tmp_path, google, "{orders: {folder_id: " + FOLDER + ", glob: 'orders*'}}")

    atlas.materialize("acme/drive/orders", partition=DAY1)

    assert rows(atlas) == [("orders-live", 5, 2.5)]
    exports = google.of("GET", "/drive/v3/files/1drv")
    assert [r.path.rsplit("/", 1)[1] for r in exports] == ["export"]
    assert exports[0].query["mimeType"] == ["text/csv"]


def test_every_page_of_a_large_folder_is_listed(tmp_path, google):
    for n in range(1, 6):
        google.upload(FOLDER, f"orders-{n}.csv", f"id,amount\n{n},1\n".encode(), f"{DAY1}T0{n}:00:00Z")
    google.drive_page_size = 2
    atlas = drive_platform(tmp_path, google, ORDERS)

    result = atlas.materialize("acme/drive/orders", partition=DAY1)

    assert [r[1] for r in rows(atlas)] == [1, 2, 3, 4, 5]
    assert metadata(result)["atlas/source/list_pages"].value == 3 + 1  # 3 pages, then the trash's one
    listings = [
        r for r in google.requests if r.path == "/drive/v3/files" and "trashed" not in r.query["q"][0]
    ]
    tokens = [r.query.get("pageToken") for r in listings]
    assert tokens[0] is None
    assert all(tokens[1:])


def test_a_folder_in_a_shared_drive_is_listed_in_that_drive(tmp_path, google):
    google.upload(FOLDER, "orders.csv", b"id,amount\n1,1\n", f"{DAY1}T08:00:00Z", drive_id="0AShared")
    objects = "{orders: {folder_id: " + FOLDER + ", shared_drive_id: 0AShared}}"
    atlas = drive_platform(tmp_path, google, objects)

    atlas.materialize("acme/drive/orders", partition=DAY1)

    assert rows(atlas) == [("orders.csv", 1, 1.0)]
    listed = google.of("GET", "/drive/v3/files")[0].query
    assert (listed["corpora"], listed["driveId"]) == (["drive"], ["0AShared"])


def test_a_throttled_download_is_retried(tmp_path, google):
    item = google.upload(FOLDER, "orders.csv", b"id,amount\n1,1\n", f"{DAY1}T08:00:00Z")
    google.fail(f"/drive/v3/files/{item.id}", status=429, times=2, retry_after="0")
    atlas = drive_platform(tmp_path, google, ORDERS, retry="retry: {max_retries: 3, delay_seconds: 0.01}")

    result = atlas.materialize("acme/drive/orders", partition=DAY1)

    assert rows(atlas) == [("orders.csv", 1, 1.0)]
    assert metadata(result)["atlas/source/rate_limit_waits"].value == 2


def test_an_unknown_service_account_fails_once_without_retries(tmp_path, google, monkeypatch):
    monkeypatch.setenv(
        KEY_VAR, service_account_json(google.token_uri, client_email="gone@x.iam.gserviceaccount.com")
    )
    atlas = drive_platform(tmp_path, google, ORDERS, retry="retry: {max_retries: 3, delay_seconds: 0.01}")

    result = atlas.materialize("acme/drive/orders", partition=DAY1, raise_on_error=False)

    assert not result.success
    assert len(google.of("POST", "/token")) == 1
    assert google.of("GET", "/drive/") == []


def _span(request: dg.RunRequest) -> str:
    tags = request.tags
    start, end = (
        tags.get("dagster/asset_partition_range_start"),
        tags.get("dagster/asset_partition_range_end"),
    )
    return request.partition_key or f"{start}..{end}"


def test_the_file_arrival_sensor_requests_the_day_a_file_was_uploaded_or_replaced(tmp_path, google):
    atlas = drive_platform(tmp_path, google, ORDERS + "\n            sensor: {file_arrival: true}")
    sensor = atlas.defs.resolve_sensor_def("acme__drive__orders__file_arrival")

    def tick(cursor: str | None) -> tuple[list[str], str | None]:
        context = dg.build_sensor_context(cursor=cursor)
        result = sensor(context)
        requested = [_span(r) for r in result] if isinstance(result, list) else []
        return requested, context.cursor

    _, cursor = tick(None)  # the first tick records what is there
    item = google.upload(FOLDER, "orders.csv", b"id,amount\n1,1\n", f"{DAY1}T08:00:00Z")
    first, cursor = tick(cursor)
    google.reupload(item, b"id,amount\n1,2\n", f"{DAY2}T08:00:00Z")
    second, cursor = tick(cursor)
    third, _ = tick(cursor)

    assert first == [DAY1]
    assert second == [f"{DAY1}..{DAY2}"]  # the old version's day loses its rows, the new one's gains them
    assert third == []
