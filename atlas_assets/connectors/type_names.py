"""Declared column type names (runner.yaml `column_types`) → Arrow types.

One parser shared by the connectors (which read declared columns as text) and the validation
layer (which coerces them), so both agree on what `decimal(12,2)` or `timestamptz` means.
"""

from __future__ import annotations

import re

import pyarrow as pa

_SIMPLE: dict[str, pa.DataType] = {
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    # Microseconds: the finest unit Iceberg stores.
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
}

_DECIMAL = re.compile(r"^decimal\(\s*(?P<precision>\d+)\s*,\s*(?P<scale>\d+)\s*\)$")

# Iceberg's decimal precision limit; wider values need `string`.
MAX_DECIMAL_PRECISION = 38

TYPE_NAMES: tuple[str, ...] = (*_SIMPLE, "decimal(p,s)")
"""Every accepted type name, for documentation and error messages."""


def parse_type_name(name: str) -> pa.DataType:
    """The Arrow type a declared type name stands for (case and spacing are ignored).

    Raises `ValueError` naming the bad type name and listing the accepted ones.
    """
    text = name.strip().lower()
    if text in _SIMPLE:
        return _SIMPLE[text]
    match = _DECIMAL.match(text)
    if match is None:
        raise ValueError(f"unknown column type {name!r}; expected one of: {', '.join(TYPE_NAMES)}")
    precision, scale = int(match.group("precision")), int(match.group("scale"))
    if not 1 <= precision <= MAX_DECIMAL_PRECISION:
        raise ValueError(f"column type {name!r}: precision must be between 1 and {MAX_DECIMAL_PRECISION}")
    if scale > precision:
        raise ValueError(f"column type {name!r}: scale must not exceed precision")
    return pa.decimal128(precision, scale)
