"""Assembling the code location's `Definitions` from runner.yaml."""

from __future__ import annotations

import os
import warnings

import dagster as dg

from atlas_assets.config.loader import load_runner_config
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig
from atlas_assets.config.secret import secret_values
from atlas_assets.factory.assets import build_ingestion_asset
from atlas_assets.factory.executor import step_count_executor
from atlas_assets.factory.freshness import build_freshness_checks, freshness_sensor
from atlas_assets.factory.resources import build_shared_resources, build_source_resources, env_scope
from atlas_assets.factory.schedules import build_schedules
from atlas_assets.factory.source_checks import build_check_sources_job
from atlas_assets.gdpr import build_gdpr_erase_job
from atlas_assets.lineage.definitions import lineage_definitions
from atlas_assets.masking.silver import build_silver_assets
from atlas_assets.ops.file_arrival.sensor import file_arrival_sensors
from atlas_assets.ops.maintenance.job import build_maintenance_jobs
from atlas_assets.ops.notify.sensor import failure_notification_sensor


def build_definitions(config: RunnerConfig, specs: list[ObjectSpec]) -> dg.Definitions:
    """Every object's asset (with its checks), silver assets where masking says so, schedules,
    the check_sources, maintenance and gdpr_erase jobs, freshness checks, the OpenLineage,
    failure-notification, freshness and file-arrival sensors and the shared resources."""
    jobs, schedules = build_schedules(specs)
    maintenance_jobs, maintenance_schedules = build_maintenance_jobs(config, specs)
    connectors = build_source_resources(specs, env_scope(config))
    with warnings.catch_warnings():
        # single-run backfill policies and partitioned checks are beta/preview APIs; one warning
        # per asset would flood every load's log
        warnings.simplefilter("ignore", dg.BetaWarning)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        # Dagster marks its freshness-check factories superseded by `FreshnessPolicy`; see
        # factory/freshness.py for why they are still the ones used
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        assets = [build_ingestion_asset(spec, connectors[spec.resource_key]) for spec in specs]
        assets += build_silver_assets(specs)
        freshness_checks = build_freshness_checks(specs)
    core = dg.Definitions(
        assets=assets,
        asset_checks=freshness_checks,
        jobs=[
            *jobs,
            build_check_sources_job(connectors),
            *maintenance_jobs,
            build_gdpr_erase_job(specs, quarantine_suffix=config.warehouse.quarantine_suffix),
        ],
        schedules=[*schedules, *maintenance_schedules],
        resources=build_shared_resources(config),
        executor=step_count_executor,
    )
    notify = failure_notification_sensor(specs, secret_values(config))
    sensors = [notify] if notify else []
    sensors += file_arrival_sensors(specs, connectors)
    if freshness_checks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.SupersessionWarning)
            sensors.append(freshness_sensor(freshness_checks))
    ops = dg.Definitions(sensors=sensors)
    return dg.Definitions.merge(core, lineage_definitions(config, specs), ops)


def definitions_from_file(path: str | os.PathLike[str] | None = None) -> dg.Definitions:
    """Definitions for runner.yaml at `path` (default: $ATLAS_RUNNER_CONFIG, else ./runner.yaml)."""
    return build_definitions(*load_runner_config(path))
