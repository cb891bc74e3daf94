"""What `kind: csv` tells the file-arrival sensor: its files' versions and a file's cursor instants."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.file_versions import FileVersion, ListsFiles
from atlas_assets.connectors.files.csv import CsvObjectConfig, CsvResource


def _request(name: str = "payments", **config: Any) -> ExtractRequest:
    return ExtractRequest(tenant="acme", source="files", object_name=name, config=CsvObjectConfig(**config))


def _write(directory: Path, name: str, text: str, mtime: float | None = None) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_the_csv_resource_implements_the_file_listing_protocol(tmp_path):
    assert isinstance(CsvResource(path=str(tmp_path)), ListsFiles)


def test_files_are_listed_by_path_relative_to_the_source_with_size_and_modification_time(tmp_path):
    _write(tmp_path, "payments_2.csv", "id,paid_at\n1,2026-01-02\n", mtime=1_767_300_000)
    _write(tmp_path, "sub/payments_1.csv", "id,paid_at\n", mtime=1_767_200_000)
    _write(tmp_path, "refunds.csv", "id,paid_at\n1,2026-01-02\n")

    files = CsvResource(path=str(tmp_path)).list_files(_request(cursor="paid_at", glob="**/payments_*.csv"))

    assert sorted(files, key=lambda f: f.id) == [
        FileVersion("payments_2.csv", 24, _utc(2026, 1, 1, 20, 40)),
        FileVersion("sub/payments_1.csv", 11, _utc(2025, 12, 31, 16, 53, 20)),
    ]


def test_a_changed_size_or_time_changes_the_fingerprint_and_nothing_else_does(tmp_path):
    version = FileVersion("payments.csv", 10, _utc(2026, 1, 1))
    assert FileVersion("payments.csv", 10, _utc(2026, 1, 1)).fingerprint == version.fingerprint
    assert FileVersion("payments.csv", 11, _utc(2026, 1, 1)).fingerprint != version.fingerprint
    assert FileVersion("payments.csv", 10, _utc(2026, 1, 1, 0, 0, 1)).fingerprint != version.fingerprint
    assert FileVersion("other.csv", 10, _utc(2026, 1, 1)).digest != version.digest


def test_no_matching_file_is_an_empty_listing_not_an_error(tmp_path):
    assert CsvResource(path=str(tmp_path)).list_files(_request(cursor="paid_at")) == []


def test_a_files_cursor_column_reads_as_utc_instants_with_null_for_bad_values(tmp_path):
    _write(
        tmp_path,
        "payments.csv",
        "id,paid_at,note\n1,2026-01-02T03:00:00,a\n2,2026-01-04 10:00:00+02:00,b\n3,not a time,c\n",
    )
    resource = CsvResource(path=str(tmp_path))
    request = _request(cursor="paid_at")
    (file,) = resource.list_files(request)

    instants = resource.cursor_instants(request, file)

    assert instants.type == pa.timestamp("us", tz="UTC")
    assert instants.to_pylist() == [_utc(2026, 1, 2, 3), _utc(2026, 1, 4, 8), None]


def test_epoch_and_date_cursors_read_as_instants(tmp_path):
    _write(tmp_path, "events.csv", "id,at\n1,1767225600\n2,1767312000\n")
    _write(tmp_path, "days.csv", "id,day\n1,2026-01-03\n")
    resource = CsvResource(path=str(tmp_path))
    epoch = _request("events", cursor="at", cursor_format="epoch_seconds")
    dates = _request("days", cursor="day")

    (events,) = resource.list_files(epoch)
    (days,) = resource.list_files(dates)

    assert resource.cursor_instants(epoch, events).to_pylist() == [_utc(2026, 1, 1), _utc(2026, 1, 2)]
    assert resource.cursor_instants(dates, days).to_pylist() == [_utc(2026, 1, 3)]


def test_a_file_gone_since_the_listing_reads_as_no_instants(tmp_path):
    path = _write(tmp_path, "payments.csv", "id,paid_at\n1,2026-01-02\n")
    resource = CsvResource(path=str(tmp_path))
    request = _request(cursor="paid_at")
    (file,) = resource.list_files(request)
    path.unlink()

    assert len(resource.cursor_instants(request, file)) == 0


def test_a_cursor_missing_from_a_file_is_a_permanent_error_naming_file_and_column(tmp_path):
    path = _write(tmp_path, "payments.csv", "id,created\n1,2026-01-02\n")
    resource = CsvResource(path=str(tmp_path))
    request = _request(cursor="paid_at")
    (file,) = resource.list_files(request)

    with pytest.raises(PermanentSourceError, match=f"'paid_at' is not a column of {path}"):
        resource.cursor_instants(request, file)
