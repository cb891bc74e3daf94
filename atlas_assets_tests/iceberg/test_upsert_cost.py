"""An upsert costs what it changes: stored rows it replaces are removed by position deletes, never
rewritten, and every reader (pyiceberg, DuckDB over its Arrow, compaction, pyiceberg's own
delete) sees exactly the live rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

import duckdb
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import In
from pyiceberg.table import Table

from atlas_assets.config.objects import WriteMode
from atlas_assets.iceberg.compaction import compact_small_files
from atlas_assets.iceberg.table_writer import TableWriter, WriteReport
from atlas_assets.iceberg.write_plan import WritePlan
from atlas_assets.ingest.lineage_columns import LineageValues

UTC = dt.UTC
FILES, PER_FILE = 8, 500
SMALL_FILES = 4096  # bytes of Arrow per data file: each seed batch becomes its own file


class Customers:
    """An upsert table written through `TableWriter`, seeded with FILES files of PER_FILE keys each."""

    def __init__(self, tmp_path):
        self.catalog = SqlCatalog("t", uri=f"sqlite:///{tmp_path}/c.db", warehouse=f"file://{tmp_path}/wh")
        self.writer = TableWriter(self.catalog, target_file_bytes=SMALL_FILES)
        self.runs = 0
        self.upsert([_rows(range(f * PER_FILE, (f + 1) * PER_FILE), day=1) for f in range(FILES)])

    def upsert(self, batches: Iterable[pa.RecordBatch]) -> WriteReport:
        self.runs += 1
        plan = WritePlan(
            namespace="demo",
            table="customers",
            label="demo.customers",
            mode=WriteMode.UPSERT,
            lineage=LineageValues("demo", "t", f"00000000-0000-0000-0000-{self.runs:012d}", _at(1)),
            cursor="updated_at",
            primary_key=("id",),
            version=("updated_at",),
        )
        return self.writer.write(plan, lambda _after: batches)

    def table(self) -> Table:
        return self.catalog.load_table(("demo", "customers"))

    def emails(self) -> dict[int, str]:
        rows = self.table().scan(selected_fields=("id", "email")).to_arrow()
        return dict(zip(rows.column("id").to_pylist(), rows.column("email").to_pylist(), strict=True))

    def summary(self) -> dict[str, str]:
        snapshot = self.table().current_snapshot()
        assert snapshot is not None
        assert snapshot.summary is not None
        return snapshot.summary.additional_properties


def _at(day: int) -> dt.datetime:
    return dt.datetime(2026, 1, day, 12, tzinfo=UTC)


def _rows(ids: range | list[int], day: int, tag: str = "v1") -> pa.RecordBatch:
    ids = list(ids)
    return pa.RecordBatch.from_pydict(
        {
            "id": pa.array(ids, pa.int64()),
            "email": [f"{tag}-{i}@x.test" for i in ids],
            "updated_at": pa.array([_at(day)] * len(ids), pa.timestamp("us", tz="UTC")),
        }
    )


def _expected(changed: dict[int, str]) -> dict[int, str]:
    return {i: changed.get(i, f"v1-{i}@x.test") for i in range(FILES * PER_FILE)}


def test_an_upsert_of_a_few_keys_rewrites_no_stored_file_and_adds_deletes_only_for_the_files_holding_them(
    tmp_path,
):
    customers = Customers(tmp_path)
    stored_files = len(customers.table().scan().plan_files())
    changed = [3, 4, 5 * PER_FILE + 7]  # two keys in the first file, one in the sixth

    report = customers.upsert([_rows(changed, day=2, tag="v2")])

    summary = customers.summary()
    assert stored_files == FILES
    assert report.rows_replaced == 3
    assert "deleted-data-files" not in summary
    assert "deleted-records" not in summary
    assert summary["added-delete-files"] == "2"
    assert summary["added-position-deletes"] == "3"
    assert summary["added-records"] == "3"


def test_after_upserts_and_deletes_pyiceberg_and_duckdb_read_exactly_the_live_rows(tmp_path):
    customers = Customers(tmp_path)
    customers.upsert([_rows([1, 2, 700, 3999], day=2, tag="v2")])
    customers.upsert([_rows([2, 700, 1500], day=3, tag="v3")])

    expected = _expected(
        {1: "v2-1@x.test", 3999: "v2-3999@x.test"} | {i: f"v3-{i}@x.test" for i in (2, 700, 1500)}
    )
    rows = customers.table().scan().to_arrow()
    assert rows.num_rows == len(expected)
    assert customers.emails() == expected
    assert duckdb.sql("select count(*), count(distinct id) from rows").fetchall() == [(len(expected),) * 2]
    assert duckdb.sql("select email from rows where id = 700").fetchall() == [("v3-700@x.test",)]


def test_rerunning_an_upsert_leaves_the_same_rows_and_an_older_rerun_changes_nothing(tmp_path):
    customers = Customers(tmp_path)
    newer = [_rows([10, 2010], day=3, tag="v3")]
    customers.upsert(newer)
    customers.upsert(newer)
    after_rerun = customers.emails()

    stale = customers.upsert([_rows([10, 2010], day=2, tag="v2")])

    assert after_rerun == _expected({10: "v3-10@x.test", 2010: "v3-2010@x.test"})
    assert customers.emails() == after_rerun
    assert stale.rows_stale == 2
    assert "added-delete-files" not in customers.summary()


def test_compaction_of_files_with_position_deletes_keeps_exactly_the_live_rows(tmp_path):
    customers = Customers(tmp_path)
    customers.upsert([_rows([0, 1, 600, 3001], day=2, tag="v2")])
    expected = customers.emails()

    report = compact_small_files(
        customers.table, lambda _table, _file: "all", 1 << 20, "00000000-0000-0000-0000-0000000000cc", "t"
    )

    assert report.files_removed == FILES + 1
    assert customers.emails() == expected
    assert len(expected) == FILES * PER_FILE


def test_a_copy_on_write_delete_after_an_upsert_removes_only_the_rows_it_names(tmp_path):
    # pyiceberg's own delete (the GDPR erase path) rewrites a file with its position deletes applied.
    customers = Customers(tmp_path)
    customers.upsert([_rows([5, 6], day=2, tag="v2")])

    customers.table().delete(In("id", [6, 7]))

    expected = _expected({5: "v2-5@x.test"})
    del expected[6], expected[7]
    assert customers.emails() == expected


def test_compaction_rewrites_the_files_carrying_deletes_whatever_their_size_dropping_the_replaced_rows(
    tmp_path,
):
    customers = Customers(tmp_path)
    customers.upsert([_rows([1, 2, 1700], day=2, tag="v2")])
    expected = customers.emails()

    # A 1-byte target makes no file "small", and files spanning windows are never grouped:
    # only the two files with deletes are rewritten, each on its own.
    report = compact_small_files(
        customers.table, lambda _table, _file: None, 1, "00000000-0000-0000-0000-0000000000cc", "t"
    )

    tasks = customers.table().scan().plan_files()
    assert report.files_removed == 2
    assert customers.emails() == expected
    assert not any(task.delete_files for task in tasks)
    assert sum(task.file.record_count for task in tasks) == FILES * PER_FILE


def test_an_upsert_that_loses_the_commit_race_to_another_upsert_plans_its_deletes_again(tmp_path):
    customers = Customers(tmp_path)

    def slow_run() -> Iterator[pa.RecordBatch]:
        yield _rows([1, 2], day=2, tag="v2")
        # A newer upsert of keys 2 and 3 commits while this run is still extracting.
        customers.upsert([_rows([2, 3], day=3, tag="v3")])

    report = customers.upsert(slow_run())

    assert report.rows_stale == 1
    assert customers.emails() == _expected({1: "v2-1@x.test", 2: "v3-2@x.test", 3: "v3-3@x.test"})
    assert len(customers.table().scan().to_arrow()) == FILES * PER_FILE
