"""The Iceberg catalog as a Dagster resource, shared by the IO manager and maintenance jobs."""

from __future__ import annotations

from functools import cached_property

import dagster as dg
from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from atlas_assets.iceberg.catalog import open_catalog


class IcebergCatalogResource(dg.ConfigurableResource):
    """A pyiceberg catalog (SQL, REST or Glue) configured from runner.yaml's `warehouse`."""

    name: str = "atlas"
    uri: str | None = None
    properties: dict[str, str]

    @cached_property
    def catalog(self) -> Catalog:
        # The URI is its own field so it can be a dg.EnvVar: it may hold a password.
        properties = {**self.properties, **({"uri": self.uri} if self.uri else {})}
        return open_catalog(self.name, properties)

    def load_table(self, namespace: str, table: str) -> Table | None:
        """The table, or None when it has never been written."""
        identifier = (namespace, table)
        return self.catalog.load_table(identifier) if self.catalog.table_exists(identifier) else None
