"""The connector contract: every source kind is a resource that streams Arrow batches."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import pyarrow as pa

from atlas_assets.config.objects import ObjectConfig, WriteMode
from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.secrets import ResolvesSecrets

DEFAULT_BATCH_SIZE = 50_000


@dataclass(frozen=True)
class TimeWindow:
    """A half-open window [start, end) in UTC."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("TimeWindow bounds must be timezone-aware")
        if self.start >= self.end:
            raise ValueError(f"empty window: {self.start.isoformat()} >= {self.end.isoformat()}")

    @classmethod
    def from_dagster(cls, window: dg.TimeWindow) -> TimeWindow:
        """A Dagster partition window (in the partitions' timezone) as a UTC window."""
        return cls(window.start.astimezone(dt.UTC), window.end.astimezone(dt.UTC))

    def extended_back(self, lookback: dt.timedelta | None) -> TimeWindow:
        return self if not lookback else TimeWindow(self.start - lookback, self.end)

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


@dataclass
class ExtractProgress:
    """How far a source has read and, when it can tell cheaply, how much there is: the figures a
    run's progress lines turn into a share done and an ETA. Every field is optional to fill."""

    total_rows: int | None = None
    """Rows the request will yield, when the source reports it (an API's `total`)."""
    total_bytes: int | None = None
    """Source bytes the request will read (a CSV object's file sizes)."""
    bytes_read: int | None = None
    """Source bytes read so far, in the unit of `total_bytes`."""


@dataclass(frozen=True)
class ExtractRequest:
    """What one run asks of a source for one object."""

    tenant: str
    source: str
    object_name: str
    config: ObjectConfig
    window: TimeWindow | None = None
    after: Any = None
    batch_size: int = DEFAULT_BATCH_SIZE
    retry: RetryConfig = field(default_factory=RetryConfig)
    stats: dict[str, int | str] = field(default_factory=dict)
    """Filled by the source while extracting (requests, pages, rate-limit waits, …); recorded as
    materialization metadata `atlas/source/<name>`."""
    progress: ExtractProgress = field(default_factory=ExtractProgress)
    """Filled by the source while extracting, when it can tell; read by the run's progress lines."""

    @property
    def label(self) -> str:
        """`tenant.source.object`, the name errors and logs use."""
        return f"{self.tenant}.{self.source}.{self.object_name}"

    @property
    def newest_first(self) -> bool:
        """Upserts keep the first row seen per key, so the newest version must come first."""
        return self.config.write_mode is WriteMode.UPSERT


@dataclass(frozen=True)
class DeletedKeys:
    """Primary keys the source reports deleted, yielded by `extract` among its record batches.

    `keys` holds the object's primary-key columns and its version columns (the version of each
    delete, e.g. the deleting event's time). In `upsert` mode the stored rows with these keys are
    removed in the same Iceberg commit as the run's upserts, unless a stored row is newer, and
    each delete leaves a tombstone (see `iceberg.upsert` for the whole rule).

    In `partition_overwrite` mode `keys` holds one column instead: every stored row whose value in
    it is one of the keys' is replaced by the run (deleted in its commit, like the window's rows).
    A source whose unit of change is a whole file (Google Drive) names its files' ids this way,
    so a file re-uploaded with fewer rows, or trashed, loses its earlier rows whatever window
    they were loaded in.
    """

    keys: pa.RecordBatch


ExtractItem = pa.RecordBatch | DeletedKeys
"""What `extract` yields: rows, or keys deleted at the source."""


class SourceConnector(ResolvesSecrets, ABC):
    """Base of every source kind's resource.

    `extract` must stream: memory stays bounded by `request.batch_size`, never by table size.
    Failures are raised as `TransientSourceError` or `PermanentSourceError`. Credential fields
    are `SecretText`, expanded at run time (see `connectors.secrets`).
    """

    @abstractmethod
    def check_connection(self) -> None:
        """Raise a classified `SourceError` when the source cannot be reached or read."""

    @abstractmethod
    def extract(self, request: ExtractRequest) -> Iterator[ExtractItem]:
        """Yield the object's rows for the request, in batches of at most `request.batch_size`.

        Sources that see deletes (change feeds, archived flags) also yield `DeletedKeys`.
        """

    def secret_values(self) -> list[str]:
        """Credentials to scrub from any message this connector raises."""
        return []

    def dataset_namespace(self) -> str:
        """OpenLineage namespace of this source, without credentials (e.g. `postgres://host:5432`)."""
        return type(self).__name__.lower()
