"""Which partitions a file touches: the windows of its cursor values, and runs of consecutive keys.

A partition is touched when at least one of the file's cursor values lies in its window. Values
before the first partition, or in partitions that do not exist yet (the current, incomplete
day: the schedule runs it once it is complete), touch nothing; a null or unparseable value
touches nothing either (its row is quarantined by whichever run reads it).
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
import pyarrow as pa

from atlas_assets.connectors.instants import epoch_micros, from_epoch_micros
from atlas_assets.ops.file_arrival.cursor import KeyRange


def touched_keys(instants: pa.Array, partitions_def: dg.TimeWindowPartitionsDefinition) -> list[str]:
    """The existing partitions whose windows hold at least one of `instants` (UTC timestamps), in order.

    Walks from partition to touched partition over the sorted distinct values, so a file costs one
    sort plus a bisection per partition it touches, however many rows or how wide its span.
    """
    import numpy as np
    import pyarrow.compute as pc

    values = pc.unique(instants.drop_null().cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()))
    last = partitions_def.get_last_partition_key()
    if len(values) == 0 or last is None:
        return []
    micros = np.sort(values.to_numpy())
    first_start = epoch_micros(
        partitions_def.start_time_for_partition_key(partitions_def.get_first_partition_key())
    )  # type: ignore[arg-type]
    last_end = epoch_micros(partitions_def.time_window_for_partition_key(last).end)
    index = int(np.searchsorted(micros, first_start, side="left"))
    stop = int(np.searchsorted(micros, last_end, side="left"))
    keys = []
    while index < stop:
        key = partitions_def.get_partition_key_for_timestamp(
            from_epoch_micros(int(micros[index])).timestamp()
        )
        keys.append(key)
        end = epoch_micros(partitions_def.time_window_for_partition_key(key).end)
        index = int(np.searchsorted(micros, end, side="left"))
    return keys


def key_ranges(keys: Iterable[str], partitions_def: dg.TimeWindowPartitionsDefinition) -> list[KeyRange]:
    """`keys` as runs of consecutive partitions, earliest first: one run is one range run."""
    ordered = sorted(set(keys), key=partitions_def.start_time_for_partition_key)
    ranges: list[KeyRange] = []
    for key in ordered:
        if ranges and partitions_def.get_next_partition_key(ranges[-1][1]) == key:
            ranges[-1] = (ranges[-1][0], key)
        else:
            ranges.append((key, key))
    return ranges


def keys_of(ranges: Iterable[KeyRange], partitions_def: dg.TimeWindowPartitionsDefinition) -> set[str]:
    """Every key of `ranges` (the inverse of `key_ranges`)."""
    keys: set[str] = set()
    for first, last in ranges:
        keys.update(partitions_def.get_partition_keys_in_range(dg.PartitionKeyRange(first, last)))
    return keys
