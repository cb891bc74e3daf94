"""Records → Arrow: batches bounded by size, one schema merged across pages, nothing dropped."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from atlas_assets.connectors.http.records import RecordBatcher, RecordOptions


def batches(records, **options) -> list[pa.RecordBatch]:
    return list(RecordBatcher(RecordOptions(**options)).batches(records))


def test_batches_hold_at_most_batch_size_rows():
    result = batches(({"id": i} for i in range(25)), batch_size=10)

    assert [b.num_rows for b in result] == [10, 10, 5]
    assert [v for b in result for v in b.column("id").to_pylist()] == list(range(25))


def test_a_field_first_seen_in_a_later_batch_becomes_a_column_there():
    result = batches([{"id": 1}, {"id": 2}, {"id": 3, "country": "FR"}], batch_size=2)

    assert result[0].schema.names == ["id"]
    assert result[1].to_pylist() == [{"id": 3, "country": "FR"}]


def test_a_known_field_absent_from_a_batch_is_null_there():
    result = batches([{"id": 1, "name": "a"}, {"id": 2}], batch_size=1)

    assert result[1].to_pylist() == [{"id": 2, "name": None}]


def test_a_field_null_so_far_waits_for_a_typed_value():
    result = batches([{"id": 1, "note": None}, {"id": 2, "note": 7}], batch_size=1)

    assert result[0].schema.names == ["id"]
    assert result[1].schema.field("note").type == pa.int64()


def test_ints_then_floats_widen_to_double_for_the_rest_of_the_extraction():
    batcher = RecordBatcher(RecordOptions(batch_size=1))

    result = list(batcher.batches([{"v": 1}, {"v": 2.5}, {"v": 3}]))

    assert [b.schema.field("v").type for b in result] == [pa.int64(), pa.float64(), pa.float64()]
    assert batcher.schema.field("v").type == pa.float64()


def test_conflicting_types_widen_to_text_keeping_every_value():
    result = batches([{"v": 1}, {"v": "n/a"}, {"v": True}], batch_size=1)

    assert [b.column("v").to_pylist() for b in result] == [[1], ["n/a"], ["true"]]


def test_mixed_types_within_one_batch_become_text():
    [result] = batches([{"v": 1}, {"v": "x"}, {"v": {"a": 1}}])

    assert result.column("v").to_pylist() == ["1", "x", '{"a":1}']


def test_nested_objects_and_arrays_are_json_text_by_default():
    [result] = batches([{"address": {"city": "Lyon"}, "tags": ["a", "b"]}])

    assert result.to_pylist() == [{"address": '{"city":"Lyon"}', "tags": '["a","b"]'}]


def test_nested_struct_mode_keeps_structs_merging_their_fields_across_batches():
    result = batches(
        [{"address": {"city": "Lyon"}}, {"address": {"city": "Oslo", "zip": "0150"}}],
        batch_size=1,
        nested="struct",
    )

    assert result[1].schema.field("address").type == pa.struct([("city", pa.string()), ("zip", pa.string())])
    assert result[1].column("address").to_pylist() == [{"city": "Oslo", "zip": "0150"}]


def test_declared_column_types_win_over_inference():
    [result] = batches([{"amount": 12}, {"amount": 3}], column_types={"amount": pa.float64()})

    assert result.schema.field("amount").type == pa.float64()


def test_a_declared_column_holding_a_misfit_is_yielded_as_text_for_validation():
    [result] = batches([{"amount": 12}, {"amount": "twelve"}], column_types={"amount": pa.int64()})

    assert result.column("amount").to_pylist() == ["12", "twelve"]


def test_timestamps_parse_from_epoch_seconds_millis_and_iso_8601():
    instant = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    records = [
        {"s": instant.timestamp(), "ms": int(instant.timestamp() * 1000), "iso": "2026-01-02T04:04:05+01:00"}
    ]

    [result] = batches(records, timestamps={"s": "epoch_seconds", "ms": "epoch_millis", "iso": "iso8601"})

    assert {name: result.column(name)[0].as_py() for name in ("s", "ms", "iso")} == {
        "s": instant,
        "ms": instant,
        "iso": instant,
    }
    assert all(field.type == pa.timestamp("us", tz="UTC") for field in result.schema)
