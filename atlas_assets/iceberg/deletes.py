"""Row deletes reported by a source: collected from the extract stream, applied in the run's commit,
and remembered as tombstones.

A versioned upsert table `<table>` has a companion `<table>__tombstones` holding, per deleted
key, the version of its latest delete. It is committed just before the data commit (a crash in
between leaves a true tombstone whose delete the re-run applies), and consulted by every later
upsert so that a re-run of an older partition cannot bring a deleted row back. Readers of
`<table>` never see tombstones: deleted rows are removed from it as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from atlas_assets.config.naming import tombstone_table_name
from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.contract import DeletedKeys, ExtractItem
from atlas_assets.iceberg.commit_retry import with_commit_retries
from atlas_assets.iceberg.conform import normalize
from atlas_assets.iceberg.data_files import DataFileWriter
from atlas_assets.iceberg.row_versions import newest_per_key
from atlas_assets.iceberg.upsert import UpsertChange, discard_superseded, key_range, stage_upsert
from atlas_assets.iceberg.write_plan import WritePlan


class DeleteError(ValueError):
    """A source reported deletes the write cannot apply (wrong mode, missing or null key)."""


class DeleteCollector:
    """Takes `DeletedKeys` out of an extract stream, so the writer sees record batches only.

    Keys are small next to rows (the key and version columns per deleted record), so they are
    held until the commit, like the upsert keys the writer already keeps.
    """

    def __init__(self, plan: WritePlan):
        self.plan = plan
        self._keys: list[pa.Table] = []
        self.replaced: dict[str, set[object]] = {}
        """`partition_overwrite`: column → values whose stored rows the run replaces."""

    def divert(self, items: Iterable[ExtractItem]) -> Iterator[pa.RecordBatch]:
        """The record batches of `items`; deleted keys are checked and kept aside."""
        for item in items:
            if isinstance(item, DeletedKeys):
                self._add(item.keys)
            else:
                yield item

    def keys(self) -> pa.Table:
        """One row per deleted key (key and version columns), with its newest delete's version."""
        plan = self.plan
        names = list(plan.key_columns)
        if not self._keys:
            return pa.table({name: pa.array([], pa.string()) for name in names})
        keys = pa.concat_tables(self._keys, promote_options="permissive")
        if plan.version:
            return newest_per_key(keys, plan.primary_key, plan.version)
        return keys.group_by(names).aggregate([]).select(names)

    def _add(self, batch: pa.RecordBatch) -> None:
        plan = self.plan
        if plan.mode is WriteMode.PARTITION_OVERWRITE and batch.num_columns == 1:
            name = batch.schema.names[0]
            values = batch.column(0)
            if values.null_count:
                raise DeleteError(f"{plan.label}: {values.null_count} replaced key(s) have a null {name!r}")
            self.replaced.setdefault(name, set()).update(values.to_pylist())
            return
        if plan.mode is not WriteMode.UPSERT:
            raise DeleteError(
                f"{plan.label}: the source reported deleted rows, which only write mode 'upsert' can apply "
                "(or 'partition_overwrite', given one column of values whose rows are replaced)"
            )
        for what, columns in (("primary-key", plan.primary_key), ("version", plan.version)):
            missing = [name for name in columns if name not in batch.schema.names]
            if missing:
                raise DeleteError(f"{plan.label}: deleted keys lack {what} column(s) {missing}")
        keys = normalize(batch.select(list(plan.key_columns)))
        for name in plan.primary_key:
            nulls = keys.column(name).null_count
            if nulls:
                raise DeleteError(f"{plan.label}: {nulls} deleted key(s) have a null {name!r}")
        if keys.num_rows:
            self._keys.append(pa.Table.from_batches([keys]))


def commit_tombstones(
    catalog: Catalog, plan: WritePlan, deleted: pa.Table, properties: dict[str, str], target_file_bytes: int
) -> None:
    """Record `deleted` (key and version columns) in the table's tombstones, in their own commit.

    The tombstones are an upsert table themselves, under the same version rule: per key, the
    newest delete is kept.
    """
    identifier = (plan.namespace, tombstone_table_name(plan.table))

    def attempt() -> Table:
        table = catalog.create_table_if_not_exists(identifier, schema=deleted.schema, properties=properties)
        tx = table.transaction()
        writer = DataFileWriter(table.io, tx.table_metadata, target_file_bytes, plan.lineage.run_id)
        for batch in deleted.select(writer.arrow_schema.names).cast(writer.arrow_schema).to_batches():
            writer.write(batch)
        change = UpsertChange(plan.primary_key, plan.version, rows=deleted, deleted=deleted.slice(0, 0))
        written = writer.close()
        outcome = stage_upsert(
            tx, table, change, written, plan.snapshot_properties(), target_file_bytes, plan.lineage.run_id
        )
        committed = tx.commit_transaction()
        discard_superseded(table.io, written, outcome)
        return committed

    with_commit_retries(attempt, ".".join(identifier))


def read_tombstones(catalog: Catalog, plan: WritePlan, keys: pa.Table) -> pa.Table | None:
    """The stored tombstones of `keys` (key and version columns), or None if the table has none."""
    identifier = (plan.namespace, tombstone_table_name(plan.table))
    if not keys.num_rows or not catalog.table_exists(identifier):
        return None
    names = list(plan.primary_key)
    stored = catalog.load_table(identifier).scan(row_filter=key_range(keys.select(names))).to_arrow()
    probe = keys.select(names).cast(stored.select(names).schema)
    return stored.join(probe, keys=names, join_type="left semi")
