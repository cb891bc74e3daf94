"""Evolving a table's schema to take a source's schema: add columns, widen safely, refuse the rest."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.schema import Schema
from pyiceberg.table import Transaction
from pyiceberg.types import DecimalType, DoubleType, FloatType, IcebergType, IntegerType, LongType


class IncompatibleSchemaChangeError(ValueError):
    """The source changed a column's type in a way Iceberg cannot evolve to."""


@dataclass(frozen=True)
class SchemaChanges:
    """What a write will change: new columns and widened types, as (name, iceberg type)."""

    added: tuple[tuple[str, IcebergType], ...] = ()
    widened: tuple[tuple[str, IcebergType], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.widened)

    def describe(self) -> list[str]:
        return [f"added {n}: {t}" for n, t in self.added] + [f"widened {n} to {t}" for n, t in self.widened]


def to_iceberg_schema(arrow_schema: pa.Schema) -> Schema:
    """An Iceberg schema (ids unassigned) for an Arrow schema."""
    return Catalog._convert_schema_if_needed(arrow_schema)


def plan_schema_changes(table_schema: Schema, incoming: pa.Schema, where: str) -> SchemaChanges:
    """Compare by column name; raise `IncompatibleSchemaChangeError` naming the column and both types."""
    added: list[tuple[str, IcebergType]] = []
    widened: list[tuple[str, IcebergType]] = []
    existing = {field.name: field for field in table_schema.fields}
    for field in to_iceberg_schema(incoming).fields:
        current = existing.get(field.name)
        if current is None:
            added.append((field.name, field.field_type))
        elif current.field_type == field.field_type or _fits(field.field_type, current.field_type):
            continue
        elif _fits(current.field_type, field.field_type):
            widened.append((field.name, field.field_type))
        else:
            raise IncompatibleSchemaChangeError(
                f"{where}: column {field.name!r} is {current.field_type} in the Iceberg table but "
                f"{field.field_type} in the source; Iceberg can only widen int→long, float→double and "
                "decimal precision. Cast it in a `query`, or rename the column so both can exist."
            )
    return SchemaChanges(tuple(added), tuple(widened))


def apply_schema_changes(tx: Transaction, changes: SchemaChanges) -> None:
    """Stage the changes in `tx`, so they commit atomically with the data written under them."""
    if not changes:
        return
    with tx.update_schema() as update:
        for name, field_type in changes.added:
            update.add_column(name, field_type)
        for name, field_type in changes.widened:
            update.update_column(name, field_type=field_type)


def _fits(narrow: IcebergType, wide: IcebergType) -> bool:
    """Whether values of `narrow` are losslessly representable as `wide` (Iceberg promotion rules)."""
    if isinstance(narrow, IntegerType) and isinstance(wide, LongType):
        return True
    if isinstance(narrow, FloatType) and isinstance(wide, DoubleType):
        return True
    return (
        isinstance(narrow, DecimalType)
        and isinstance(wide, DecimalType)
        and narrow.scale == wide.scale
        and narrow.precision <= wide.precision
    )
