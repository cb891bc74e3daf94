"""Dagster event-log entries → OpenLineage run events.

Three kinds of OpenLineage job, all in the configured job namespace:

- the Dagster job of a run (`RUN_START` / `RUN_SUCCESS` / `RUN_FAILURE` / `RUN_CANCELED`),
  OpenLineage run id = Dagster run id;
- one job per asset, named `tenant.source.object`, whose runs are children (parent facet) of
  the Dagster run: START when planned, COMPLETE with its input and output datasets when
  materialized (schema, row count, bytes, files, Iceberg snapshot), FAIL when it failed or
  when its run ended without materializing it (Dagster does not always log the failure);
- one job per asset check, `tenant.source.object.<check>`, reading the asset's table with a
  `dataQualityAssertions` facet.

Child run ids are UUID5s of (Dagster run, asset[, check][, partition]), so START and COMPLETE
agree without any state, and each partition of a single-run backfill is a run of its own, with
its own row count and check results. Only names, types and numbers are emitted: no row values,
no check text, no error messages (they could quote data or credentials).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster_openlineage.facets import (
    build_data_quality_assertions_facet,
    build_nominal_time_facet,
    build_schema_facet,
)
from dagster_openlineage.utils import to_utc_iso_8601
from openlineage.client import set_producer
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    catalog_dataset,
    dataset_version_dataset,
    datasource_dataset,
    job_type_job,
    output_statistics_output_dataset,
    parent_run,
    processing_engine_run,
)

from atlas_assets.lineage.datasets import AssetDatasets, Dataset, DatasetMap

PRODUCER = "urn:atlas-assets:lineage"
"""Identifies Atlas as the producer (OpenLineage wants a URI; Atlas has no public URL of its own)."""

# Facets take their `_producer` from a process-wide default, which importing dagster_openlineage
# sets to its own URL; these events are Atlas's.
set_producer(PRODUCER)
_NO_JOB = "dagster_run"
_CHILD_RUN_NAMESPACE = uuid.UUID("5b0e6f4e-2c1d-4a57-9a43-1b8f0d7c6a21")

RUN_STATES = {
    DagsterEventType.RUN_START: RunState.START,
    DagsterEventType.RUN_SUCCESS: RunState.COMPLETE,
    DagsterEventType.RUN_FAILURE: RunState.FAIL,
    DagsterEventType.RUN_CANCELED: RunState.ABORT,
}
ASSET_EVENT_TYPES = (
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_FAILED_TO_MATERIALIZE,
)
"""The asset event types the lineage sensor reads across runs, besides the run status changes."""


class LineageEventBuilder:
    """Builds the OpenLineage events for one Dagster event-log entry."""

    def __init__(
        self, datasets: DatasetMap, job_namespace: str, catalog: catalog_dataset.CatalogDatasetFacet
    ):
        self.datasets = datasets
        self.job_namespace = job_namespace
        self.catalog = catalog

    def events_for(self, entry: dg.EventLogEntry, instance: dg.DagsterInstance) -> list[RunEvent]:
        """Zero or more events for `entry` (none for event types lineage ignores)."""
        event = entry.dagster_event
        if event is None:
            return []
        kind = event.event_type
        if kind in RUN_STATES:
            if RUN_STATES[kind] is RunState.START:
                return [self._run_event(entry, RunState.START)]
            # A finished run: its check evaluations first (see `run_check_evaluations`).
            checks = [self._check_event(check) for check in run_check_evaluations(instance, entry.run_id)]
            failed_assets = []
            if RUN_STATES[kind] in (RunState.FAIL, RunState.ABORT):
                failed_assets = [
                    self._asset_event(entry, key, RunState.FAIL, partition, {})
                    for key, partition in unfinished_assets(instance, entry.run_id)
                ]
            return [*checks, *failed_assets, self._run_event(entry, RUN_STATES[kind])]
        data = event.event_specific_data
        if kind is DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
            return [self._asset_event(entry, data.asset_key, RunState.START, data.partition, {})]
        if kind is DagsterEventType.ASSET_MATERIALIZATION:
            materialization = data.materialization
            key, partition = materialization.asset_key, materialization.partition
            return [self._asset_event(entry, key, RunState.COMPLETE, partition, materialization.metadata)]
        if kind is DagsterEventType.ASSET_FAILED_TO_MATERIALIZE:
            failure = data.asset_materialization_failure
            return [self._asset_event(entry, failure.asset_key, RunState.FAIL, failure.partition, {})]
        return []

    def _run_event(self, entry: dg.EventLogEntry, state: RunState) -> RunEvent:
        return RunEvent(
            eventType=state,
            eventTime=to_utc_iso_8601(entry.timestamp),
            run=Run(runId=entry.run_id, facets={"processing_engine": _engine_facet()}),
            job=Job(namespace=self.job_namespace, name=entry.job_name or _NO_JOB, facets=_job_type("JOB")),
            producer=PRODUCER,
        )

    def _asset_event(
        self,
        entry: dg.EventLogEntry,
        key: dg.AssetKey,
        state: RunState,
        partition: str | None,
        metadata: Mapping[str, Any],
    ) -> RunEvent:
        asset = self._asset(key)
        run_facets: dict[str, Any] = {
            "parent": self._parent(entry),
            "processing_engine": _engine_facet(),
            **_nominal_time(partition),
        }
        return RunEvent(
            eventType=state,
            eventTime=to_utc_iso_8601(entry.timestamp),
            run=Run(runId=_child_run_id(entry.run_id, asset.job_name, partition), facets=run_facets),
            job=Job(namespace=self.job_namespace, name=asset.job_name, facets=_job_type("ASSET")),
            inputs=[InputDataset(namespace=d.namespace, name=d.name) for d in self.datasets.inputs(asset)],
            outputs=[self._output(asset.output, metadata)],
            producer=PRODUCER,
        )

    def _check_event(self, entry: dg.EventLogEntry) -> RunEvent:
        evaluation = entry.dagster_event.event_specific_data  # type: ignore[union-attr]
        asset = self._asset(evaluation.asset_key)
        job_name = f"{asset.job_name}.{evaluation.check_name}"
        check_facet = {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunFacet",
            "check": evaluation.check_name,
            "passed": evaluation.passed,
            "severity": evaluation.severity.value,
            "metrics": numeric_metadata(evaluation.metadata),
        }
        partition = evaluation.partition
        return RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=to_utc_iso_8601(entry.timestamp),
            run=Run(
                runId=_child_run_id(entry.run_id, job_name, partition),
                facets={
                    "parent": self._parent(entry),
                    "atlas_asset_check": check_facet,
                    **_nominal_time(partition),
                },
            ),
            job=Job(namespace=self.job_namespace, name=job_name, facets=_job_type("ASSET_CHECK")),
            inputs=[
                InputDataset(
                    namespace=asset.output.namespace,
                    name=asset.output.name,
                    inputFacets={"dataQualityAssertions": build_data_quality_assertions_facet([evaluation])},
                )
            ],
            producer=PRODUCER,
        )

    def _asset(self, key: dg.AssetKey) -> AssetDatasets:
        known = self.datasets.get(key)
        if known is not None:
            return known
        # An asset that is not an Atlas object: named after its key in the job namespace.
        name = ".".join(key.path)
        return AssetDatasets(name, Dataset(self.job_namespace, name))

    def _output(self, dataset: Dataset, metadata: Mapping[str, Any]) -> OutputDataset:
        source = datasource_dataset.DatasourceDatasetFacet(name=dataset.namespace, uri=dataset.namespace)
        facets: dict[str, Any] = {"dataSource": source}
        if dataset.namespace == self.datasets.namespace:
            facets["catalog"] = self.catalog
        schema = _value(metadata.get("dagster/column_schema"))
        if isinstance(schema, dg.TableSchema):
            facets["schema"] = build_schema_facet(schema)
        snapshot = _value(metadata.get("atlas/snapshot_id"))
        if snapshot is not None:
            version = dataset_version_dataset.DatasetVersionDatasetFacet
            facets["version"] = version(datasetVersion=str(snapshot))
        output_facets: dict[str, Any] = {}
        rows = _value(metadata.get("dagster/row_count"))
        if isinstance(rows, int):
            statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet
            output_facets["outputStatistics"] = statistics(
                rowCount=rows,
                size=_int_or_none(_value(metadata.get("atlas/bytes"))),
                fileCount=_int_or_none(_value(metadata.get("atlas/files"))),
            )
        return OutputDataset(
            namespace=dataset.namespace, name=dataset.name, facets=facets, outputFacets=output_facets
        )

    def _parent(self, entry: dg.EventLogEntry) -> parent_run.ParentRunFacet:
        return parent_run.ParentRunFacet(
            run=parent_run.Run(runId=entry.run_id),
            job=parent_run.Job(namespace=self.job_namespace, name=entry.job_name or _NO_JOB),
        )


def unfinished_assets(instance: dg.DagsterInstance, run_id: str) -> list[tuple[dg.AssetKey, str | None]]:
    """(asset, partition) pairs planned in the run that it neither materialized nor reported failed."""
    records = instance.get_records_for_run(run_id, of_type=set(ASSET_EVENT_TYPES)).records
    planned: dict[tuple[dg.AssetKey, str | None], None] = {}
    finished: set[tuple[dg.AssetKey, str | None]] = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        data = event.event_specific_data
        if event.event_type is DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
            planned[(data.asset_key, data.partition)] = None
        elif event.event_type is DagsterEventType.ASSET_MATERIALIZATION:
            finished.add((data.materialization.asset_key, data.materialization.partition))
        else:
            failure = data.asset_materialization_failure
            finished.add((failure.asset_key, failure.partition))
    return [pair for pair in planned if pair not in finished]


def run_check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list[dg.EventLogEntry]:
    """The run's asset check evaluations, in order.

    Read per run because the default SQLite storage has no cross-run query for them; the lineage
    sensor emits them when the run's end is delivered, just before the run's own event.
    """
    entries: list[dg.EventLogEntry] = []
    cursor = None
    while True:
        page = instance.get_records_for_run(
            run_id, cursor=cursor, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000
        )
        entries.extend(record.event_log_entry for record in page.records)
        if not page.has_more:
            return entries
        cursor = page.cursor


def catalog_facet(
    framework_type: str, name: str, warehouse_uri: str, metadata_uri: str
) -> catalog_dataset.CatalogDatasetFacet:
    """The Iceberg catalog a table lives in (URIs must already be free of credentials)."""
    return catalog_dataset.CatalogDatasetFacet(
        framework="iceberg",
        type=framework_type,
        name=name,
        warehouseUri=warehouse_uri,
        metadataUri=metadata_uri,
    )


def numeric_metadata(metadata: Mapping[str, Any] | None) -> dict[str, float | int | bool]:
    """Only the numbers and flags of check metadata: text and JSON may quote data."""
    numbers: dict[str, float | int | bool] = {}
    for key, raw in (metadata or {}).items():
        value = _value(raw)
        if isinstance(value, bool | int | float):
            numbers[str(key)] = value
    return numbers


def _child_run_id(run_id: str, job_name: str, partition: str | None = None) -> str:
    name = f"{run_id}/{job_name}" if partition is None else f"{run_id}/{job_name}/{partition}"
    return str(uuid.uuid5(_CHILD_RUN_NAMESPACE, name))


def _nominal_time(partition: str | None) -> dict[str, Any]:
    facet = build_nominal_time_facet(partition)
    return {"nominalTime": facet} if facet is not None else {}


def _job_type(job_type: str) -> dict[str, Any]:
    facet = job_type_job.JobTypeJobFacet(processingType="BATCH", integration="DAGSTER", jobType=job_type)
    return {"jobType": facet}


def _engine_facet() -> processing_engine_run.ProcessingEngineRunFacet:
    return processing_engine_run.ProcessingEngineRunFacet(version=dg.__version__, name="Dagster")


def _value(metadata_value: Any) -> Any:
    if isinstance(metadata_value, dg.TableSchemaMetadataValue):
        return metadata_value.schema
    return getattr(metadata_value, "value", metadata_value)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
