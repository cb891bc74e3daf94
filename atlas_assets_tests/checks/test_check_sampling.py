"""The PII scan's pre-sample: bounded, deterministic, and not fooled by periodic data."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds

from atlas_assets.factory.checks import pii_candidates


def _periodic(rows: int) -> ds.Dataset:
    # Every 10th row is the odd one out: an evenly spaced sample would see none or only those.
    return ds.dataset(
        pa.table({"id": list(range(rows)), "kind": ["odd" if i % 10 == 0 else "plain" for i in range(rows)]})
    )


def test_a_small_partition_is_taken_whole():
    assert pii_candidates(_periodic(500), sample_rows=100, seed="t.s.o").num_rows == 500


def test_a_large_partition_is_cut_to_ten_rows_per_sampled_row():
    assert pii_candidates(_periodic(50_000), sample_rows=100, seed="t.s.o").num_rows == 1_000


def test_the_sample_is_the_same_for_the_same_data_and_seed():
    first = pii_candidates(_periodic(50_000), sample_rows=100, seed="t.s.o")
    again = pii_candidates(_periodic(50_000), sample_rows=100, seed="t.s.o")
    assert first.column("id").to_pylist() == again.column("id").to_pylist()


def test_periodic_data_is_sampled_in_proportion():
    sample = pii_candidates(_periodic(100_000), sample_rows=100, seed="t.s.o")
    odd_share = sample.column("kind").to_pylist().count("odd") / sample.num_rows
    assert 0.07 < odd_share < 0.13
