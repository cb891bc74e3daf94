"""The HubSpot connector: objects modified in a window via the CRM search API, archived ones deleted."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import dagster as dg
import pyarrow as pa
from pydantic import PrivateAttr

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.arrow import UTC_TIMESTAMP
from atlas_assets.connectors.contract import DeletedKeys, ExtractItem, ExtractRequest, SourceConnector
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.http.rate_limit import RateLimiter, run_state_file
from atlas_assets.connectors.secrets import OptionalSecretText, SecretText

if TYPE_CHECKING:
    from atlas_assets.connectors.saas.hubspot.api import HubSpotApi
    from atlas_assets.connectors.saas.hubspot.config import HubSpotObjectConfig


class HubSpotResource(SourceConnector):
    """One HubSpot account through the official `hubspot-api-client`.

    An `upsert` run reads the objects whose modification date (`hs_lastmodifieddate`,
    `lastmodifieddate` for contacts) falls in its window through the search API, every one of
    them however many (see `HubSpotApi.search_modified`), and deletes the objects archived in
    the window in the same commit. Properties are all of the type's (from the properties API)
    unless the object lists some.
    """

    api_base_url: SecretText
    access_token: OptionalSecretText = None
    client_id: str | None = None
    client_secret: OptionalSecretText = None
    refresh_token: OptionalSecretText = None
    rate_limit: float = 5.0

    _limiter: RateLimiter | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Taken before secrets resolve: the identity holds `${VAR}` text, never a credential.
        identity = json.dumps(self.model_dump(), sort_keys=True, default=str)
        self._limiter = RateLimiter(self.rate_limit, run_state_file(context, identity))
        super().setup_for_execution(context)

    def check_connection(self) -> None:
        """One authenticated call (`GET /crm/v3/properties/contacts`), after the OAuth exchange if any."""
        self._api(RetryConfig(max_retries=0), {}).properties("contacts")

    def extract(self, request: ExtractRequest) -> Iterator[ExtractItem]:
        from atlas_assets.connectors.http.records import RecordBatcher, RecordOptions
        from atlas_assets.connectors.saas.hubspot.catalog import (
            UPDATED_AT,
            arrow_type,
            association_column,
            modified_property,
        )
        from atlas_assets.connectors.saas.hubspot.records import to_row

        config = _hubspot_config(request)
        object_type = config.object_type or request.object_name
        api = self._api(request.retry, request.stats)
        types = api.properties(object_type)
        if config.properties != "all":
            unknown = sorted(set(config.properties) - set(types))
            if unknown:
                raise PermanentSourceError(
                    f"HubSpot {object_type} have no properties {unknown}; known: {sorted(types)[:20]}"
                )
            types = {name: types[name] for name in config.properties}
        names = sorted(types)
        column_types = {n: arrow_type(t) for n, t in types.items() if t != "datetime"}
        column_types.update({association_column(t): pa.list_(pa.string()) for t in config.associations})
        timestamps = {n: "iso8601" for n, t in types.items() if t == "datetime"}
        batcher = RecordBatcher(
            RecordOptions(
                batch_size=request.batch_size,
                column_types=column_types,
                timestamps={**timestamps, UPDATED_AT: "iso8601"},
            )
        )
        window = request.window
        if window is None:
            raise PermanentSourceError(
                "HubSpot objects are read by modification window; give the object a `partitions:` schedule"
            )
        request.stats["incremental"] = f"search by {modified_property(object_type)}"
        modified = api.search_modified(object_type, window, names)
        rows = (to_row(o, types) for o in modified)
        if config.associations:
            rows = _with_associations(api, object_type, config.associations, rows)
        yield from batcher.batches(rows)
        archived = [
            {"id": o["id"], UPDATED_AT: archived_at}
            for o in api.list_archived(object_type, [modified_property(object_type)])
            if (archived_at := _archived_at(o)) is not None and window.start <= archived_at < window.end
        ]
        request.stats["deleted_reported"] = len(archived)
        if archived:
            # A delete's version is its `archivedAt`: an update after it (a restore) wins over it.
            schema = pa.schema([("id", pa.string()), (UPDATED_AT, UTC_TIMESTAMP)])
            yield DeletedKeys(pa.RecordBatch.from_pylist(archived, schema=schema))

    def secret_values(self) -> list[str]:
        return [s for s in (self.access_token, self.client_secret, self.refresh_token) if s]

    def dataset_namespace(self) -> str:
        # The host only: a proxy URL's userinfo may hold credentials.
        return f"hubspot://{urlsplit(self.api_base_url).hostname or 'api.hubapi.com'}"

    def _api(self, retry: RetryConfig, stats: dict[str, int | str]) -> HubSpotApi:
        from atlas_assets.connectors.saas.hubspot.api import HubSpotApi, OAuthRefresh

        oauth = None
        if self.access_token is None and self.client_id and self.client_secret and self.refresh_token:
            oauth = OAuthRefresh(self.client_id, self.client_secret, self.refresh_token)
        if self._limiter is None:  # used outside a run: the schedule is this process's own
            self._limiter = RateLimiter(self.rate_limit)
        return HubSpotApi(self.api_base_url, self.access_token, oauth, retry, stats, self._limiter)


def _with_associations(
    api: HubSpotApi, object_type: str, associated_types: list[str], rows: Iterator[dict]
) -> Iterator[dict]:
    """Rows with a list column of associated ids per type, read a search page (200 rows) at a time."""
    from atlas_assets.connectors.saas.hubspot.api import SEARCH_PAGE
    from atlas_assets.connectors.saas.hubspot.catalog import association_column

    while page := list(itertools.islice(rows, SEARCH_PAGE)):
        ids = [row["id"] for row in page]
        for to_type in associated_types:
            found = api.associated_ids(object_type, to_type, ids)
            for row in page:
                row[association_column(to_type)] = found[row["id"]]
        yield from page


def _archived_at(obj: dict) -> dt.datetime | None:
    stamp = obj.get("archivedAt")
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def _hubspot_config(request: ExtractRequest) -> HubSpotObjectConfig:
    from atlas_assets.connectors.saas.hubspot.config import HubSpotObjectConfig

    if isinstance(request.config, HubSpotObjectConfig):
        return request.config
    raise PermanentSourceError("not a hubspot object's config")
