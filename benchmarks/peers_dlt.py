"""One dlt load, run by `peers.py` with the interpreter of dlt's own virtualenv (never the project's).

    python peers_dlt.py URL CONNECTORX_URL TABLE ROWS BACKEND FORMAT WORKDIR

Loads `TABLE` rows with `id <= ROWS` through `dlt.sources.sql_database.sql_table` (BACKEND
`connectorx` or `pyarrow`) into the filesystem destination under WORKDIR, as Parquet files or an
Iceberg table (FORMAT `parquet` or `iceberg`), `write_disposition="replace"`. Prints the rows
loaded and the seconds the load took inside this process.
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    url, cx_url, table, rows, backend, file_format, workdir = sys.argv[1:]
    started = time.perf_counter()
    import dlt
    from dlt.sources.sql_database import sql_table

    limit = int(rows)
    options = {"conn": cx_url} if backend == "connectorx" else {}
    resource = sql_table(
        credentials=url,
        table=table,
        backend=backend,
        chunk_size=50_000,
        backend_kwargs=options,
        query_adapter_callback=lambda query, t: query.where(t.c.id <= limit),
    )
    pipeline = dlt.pipeline(
        pipeline_name=f"peer_{backend}_{file_format}",
        pipelines_dir=f"{workdir}/pipelines",
        destination=dlt.destinations.filesystem(bucket_url=f"file://{workdir}/out"),
        dataset_name="bench",
    )
    pipeline.run(
        resource,
        write_disposition="replace",
        loader_file_format="parquet",
        table_format="iceberg" if file_format == "iceberg" else None,
    )
    loaded = pipeline.last_trace.last_normalize_info.row_counts.get(table, 0)
    print(f"ROWS {loaded} SECONDS {time.perf_counter() - started:.3f}")


if __name__ == "__main__":
    main()
