"""A `partitions.start` that leaves objects with no partition to materialize yet."""

from __future__ import annotations

from atlas_assets.config.errors import ConfigProblem
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig
from atlas_assets.config.settings import InheritedSettings
from atlas_assets.factory.partitions import partitions_def_for


def partitionless_problems(config: RunnerConfig, specs: list[ObjectSpec]) -> list[ConfigProblem]:
    """One problem per written `partitions.start` whose objects have no complete partition yet.

    Dagster would load such assets without a single partition and every schedule tick would skip,
    which looks like a working platform that never ingests anything.
    """
    objects_by_place: dict[str, list[ObjectSpec]] = {}
    for spec in specs:
        if spec.partitions is None or spec.partitions.start is None:
            continue  # unpartitioned, or the missing start is already a problem
        partitions = partitions_def_for(spec)
        if partitions is not None and partitions.get_first_partition_key() is None:
            objects_by_place.setdefault(_where_start_is_written(config, spec), []).append(spec)
    problems = []
    for place, objects in objects_by_place.items():
        first = objects[0]
        assert first.partitions is not None
        assert first.partitions.start is not None
        if len(objects) > 1:
            affected = f"{len(objects)} objects (first {first.path})"
        else:
            affected = "the object" if place.startswith(f"{first.path}.") else first.path
        problems.append(
            ConfigProblem(
                place,
                f"{first.partitions.start.isoformat()} leaves no complete {first.partitions.granularity} "
                f"partition yet, so {affected} would have nothing to materialize; set an earlier start "
                "(or `end_offset: 1` to include the partition in progress)",
            )
        )
    return problems


def _where_start_is_written(config: RunnerConfig, spec: ObjectSpec) -> str:
    """The dotted path of the nearest level that sets `partitions.start` for `spec`."""
    tenant_path = f"tenants.{spec.tenant}"
    levels: list[tuple[str, InheritedSettings]] = [
        (spec.path, spec.config),
        (f"{tenant_path}.sources.{spec.source}", spec.source_config),
        (tenant_path, spec.tenant_config),
        ("defaults", config.defaults),
    ]
    for path, level in levels:
        if level.partitions is not None and "start" in level.partitions.model_fields_set:
            return f"{path}.partitions.start"
    return f"{spec.path}.partitions.start"
