"""PostgreSQL `COPY (SELECT ...) TO STDOUT` streamed through a pipe into pyarrow's CSV reader.

psycopg2's `copy_expert` pushes rows into a file; pyarrow's streaming CSV reader pulls blocks
from one. A background thread runs the COPY into the write end of an OS pipe while the caller
iterates batches parsed (multi-threaded, in C++) from the read end. The pipe's capacity is the
backpressure: memory stays bounded by the CSV block size whatever the table size.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from atlas_assets.connectors.arrow import rebatch
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.sql.codecs import decode_batch
from atlas_assets.connectors.sql.select import SelectPlan

_WRITE_BUFFER = 1 << 20  # coalesce psycopg2's one-write-per-row into 1 MiB pipe writes
_MIN_BLOCK, _MAX_BLOCK = 1 << 20, 32 << 20


def copy_sql(dbapi_connection: Any, select_sql: str, params: dict[str, Any]) -> str:
    """The COPY statement for a compiled SELECT, its values quoted client-side by psycopg2."""
    with dbapi_connection.cursor() as cursor:
        select = cursor.mogrify(select_sql, params).decode()
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv)"


def copy_batches(
    dbapi_connection: Any, sql: str, plan: SelectPlan, batch_size: int
) -> Iterator[pa.RecordBatch]:
    """Run `sql` (a COPY ... TO STDOUT CSV) and yield RecordBatches of `plan.schema`, ≤ batch_size rows each.

    A failure of the COPY itself (dropped connection, statement timeout) is re-raised as the
    driver's error after the rows before it, so the caller can classify it.
    """
    read_fd, write_fd = os.pipe()
    failures: list[BaseException] = []

    def pump() -> None:
        try:
            with (
                os.fdopen(write_fd, "wb", buffering=_WRITE_BUFFER) as sink,
                dbapi_connection.cursor() as cursor,
            ):
                cursor.copy_expert(sql, sink)
        except BaseException as exc:  # handed to the reading thread, which raises it
            failures.append(exc)

    thread = threading.Thread(target=pump, name="atlas-postgres-copy", daemon=True)
    thread.start()
    source = os.fdopen(read_fd, "rb")
    try:
        for batch in _read_csv(source, plan, batch_size):
            yield from rebatch([decode_batch(batch.columns, plan.codecs, plan.schema)], batch_size)
    except pa.ArrowInvalid as exc:
        source.close()
        thread.join()
        if failures:
            raise failures[0] from None
        raise PermanentSourceError(f"COPY output did not parse: {str(exc).splitlines()[0]}") from None
    finally:
        source.close()  # if the consumer stopped early, the pump's next write fails and the COPY ends
        thread.join()
    if failures:
        raise failures[0]


def _read_csv(source: Any, plan: SelectPlan, batch_size: int) -> Iterator[pa.RecordBatch]:
    names = plan.schema.names
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=_block_size(batch_size, len(names)), use_threads=True
            ),
            # Text values may hold newlines; COPY quotes them.
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: codec.text_type for name, codec in zip(names, plan.codecs, strict=True)},
                # COPY CSV writes NULL as an empty unquoted field and '' as "".
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return  # no rows
        raise
    yield from reader


def _block_size(batch_size: int, columns: int) -> int:
    """CSV bytes per parsed block: roughly one batch, within bounds that keep memory flat."""
    return max(_MIN_BLOCK, min(_MAX_BLOCK, batch_size * max(columns, 1) * 12))
