"""Row versions of upserts: which of two versions of a key is newer.

A version is a tuple of columns compared in order (Stripe: the event's `changed_at`, then its
id; HubSpot and SQL: the cursor). A null compares lower than any value, so a version that is
unknown never overrides a known one.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc


def is_newer(
    left: Sequence[pa.ChunkedArray], right: Sequence[pa.ChunkedArray], length: int
) -> pa.ChunkedArray:
    """Row by row (`length` rows): is `left`'s version strictly newer than `right`'s? With no
    version columns, never."""
    newer = pa.chunked_array([pa.array([False] * length, pa.bool_())])
    tied = pa.chunked_array([pa.array([True] * length, pa.bool_())])
    for a, b in zip(left, right, strict=True):
        greater = pc.fill_null(pc.greater(a, b), False)
        greater = pc.or_(greater, pc.and_(pc.is_valid(a), pc.is_null(b)))
        equal = pc.fill_null(pc.equal(a, b), False)
        equal = pc.or_(equal, pc.and_(pc.is_null(a), pc.is_null(b)))
        newer = pc.or_(newer, pc.and_(tied, greater))
        tied = pc.and_(tied, equal)
    return newer


def newest_per_key(rows: pa.Table, key: Sequence[str], version: Sequence[str]) -> pa.Table:
    """One row per key, the one whose version is newest (of the key and version columns)."""
    names = [*key, *(v for v in version if v not in key)]
    # Arrow sorts nulls last, so the first row of a key after this sort holds its newest version.
    ranked = rows.select(names).sort_by([(v, "descending") for v in version])
    ranks = ranked.append_column("_atlas_rank", pa.array(range(ranked.num_rows), pa.int64()))
    firsts = ranks.group_by(list(key)).aggregate([("_atlas_rank", "min")]).column("_atlas_rank_min")
    return ranked.take(firsts)
