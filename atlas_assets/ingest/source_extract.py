"""What an ingestion asset returns: an extraction its IO manager starts, validates and writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa

from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.arrow import rebatch
from atlas_assets.connectors.contract import (
    DeletedKeys,
    ExtractItem,
    ExtractRequest,
    SourceConnector,
    TimeWindow,
)
from atlas_assets.connectors.errors import PermanentSourceError, TransientSourceError
from atlas_assets.ingest.progress import DEFAULT_INTERVAL_SECONDS, ProgressLog, ProgressReporter

if TYPE_CHECKING:
    from atlas_assets.iceberg.table_writer import WriteReport

BatchTransform = Callable[[pa.RecordBatch], pa.RecordBatch]


@dataclass
class SourceExtract:
    """A not-yet-started extraction of one object.

    The IO manager starts it once it knows the window and, for appends, the committed
    high-water mark, then fills in `report` so the asset's checks see what was written.
    """

    spec: ObjectSpec
    connector: SourceConnector
    transforms: tuple[BatchTransform, ...] = ()
    report: WriteReport | None = field(default=None, repr=False)
    source_stats: dict[str, int | str] = field(default_factory=dict)

    def open(
        self,
        window: TimeWindow | None,
        after: Any,
        log: ProgressLog | None = None,
        progress_interval: float = DEFAULT_INTERVAL_SECONDS,
    ) -> Iterator[ExtractItem]:
        """Stream the object's batches (and deleted keys, untransformed); permanent source errors
        become non-retryable failures. With `log`, progress lines go to it (see `ingest.progress`)."""
        spec = self.spec
        request = ExtractRequest(
            tenant=spec.tenant,
            source=spec.source,
            object_name=spec.name,
            config=spec.config,
            window=window,
            after=after,
            batch_size=spec.batch_size,
            retry=spec.retry,
            stats=self.source_stats,
        )
        items = self._stream(request)
        if log is None:
            return items
        reporter = ProgressReporter(spec.label, log, request.progress, request.stats, progress_interval)
        return reporter.track(items)

    def _stream(self, request: ExtractRequest) -> Iterator[ExtractItem]:
        spec = self.spec
        try:
            for item in self.connector.extract(request):
                if isinstance(item, DeletedKeys):
                    yield item
                    continue
                for batch in rebatch([item], spec.batch_size):
                    for transform in self.transforms:
                        batch = transform(batch)
                    yield batch
        except PermanentSourceError as exc:
            raise permanent_failure(spec, str(exc)) from None
        except TransientSourceError as exc:
            # Left to the retry policy as it is, named like every source error: here, once.
            exc.args = (f"{spec.label}: {exc}",)
            raise


def permanent_failure(spec: ObjectSpec, message: str) -> dg.Failure:
    """A failure Dagster will not retry, naming the object and where it is configured.

    This is the one place a source error gets the object's label: connectors never add it.
    """
    return labelled_failure(spec, f"{spec.label}: {message}")


def labelled_failure(spec: ObjectSpec, description: str) -> dg.Failure:
    """`permanent_failure` for a message that already names the object (the Iceberg writer's, which
    also serves writes that have no source object)."""
    return dg.Failure(
        description=description,
        metadata={"atlas/object": spec.label, "atlas/config_path": spec.path},
        allow_retries=False,
    )
