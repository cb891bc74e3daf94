"""Resources: the Iceberg catalog and its IO manager (shared), one connector per tenant × source.

Connectors are bound to their own assets rather than to the whole code location: Dagster checks
every top-level resource against every asset, so 500 sources × 10,000 assets would cost millions
of checks at load, while asset-bound resources keep that linear.
"""

from __future__ import annotations

from typing import Any

from atlas_assets.config.env_scope import EnvScope
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


def build_source_resources(
    specs: list[ObjectSpec], scope: EnvScope | None = None
) -> dict[str, SourceConnector]:
    """One connector per tenant × source, keyed `<tenant>__<source>`.

    With `scope` (the runner's tenants), each connector expands at run time only the variables its
    place in runner.yaml may name, whatever run config does to its texts.
    """
    resources: dict[str, SourceConnector] = {}
    for spec in specs:
        if spec.resource_key not in resources:
            resource = spec.source_config.build_resource()  # type: ignore[attr-defined]
            if scope is not None:
                resource.scoped_to(scope, ("tenants", spec.tenant, "sources", spec.source))
            resources[spec.resource_key] = resource
    return resources


def env_scope(config: RunnerConfig) -> EnvScope:
    """Which variables each tenant may name (`config.env_scope`), from the validated config."""
    return EnvScope.for_tenants({name: tenant.shared_env for name, tenant in config.tenants.items()})
