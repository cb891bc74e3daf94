"""The file-arrival sensor factory: one sensor per object whose runner.yaml enables
`sensor.file_arrival` and whose source lists files (`connectors.file_versions.ListsFiles`)."""

# No `from __future__ import annotations`: Dagster inspects the sensor function at runtime.

from collections.abc import Mapping, Sequence

import dagster as dg

from atlas_assets.config import naming
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import SourceConnector
from atlas_assets.connectors.file_versions import ListsFiles
from atlas_assets.factory.partitions import partitions_def_for
from atlas_assets.ops.file_arrival.cursor import ArrivalCursor
from atlas_assets.ops.file_arrival.tick import evaluate_tick


def file_arrival_sensors(
    specs: Sequence[ObjectSpec], connectors: Mapping[str, SourceConnector]
) -> list[dg.SensorDefinition]:
    """A file-arrival sensor for every object that asks for one."""
    return [file_arrival_sensor(spec, connectors[spec.resource_key]) for spec in specs if spec.watches_files]


def file_arrival_sensor(spec: ObjectSpec, connector: SourceConnector) -> dg.SensorDefinition:
    """Requests runs of the partitions that new, changed or removed files of `spec` touch.

    It lists only the object's own files (the tenant's runner.yaml names the directory and glob)
    and keeps in its cursor file ids, fingerprints and partition keys (`file_arrival.cursor`).
    """
    if not isinstance(connector, ListsFiles):
        raise TypeError(f"{spec.label}: {type(connector).__name__} does not list files")
    name = naming.file_arrival_sensor_name(spec.asset_key)
    partitions_def = partitions_def_for(spec)

    @dg.sensor(
        name=name,
        asset_selection=[spec.asset_key],
        minimum_interval_seconds=spec.sensor.interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Runs the partitions of {spec.label} that new or changed files touch "
        f"({spec.path}.sensor.file_arrival).",
    )
    def _file_arrival(context: dg.SensorEvaluationContext):
        # A copy per tick: resolving secrets must not change the definition Dagster persists.
        live = connector.model_copy()
        live.resolve_secrets()
        cursor = ArrivalCursor.parse(context.cursor)
        tick = evaluate_tick(spec, live, partitions_def, cursor, name, live.secret_values())  # type: ignore[arg-type]
        context.update_cursor(cursor.dumps())
        context.log.info(tick.summary())
        if tick.run_requests:
            return tick.run_requests
        return dg.SkipReason(tick.summary())

    return _file_arrival
