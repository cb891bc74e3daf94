"""The client-side cut of a window: a text or epoch cursor read as instants, then only its rows.

A source query can compare text cursors only by a covering range (`window_bounds`), so the
decoded batch is cut here, as instants; epoch cursors become UTC timestamps the same way, so
the Iceberg table, its deletes and downstream reads all see a time.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.connectors.arrow import cursor_instants, cursor_mask
from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.window_bounds import CursorBoundError


def cursor_in_window(batch: pa.RecordBatch, request: ExtractRequest) -> pa.RecordBatch:
    """`batch` with its cursor as UTC timestamps, holding only the rows of the request's window.

    Null cursors are kept for validation to set aside; a value that spells no instant fails the
    extraction, naming the column and the value (its row could belong to any window).
    """
    cursor = request.config.cursor
    if cursor is None or request.window is None or cursor not in batch.schema.names:
        return batch
    index = batch.schema.get_field_index(cursor)
    raw = batch.column(index)
    fmt = request.config.cursor_format
    try:
        instants = cursor_instants(raw, fmt)
    except CursorBoundError as exc:
        raise PermanentSourceError(f"cursor {cursor!r} ({raw.type}): {exc}") from None
    unreadable = pc.and_(pc.is_valid(raw), pc.is_null(instants))
    if pc.any(unreadable).as_py():
        value = raw.filter(unreadable)[0].as_py()
        raise PermanentSourceError(
            f"cursor {cursor!r} holds {value!r}, which is not {_spelling(fmt)}; fix the value at the "
            "source, or set `cursor_format` to how the column encodes time"
        )
    batch = batch.set_column(index, pa.field(cursor, instants.type), instants)
    window = request.window
    return batch.filter(cursor_mask(instants, start=window.start, end=window.end, after=request.after))


def _spelling(fmt: str | None) -> str:
    return {
        "epoch_seconds": "an epoch in seconds",
        "epoch_millis": "an epoch in milliseconds",
    }.get(fmt or "", "an ISO 8601 date or time")
