"""The Iceberg catalog as a Dagster resource, shared by the IO manager and maintenance jobs."""

from __future__ import annotations

from functools import cached_property

from pyiceberg.catalog import Catalog
from pyiceberg.table import Table

from atlas_assets.connectors.secrets import OptionalSecretText, ResolvesSecrets, SecretMapping
from atlas_assets.iceberg.catalog import open_catalog


class IcebergCatalogResource(ResolvesSecrets):
    """A pyiceberg catalog (SQL, REST or Glue) configured from runner.yaml's `warehouse`.

    `uri` and `properties` may hold credentials: they arrive as runner.yaml text and are expanded
    when the catalog is first opened (see `connectors.secrets`).
    """

    name: str = "atlas"
    uri: OptionalSecretText = None
    properties: SecretMapping

    @cached_property
    def catalog(self) -> Catalog:
        self.resolve_secrets()
        properties = {**self.properties, **({"uri": self.uri} if self.uri else {})}
        return open_catalog(self.name, properties)

    def load_table(self, namespace: str, table: str) -> Table | None:
        """The table, or None when it has never been written."""
        identifier = (namespace, table)
        return self.catalog.load_table(identifier) if self.catalog.table_exists(identifier) else None
