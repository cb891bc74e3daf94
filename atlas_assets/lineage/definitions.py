"""The lineage sensor and the `Definitions` the code location merges in."""

# No `from __future__ import annotations`: Dagster inspects the sensor function at runtime.

from typing import TYPE_CHECKING

import dagster as dg

from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig
from atlas_assets.iceberg.catalog import catalog_uri, warehouse_uri
from atlas_assets.lineage.config import LineageConfig
from atlas_assets.lineage.datasets import DatasetMap
from atlas_assets.lineage.naming import strip_credentials

if TYPE_CHECKING:
    from atlas_assets.lineage.events import LineageEventBuilder

SENSOR_NAME = "openlineage"


def lineage_definitions(
    config: RunnerConfig, specs: list[ObjectSpec], lineage: LineageConfig | None = None
) -> dg.Definitions:
    """The OpenLineage sensor for every object (none when the transport is `none`).

    `lineage` defaults to `LineageConfig.from_env()`. The sensor reads Dagster's event log, so
    runs never wait on, or fail because of, the lineage receiver. Cheap at definitions load: the
    OpenLineage client is imported on the sensor's first tick.
    """
    lineage = lineage or LineageConfig.from_env()
    if lineage.transport == "none":
        return dg.Definitions()
    datasets = DatasetMap(config.warehouse, specs, lineage.dataset_namespace)
    return dg.Definitions(sensors=[lineage_sensor(config, datasets, lineage)])


def event_builder(
    config: RunnerConfig, datasets: DatasetMap, lineage: LineageConfig
) -> "LineageEventBuilder":
    """Events for `config`'s warehouse: dataset names and the catalog facet (no connection opened)."""
    from atlas_assets.lineage.events import LineageEventBuilder, catalog_facet

    warehouse = config.warehouse
    uri = catalog_uri(warehouse)
    catalog = catalog_facet(
        framework_type=warehouse.catalog.type,
        name=warehouse.catalog.name,
        warehouse_uri=strip_credentials(warehouse_uri(warehouse.location)),
        metadata_uri=strip_credentials(uri.value) if uri is not None else "",
    )
    return LineageEventBuilder(datasets, lineage.namespace, catalog)


def lineage_sensor(config: RunnerConfig, datasets: DatasetMap, lineage: LineageConfig) -> dg.SensorDefinition:
    """A sensor that emits the lineage of runs, asset materializations and checks since its cursor.

    Delivery is at least once and in event-log order: the cursor advances only past records
    whose events were delivered, so a receiver that is down delays lineage, never loses it.
    """
    built: list = []  # (builder, client), made on the first tick in the process evaluating the sensor

    @dg.sensor(
        name=SENSOR_NAME,
        minimum_interval_seconds=lineage.minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Emits OpenLineage events ({lineage.transport}) for runs, assets and asset checks.",
    )
    def _openlineage(context: dg.SensorEvaluationContext):
        from atlas_assets.lineage.delivery import deliver, read_records
        from atlas_assets.lineage.transport import build_client

        if not built:
            built.append((event_builder(config, datasets, lineage), build_client(lineage)))
        builder, client = built[0]
        after = int(context.cursor) if context.cursor else 0
        records = read_records(context.instance, after, lineage.max_records_per_tick)
        report = deliver(records, after, builder, client, context.instance)
        context.update_cursor(str(report.last_storage_id))
        return dg.SkipReason(report.summary())

    return _openlineage
