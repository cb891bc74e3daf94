"""Evolving a table's schema to take a source's schema: add columns, widen safely, refuse the rest."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.io.pyarrow import schema_to_pyarrow
from pyiceberg.schema import Schema
from pyiceberg.table import Transaction
from pyiceberg.types import (
    DecimalType,
    DoubleType,
    FloatType,
    IcebergType,
    IntegerType,
    ListType,
    LongType,
    MapType,
    StructType,
)

from atlas_assets.connectors.arrow import merged_type


class IncompatibleSchemaChangeError(ValueError):
    """The source changed a column's type in a way Iceberg cannot evolve to."""


@dataclass(frozen=True)
class SchemaChanges:
    """What a write will change, as (name, iceberg type): new columns, widened types, and retyped
    columns (ones the run itself added, whose values turned out to need a type Iceberg cannot
    promote to, e.g. long → double; the run rewrites its own files for them)."""

    added: tuple[tuple[str, IcebergType], ...] = ()
    widened: tuple[tuple[str, IcebergType], ...] = ()
    retyped: tuple[tuple[str, IcebergType], ...] = ()
    # Iceberg field doc by column, for added columns.
    docs: dict[str, str] = dataclasses.field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.widened or self.retyped)

    def describe(self) -> list[str]:
        return (
            [f"added {n}: {t}" for n, t in self.added]
            + [f"widened {n} to {t}" for n, t in self.widened]
            + [f"widened {n} to {t}" for n, t in self.retyped]
        )


def to_iceberg_schema(arrow_schema: pa.Schema) -> Schema:
    """An Iceberg schema (ids unassigned) for an Arrow schema."""
    return Catalog._convert_schema_if_needed(arrow_schema)


def plan_schema_changes(
    table_schema: Schema, incoming: pa.Schema, where: str, retypable: Collection[str] = ()
) -> SchemaChanges:
    """Compare by column name; raise `IncompatibleSchemaChangeError` naming the column and both types.

    Columns in `retypable` (added by the running write, not yet committed) take the merged type
    of both sides instead (`merged_type`: int → double, anything → string).
    """
    added: list[tuple[str, IcebergType]] = []
    widened: list[tuple[str, IcebergType]] = []
    retyped: list[tuple[str, IcebergType]] = []
    existing = {field.name: field for field in table_schema.fields}
    arrow_existing = schema_to_pyarrow(table_schema, include_field_ids=False)
    docs: dict[str, str] = {}
    for field in to_iceberg_schema(incoming).fields:
        current = existing.get(field.name)
        if current is None:
            added.append((field.name, field.field_type))
            if field.doc:
                docs[field.name] = field.doc
        elif _same_type(current.field_type, field.field_type) or _fits(field.field_type, current.field_type):
            continue
        elif _fits(current.field_type, field.field_type):
            widened.append((field.name, field.field_type))
        elif field.name in retypable:
            wide = merged_type(arrow_existing.field(field.name).type, incoming.field(field.name).type)
            wide_type = to_iceberg_schema(pa.schema([(field.name, wide)])).fields[0].field_type
            if not _same_type(wide_type, current.field_type):
                retyped.append((field.name, wide_type))
        else:
            raise IncompatibleSchemaChangeError(
                f"{where}: column {field.name!r} is {current.field_type} in the Iceberg table but "
                f"{field.field_type} in the source; Iceberg can only widen int→long, float→double and "
                "decimal precision. Cast it in a `query`, or rename the column so both can exist."
            )
    return SchemaChanges(tuple(added), tuple(widened), tuple(retyped), docs)


def apply_schema_changes(tx: Transaction, changes: SchemaChanges) -> None:
    """Stage the changes in `tx`, so they commit atomically with the data written under them."""
    if not changes:
        return
    # Retyping is no promotion Iceberg knows; it is safe only because no committed file holds the column.
    with tx.update_schema(allow_incompatible_changes=bool(changes.retyped)) as update:
        for name, field_type in changes.added:
            update.add_column(name, field_type, doc=changes.docs.get(name))
        for name, field_type in (*changes.widened, *changes.retyped):
            update.update_column(name, field_type=field_type)


def _same_type(a: IcebergType, b: IcebergType) -> bool:
    """Equal types; nested ones compare by shape, since their element and field ids differ."""
    return a == b or _shape(a) == _shape(b)


def _shape(value: IcebergType) -> Any:
    if isinstance(value, StructType):
        return tuple((f.name, _shape(f.field_type)) for f in value.fields)
    if isinstance(value, ListType):
        return ("list", _shape(value.element_type))
    if isinstance(value, MapType):
        return ("map", _shape(value.key_type), _shape(value.value_type))
    return value


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
