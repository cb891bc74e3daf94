"""Opening the Iceberg catalog that runner.yaml's `warehouse` section describes."""

from __future__ import annotations

from pathlib import Path

from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import NamespaceAlreadyExistsError

from atlas_assets.config.runner import WarehouseConfig


def warehouse_uri(location: str) -> str:
    """A local path becomes an absolute file:// URI; object-store URIs pass through."""
    if "://" in location:
        return location
    path = Path(location).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path.as_uri()


def catalog_properties(warehouse: WarehouseConfig) -> dict[str, str]:
    """pyiceberg properties for the configured catalog (secrets resolved, never logged)."""
    catalog = warehouse.catalog
    properties = {"type": catalog.type, "warehouse": warehouse_uri(warehouse.location), **catalog.properties}
    if catalog.uri is not None:
        uri = catalog.uri.value
        if uri.startswith("sqlite:///"):
            Path(uri.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
        properties["uri"] = uri
    elif catalog.type == "sql":
        properties["uri"] = "sqlite:///.atlas/catalog.db"
        Path(".atlas").mkdir(exist_ok=True)
    return properties


def open_catalog(name: str, properties: dict[str, str]) -> Catalog:
    """Load a pyiceberg catalog from properties."""
    return load_catalog(name, **properties)


def ensure_namespace(catalog: Catalog, namespace: str) -> None:
    """Create the tenant's namespace if it is missing; racing creators are fine."""
    try:
        catalog.create_namespace_if_not_exists(namespace)
    except NamespaceAlreadyExistsError:
        pass
