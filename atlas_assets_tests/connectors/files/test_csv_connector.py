"""The `csv` source kind: real files on disk, streamed through the real connector."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.connectors.contract import ExtractRequest, TimeWindow
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.files.csv import CsvObjectConfig, CsvResource, CsvSourceConfig


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def request(
    name: str = "items",
    *,
    window: TimeWindow | None = None,
    after: Any = None,
    batch_size: int = 50_000,
    **config: Any,
) -> ExtractRequest:
    """An extract request for object `name` of tenant `acme`, source `files`."""
    return ExtractRequest(
        tenant="acme",
        source="files",
        object_name=name,
        config=CsvObjectConfig(**config),
        window=window,
        after=after,
        batch_size=batch_size,
    )


def extract(directory: Path, req: ExtractRequest) -> pa.Table:
    batches = list(CsvResource(path=str(directory)).extract(req))
    return pa.Table.from_batches(batches) if batches else pa.table({})


def utc_day(day: str) -> TimeWindow:
    start = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
    return TimeWindow(start, start + dt.timedelta(days=1))


def test_runner_yaml_csv_source_loads_with_object_list_shorthand() -> None:
    text = "tenants:\n  acme:\n    sources:\n      files: {kind: csv, path: data, objects: [payments]}\n"

    config, _ = parse_runner_config(text, "runner.yaml", {})

    source = config.tenants["acme"].sources["files"]
    assert isinstance(source, CsvSourceConfig)
    assert source.objects["payments"].file_glob("payments") == "payments*.csv"
    assert source.build_resource().path == "data"


def test_upsert_is_rejected_for_csv_objects_at_load() -> None:
    text = (
        "tenants:\n  acme:\n    sources:\n      files:\n        kind: csv\n        path: data\n"
        "        objects:\n          people: {cursor: updated_at, primary_key: id, write: upsert}\n"
    )

    with pytest.raises(
        RunnerConfigError, match=r"objects\.people\.write: write mode 'upsert' is not supported for csv"
    ):
        parse_runner_config(text, "runner.yaml", {})


def test_first_row_of_text_over_numbers_is_a_header(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id,name,price\n1,apple,0.5\n2,pear,0.75\n")

    table = extract(tmp_path, request())

    assert table.column_names == ["id", "name", "price"]
    assert table.num_rows == 2


def test_first_row_holding_numbers_is_data_and_columns_are_numbered(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "1,apple,0.5\n2,pear,0.75\n")

    table = extract(tmp_path, request())

    assert table.column_names == ["column_1", "column_2", "column_3"]
    assert table.column("column_2").to_pylist() == ["apple", "pear"]


def test_header_false_reads_a_text_first_row_as_data(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "alice,paris\nbob,lyon\n")

    table = extract(tmp_path, request(header=False))

    assert table.column("column_1").to_pylist() == ["alice", "bob"]


def test_column_types_are_inferred_from_the_values(tmp_path: Path) -> None:
    write(
        tmp_path,
        "items.csv",
        "id,price,active,day,seen_at,label\n"
        "1,0.5,true,2026-01-01,2026-01-01 10:00:00,a\n"
        "2,1.5,false,2026-01-02,2026-01-02 11:30:00,b\n",
    )

    schema = extract(tmp_path, request()).schema

    assert [schema.field(n).type for n in schema.names] == [
        pa.int64(),
        pa.float64(),
        pa.bool_(),
        pa.date32(),
        pa.timestamp("us"),
        pa.string(),
    ]


def test_declared_columns_are_yielded_as_their_original_text(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id,amount,code\n1,12.50,007\n2,not a number,010\n")

    table = extract(tmp_path, request(column_types={"amount": "decimal(12,2)", "code": "string"}))

    assert table.schema.field("amount").type == pa.string()
    assert table.column("amount").to_pylist() == ["12.50", "not a number"]
    assert table.column("code").to_pylist() == ["007", "010"]


def test_empty_cells_of_declared_columns_are_null(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id,amount\n1,\n2,NULL\n3,4.00\n")

    table = extract(tmp_path, request(column_types={"amount": "decimal(12,2)"}))

    assert table.column("amount").to_pylist() == [None, None, "4.00"]


def test_empty_text_cells_are_null_while_other_text_is_kept(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id,country\n1,\n2,NA\n3,FR\n")

    table = extract(tmp_path, request())

    assert table.column("country").to_pylist() == [None, "NA", "FR"]


def test_a_column_empty_in_the_first_rows_reads_as_text_in_every_file(tmp_path: Path) -> None:
    write(tmp_path, "items_1.csv", "id,comment\n1,\n2,\n")
    write(tmp_path, "items_2.csv", "id,comment\n3,late remark\n")

    table = extract(tmp_path, request())

    assert table.schema.field("comment").type == pa.string()
    assert table.column("comment").to_pylist()[-1] == "late remark"


def test_files_matching_the_glob_are_read_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path, "sales_2026-02.csv", "id\n3\n4\n")
    write(tmp_path, "sales_2026-01.csv", "id\n1\n2\n")
    write(tmp_path, "sales_2026-03.csv", "id\n5\n")
    write(tmp_path, "refunds_2026-01.csv", "id\n99\n")

    table = extract(tmp_path, request("sales"))

    assert table.column("id").to_pylist() == [1, 2, 3, 4, 5]


def test_an_explicit_glob_selects_the_files(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    write(tmp_path / "exports", "a.txt", "id\n1\n")
    write(tmp_path, "items.csv", "id\n2\n")

    table = extract(tmp_path, request(glob="exports/*.txt"))

    assert table.column("id").to_pylist() == [1]


def test_delimiter_option_splits_columns(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id;name\n1;apple\n")

    table = extract(tmp_path, request(delimiter=";"))

    assert table.column_names == ["id", "name"]


def test_window_keeps_rows_in_window_and_rows_with_null_or_bad_cursor(tmp_path: Path) -> None:
    write(
        tmp_path,
        "events.csv",
        "id,created_at\n1,2026-01-01T23:59:59Z\n2,2026-01-02T00:00:00Z\n3,\n4,2026-01-02T18:00:00Z\n"
        "5,yesterday\n6,2026-01-03T00:00:00Z\n",
    )

    table = extract(tmp_path, request("events", cursor="created_at", window=utc_day("2026-01-02")))

    assert table.column("id").to_pylist() == [2, 3, 4, 5]
    assert table.column("created_at").to_pylist()[1:4:2] == [None, None]


def test_cursor_dates_naive_and_zoned_times_compare_as_utc(tmp_path: Path) -> None:
    write(
        tmp_path,
        "events.csv",
        "id,created_at\n1,2026-01-02\n2,2026-01-02 12:00:00\n"
        "3,2026-01-02T01:00:00+02:00\n4,2026-01-03T00:30:00+01:00\n",
    )

    table = extract(tmp_path, request("events", cursor="created_at", window=utc_day("2026-01-02")))

    # Row 3 is 2026-01-01 23:00 UTC; row 4 is 2026-01-02 23:30 UTC.
    assert table.column("id").to_pylist() == [1, 2, 4]
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")


def test_declared_cursor_filters_by_window_and_stays_text(tmp_path: Path) -> None:
    write(tmp_path, "events.csv", "id,created_at\n1,2026-01-01 10:00:00\n2,2026-01-02 10:00:00\n")

    table = extract(
        tmp_path,
        request(
            "events",
            cursor="created_at",
            column_types={"created_at": "timestamp"},
            window=utc_day("2026-01-02"),
        ),
    )

    assert table.to_pylist() == [{"id": 2, "created_at": "2026-01-02 10:00:00"}]


def test_after_keeps_only_rows_past_the_high_water_mark(tmp_path: Path) -> None:
    write(tmp_path, "events.csv", "id,created_at\n1,2026-01-01\n2,2026-01-02\n3,2026-01-03\n")

    table = extract(
        tmp_path, request("events", cursor="created_at", write="append", after=dt.date(2026, 1, 2))
    )

    assert table.column("id").to_pylist() == [3]


def test_numeric_cursor_compares_with_a_numeric_mark(tmp_path: Path) -> None:
    write(tmp_path, "events.csv", "id,payload\n8,a\n9,b\n10,c\n")

    table = extract(tmp_path, request("events", cursor="id", write="append", after=9))

    assert table.column("payload").to_pylist() == ["c"]


def test_many_rows_stream_in_batches_no_larger_than_batch_size(tmp_path: Path) -> None:
    rows = 120_000
    write(tmp_path, "items.csv", "id,name\n" + "".join(f"{i},name {i}\n" for i in range(rows)))

    batches = list(CsvResource(path=str(tmp_path)).extract(request(batch_size=1_000)))

    assert max(batch.num_rows for batch in batches) <= 1_000
    assert sum(batch.num_rows for batch in batches) == rows


def test_missing_directory_is_a_permanent_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(PermanentSourceError, match=rf"^directory {missing} does not exist"):
        extract(missing, request())


def test_no_file_matching_the_glob_is_a_permanent_error_naming_it(tmp_path: Path) -> None:
    write(tmp_path, "other.csv", "id\n1\n")

    with pytest.raises(PermanentSourceError, match=r"^no file .* matches 'items\*\.csv'"):
        extract(tmp_path, request())


def test_missing_cursor_column_is_a_permanent_error_listing_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "items.csv", "id,name\n1,apple\n")

    with pytest.raises(PermanentSourceError) as raised:
        extract(tmp_path, request(cursor="updated_at"))

    assert str(raised.value) == (
        f"cursor column 'updated_at' is not a column of {path} (its columns: id, name)"
    )


def test_missing_primary_key_column_is_a_permanent_error_naming_it(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id,name\n1,apple\n")

    with pytest.raises(
        PermanentSourceError, match=r"primary key column 'sku' is not a column of .*items\.csv"
    ):
        extract(tmp_path, request(primary_key=["sku"]))


def test_malformed_row_is_a_permanent_error_naming_file_and_row(tmp_path: Path) -> None:
    write(tmp_path, "items.csv", "id,name\n1,apple\n2,pear,extra\n")

    with pytest.raises(PermanentSourceError, match=r"^/.*items\.csv: .*Row #3: Expected 2 columns"):
        extract(tmp_path, request())


def test_value_unlike_the_inferred_type_later_in_a_file_is_a_permanent_error_advising_column_types(
    tmp_path: Path,
) -> None:
    rows = "".join(f"{i}\n" for i in range(200_000))
    write(tmp_path, "items.csv", f"qty\n{rows}lots\n")

    with pytest.raises(
        PermanentSourceError, match=r"column 'qty' holds a value that is not int64.*column_types"
    ):
        extract(tmp_path, request(batch_size=1_000))


def test_a_later_file_may_add_and_lack_columns(tmp_path: Path) -> None:
    write(tmp_path, "items_1.csv", "id,name\n1,apple\n")
    write(tmp_path, "items_2.csv", "id,title\n2,pear\n")

    batches = list(CsvResource(path=str(tmp_path)).extract(request()))

    assert [b.schema.names for b in batches] == [["id", "name"], ["id", "title"]]
    assert [b.to_pylist() for b in batches] == [[{"id": 1, "name": "apple"}], [{"id": 2, "title": "pear"}]]


def test_check_connection_fails_permanently_for_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PermanentSourceError, match="does not exist"):
        CsvResource(path=str(tmp_path / "nowhere")).check_connection()


def test_check_connection_passes_for_a_readable_directory(tmp_path: Path) -> None:
    CsvResource(path=str(tmp_path)).check_connection()


def test_relative_path_resolves_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)

    assert CsvResource(path="data").dataset_namespace() == (tmp_path / "data").resolve().as_uri()


def test_arrow_memory_is_bounded_by_the_batch_not_the_file(tmp_path: Path) -> None:
    row = "2026-01-01T00:00:00Z,{i},some text to give the row some width\n"
    path = write(
        tmp_path, "items.csv", "created_at,id,text\n" + "".join(row.format(i=i) for i in range(600_000))
    )
    peak = 0

    for _ in CsvResource(path=str(tmp_path)).extract(request(cursor="created_at", batch_size=10_000)):
        peak = max(peak, pa.total_allocated_bytes())

    assert path.stat().st_size > 35_000_000
    assert peak < 8_000_000
