"""The Stripe connector: list resources by `created` window, or mutable ones from the events feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyarrow as pa

from atlas_assets.config.objects import WriteMode
from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.arrow import UTC_TIMESTAMP
from atlas_assets.connectors.contract import (
    DeletedKeys,
    ExtractItem,
    ExtractRequest,
    SourceConnector,
    TimeWindow,
)
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.saas.stripe.catalog import (
    CHANGE_EVENT,
    CHANGED_AT,
    EVENTS_RETENTION_DAYS,
    MUTABLE_RESOURCES,
)
from atlas_assets.connectors.secrets import SecretText

if TYPE_CHECKING:
    from atlas_assets.connectors.http.records import RecordBatcher
    from atlas_assets.connectors.saas.stripe.api import StripeApi
    from atlas_assets.connectors.saas.stripe.catalog import MutableResource
    from atlas_assets.connectors.saas.stripe.config import StripeObjectConfig

DELETED_SCHEMA = pa.schema([("id", pa.string()), (CHANGED_AT, UTC_TIMESTAMP), (CHANGE_EVENT, pa.string())])
"""A deleted object's id and the version of its delete (as the feed's rows carry theirs)."""


class StripeResource(SourceConnector):
    """One Stripe account through the official SDK's `StripeClient`.

    How an object is read follows its write mode: `upsert` of a mutable resource reads the
    window's events (`<object>.*`) and upserts each object's newest snapshot, turning
    `*.deleted` events into deletes in the same commit; windows older than Stripe's 30-day
    events retention list the objects created in the window instead (their current state) and
    say so in `atlas/source/incremental`. `partition_overwrite` lists by `created` window;
    `replace` and `snapshot` list everything.
    """

    api_key: SecretText
    api_base_url: SecretText
    stripe_account: str | None = None
    api_version: str | None = None
    expand: list[str] = []

    def check_connection(self) -> None:
        """One authenticated call (`GET /v1/balance`)."""
        self._api(RetryConfig(max_retries=0), {}).get("/v1/balance", {})

    def extract(self, request: ExtractRequest) -> Iterator[ExtractItem]:
        from atlas_assets.connectors.http.records import RecordBatcher, RecordOptions
        from atlas_assets.connectors.saas.stripe.records import to_row

        config = _stripe_config(request)
        resource = config.resource or request.object_name
        api = self._api(request.retry, request.stats)
        # A listed object has no change event: its `change_event_id` is typed all the same.
        batcher = RecordBatcher(
            RecordOptions(
                batch_size=request.batch_size, nested=config.nested, column_types={CHANGE_EVENT: pa.string()}
            )
        )
        expand = config.expand if config.expand is not None else self.expand
        window = request.window
        mutable = MUTABLE_RESOURCES.get(resource)
        if config.write_mode is WriteMode.UPSERT and mutable is not None and window is not None:
            if window.start >= dt.datetime.now(dt.UTC) - dt.timedelta(days=EVENTS_RETENTION_DAYS):
                request.stats["incremental"] = f"events feed ({mutable.event_prefix}.*)"
                yield from self._feed(api, batcher, mutable, window, request)
                return
            request.stats["incremental"] = (
                f"listed by created: the window starts before Stripe's {EVENTS_RETENTION_DAYS}-day events "
                "retention, so these are the current states of objects created in it"
            )
            rows = (to_row(o) for o in api.list(resource, window, expand=expand))
            yield from batcher.batches(
                {**row, CHANGED_AT: row["created"], CHANGE_EVENT: None} for row in rows
            )
            return
        by_window = config.write_mode in (WriteMode.PARTITION_OVERWRITE, WriteMode.UPSERT)
        request.stats["incremental"] = "listed by created" if by_window else "full list"
        listed = api.list(resource, window if by_window else None, expand=expand)
        yield from batcher.batches(to_row(o) for o in listed)

    def secret_values(self) -> list[str]:
        return [self.api_key]

    def dataset_namespace(self) -> str:
        account = f"/{self.stripe_account}" if self.stripe_account else ""
        # The host only: a proxy URL's userinfo may hold credentials.
        host = urlsplit(self.api_base_url).hostname or "api.stripe.com"
        return f"stripe://{host}{account}"

    def _feed(
        self,
        api: StripeApi,
        batcher: RecordBatcher,
        mutable: MutableResource,
        window: TimeWindow,
        request: ExtractRequest,
    ) -> Iterator[ExtractItem]:
        from atlas_assets.connectors.saas.stripe.feed import ChangeFeed

        feed = ChangeFeed(mutable)
        yield from batcher.batches(feed.rows(api.list("events", window, type=f"{mutable.event_prefix}.*")))
        request.stats["events"] = feed.events
        request.stats["deleted_reported"] = len(feed.deleted)
        if feed.deleted:
            yield DeletedKeys(pa.RecordBatch.from_pylist(feed.deleted, schema=DELETED_SCHEMA))

    def _api(self, retry: RetryConfig, stats: dict[str, int | str]) -> StripeApi:
        from atlas_assets.connectors.saas.stripe.api import StripeApi

        return StripeApi(self.api_key, self.api_base_url, self.stripe_account, self.api_version, retry, stats)


def _stripe_config(request: ExtractRequest) -> StripeObjectConfig:
    from atlas_assets.connectors.saas.stripe.config import StripeObjectConfig

    if isinstance(request.config, StripeObjectConfig):
        return request.config
    raise PermanentSourceError("not a stripe object's config")
