"""Resources: one connector per tenant × source, the Iceberg catalog and its IO manager."""

from __future__ import annotations

from typing import Any

from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig
from atlas_assets.connectors.secrets import env_or_value
from atlas_assets.factory.assets import IO_MANAGER_KEY
from atlas_assets.iceberg.catalog import catalog_properties, catalog_uri
from atlas_assets.iceberg.io_manager import IcebergIOManager
from atlas_assets.iceberg.resources import IcebergCatalogResource

CATALOG_KEY = "iceberg_catalog"


def build_resources(config: RunnerConfig, specs: list[ObjectSpec]) -> dict[str, Any]:
    """Resource instances by key; secrets reach Dagster as `EnvVar`s, never as values."""
    warehouse = config.warehouse
    uri = catalog_uri(warehouse)
    catalog = IcebergCatalogResource(
        name=warehouse.catalog.name,
        uri=env_or_value(uri) if uri is not None else None,
        properties=catalog_properties(warehouse),
    )
    resources: dict[str, Any] = {
        CATALOG_KEY: catalog,
        IO_MANAGER_KEY: IcebergIOManager(
            catalog=catalog,
            target_file_mb=warehouse.target_file_mb,
            quarantine_suffix=warehouse.quarantine_suffix,
        ),
    }
    for spec in specs:
        if spec.resource_key not in resources:
            resources[spec.resource_key] = spec.source_config.build_resource()  # type: ignore[attr-defined]
    return resources
