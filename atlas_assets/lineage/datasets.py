"""Which datasets each Atlas asset reads and writes, for lineage: built once at definitions load."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import dagster as dg

from atlas_assets.config.naming import masks_in_silver, silver_asset_key, silver_table_name
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import WarehouseConfig
from atlas_assets.connectors.errors import redact
from atlas_assets.lineage.naming import iceberg_dataset_name, iceberg_namespace, strip_credentials

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dataset:
    """An OpenLineage dataset identity."""

    namespace: str
    name: str


@dataclass(frozen=True)
class AssetDatasets:
    """The lineage of one asset: its job name, the Iceberg table it writes and what it reads."""

    job_name: str
    output: Dataset
    upstream: tuple[Dataset, ...] = ()
    source: ObjectSpec | None = field(default=None, compare=False)
    """For an ingestion asset: the object whose source dataset is the input (resolved lazily)."""


class DatasetMap:
    """Asset key → `AssetDatasets` for every bronze object and silver asset of the code location."""

    def __init__(
        self, warehouse: WarehouseConfig, specs: list[ObjectSpec], dataset_namespace: str | None = None
    ):
        self.warehouse = warehouse
        self.namespace = dataset_namespace or iceberg_namespace(warehouse)
        self._assets: dict[dg.AssetKey, AssetDatasets] = {}
        self._source_namespaces: dict[tuple[str, str], str] = {}
        for spec in specs:
            bronze = Dataset(self.namespace, iceberg_dataset_name(spec.namespace, spec.table_name))
            self._assets[spec.asset_key] = AssetDatasets(_job_name(spec.asset_key), bronze, source=spec)
            if masks_in_silver(spec):
                silver_name = iceberg_dataset_name(spec.namespace, silver_table_name(spec.table_name))
                silver = Dataset(self.namespace, silver_name)
                key = silver_asset_key(spec.asset_key)
                self._assets[key] = AssetDatasets(_job_name(key), silver, upstream=(bronze,))

    def get(self, key: dg.AssetKey) -> AssetDatasets | None:
        return self._assets.get(key)

    def inputs(self, asset: AssetDatasets) -> list[Dataset]:
        """Upstream Iceberg tables, or the source system's object for an ingestion asset."""
        if asset.source is None:
            return list(asset.upstream)
        spec = asset.source
        key = (spec.tenant, spec.source)
        if key not in self._source_namespaces:
            self._source_namespaces[key] = source_namespace(spec)
        return [Dataset(self._source_namespaces[key], source_dataset_name(spec))]


def source_dataset_name(spec: ObjectSpec) -> str:
    """The object's name in its source: its table (schema-qualified if the source has one), else its name."""
    name = spec.config.table or spec.name
    schema = getattr(spec.source_config, "db_schema", None)
    if spec.config.table and schema and "." not in name:
        name = f"{schema}.{name}"
    return name


def source_namespace(spec: ObjectSpec) -> str:
    """The connector's `dataset_namespace()`, with any credential stripped."""
    source_config = spec.source_config
    fallback = f"{source_config.kind}://{spec.tenant}.{spec.source}"
    try:
        resource = source_config.build_resource()  # type: ignore[attr-defined]
        with resource.process_config_and_initialize_cm() as connector:
            namespace = connector.dataset_namespace()
            secrets = connector.secret_values()
    except Exception as exc:  # lineage must never fail for a source it cannot describe
        log.warning("lineage: no namespace for %s (%s); using %s", spec.label, type(exc).__name__, fallback)
        return fallback
    return redact(strip_credentials(namespace), secrets)


def _job_name(key: dg.AssetKey) -> str:
    return ".".join(key.path)
