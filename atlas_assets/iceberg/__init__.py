"""Apache Iceberg: catalog, streaming data-file writer, write modes and the IO manager."""
