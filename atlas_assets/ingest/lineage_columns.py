"""Lineage columns stamped on every ingested row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

LINEAGE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("_atlas_tenant", pa.string()),
    pa.field("_atlas_source", pa.string()),
    pa.field("_atlas_run_id", pa.string()),
    pa.field("_atlas_extracted_at", pa.timestamp("us", tz="UTC")),
)
PARTITION_FIELD = pa.field("_atlas_partition", pa.string())
LINEAGE_PREFIX = "_atlas_"


@dataclass(frozen=True)
class LineageValues:
    """The values one run stamps: who, from where, which run, when."""

    tenant: str
    source: str
    run_id: str
    extracted_at: dt.datetime
    partition: str | None = None

    def fields(self) -> list[pa.Field]:
        return [*LINEAGE_FIELDS, PARTITION_FIELD] if self.partition is not None else list(LINEAGE_FIELDS)

    def stamp(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """`batch` with the lineage columns appended (replacing any of the same name)."""
        values = [self.tenant, self.source, self.run_id, self.extracted_at, self.partition]
        columns = {
            name: batch.column(name) for name in batch.schema.names if not name.startswith(LINEAGE_PREFIX)
        }
        for field, value in zip(self.fields(), values, strict=False):
            columns[field.name] = constant_array(value, field.type, batch.num_rows)
        return pa.RecordBatch.from_pydict(columns)


def constant_array(value: object, arrow_type: pa.DataType, length: int) -> pa.Array:
    """`length` copies of one value without building a Python list of that size."""
    return pa.array([value], type=arrow_type).take(pa.array(np.zeros(length, dtype=np.int32)))
