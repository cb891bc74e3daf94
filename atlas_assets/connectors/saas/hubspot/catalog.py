"""HubSpot's CRM object types and property types, as the connector reads and types them."""

from __future__ import annotations

import pyarrow as pa

from atlas_assets.connectors.arrow import UTC_TIMESTAMP

MODIFIED_PROPERTY = {"contacts": "lastmodifieddate"}
"""The property holding an object's last modification; `hs_lastmodifieddate` for every other type."""

UPDATED_AT = "updated_at"
"""Column of every row: the object's `updatedAt`, the cursor of its upserts."""

_ARROW_TYPES = {"number": pa.float64(), "bool": pa.bool_(), "date": pa.date32(), "datetime": UTC_TIMESTAMP}
"""HubSpot property types with a typed column; every other type (string, enumeration, phone_number,
…) stays text, as HubSpot sends it."""


def modified_property(object_type: str) -> str:
    return MODIFIED_PROPERTY.get(object_type, "hs_lastmodifieddate")


def arrow_type(property_type: str) -> pa.DataType:
    """The column type of a HubSpot property type."""
    return _ARROW_TYPES.get(property_type, pa.string())
