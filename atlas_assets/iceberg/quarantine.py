"""The quarantine table: rows that failed validation, with the reason, kept per partition slot."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.manifest import DataFile
from pyiceberg.table import Table

from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.arrow import utc_instant
from atlas_assets.iceberg.data_files import DataFileWriter
from atlas_assets.iceberg.write_plan import WritePlan
from atlas_assets.ingest.lineage_columns import LINEAGE_FIELDS, constant_array
from atlas_assets.ingest.validation import ValidatedBatch

SLOT_COLUMN = "_atlas_partition"
QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field(SLOT_COLUMN, pa.string()),
        pa.field("_atlas_reason", pa.string()),
        pa.field("_atlas_row", pa.string()),
        *LINEAGE_FIELDS,
    ]
)


def quarantine_slots(plan: WritePlan, after: Any) -> tuple[str, ...]:
    """The slots a run owns: re-running it replaces exactly these quarantined rows.

    Partitioned runs own their partition keys; an append run owns the increment that starts
    at its high-water mark (so a retried increment replaces its own rows); a replace run owns all.
    """
    if plan.partition_keys:
        return plan.partition_keys
    if plan.mode is WriteMode.APPEND:
        return (f"after:{after}",)
    return ("all",)


class QuarantineWriter:
    """Streams rejected rows into the object's quarantine table, created on first use."""

    def __init__(
        self, catalog: Catalog, plan: WritePlan, table_name: str, slots: tuple[str, ...], target_bytes: int
    ):
        self._catalog = catalog
        self._plan = plan
        self.identifier = (plan.namespace, table_name)
        self.slots = slots
        self._target = target_bytes
        self._writer: DataFileWriter | None = None
        self.table: Table | None = (
            catalog.load_table(self.identifier) if catalog.table_exists(self.identifier) else None
        )
        self.rows = 0
        self.rows_by_slot: Counter[str] = Counter()

    def add(self, result: ValidatedBatch) -> None:
        count = len(result.rejected_rows)
        if not count:
            return
        if self._writer is None:
            if self.table is None:
                self.table = self._catalog.create_table_if_not_exists(
                    self.identifier, schema=QUARANTINE_SCHEMA
                )
            self._writer = DataFileWriter(
                self.table.io, self.table.metadata, self._target, self._plan.lineage.run_id
            )
        lineage = self._plan.lineage
        slots = [self._slot_for(c) for c in result.rejected_cursors]
        self.rows_by_slot.update(slots)
        columns = {
            SLOT_COLUMN: pa.array(slots, pa.string()),
            "_atlas_reason": pa.array(result.reasons, pa.string()),
            "_atlas_row": pa.array(result.rejected_rows, pa.string()),
        }
        values = [lineage.tenant, lineage.source, lineage.run_id, lineage.extracted_at]
        for field, value in zip(LINEAGE_FIELDS, values, strict=True):
            columns[field.name] = constant_array(value, field.type, count)
        batch = pa.RecordBatch.from_pydict(columns, schema=QUARANTINE_SCHEMA)
        self._writer.write(batch.cast(self._writer.arrow_schema))
        self.rows += count

    def close(self) -> list[DataFile]:
        return self._writer.close() if self._writer is not None else []

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()

    def _slot_for(self, cursor: Any) -> str:
        # Attribute a row to the partition its cursor names, so a later re-run of just that
        # partition replaces it; rows without a usable cursor go to the run's first slot.
        partition_of = self._plan.partition_of
        window = self._plan.window
        if partition_of is not None and window is not None and isinstance(cursor, dt.datetime | dt.date):
            moment = utc_instant(cursor)
            if window.start <= moment < window.end:
                return partition_of(moment)
        return self.slots[0]
