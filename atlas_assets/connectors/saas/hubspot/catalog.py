"""HubSpot's CRM object types and property types, as the connector reads and types them."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from atlas_assets.connectors.arrow import UTC_TIMESTAMP

MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}
"""The property holding an object's last modification; `hs_lastmodifieddate` for every other type."""

UPDATED_AT = "updated_at"
"""Column of every row: the object's `updatedAt`, the cursor of its upserts."""

DECIMAL_SCALE = 9
_ARROW_TYPES = {
    "number": pa.float64(),
    "decimal": pa.decimal128(38, DECIMAL_SCALE),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "datetime": UTC_TIMESTAMP,
}
"""HubSpot property types with a typed column; every other type (string, enumeration, phone_number,
…) stays text, as HubSpot sends it. `decimal` is a money `number` (see `property_kind`)."""


def modified_property(object_type: str) -> str:
    return MODIFIED_PROPERTY.get(object_type, "hs_lastmodifieddate")


def arrow_type(property_type: str) -> pa.DataType:
    """The column type of a HubSpot property type."""
    return _ARROW_TYPES.get(property_type, pa.string())


def property_kind(definition: dict[str, Any]) -> str:
    """How a property (`GET /crm/v3/properties/{type}` result) is typed: its HubSpot `type`, except
    that a `number` shown as money (`showCurrencySymbol`, or `numberDisplayHint: currency`)
    becomes `decimal`, so amounts add up exactly; other numbers (counts, scores) stay doubles."""
    kind = str(definition.get("type", "string"))
    money = definition.get("showCurrencySymbol") is True or definition.get("numberDisplayHint") == "currency"
    return "decimal" if kind == "number" and money else kind


def association_column(to_type: str) -> str:
    """The list column of the ids of associated `to_type` objects."""
    return f"associated_{to_type}"
