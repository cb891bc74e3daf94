"""Deletes reported by a source: applied in the same Iceberg commit as the run's upserts, and kept
as tombstones so that no re-run, in any order, brings a deleted row back or an older row over a
newer one."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa

from atlas_assets.config.loader import load_runner_config
from atlas_assets.connectors.contract import DeletedKeys, ExtractItem, ExtractRequest, SourceConnector
from atlas_assets.factory.assets import build_ingestion_asset
from atlas_assets.factory.resources import build_shared_resources
from atlas_assets_tests.harness import write_runner

CUSTOMERS = "demo/feed/customers"


class ChangeFeed(SourceConnector):
    """A source whose change feed is a JSON file: `{"rows": [...], "deleted": [...]}` per partition,
    each row and delete with its `updated_at` version."""

    path: str

    def check_connection(self) -> None:
        Path(self.path).stat()

    def extract(self, request: ExtractRequest) -> Iterator[ExtractItem]:
        assert request.window is not None
        changes = json.loads(Path(self.path).read_text())[request.window.start.date().isoformat()]
        for change in (*changes["rows"], *changes["deleted"]):
            change["updated_at"] = dt.datetime.fromisoformat(change["updated_at"])
        if changes["rows"]:
            yield pa.RecordBatch.from_pylist(changes["rows"])
        if changes["deleted"]:
            yield DeletedKeys(pa.RecordBatch.from_pylist(changes["deleted"]))


class Feed:
    """The change feed file and Dagster definitions whose `customers` asset reads it."""

    def __init__(self, root: Path, write: str = "upsert"):
        self.file = root / "feed.json"
        self.changes: dict[str, dict] = {}
        body = f"""
        tenants:
          demo:
            sources:
              feed:
                kind: sql  # only the object's config is used: the asset reads the feed
                url: "sqlite:///{root}/unused.db"
                objects:
                  customers: {{cursor: updated_at, primary_key: [id], write: {write}}}
        """
        config, specs = load_runner_config(write_runner(root, body))
        asset = build_ingestion_asset(specs[0], ChangeFeed(path=str(self.file)))
        self.defs = dg.Definitions(assets=[asset], resources=build_shared_resources(config))
        self.instance = dg.DagsterInstance.ephemeral()

    def on(
        self,
        day: str,
        rows: list[tuple[int, str]] = (),
        deleted: list[int] = (),
        at: str = "12:00",
        deleted_at: str | None = None,
    ) -> None:
        """The day's changes: `rows` changed at `at`, `deleted` at `deleted_at` (`at` by default)."""
        self.changes[day] = {
            "rows": [{"id": i, "email": email, "updated_at": f"{day}T{at}:00+00:00"} for i, email in rows],
            "deleted": [{"id": i, "updated_at": f"{day}T{deleted_at or at}:00+00:00"} for i in deleted],
        }
        self.file.write_text(json.dumps(self.changes))

    def materialize(self, day: str, raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
        job = self.defs.resolve_implicit_global_asset_job_def()
        return job.execute_in_process(
            asset_selection=[dg.AssetKey.from_user_string(CUSTOMERS)],
            partition_key=day,
            instance=self.instance,
            raise_on_error=raise_on_error,
        )

    def table(self):
        return self.defs.resources["iceberg_catalog"].catalog.load_table(("demo", "feed__customers"))

    def rows(self) -> dict[int, str]:
        return {r["id"]: r["email"] for r in self.table().scan().to_arrow().to_pylist()}

    def tombstones(self) -> dict[int, dt.datetime]:
        table = self.defs.resources["iceberg_catalog"].catalog.load_table(
            ("demo", "feed__customers__tombstones")
        )
        return {r["id"]: r["updated_at"] for r in table.scan().to_arrow().to_pylist()}

    def contents(self) -> list[dict]:
        """The table's rows without the columns that name the run that wrote them."""
        rows = self.table().scan().to_arrow().drop_columns(["_atlas_run_id", "_atlas_extracted_at"])
        return sorted(rows.to_pylist(), key=lambda r: r["id"])


def _metadata(result: dg.ExecuteInProcessResult) -> dict:
    return result.asset_materializations_for_node("demo__feed__customers")[0].metadata


def test_deleted_keys_remove_stored_rows_in_the_same_commit_as_the_upserts(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test"), (2, "b@x.test"), (3, "c@x.test")])
    feed.on("2026-01-02", rows=[(2, "b2@x.test")], deleted=[3])
    feed.materialize("2026-01-01")
    snapshots_before = len(feed.table().history())

    result = feed.materialize("2026-01-02")

    assert feed.rows() == {1: "a@x.test", 2: "b2@x.test"}
    assert len(feed.table().history()) == snapshots_before + 1
    metadata = _metadata(result)
    assert metadata["atlas/rows_deleted"].value == 1
    assert metadata["atlas/rows_replaced"].value == 1
    assert metadata["dagster/row_count"].value == 1


def test_rerunning_a_partition_with_deletes_leaves_the_same_rows(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test"), (2, "b@x.test")])
    feed.on("2026-01-02", rows=[(1, "a2@x.test")], deleted=[2])
    feed.materialize("2026-01-01")
    feed.materialize("2026-01-02")

    rerun = feed.materialize("2026-01-02")

    assert feed.rows() == {1: "a2@x.test"}
    assert _metadata(rerun)["atlas/rows_deleted"].value == 0


def test_a_run_of_only_deletes_removes_rows_and_adds_none(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test"), (2, "b@x.test")])
    feed.on("2026-01-02", deleted=[1, 2, 99])
    feed.materialize("2026-01-01")

    result = feed.materialize("2026-01-02")

    assert feed.rows() == {}
    assert _metadata(result)["atlas/rows_deleted"].value == 2


def test_a_key_both_upserted_and_deleted_in_one_run_keeps_the_newer_of_the_two(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test"), (2, "b@x.test")])
    feed.on("2026-01-02", rows=[(1, "back@x.test")], deleted=[1], at="13:00", deleted_at="12:00")
    feed.on("2026-01-03", rows=[(2, "late@x.test")], deleted=[2], at="12:00", deleted_at="13:00")
    feed.materialize("2026-01-01")

    feed.materialize("2026-01-02")
    feed.materialize("2026-01-03")

    assert feed.rows() == {1: "back@x.test"}


def test_a_delete_wins_over_a_row_of_the_same_version(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test")], deleted=[1])

    feed.materialize("2026-01-01")

    assert feed.rows() == {}


def test_rerunning_an_older_partition_after_a_newer_one_leaves_the_newer_rows(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test"), (2, "b@x.test"), (3, "c@x.test")])
    feed.on("2026-01-02", rows=[(2, "b2@x.test")], deleted=[3])
    feed.materialize("2026-01-01")
    feed.materialize("2026-01-02")
    after_day2 = feed.contents()

    rerun = feed.materialize("2026-01-01")

    assert feed.contents() == after_day2
    assert feed.rows() == {1: "a@x.test", 2: "b2@x.test"}
    metadata = _metadata(rerun)
    assert metadata["atlas/rows_stale"].value == 2  # 2 is older than stored, 3 older than its tombstone
    assert metadata["dagster/row_count"].value == 1
    assert metadata["atlas/rows_deleted"].value == 0


def test_a_deleted_row_stays_deleted_when_an_older_partition_first_runs_after_the_delete(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test"), (2, "b@x.test")])
    feed.on("2026-01-02", rows=[(1, "a2@x.test")], deleted=[2])

    feed.materialize("2026-01-02")
    feed.materialize("2026-01-01")

    assert feed.rows() == {1: "a2@x.test"}
    assert feed.tombstones() == {2: dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)}


def test_a_delete_older_than_the_stored_row_is_not_applied(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test")], deleted=[2])
    feed.on("2026-01-02", rows=[(2, "recreated@x.test")])
    feed.materialize("2026-01-01")
    feed.materialize("2026-01-02")

    rerun = feed.materialize("2026-01-01")

    assert feed.rows() == {1: "a@x.test", 2: "recreated@x.test"}
    assert _metadata(rerun)["atlas/deletes_stale"].value == 1


def test_rerunning_every_partition_three_times_in_any_order_leaves_identical_rows(tmp_path):
    days = ["2026-01-01", "2026-01-02", "2026-01-03"]
    orders = [days, [*days, *days, *days][::-1], random.Random(7).sample(days * 3, 9)]
    contents = []
    for number, order in enumerate(orders):
        root = tmp_path / f"order{number}"
        root.mkdir()
        feed = Feed(root)
        feed.on(days[0], rows=[(1, "a@x.test"), (2, "b@x.test"), (3, "c@x.test")])
        feed.on(days[1], rows=[(1, "a2@x.test"), (4, "d@x.test")], deleted=[2])
        feed.on(days[2], rows=[(2, "b-again@x.test"), (4, "d3@x.test")], deleted=[1])
        for day in order:
            feed.materialize(day)
        contents.append(feed.contents())

    assert contents[0] == contents[1] == contents[2]
    assert {r["id"]: r["email"] for r in contents[0]} == {2: "b-again@x.test", 3: "c@x.test", 4: "d3@x.test"}


def test_tombstones_live_in_their_own_table_and_never_read_as_rows(tmp_path):
    feed = Feed(tmp_path)
    feed.on("2026-01-01", rows=[(1, "a@x.test"), (2, "b@x.test")])
    feed.on("2026-01-02", deleted=[2])
    feed.materialize("2026-01-01")

    feed.materialize("2026-01-02")

    rows = feed.table().scan().to_arrow()
    assert rows.column("id").to_pylist() == [1]
    assert duckdb.sql("select count(*) as n, min(id) as id from rows").fetchall() == [(1, 1)]
    assert feed.tombstones() == {2: dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)}


def test_deletes_from_a_source_in_a_mode_that_cannot_apply_them_fail_without_retry(tmp_path):
    feed = Feed(tmp_path, write="partition_overwrite")
    feed.on("2026-01-01", rows=[(1, "a@x.test")], deleted=[1])

    result = feed.materialize("2026-01-01", raise_on_error=False)

    assert not result.success
    failure = result.failure_data_for_node("demo__feed__customers").user_failure_data
    assert "only write mode 'upsert' can apply" in failure.description
    assert not feed.defs.resources["iceberg_catalog"].catalog.table_exists(("demo", "feed__customers"))
