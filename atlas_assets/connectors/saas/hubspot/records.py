"""HubSpot objects as rows: `id`, every requested property, and `updatedAt` as `updated_at`.

HubSpot sends every property value as text (`""` once cleared); numbers, booleans and dates are
parsed here by the property's HubSpot type, so the shared records → Arrow step can type the
columns (`catalog.arrow_type`). Text that does not parse stays as sent, and the column then
falls back to text rather than losing the value.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from typing import Any

from atlas_assets.connectors.saas.hubspot.catalog import DECIMAL_SCALE, UPDATED_AT

_SCALE = decimal.Decimal(1).scaleb(-DECIMAL_SCALE)

_PARSERS: dict[str, Callable[[str], Any]] = {
    "number": float,
    # Rounded to the column's scale: a tenth of a nano-unit of currency is not worth a text column.
    "decimal": lambda text: decimal.Decimal(text).quantize(_SCALE),
    "bool": lambda text: {"true": True, "false": False}[text.lower()],
    "date": lambda text: dt.date.fromisoformat(text[:10]),
}


def to_row(obj: dict[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """One object as a row; `id` and `updated_at` win over properties of those names."""
    row = {name: _value(value, types.get(name)) for name, value in obj.get("properties", {}).items()}
    return {**row, "id": obj["id"], UPDATED_AT: obj.get("updatedAt")}


def _value(text: Any, property_type: str | None) -> Any:
    if text == "":
        return None
    parse = _PARSERS.get(property_type or "")
    if parse is None or not isinstance(text, str):
        return text
    try:
        return parse(text)
    except (ValueError, KeyError, ArithmeticError):
        return text
