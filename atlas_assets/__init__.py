"""Atlas assets: runner.yaml → partitioned Dagster assets written to Apache Iceberg."""
