"""One run → one table: validate, stream to data files, commit atomically (retrying conflicts)."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from pyiceberg.catalog import Catalog
from pyiceberg.expressions import AlwaysTrue, BooleanExpression, In, Or
from pyiceberg.io.pyarrow import schema_to_pyarrow
from pyiceberg.manifest import DataFile
from pyiceberg.schema import Schema
from pyiceberg.table import Table, Transaction

from atlas_assets.config.naming import DEFAULT_QUARANTINE_SUFFIX, quarantine_table_name
from atlas_assets.config.objects import WriteMode
from atlas_assets.iceberg.catalog import ensure_namespace
from atlas_assets.iceberg.commit_retry import CommitConflictError, with_commit_retries
from atlas_assets.iceberg.conform import normalize
from atlas_assets.iceberg.data_files import arrow_paths
from atlas_assets.iceberg.deletes import DeleteCollector, commit_tombstones, read_tombstones
from atlas_assets.iceberg.evolving_files import EvolvingFileWriter
from atlas_assets.iceberg.high_water_mark import read_high_water_mark, stage_high_water_mark
from atlas_assets.iceberg.quarantine import SLOT_COLUMN, QuarantineWriter, quarantine_slots
from atlas_assets.iceberg.row_filters import partition_filter, window_filter
from atlas_assets.iceberg.schema_evolution import SchemaChanges, apply_schema_changes, plan_schema_changes
from atlas_assets.iceberg.upsert import UpsertChange, UpsertOutcome, discard_superseded, stage_upsert
from atlas_assets.iceberg.write_plan import WritePlan
from atlas_assets.ingest.lineage_columns import PARTITION_FIELD
from atlas_assets.ingest.validation import RowValidator, ValidationRules

TABLE_PROPERTIES = {
    "format-version": "2",
    "write.parquet.compression-codec": "zstd",
    # pyiceberg's own retry replays our delete against a newer snapshot and can reject it;
    # `with_commit_retries` re-plans the whole change instead.
    "commit.retry.num-retries": "0",
}

OpenBatches = Callable[[Any], Iterable[pa.RecordBatch]]
"""Starts the extraction, given the high-water mark to read after (None outside append mode)."""


@dataclass
class WriteReport:
    """What a run did to its table; the IO manager turns it into materialization metadata."""

    table: str
    rows_written: int = 0
    rows_quarantined: int = 0
    quarantined_by_partition: dict[str, int] = field(default_factory=dict)
    """Quarantined rows per partition key (the slot each row was attributed to)."""
    rows_replaced: int = 0
    rows_deleted: int = 0
    rows_stale: int = 0
    """Upserts: incoming rows not written, older than the version stored (or than a tombstone)."""
    deletes_stale: int = 0
    """Upserts: reported deletes not applied, older than the stored row."""
    files: list[DataFile] = field(default_factory=list)
    snapshot_id: int | None = None
    schema: Schema | None = None
    schema_changes: list[str] = field(default_factory=list)
    high_water_mark: Any = None
    committed_table: Table | None = None

    @property
    def bytes_written(self) -> int:
        return sum(f.file_size_in_bytes for f in self.files)

    def written_dataset(self) -> ds.Dataset:
        """Exactly the rows this run added (its new data files), as a lazy Arrow dataset.

        Checks scan it in bounded memory (DuckDB streams datasets; samples take rows by index),
        so verifying a 10M-row partition never holds 10M rows.
        """
        table = self.committed_table
        if table is None:
            return ds.dataset(pa.table({}))
        schema = schema_to_pyarrow(table.schema(), include_field_ids=False)
        if not self.files:
            return ds.dataset(schema.empty_table())
        filesystem, paths = arrow_paths(table.io, [f.file_path for f in self.files])
        return ds.dataset(paths, schema=schema, format="parquet", filesystem=filesystem)


@dataclass
class _RunStats:
    rows: int = 0
    max_cursor: Any = None
    keys: list[pa.Table] = field(default_factory=list)


class TableWriter:
    """Writes runs to Iceberg tables of one catalog."""

    def __init__(
        self, catalog: Catalog, target_file_bytes: int, quarantine_suffix: str = DEFAULT_QUARANTINE_SUFFIX
    ):
        self.catalog = catalog
        self.target_file_bytes = target_file_bytes
        self.quarantine_suffix = quarantine_suffix

    def write(self, plan: WritePlan, open_batches: OpenBatches) -> WriteReport:
        """Run the extraction into the table; the table changes in exactly one commit, or not at all."""
        table = self._load(plan.identifier)
        after = read_high_water_mark(table) if plan.mode is WriteMode.APPEND else None
        source = open_batches(after)
        try:
            return self._write(plan, table, after, source)
        finally:
            # A failed write must end the extraction now (closing its cursor or connection), not
            # whenever the traceback holding its frame is collected.
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def _write(
        self, plan: WritePlan, table: Table | None, after: Any, source: Iterable[pa.RecordBatch]
    ) -> WriteReport:
        deletes = DeleteCollector(plan)
        batches = (normalize(b) for b in deletes.divert(source))
        first = next(batches, None)
        report = WriteReport(table=plan.display_name, high_water_mark=after)
        if first is None and table is None:
            # Only deletes, and no table yet: the tombstones still keep older re-runs from adding the rows.
            self._commit_tombstones(plan, deletes.keys())
            return report
        incoming = self._incoming_schema(first, plan, table)
        changes = plan_schema_changes(table.schema(), incoming, plan.label) if table else SchemaChanges()
        tx = self._begin(plan, table, incoming, changes)
        quarantine = QuarantineWriter(
            self.catalog,
            plan,
            quarantine_table_name(plan.table, self.quarantine_suffix),
            quarantine_slots(plan, after),
            self.target_file_bytes,
        )
        committed_columns = {f.name for f in table.schema().fields} if table else set()
        writer = EvolvingFileWriter(
            tx, self.target_file_bytes, plan.label, committed_columns, plan.lineage.run_id
        )
        stats = _RunStats()
        try:
            stream = itertools.chain([first], batches) if first is not None else iter(())
            self._stream(plan, stream, after, writer, quarantine, stats)
            files = writer.close()
            quarantine_files = quarantine.close()
            self._commit_quarantine(plan, quarantine, quarantine_files)
            new_hwm = _later(after, stats.max_cursor)
            evolved = schema_to_pyarrow(tx.table_metadata.schema(), include_field_ids=False)
            deleted_keys = deletes.keys()
            self._commit_tombstones(plan, deleted_keys)
            committed, outcome = self._commit(
                plan, tx, writer.arrow_schema, evolved, files, stats, new_hwm, deleted_keys, deletes.replaced
            )
        except BaseException:
            writer.abort()
            quarantine.abort()
            raise
        discard_superseded(committed.io, files, outcome)
        report.rows_written = stats.rows - outcome.stale_rows
        report.rows_quarantined = quarantine.rows
        report.quarantined_by_partition = dict(quarantine.rows_by_slot)
        report.rows_replaced = outcome.replaced
        report.rows_deleted = outcome.deleted
        report.rows_stale = outcome.stale_rows
        report.deletes_stale = outcome.stale_deletes
        report.files = outcome.files
        report.committed_table = committed
        report.snapshot_id = committed.metadata.current_snapshot_id
        report.schema = committed.schema()
        report.schema_changes = [*(changes.describe() if table else ["created table"]), *writer.changes]
        report.high_water_mark = new_hwm
        return report

    def _stream(
        self,
        plan: WritePlan,
        batches: Iterator[pa.RecordBatch],
        after: Any,
        writer: EvolvingFileWriter,
        quarantine: QuarantineWriter,
        stats: _RunStats,
    ) -> None:
        validator = RowValidator(
            ValidationRules(
                primary_key=plan.primary_key,
                cursor=plan.cursor,
                window=plan.extract_window,
                after=after,
                column_types=plan.column_types,
                unique_key=plan.mode is WriteMode.UPSERT,
            )
        )
        for batch in batches:
            result = validator.validate(batch)
            quarantine.add(result)
            good = result.good
            if not good.num_rows:
                continue
            writer.write(plan.lineage.stamp(good))
            stats.rows += good.num_rows
            if plan.mode is WriteMode.APPEND and plan.cursor:
                stats.max_cursor = _later(stats.max_cursor, pc.max(good.column(plan.cursor)).as_py())
            if plan.mode is WriteMode.UPSERT:
                present = [name for name in plan.key_columns if name in good.schema.names]
                stats.keys.append(pa.Table.from_batches([good.select(present)]))

    def _incoming_schema(
        self, first: pa.RecordBatch | None, plan: WritePlan, table: Table | None
    ) -> pa.Schema:
        if first is None:
            assert table is not None
            return table.schema().as_arrow()
        # with_type keeps each field's metadata: its doc becomes the Iceberg field's doc.
        fields = [f.with_type(plan.column_types.get(f.name, f.type)) for f in first.schema]
        return pa.schema(fields + plan.lineage.fields())

    def _begin(
        self, plan: WritePlan, table: Table | None, incoming: pa.Schema, changes: SchemaChanges
    ) -> Transaction:
        if table is None:
            ensure_namespace(self.catalog, plan.namespace)
            return self.catalog.create_table_transaction(
                plan.identifier, schema=incoming, properties=TABLE_PROPERTIES
            )
        tx = table.transaction()
        apply_schema_changes(tx, changes)
        return tx

    def _commit(
        self,
        plan: WritePlan,
        staged: Transaction,
        written_schema: pa.Schema,
        incoming: pa.Schema,
        files: list[DataFile],
        stats: _RunStats,
        new_hwm: Any,
        deleted: pa.Table,
        replaced: dict[str, set[Any]],
    ) -> tuple[Table, UpsertOutcome]:
        pending = [staged]
        outcome = UpsertOutcome(files=files)

        def attempt() -> Table:
            nonlocal outcome
            tx = pending.pop() if pending else self._rebegin(plan, incoming, written_schema)
            outcome = self._stage_changes(plan, tx, files, stats, deleted, replaced)
            if plan.mode is WriteMode.APPEND:
                stage_high_water_mark(tx, new_hwm)
            return tx.commit_transaction()

        return with_commit_retries(attempt, plan.display_name), outcome

    def _rebegin(self, plan: WritePlan, incoming: pa.Schema, written_schema: pa.Schema) -> Transaction:
        """A fresh transaction after a lost race; the files already written must still fit it."""
        table = self._load(plan.identifier)
        if table is None:
            raise CommitConflictError(f"{plan.display_name}: the table disappeared during the run")
        tx = table.transaction()
        apply_schema_changes(tx, plan_schema_changes(table.schema(), incoming, plan.label))
        if not schema_to_pyarrow(tx.table_metadata.schema()).equals(written_schema, check_metadata=True):
            raise CommitConflictError(
                f"{plan.display_name}: a concurrent writer changed the schema; retry the run"
            )
        return tx

    def _stage_changes(
        self,
        plan: WritePlan,
        tx: Transaction,
        files: list[DataFile],
        stats: _RunStats,
        deleted: pa.Table,
        replaced: dict[str, set[Any]],
    ) -> UpsertOutcome:
        """Stage the run's change in `tx`."""
        properties = plan.snapshot_properties()
        has_rows = tx.table_metadata.current_snapshot_id is not None
        if plan.mode is WriteMode.UPSERT:
            return stage_upsert(
                tx,
                tx._table,
                self._upsert_change(plan, tx, stats, deleted),
                files,
                properties,
                self.target_file_bytes,
                plan.lineage.run_id,
            )
        replaced_rows = _replaced_rows_filter(plan, tx) if has_rows else None
        for column, values in replaced.items() if has_rows else ():
            # Rows of the files (or other units) the source reloaded or removed, in any window.
            by_value = In(column, values)
            replaced_rows = by_value if replaced_rows is None else Or(replaced_rows, by_value)
        if replaced_rows is not None:
            with warnings.catch_warnings():
                # pyiceberg warns when nothing matched; for a first run of a window that is expected.
                warnings.filterwarnings("ignore", message="Delete operation did not match any records")
                tx.delete(replaced_rows, properties)
        if files:
            with tx.update_snapshot(snapshot_properties=properties).fast_append() as append:
                for data_file in files:
                    append.append_data_file(data_file)
        return UpsertOutcome(files=files)

    def _upsert_change(
        self, plan: WritePlan, tx: Transaction, stats: _RunStats, deleted: pa.Table
    ) -> UpsertChange:
        """The run's keys, versions and deletes in the table's types, with the stored tombstones
        of those keys (read afresh for each commit attempt: a concurrent run may have added some)."""
        schema = schema_to_pyarrow(tx.table_metadata.schema(), include_field_ids=False)
        rows = _conform_keys(stats.keys, plan.key_columns, schema)
        deleted = _conform_keys([deleted], plan.key_columns, schema)
        tombstones = None
        if plan.version:
            probe = pa.concat_tables(
                [rows.select(list(plan.primary_key)), deleted.select(list(plan.primary_key))]
            )
            stored = read_tombstones(self.catalog, plan, probe)
            tombstones = _conform_keys([stored], plan.key_columns, schema) if stored is not None else None
        return UpsertChange(plan.primary_key, plan.version, rows, deleted, tombstones)

    def _commit_tombstones(self, plan: WritePlan, deleted: pa.Table) -> None:
        """Committed before the data, so a crash in between leaves a true tombstone (the re-run
        applies its delete) rather than a delete that older re-runs could undo."""
        if plan.version and deleted.num_rows:
            commit_tombstones(self.catalog, plan, deleted, TABLE_PROPERTIES, self.target_file_bytes)

    def _commit_quarantine(
        self, plan: WritePlan, quarantine: QuarantineWriter, files: list[DataFile]
    ) -> None:
        """Replace the run's quarantine slots; committed first, so a crash before the data commit
        leaves only rows that the re-run's own slots replace."""
        if quarantine.table is None:
            return
        properties = plan.snapshot_properties()

        def attempt() -> Table:
            table = self.catalog.load_table(quarantine.identifier)
            tx = table.transaction()
            if table.metadata.current_snapshot_id is not None:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="Delete operation did not match any records")
                    tx.delete(partition_filter(SLOT_COLUMN, quarantine.slots), properties)
            if files:
                with tx.update_snapshot(snapshot_properties=properties).fast_append() as append:
                    for data_file in files:
                        append.append_data_file(data_file)
            return tx.commit_transaction()

        with_commit_retries(attempt, ".".join(quarantine.identifier))

    def _load(self, identifier: tuple[str, str]) -> Table | None:
        return self.catalog.load_table(identifier) if self.catalog.table_exists(identifier) else None


def _replaced_rows_filter(plan: WritePlan, tx: Transaction) -> BooleanExpression | None:
    """The stored rows a run replaces: its window, its partition keys, everything, or nothing."""
    if plan.mode is WriteMode.PARTITION_OVERWRITE and plan.cursor and plan.extract_window:
        return window_filter(tx.table_metadata.schema(), plan.cursor, plan.extract_window)
    if plan.mode is WriteMode.SNAPSHOT or (plan.partition_keys and not plan.cursor):
        return partition_filter(PARTITION_FIELD.name, plan.partition_keys)
    if plan.mode is WriteMode.REPLACE:
        return AlwaysTrue()
    return None


def _conform_keys(parts: list[pa.Table], names: tuple[str, ...], schema: pa.Schema) -> pa.Table:
    """Key and version columns in the table's types; a version column a part lacks reads null."""
    conformed = []
    for part in parts:
        columns = [
            part.column(name).cast(schema.field(name).type)
            if name in part.column_names
            else pa.nulls(part.num_rows, schema.field(name).type)
            for name in names
        ]
        conformed.append(pa.table(columns, names=list(names)))
    if not conformed:
        return pa.schema([schema.field(name) for name in names]).empty_table()
    return pa.concat_tables(conformed)


def _later(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
