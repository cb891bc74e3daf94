"""PostgreSQL: the resource, COPY extraction and type mapping."""
