"""Quality asset checks: Soda contracts run by DuckDB over what was written."""
