"""The Iceberg IO manager: each output becomes one atomic commit; inputs read a window back.

The writer and its helpers are imported when a run writes: they import `pyarrow.dataset`, which
imports pandas, and loading definitions (every webserver, daemon and run start) needs neither.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa
from pydantic import Field

from atlas_assets.config.naming import DEFAULT_QUARANTINE_SUFFIX, SEPARATOR, quarantine_table_name
from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.connectors.type_names import parse_type_name
from atlas_assets.iceberg.conform import ConformError
from atlas_assets.iceberg.reading import read_table
from atlas_assets.iceberg.resources import IcebergCatalogResource
from atlas_assets.iceberg.write_plan import WritePlan
from atlas_assets.ingest.lineage_columns import LineageValues
from atlas_assets.ingest.progress import DEFAULT_INTERVAL_SECONDS
from atlas_assets.ingest.source_extract import SourceExtract, labelled_failure

if TYPE_CHECKING:
    from atlas_assets.iceberg.table_writer import WriteReport

# Definition metadata keys that tell the IO manager how an asset's table is laid out.
TABLE_KEY = "atlas/table"
CURSOR_KEY = "atlas/cursor"
WRITE_MODE_KEY = "atlas/write_mode"


class IcebergIOManager(dg.ConfigurableIOManager):
    """Writes Arrow data to Iceberg tables of one catalog, one commit per output.

    Ingestion assets return a `SourceExtract`, which is streamed, validated and written with
    its object's write mode. Other assets may return a `pyarrow.Table`; they are written by
    `atlas/write_mode` metadata (default: replace, or the run's partitions when partitioned).
    """

    catalog: IcebergCatalogResource
    target_file_mb: int = 128
    quarantine_suffix: str = DEFAULT_QUARANTINE_SUFFIX
    progress_interval_seconds: float = Field(
        default=DEFAULT_INTERVAL_SECONDS,
        ge=0,
        description="At most one extraction progress line in the run log per this many seconds.",
    )

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is None:
            return
        if isinstance(obj, SourceExtract):
            plan = self._extract_plan(context, obj)
            report = self._write(
                plan,
                lambda after: obj.open(
                    plan.extract_window, after, context.log, self.progress_interval_seconds
                ),
                obj,
            )
            obj.report = report
        elif isinstance(obj, pa.Table | pa.RecordBatchReader):
            plan = self._table_plan(context)
            batches = obj.to_batches() if isinstance(obj, pa.Table) else obj
            report = self._write(plan, lambda _after: batches, None)
        else:
            raise TypeError(
                f"{context.asset_key.to_user_string()}: cannot write {type(obj).__name__} to Iceberg"
            )
        metadata = report_metadata(report, plan)
        metadata["atlas/orphan_files_removed"] = dg.MetadataValue.int(self._remove_orphans(context, plan))
        if isinstance(obj, SourceExtract):
            metadata.update({f"atlas/source/{name}": value for name, value in obj.source_stats.items()})
        if len(plan.partition_keys) > 1:
            metadata.update(_partition_scoped_metadata(context, plan, report))
        context.add_output_metadata(metadata)

    def load_input(self, context: dg.InputContext) -> pa.Table:
        upstream = context.upstream_output
        metadata = dict(upstream.definition_metadata or {}) if upstream else {}
        namespace, table = _identifier(context.asset_key, metadata)
        window = _context_window(context) if context.has_asset_partitions else None
        keys = tuple(context.asset_partition_keys) if context.has_asset_partitions else ()
        return read_table(
            self.catalog.catalog,
            (namespace, table),
            cursor=metadata.get(CURSOR_KEY),
            window=window,
            partition_keys=keys,
        )

    def _write(self, plan: WritePlan, open_batches: Any, extract: SourceExtract | None) -> WriteReport:
        from atlas_assets.iceberg.deletes import DeleteError
        from atlas_assets.iceberg.schema_evolution import IncompatibleSchemaChangeError
        from atlas_assets.iceberg.table_writer import TableWriter

        writer = TableWriter(self.catalog.catalog, self.target_file_mb * 1024 * 1024, self.quarantine_suffix)
        try:
            return writer.write(plan, open_batches)
        except (IncompatibleSchemaChangeError, ConformError, DeleteError) as exc:
            if extract is None:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            raise labelled_failure(extract.spec, str(exc)) from None

    def _remove_orphans(self, context: dg.OutputContext, plan: WritePlan) -> int:
        """Delete the files that runs killed before their commit left in the run's tables.

        Best effort: the run's own commit is done, so a failure here is logged, never raised.
        """
        from atlas_assets.iceberg.orphan_files import remove_files_of_ended_runs

        instance = context.step_context.instance

        def run_ended(run_id: str) -> bool:
            run = instance.get_run_by_id(run_id)
            return run is not None and run.is_finished

        catalog = self.catalog.catalog
        removed = 0
        for table in (plan.table, quarantine_table_name(plan.table, self.quarantine_suffix)):
            identifier = (plan.namespace, table)
            try:
                if catalog.table_exists(identifier):
                    table_now = catalog.load_table(identifier)
                    removed += len(remove_files_of_ended_runs(table_now, context.run_id, run_ended))
            except Exception as exc:  # cleanup must never fail a run whose data is committed
                context.log.warning(f"{plan.display_name}: could not remove orphan files of {table}: {exc}")
        if removed:
            context.log.info(f"{plan.display_name}: removed {removed} file(s) that killed runs left behind")
        return removed

    def _extract_plan(self, context: dg.OutputContext, extract: SourceExtract) -> WritePlan:
        spec = extract.spec
        partitioned = context.has_asset_partitions
        window = _context_window(context) if partitioned else None
        keys = tuple(context.asset_partition_keys) if partitioned else ()
        mode = spec.write_mode
        return WritePlan(
            namespace=spec.namespace,
            table=spec.table_name,
            label=spec.label,
            mode=mode,
            lineage=_lineage(
                context, spec.tenant, spec.source, keys[0] if mode is WriteMode.SNAPSHOT else None
            ),
            cursor=spec.config.cursor,
            primary_key=tuple(spec.config.primary_key),
            version=spec.config.version_columns,
            window=window,
            lookback=spec.config.lookback,
            partition_keys=keys,
            column_types={name: parse_type_name(t) for name, t in spec.config.column_types.items()},
            partition_of=_partition_of(context) if partitioned else None,
        )

    def _table_plan(self, context: dg.OutputContext) -> WritePlan:
        metadata = dict(context.definition_metadata or {})
        namespace, table = _identifier(context.asset_key, metadata)
        partitioned = context.has_asset_partitions
        keys = tuple(context.asset_partition_keys) if partitioned else ()
        cursor = metadata.get(CURSOR_KEY)
        if partitioned and cursor:
            mode = WriteMode.PARTITION_OVERWRITE
        elif partitioned:
            if len(keys) != 1:
                raise dg.Failure(
                    description=f"{namespace}.{table}: writing {len(keys)} partitions in one run needs "
                    f"`{CURSOR_KEY}` metadata naming the column that places rows in a partition",
                    allow_retries=False,
                )
            mode = WriteMode.SNAPSHOT
        else:
            mode = WriteMode(metadata.get(WRITE_MODE_KEY, WriteMode.REPLACE))
        return WritePlan(
            namespace=namespace,
            table=table,
            label=f"{namespace}.{table}",
            mode=mode,
            lineage=_lineage(context, namespace, "derived", keys[0] if mode is WriteMode.SNAPSHOT else None),
            cursor=cursor,
            window=_context_window(context) if partitioned else None,
            partition_keys=keys,
        )


def report_metadata(report: WriteReport, plan: WritePlan) -> dict[str, dg.MetadataValue | Any]:
    """Materialization metadata: what was written, where, under which schema and window."""
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(report.rows_written),
        "dagster/table_name": dg.MetadataValue.text(report.table),
        "atlas/rows_quarantined": dg.MetadataValue.int(report.rows_quarantined),
        "atlas/rows_replaced": dg.MetadataValue.int(report.rows_replaced),
        "atlas/rows_deleted": dg.MetadataValue.int(report.rows_deleted),
        "atlas/rows_stale": dg.MetadataValue.int(report.rows_stale),
        "atlas/deletes_stale": dg.MetadataValue.int(report.deletes_stale),
        "atlas/files": dg.MetadataValue.int(len(report.files)),
        "atlas/bytes": dg.MetadataValue.int(report.bytes_written),
        "atlas/write_mode": dg.MetadataValue.text(str(plan.mode)),
    }
    if report.snapshot_id is not None:
        metadata["atlas/snapshot_id"] = dg.MetadataValue.text(str(report.snapshot_id))
    if report.schema is not None:
        metadata["dagster/column_schema"] = dg.TableSchema(
            columns=[dg.TableColumn(f.name, str(f.field_type)) for f in report.schema.fields]
        )
    if plan.extract_window is not None:
        metadata["atlas/window"] = dg.MetadataValue.text(str(plan.extract_window))
    if report.schema_changes:
        metadata["atlas/schema_changes"] = dg.MetadataValue.text("; ".join(report.schema_changes))
    if report.high_water_mark is not None:
        metadata["atlas/high_water_mark"] = dg.MetadataValue.text(str(report.high_water_mark))
    return metadata


def _partition_scoped_metadata(
    context: dg.OutputContext, plan: WritePlan, report: WriteReport
) -> dict[str, dg.MetadataValue]:
    """Give each partition of a multi-partition run its own row counts and window.

    Dagster copies the output's metadata onto every partition's materialization; partition-scoped
    metadata overrides it key by key. Returns the run-wide figures, under names that say so.
    """
    from atlas_assets.iceberg.partition_figures import partition_figures

    partitions_def = context.asset_partitions_def
    assert isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)
    windows = {
        key: TimeWindow.from_dagster(partitions_def.time_window_for_partition_key(key))
        for key in plan.partition_keys
    }
    first = plan.partition_keys[0]
    windows[first] = windows[first].extended_back(plan.lookback)
    written = report.written_dataset()
    for figure in partition_figures(written, plan.cursor, windows, report.quarantined_by_partition):
        context.step_context.add_asset_metadata(
            {
                "dagster/row_count": dg.MetadataValue.int(figure.rows_written),
                "atlas/rows_quarantined": dg.MetadataValue.int(figure.rows_quarantined),
                "atlas/window": dg.MetadataValue.text(str(figure.window)),
            },
            asset_key=context.asset_key,
            partition_key=figure.key,
        )
    return {
        "atlas/run_partitions": dg.MetadataValue.text(f"{first}...{plan.partition_keys[-1]}"),
        "atlas/run_row_count": dg.MetadataValue.int(report.rows_written),
        "atlas/run_rows_quarantined": dg.MetadataValue.int(report.rows_quarantined),
    }


def _identifier(asset_key: dg.AssetKey, metadata: dict[str, Any]) -> tuple[str, str]:
    if TABLE_KEY in metadata:
        namespace, _, table = str(metadata[TABLE_KEY]).partition(".")
        return namespace, table
    path = asset_key.path
    return path[0], SEPARATOR.join(path[1:]) or path[0]


def _lineage(context: dg.OutputContext, tenant: str, source: str, partition: str | None) -> LineageValues:
    return LineageValues(
        tenant=tenant,
        source=source,
        run_id=context.run_id,
        extracted_at=dt.datetime.now(dt.UTC),
        partition=partition,
    )


def _context_window(context: dg.OutputContext | dg.InputContext) -> TimeWindow | None:
    try:
        window = context.asset_partitions_time_window
    except dg.DagsterInvariantViolationError:
        return None  # not time-partitioned
    return TimeWindow.from_dagster(window)


def _partition_of(context: dg.OutputContext) -> Any:
    partitions_def = context.asset_partitions_def
    if not isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return None
    return lambda moment: partitions_def.get_partition_key_for_timestamp(moment.timestamp())
