"""The Salesforce connector: rows modified in a window (SOQL or Bulk 2.0), deleted ones by queryAll."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyarrow as pa

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.arrow import UTC_TIMESTAMP
from atlas_assets.connectors.contract import (
    DeletedKeys,
    ExtractItem,
    ExtractRequest,
    SourceConnector,
)
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.saas.salesforce.catalog import ID
from atlas_assets.connectors.saas.salesforce.credentials import Credentials
from atlas_assets.connectors.secrets import OptionalSecretText

if TYPE_CHECKING:
    from atlas_assets.connectors.saas.salesforce.api import SalesforceApi
    from atlas_assets.connectors.saas.salesforce.catalog import SalesforceField
    from atlas_assets.connectors.saas.salesforce.config import SalesforceObjectConfig


class SalesforceResource(SourceConnector):
    """One Salesforce org through the official `simple-salesforce`.

    An `upsert` run reads the sObject's rows whose cursor (`SystemModstamp` by default) is in its
    window, ordered by it and `Id`: by REST pages (`query`, then `nextRecordsUrl`) or, when a
    `COUNT()` of the window exceeds `bulk_threshold`, by a Bulk API 2.0 query job whose CSV
    results are read a page at a time. Rows deleted in the window (`queryAll`, `IsDeleted = true`)
    are deleted in the same commit. Fields are every queryable one from `describe()` unless the
    object lists some.
    """

    username: str | None = None
    password: OptionalSecretText = None
    security_token: OptionalSecretText = None
    consumer_key: str | None = None
    consumer_secret: OptionalSecretText = None
    private_key: OptionalSecretText = None
    domain: str = "login"
    login_url: OptionalSecretText = None
    instance_url: OptionalSecretText = None
    api_version: str = "62.0"
    bulk_threshold: int = 100_000
    bulk_page_size: int = 50_000
    bulk_poll_seconds: float = 2.0
    bulk_timeout_seconds: float = 3600.0

    def check_connection(self) -> None:
        """A login, then one authenticated call (`GET /limits`)."""
        self._api(RetryConfig(max_retries=0), {}).limits()

    def extract(self, request: ExtractRequest) -> Iterator[ExtractItem]:
        from atlas_assets.connectors.arrow import rebatch
        from atlas_assets.connectors.saas.salesforce.records import csv_batches

        config = _salesforce_config(request)
        window = request.window
        if window is None:
            raise PermanentSourceError(
                "Salesforce objects are read by modification window; give the object a `partitions:` schedule"
            )
        api = self._api(request.retry, request.stats)
        describe = api.describe(config.sobject or request.object_name)
        sobject = str(describe.get("name") or config.sobject or request.object_name)
        cursor = config.cursor or ""
        fields = _selected_fields(describe, sobject, config, cursor)
        in_window = f"{cursor} >= {_soql_datetime(window.start)} AND {cursor} < {_soql_datetime(window.end)}"
        total = api.count(sobject, in_window)
        request.progress.total_rows = total
        soql = f"SELECT {', '.join(fields)} FROM {sobject} WHERE {in_window} ORDER BY {cursor}, {ID}"
        if total > self.bulk_threshold:
            request.stats["incremental"] = f"bulk 2.0 query by {cursor} ({total} rows > bulk_threshold)"
            pages = api.bulk_query(
                sobject, soql, self.bulk_page_size, self.bulk_poll_seconds, self.bulk_timeout_seconds
            )
            for page in pages:
                yield from csv_batches(page, fields, request.batch_size)
        else:
            request.stats["incremental"] = f"query by {cursor}"
            batches = _rest_batches(api.query_pages(sobject, soql), fields, request.batch_size)
            yield from rebatch(batches, request.batch_size)
        yield from _deleted(api, sobject, cursor, in_window, fields, request)

    def secret_values(self) -> list[str]:
        return self._credentials().secrets()

    def dataset_namespace(self) -> str:
        # The host only: a proxy URL's userinfo may hold credentials.
        host = urlsplit(self.instance_url).hostname if self.instance_url else None
        return f"salesforce://{host or f'{self.domain}.salesforce.com'}"

    def _api(self, retry: RetryConfig, stats: dict[str, int | str]) -> SalesforceApi:
        from atlas_assets.connectors.saas.salesforce.api import SalesforceApi

        return SalesforceApi(
            self._credentials(), self.api_version, self.login_url, self.instance_url, retry, stats
        )

    def _credentials(self) -> Credentials:
        return Credentials(
            username=self.username,
            password=self.password,
            security_token=self.security_token,
            consumer_key=self.consumer_key,
            consumer_secret=self.consumer_secret,
            private_key=self.private_key,
            domain=self.domain,
        )


def _rest_batches(
    pages: Iterator[list[dict]], fields: Mapping[str, SalesforceField], batch_size: int
) -> Iterator[pa.RecordBatch]:
    """REST pages (2,000 records each by default) gathered into batches of about `batch_size`."""
    from atlas_assets.connectors.saas.salesforce.records import rest_batch

    held: list[dict] = []
    for records in pages:
        held.extend(records)
        if len(held) >= batch_size:
            yield rest_batch(held, fields)
            held = []
    if held:
        yield rest_batch(held, fields)


def _deleted(
    api: SalesforceApi,
    sobject: str,
    cursor: str,
    in_window: str,
    fields: Mapping[str, SalesforceField],
    request: ExtractRequest,
) -> Iterator[DeletedKeys]:
    """Rows deleted in the window (in the recycle bin, `queryAll`), versioned by their cursor: the
    delete's own modification stamp, so a restore after it wins."""
    from atlas_assets.connectors.saas.salesforce.records import rest_batch

    where = f"IsDeleted = true AND {in_window}"
    soql = f"SELECT {ID}, {cursor} FROM {sobject} WHERE {where} ORDER BY {cursor}, {ID}"
    keys = {ID: fields[ID], cursor: fields[cursor]}
    deleted = 0
    for records in api.query_pages(sobject, soql, include_deleted=True):
        if records:
            deleted += len(records)
            batch = rest_batch(records, keys)
            schema = pa.schema([(ID, pa.string()), (cursor, UTC_TIMESTAMP)])
            yield DeletedKeys(batch.cast(schema))
    request.stats["deleted_reported"] = deleted


def _selected_fields(
    describe: dict, sobject: str, config: SalesforceObjectConfig, cursor: str
) -> dict[str, SalesforceField]:
    """The fields to select by name: every queryable one, or the listed ones (with `Id` and the cursor)."""
    from atlas_assets.connectors.saas.salesforce.catalog import all_fields, queryable_fields

    queryable = queryable_fields(describe)
    for required in (ID, cursor):
        if required not in queryable:
            raise PermanentSourceError(f"Salesforce {sobject} has no field {required!r} to read it by")
    if config.fields == "all":
        return queryable
    known = all_fields(describe)
    by_lower = {name.lower(): name for name in known}
    selected: dict[str, SalesforceField] = {ID: queryable[ID], cursor: queryable[cursor]}
    for listed in config.fields:
        name = by_lower.get(listed.lower())
        if name is None:
            raise PermanentSourceError(
                f"Salesforce {sobject} has no field {listed!r}; known: {sorted(known)[:20]}"
            )
        if name not in queryable:
            raise PermanentSourceError(
                f"Salesforce {sobject}.{name} is a {known[name].type} field: list its components instead"
            )
        selected[name] = queryable[name]
    return selected


def _soql_datetime(moment: dt.datetime) -> str:
    """A SOQL datetime literal (unquoted, UTC)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _salesforce_config(request: ExtractRequest) -> SalesforceObjectConfig:
    from atlas_assets.connectors.saas.salesforce.config import SalesforceObjectConfig

    if isinstance(request.config, SalesforceObjectConfig):
        return request.config
    raise PermanentSourceError("not a salesforce object's config")
