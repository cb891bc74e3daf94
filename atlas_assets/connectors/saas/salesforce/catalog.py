"""Salesforce field types (from an sObject's `describe()`) as the connector selects and types them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from atlas_assets.connectors.arrow import UTC_TIMESTAMP
from atlas_assets.connectors.type_names import MAX_DECIMAL_PRECISION

ID = "Id"
SYSTEM_MODSTAMP = "SystemModstamp"
MODSTAMPS = (SYSTEM_MODSTAMP, "LastModifiedDate")
"""The fields a window can be read by: `SystemModstamp` (default: also moves on system changes)
or `LastModifiedDate` (changes by users and integrations only)."""

COMPOUND_TYPES = ("address", "location")
"""Compound fields: read as their components (`BillingCity`, `Location__Latitude__s`, …) instead."""
SKIPPED_TYPES = (*COMPOUND_TYPES, "base64")
"""Not selected by default: compounds (see above) and `base64` bodies (a blob URL in REST, refused
by Bulk queries)."""

_DECIMAL_TYPES = ("currency", "percent", "double")
_SIMPLE: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "int": pa.int64(),
    "long": pa.int64(),
    "date": pa.date32(),
    "datetime": UTC_TIMESTAMP,
    "time": pa.time64("us"),
}
"""Every other type (id, reference, string, picklist, multipicklist, textarea, email, phone, url,
combobox, anyType, …) is text, as Salesforce sends it."""


@dataclass(frozen=True)
class SalesforceField:
    """One field of an sObject as `describe()` reports it."""

    name: str
    type: str
    precision: int = 0
    scale: int = 0

    @classmethod
    def from_describe(cls, field: dict[str, Any]) -> SalesforceField:
        return cls(
            name=str(field["name"]),
            type=str(field.get("type", "string")),
            precision=int(field.get("precision") or 0),
            scale=int(field.get("scale") or 0),
        )

    @property
    def arrow_type(self) -> pa.DataType:
        """currency/percent/double with a precision → decimal(p, s), exact; a double Salesforce
        gives no precision → float64; see `_SIMPLE` for the rest."""
        if self.type in _DECIMAL_TYPES:
            if 0 < self.precision <= MAX_DECIMAL_PRECISION and self.scale <= self.precision:
                return pa.decimal128(self.precision, self.scale)
            return pa.float64()
        return _SIMPLE.get(self.type, pa.string())


def queryable_fields(describe: dict[str, Any]) -> dict[str, SalesforceField]:
    """Every field a query can select, by name, in describe's order; compounds left out."""
    return {
        field["name"]: SalesforceField.from_describe(field)
        for field in describe.get("fields", [])
        if field.get("type") not in SKIPPED_TYPES
    }


def all_fields(describe: dict[str, Any]) -> dict[str, SalesforceField]:
    """Every field of the sObject by name, compounds included (to say why one cannot be listed)."""
    return {field["name"]: SalesforceField.from_describe(field) for field in describe.get("fields", [])}
