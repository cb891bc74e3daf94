"""Resources: the Iceberg catalog and its IO manager (shared), one connector per tenant × source.

Connectors are bound to their own assets rather than to the whole code location: Dagster checks
every top-level resource against every asset, so 500 sources × 10,000 assets would cost millions
of checks at load, while asset-bound resources keep that linear.
"""

from __future__ import annotations

from typing import Any

from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig
from atlas_assets.connectors.contract import SourceConnector
from atlas_assets.connectors.secrets import resource_secret
from atlas_assets.factory.assets import IO_MANAGER_KEY
from atlas_assets.iceberg.catalog import catalog_properties, catalog_uri
from atlas_assets.iceberg.io_manager import IcebergIOManager
from atlas_assets.iceberg.resources import IcebergCatalogResource

CATALOG_KEY = "iceberg_catalog"


def build_shared_resources(config: RunnerConfig) -> dict[str, Any]:
    """The catalog and IO manager every asset uses; secrets reach Dagster as runner.yaml text only."""
    warehouse = config.warehouse
    uri = catalog_uri(warehouse)
    catalog = IcebergCatalogResource(
        name=warehouse.catalog.name,
        uri=resource_secret(uri) if uri is not None else None,
        properties=catalog_properties(warehouse),
    )
    return {
        CATALOG_KEY: catalog,
        IO_MANAGER_KEY: IcebergIOManager(
            catalog=catalog,
            target_file_mb=warehouse.target_file_mb,
            quarantine_suffix=warehouse.quarantine_suffix,
        ),
    }


def build_source_resources(specs: list[ObjectSpec]) -> dict[str, SourceConnector]:
    """One connector per tenant × source, keyed `<tenant>__<source>`."""
    resources: dict[str, SourceConnector] = {}
    for spec in specs:
        if spec.resource_key not in resources:
            resources[spec.resource_key] = spec.source_config.build_resource()  # type: ignore[attr-defined]
    return resources
