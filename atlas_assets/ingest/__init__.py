"""The ingestion path between a connector and the Iceberg IO manager."""
