"""The `<tenant>_maintenance` job and schedule of each tenant with `maintenance:` in runner.yaml.

One op walks the tenant's tables (each object's and its quarantine table): compacts small files
per window, expires old snapshots and deletes the files they alone referenced, then deletes
orphan files old enough that no run can still be writing them. Every commit goes through
`iceberg.commit_retry`, so a maintenance run racing an ingestion run re-plans instead of
undoing it. What each table went through is recorded as an observation of its asset.
"""

# No `from __future__ import annotations`: Dagster checks the op's `context` annotation at
# definition time and cannot resolve it from a string.
import datetime as dt
from collections.abc import Callable, Iterator

import dagster as dg
from pyiceberg.table import Table

from atlas_assets.config.maintenance import MaintenanceConfig
from atlas_assets.config.naming import TENANT_TAG, maintenance_job_name, schedule_name
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig
from atlas_assets.iceberg.resources import IcebergCatalogResource
from atlas_assets.ops.maintenance.windows import window_of

_MB = 1024 * 1024
_FIGURES = (
    "windows_compacted",
    "small_files_rewritten",
    "files_written",
    "snapshots_expired",
    "data_files_removed",
    "metadata_files_removed",
    "orphan_files_removed",
)


def build_maintenance_jobs(
    config: RunnerConfig, specs: list[ObjectSpec]
) -> tuple[list[dg.JobDefinition], list[dg.ScheduleDefinition]]:
    """A job (and, with a cron, a schedule) per tenant that sets `maintenance:`."""
    jobs, schedules = [], []
    target_bytes = config.warehouse.target_file_mb * _MB
    for tenant, tenant_config in config.tenants.items():
        settings = tenant_config.maintenance
        if settings is None:
            continue
        tenant_specs = [spec for spec in specs if spec.tenant == tenant]
        job = _maintenance_job(tenant, settings, tenant_specs, target_bytes)
        jobs.append(job)
        if settings.cron is not None:
            schedules.append(
                dg.ScheduleDefinition(
                    name=schedule_name(job.name),
                    job=job,
                    cron_schedule=settings.cron,
                    execution_timezone=settings.timezone,
                    default_status=dg.DefaultScheduleStatus.RUNNING
                    if settings.running
                    else dg.DefaultScheduleStatus.STOPPED,
                    description=f"Maintains tenant {tenant}'s tables on '{settings.cron}'.",
                )
            )
    return jobs, schedules


def _maintenance_job(
    tenant: str, settings: MaintenanceConfig, specs: list[ObjectSpec], target_bytes: int
) -> dg.JobDefinition:
    @dg.op(
        name="maintain_tables",
        description=f"Compact, expire and clean tenant {tenant}'s tables.",
        out=dg.Out(dict, description="The figures of each table maintained."),
    )
    def maintain_tables(
        context: dg.OpExecutionContext, iceberg_catalog: IcebergCatalogResource
    ) -> Iterator[dg.AssetObservation | dg.Output[dict[str, dict[str, int]]]]:
        now = dt.datetime.now(dt.UTC)
        maintained: dict[str, dict[str, int]] = {}
        for spec in specs:
            metadata: dict[str, int] = {}
            for kind, table_name in (("table", spec.table_name), ("quarantine", spec.quarantine_table)):
                if iceberg_catalog.load_table(spec.namespace, table_name) is None:
                    continue
                identifier = (spec.namespace, table_name)
                figures = _maintain(
                    lambda identifier=identifier: iceberg_catalog.catalog.load_table(identifier),
                    spec,
                    settings,
                    now,
                    target_bytes,
                    context.run_id,
                    compact=settings.compact_small_files and kind == "table",
                )
                context.log.info(
                    f"{spec.namespace}.{table_name}: "
                    + ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in figures.items())
                )
                maintained[".".join(identifier)] = figures
                prefix = "atlas/maintenance/" if kind == "table" else "atlas/maintenance/quarantine_"
                metadata.update({prefix + name: value for name, value in figures.items()})
            if metadata:
                yield dg.AssetObservation(asset_key=spec.asset_key, metadata=metadata)
        totals = {name: sum(figures[name] for figures in maintained.values()) for name in _FIGURES}
        yield dg.Output(maintained, metadata={"tables": len(maintained), **totals})

    @dg.job(
        name=maintenance_job_name(tenant),
        description=f"Table maintenance of tenant {tenant}: compaction, snapshot expiry, file cleanup.",
        tags={TENANT_TAG: tenant, "atlas/kind": "maintenance"},
    )
    def maintenance() -> None:
        maintain_tables()

    return maintenance


def _maintain(
    load: Callable[[], Table],
    spec: ObjectSpec,
    settings: MaintenanceConfig,
    now: dt.datetime,
    target_bytes: int,
    run_id: str,
    compact: bool,
) -> dict[str, int]:
    """Compaction first, so its snapshot is one of those `retain_last` keeps and the small
    files it replaced are expired with the snapshots that held them."""
    # Imported by the run: they import pyarrow.dataset (and so pandas), which loading definitions
    # does not need.
    from atlas_assets.iceberg.compaction import CompactionReport, compact_small_files
    from atlas_assets.iceberg.orphan_files import older_than, remove_orphan_files
    from atlas_assets.iceberg.snapshot_expiry import expire_snapshots

    label = f"{spec.label} maintenance"
    compaction = (
        compact_small_files(load, window_of(spec), target_bytes, run_id, label)
        if compact
        else CompactionReport()
    )
    assert settings.expire_snapshots_older_than is not None
    assert settings.remove_orphan_files_older_than is not None
    expiry = expire_snapshots(load, now - settings.expire_snapshots_older_than, settings.retain_last, label)
    orphans = remove_orphan_files(load(), older_than(now - settings.remove_orphan_files_older_than))
    values = (
        compaction.windows,
        compaction.files_removed,
        compaction.files_added,
        expiry.snapshots_expired,
        expiry.data_files_removed,
        expiry.metadata_files_removed,
        len(orphans),
    )
    return dict(zip(_FIGURES, values, strict=True))
