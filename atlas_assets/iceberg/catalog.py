"""Opening the Iceberg catalog that runner.yaml's `warehouse` section describes."""

from __future__ import annotations

import contextlib
from pathlib import Path

import tenacity
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import NamespaceAlreadyExistsError

from atlas_assets.config.interpolation import EnvRef
from atlas_assets.config.runner import WarehouseConfig
from atlas_assets.connectors.secrets import resource_secret


def warehouse_uri(location: str) -> str:
    """A local path becomes an absolute file:// URI; object-store URIs pass through.

    Nothing is created here: loading definitions (e.g. `dagster definitions validate`) must not
    write to disk; pyiceberg creates directories when it writes files.
    """
    if "://" in location:
        return location
    return Path(location).expanduser().resolve().as_uri()


DEFAULT_SQL_CATALOG_URI = "sqlite:///.atlas/catalog.db"


def catalog_properties(warehouse: WarehouseConfig) -> dict[str, str]:
    """pyiceberg properties for the configured catalog, without the URI (see `catalog_uri`).

    Values are runner.yaml text, expanded by `IcebergCatalogResource` at run time.
    """
    catalog = warehouse.catalog
    extra = {name: resource_secret(value) for name, value in catalog.properties.items()}
    return {"type": catalog.type, "warehouse": warehouse_uri(warehouse.location), **extra}


def catalog_uri(warehouse: WarehouseConfig) -> EnvRef | None:
    """The catalog URI, kept as an `EnvRef` because it may carry a password.

    An embedded SQLite catalog's directory is created here, so a fresh checkout just works.
    """
    uri = warehouse.catalog.uri
    if uri is None and warehouse.catalog.type == "sql":
        uri = EnvRef(DEFAULT_SQL_CATALOG_URI, DEFAULT_SQL_CATALOG_URI)
    if uri is not None and uri.value.startswith("sqlite:///"):
        Path(uri.value.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return uri


def open_catalog(name: str, properties: dict[str, str]) -> Catalog:
    """Load a pyiceberg catalog from properties.

    A SQL catalog creates its own tables when it opens; two step processes opening a fresh one
    at once race, and the loser's CREATE TABLE fails with "already exists". Opened again, the
    tables are there, so that one error is retried.
    """
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_lost_table_creation_race),
        stop=tenacity.stop_after_attempt(3),
        wait=tenacity.wait_random(0.05, 0.3),
        reraise=True,
    )
    return retrying(load_catalog, name, **properties)


def _lost_table_creation_race(exc: BaseException) -> bool:
    return type(exc).__name__ in ("OperationalError", "IntegrityError") and "already exists" in str(exc)


def ensure_namespace(catalog: Catalog, namespace: str) -> None:
    """Create the tenant's namespace if it is missing; racing creators are fine."""
    with contextlib.suppress(NamespaceAlreadyExistsError):
        catalog.create_namespace_if_not_exists(namespace)
