"""Snapshot expiry deletes the data files only expired snapshots read, including files a delete
commit (a GDPR erase) rewrote: that is what makes an erasure physical."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog

from atlas_assets.iceberg.snapshot_expiry import expire_snapshots


def _data_files(root: Path) -> list[Path]:
    return sorted((root / "warehouse").rglob("*.parquet"))


def test_expiry_deletes_the_file_a_delete_commit_rewrote(tmp_path):
    catalog = SqlCatalog(
        "atlas", uri=f"sqlite:///{tmp_path}/catalog.db", warehouse=(tmp_path / "warehouse").as_uri()
    )
    catalog.create_namespace("demo")
    table = catalog.create_table(
        "demo.customers", schema=pa.schema([("id", pa.int64()), ("email", pa.string())])
    )
    table.append(pa.table({"id": [1, 2], "email": ["ada@example.com", "bo@example.com"]}))
    catalog.load_table("demo.customers").delete("email == 'ada@example.com'")
    assert len(_data_files(tmp_path)) == 2  # the rewritten file, and the original an old snapshot reads

    report = expire_snapshots(
        lambda: catalog.load_table("demo.customers"),
        older_than=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1),
        retain_last=1,
        what="demo.customers",
    )

    assert report.snapshots_expired == 1
    assert report.data_files_removed == 1
    (kept,) = _data_files(tmp_path)
    assert pq.read_table(kept).column("email").to_pylist() == ["bo@example.com"]
