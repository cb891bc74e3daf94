"""Declared column type names → Arrow types."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from atlas_assets.connectors.type_names import parse_type_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("int32", pa.int32()),
        ("int64", pa.int64()),
        ("float64", pa.float64()),
        ("string", pa.string()),
        ("bool", pa.bool_()),
        ("date", pa.date32()),
        ("timestamp", pa.timestamp("us")),
        ("timestamptz", pa.timestamp("us", tz="UTC")),
        ("decimal(12,2)", pa.decimal128(12, 2)),
        (" Decimal( 38 , 0 ) ", pa.decimal128(38, 0)),
    ],
)
def test_type_name_maps_to_its_arrow_type(name: str, expected: pa.DataType) -> None:
    assert parse_type_name(name) == expected


def test_unknown_type_name_is_a_value_error_naming_it_and_the_accepted_names() -> None:
    with pytest.raises(
        ValueError, match=r"unknown column type 'varchar'; expected one of: int32, .*decimal\(p,s\)"
    ):
        parse_type_name("varchar")


@pytest.mark.parametrize("name", ["decimal(0,0)", "decimal(39,2)", "decimal(4,5)"])
def test_decimal_outside_icebergs_limits_is_a_value_error_naming_it(name: str) -> None:
    with pytest.raises(ValueError, match=rf"column type '{re.escape(name)}'"):
        parse_type_name(name)
