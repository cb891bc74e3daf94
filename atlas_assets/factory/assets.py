"""The ingestion asset factory: one asset per tenant × source × object."""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from atlas_assets.checks.pii.check import warm_pii_engine
from atlas_assets.checks.quality.check import prepare_quality_checks, settle_quality_import
from atlas_assets.config import naming
from atlas_assets.config.objects import WriteMode
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import SourceConnector, TimeWindow
from atlas_assets.factory.checks import (
    evaluate_checks_by_partition,
    evaluate_ingestion_checks,
    ingestion_check_specs,
)
from atlas_assets.factory.partitions import partitions_def_for
from atlas_assets.factory.process_exit import skip_final_collection
from atlas_assets.factory.retries import retry_policy_for
from atlas_assets.iceberg.io_manager import CURSOR_KEY, TABLE_KEY, WRITE_MODE_KEY
from atlas_assets.ingest.source_extract import SourceExtract
from atlas_assets.masking.transform import masking_transform

IO_MANAGER_KEY = "iceberg_io_manager"


def build_ingestion_asset(spec: ObjectSpec, connector: SourceConnector) -> dg.AssetsDefinition:
    """Build the asset that extracts one object and writes it to its Iceberg table.

    The op yields a `SourceExtract`; the Iceberg IO manager streams it into one atomic
    commit and fills in its write report, from which the asset's checks are evaluated.
    Time-partitioned objects backfill a whole range in a single run (one extract, one commit).
    """
    partitions_def = partitions_def_for(spec)
    check_specs = ingestion_check_specs(spec, partitions_def)

    @dg.asset(
        key=spec.asset_key,
        group_name=spec.tenant,
        description=_description(spec),
        kinds={spec.source_config.kind, "iceberg"},
        tags=naming.asset_tags(spec.tenant, spec.source),
        owners=list(spec.owners) or None,
        metadata=_definition_metadata(spec),
        partitions_def=partitions_def,
        backfill_policy=_backfill_policy(spec) if partitions_def else None,
        retry_policy=retry_policy_for(spec.retry),
        resource_defs={spec.resource_key: connector},
        io_manager_key=IO_MANAGER_KEY,
        check_specs=check_specs,
    )
    def _ingest(context: dg.AssetExecutionContext) -> Iterator[Any]:
        skip_final_collection()
        # The PII worker is forked before this op starts its Soda import thread, and after any
        # import an earlier op of the process started has finished.
        if spec.pii_scan.preload_engine:
            settle_quality_import()
            warm_pii_engine(spec)
        prepare_quality_checks(spec)
        masking = masking_transform(spec)
        connector = getattr(context.resources, spec.resource_key)
        extract = SourceExtract(spec, connector, transforms=(masking,) if masking else ())
        yield dg.Output(extract)
        # The IO manager has committed by now and left its report on the extract.
        assert extract.report is not None
        if partitions_def is not None and len(context.partition_keys) > 1:
            windows = {
                key: TimeWindow.from_dagster(partitions_def.time_window_for_partition_key(key))
                for key in context.partition_keys
            }
            yield from evaluate_checks_by_partition(spec, extract.report, windows, context)
            return
        window = TimeWindow.from_dagster(context.partition_time_window) if partitions_def else None
        yield from evaluate_ingestion_checks(spec, extract.report, window, check_specs)

    return _ingest


def _backfill_policy(spec: ObjectSpec) -> dg.BackfillPolicy:
    # A snapshot stores the source as it is *now* under one key, so each partition runs alone.
    if spec.write_mode is WriteMode.SNAPSHOT:
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
    return dg.BackfillPolicy.single_run()


def _description(spec: ObjectSpec) -> str:
    if spec.config.description:
        return spec.config.description
    what = "query" if spec.config.query else f"table {spec.config.table or spec.name}"
    return (
        f"{spec.source_config.kind} {what} of {spec.tenant}.{spec.source}, "
        f"written to Iceberg {spec.namespace}.{spec.table_name} ({spec.write_mode})."
    )


def _definition_metadata(spec: ObjectSpec) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        TABLE_KEY: f"{spec.namespace}.{spec.table_name}",
        WRITE_MODE_KEY: str(spec.write_mode),
        "atlas/config_path": spec.path,
    }
    if spec.config.cursor:
        metadata[CURSOR_KEY] = spec.config.cursor
    if spec.config.primary_key:
        metadata["atlas/primary_key"] = ", ".join(spec.config.primary_key)
    return metadata
