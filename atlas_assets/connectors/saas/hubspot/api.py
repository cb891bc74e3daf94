"""HubSpot's CRM v3 through the official `hubspot-api-client`: auth, listing, search, counters.

Imported only when a run extracts, never at definitions load. Responses are read as HubSpot's
JSON (`_preload_content=False`) rather than the SDK's models, so every property arrives as sent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import urllib3
from hubspot import HubSpot

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.http.rate_limit import RateLimiter
from atlas_assets.connectors.http.retries import call_sdk_with_retries, wait_counter
from atlas_assets.connectors.saas.hubspot.catalog import modified_property, property_kind
from atlas_assets.connectors.saas.hubspot.errors import HUBSPOT_ERRORS, status_of

LIST_PAGE = 100
"""The objects API's largest page."""
SEARCH_PAGE = 200
"""The search API's largest page."""
ASSOCIATIONS_BATCH = 1_000
"""The associations batch read's largest input."""

# Connection failures are retried by `call_with_retries`, so urllib3 must not retry on its own.
_NO_SDK_RETRIES = urllib3.Retry(total=0, raise_on_status=False)


class OAuthRefresh:
    """An OAuth2 app's refresh grant: exchanged for an access token at `POST /oauth/v1/token`."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str):
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token


class HubSpotApi:
    """One HubSpot account; counts requests, pages, rate-limit waits and token refreshes into `stats`.

    With OAuth, a 401 (the access token expired mid-extraction) refreshes the token once and
    repeats the request; a second 401 is permanent. A private app's token is never refreshed.
    """

    def __init__(
        self,
        api_base_url: str,
        access_token: str | None,
        oauth: OAuthRefresh | None,
        retry: RetryConfig,
        stats: dict[str, int | str],
        limiter: RateLimiter,
    ):
        self.host = api_base_url.rstrip("/")
        self.oauth = oauth
        self.retry = retry
        self.stats = stats
        self.limiter = limiter
        for counter in ("requests", "pages", "token_refreshes", "throttle_pauses"):
            stats.setdefault(counter, 0)
        self._waited = wait_counter(stats)
        stats.setdefault("throttle_wait_seconds", 0)
        self.secrets = [s for s in (access_token, *(self._oauth_secrets())) if s]
        self.client = self._client(access_token) if access_token else self._refreshed()

    # --- endpoints ----------------------------------------------------------------------------

    def properties(self, object_type: str) -> dict[str, str]:
        """Every property of `object_type` and how it is typed (`GET /crm/v3/properties/{type}`,
        see `catalog.property_kind`)."""
        body = self._call(lambda c: c.crm.properties.core_api.get_all(object_type, _preload_content=False))
        return {p["name"]: property_kind(p) for p in body.get("results", [])}

    def list_archived(self, object_type: str, properties: list[str]) -> Iterator[dict[str, Any]]:
        """Every archived object (`GET /crm/v3/objects/{type}?archived=true`), paged by `after`."""
        after: str | None = None
        while True:
            page = self._call(
                lambda c, after=after: c.crm.objects.basic_api.get_page(
                    object_type,
                    limit=LIST_PAGE,
                    after=after,
                    properties=properties,
                    archived=True,
                    _preload_content=False,
                )
            )
            self._count("pages")
            yield from page.get("results", [])
            after = (page.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return

    def search_modified(
        self, object_type: str, window: TimeWindow, properties: list[str]
    ) -> Iterator[dict[str, Any]]:
        """Every object modified in `window`, ascending by `hs_object_id`.

        HubSpot's search pages through at most 10,000 results of one query. Rather than paging
        one query with `after`, each page is its own query for ids above the last one seen
        (keyset paging): no query ever nears the cap, however many objects share the window or
        even one timestamp, and no request is spent beyond one per page.
        """
        modified = modified_property(object_type)
        bounds = [
            {"propertyName": modified, "operator": "GTE", "value": str(_millis(window.start))},
            {"propertyName": modified, "operator": "LT", "value": str(_millis(window.end))},
        ]
        last_id: str | None = None
        while True:
            filters = bounds + (
                [{"propertyName": "hs_object_id", "operator": "GT", "value": last_id}] if last_id else []
            )
            request = {
                "filterGroups": [{"filters": filters}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": properties,
                "limit": SEARCH_PAGE,
            }
            page = self._call(
                lambda c, r=request: c.crm.objects.search_api.do_search(
                    object_type, r, _preload_content=False
                )
            )
            self._count("pages")
            results = page.get("results", [])
            yield from results
            if len(results) < SEARCH_PAGE or not (page.get("paging") or {}).get("next"):
                return
            last_id = results[-1]["id"]

    def associated_ids(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
        """The ids of `to_type` objects associated with each of `ids`, sorted
        (`POST /crm/v4/associations/{from}/{to}/batch/read`, one request per 1,000 ids).

        HubSpot answers at most 500 associations of one object per read; the result of an
        object with more carries `paging.next.after`. Those objects are read again, together in
        one more batch, each input the object's id beside its `after`, until none has more.
        """
        found: dict[str, list[str]] = {object_id: [] for object_id in ids}
        inputs: list[dict[str, str]] = [{"id": object_id} for object_id in ids]
        followed: set[tuple[str, str]] = set()
        while inputs:
            more: list[dict[str, str]] = []
            for start in range(0, len(inputs), ASSOCIATIONS_BATCH):
                request = {"inputs": inputs[start : start + ASSOCIATIONS_BATCH]}
                body = self._call(
                    lambda c, r=request: c.crm.associations.v4.batch_api.get_page(
                        from_type, to_type, r, _preload_content=False
                    )
                )
                for result in body.get("results", []):
                    object_id = str(result["from"]["id"])
                    found[object_id].extend(str(to["toObjectId"]) for to in result.get("to", []))
                    after = ((result.get("paging") or {}).get("next") or {}).get("after")
                    if after:
                        if (object_id, after) in followed:
                            # A server handing back a cursor already followed would loop forever.
                            raise PermanentSourceError(
                                f"HubSpot returned the associations cursor {after!r} of {from_type} "
                                f"{object_id} → {to_type} twice; stopping instead of reading in a loop"
                            )
                        followed.add((object_id, after))
                        more.append({"id": object_id, "after": after})
            inputs = more
        return {object_id: sorted(to_ids) for object_id, to_ids in found.items()}

    # --- plumbing -----------------------------------------------------------------------------

    def _call(self, send: Callable[[HubSpot], Any]) -> dict[str, Any]:
        """One request, retried per the policy; with OAuth, a 401 refreshes the token once."""

        def attempt() -> dict[str, Any]:
            try:
                return self._send(send)
            except HUBSPOT_ERRORS.errors as exc:
                if status_of(exc) != 401 or self.oauth is None:
                    raise
            self.client = self._refreshed()
            return self._send(send)  # a second 401 is permanent

        return call_sdk_with_retries(attempt, self.retry, HUBSPOT_ERRORS, self._waited, self.secrets)

    def _send(self, send: Callable[[HubSpot], Any]) -> dict[str, Any]:
        """One request through the source's rate limiter; its rate-limit headers are heeded."""
        waited = self.limiter.acquire()
        self.stats["throttle_wait_seconds"] = round(float(self.stats["throttle_wait_seconds"]) + waited, 3)
        self._count("requests")
        response = send(self.client)
        pause = budget_pause(response.headers)
        if pause:
            self._count("throttle_pauses")
            self.limiter.pause(pause)
        return json.loads(response.data)

    def _refreshed(self) -> HubSpot:
        oauth = self.oauth
        assert oauth is not None, "a private app token is never refreshed"

        def exchange() -> dict[str, Any]:
            self._count("requests")
            response = self._client(None).oauth.tokens_api.create(
                grant_type="refresh_token",
                client_id=oauth.client_id,
                client_secret=oauth.client_secret,
                refresh_token=oauth.refresh_token,
                _preload_content=False,
            )
            return json.loads(response.data)

        token = call_sdk_with_retries(exchange, self.retry, HUBSPOT_ERRORS, self._waited, self.secrets)
        self._count("token_refreshes")
        self.secrets.append(token["access_token"])
        return self._client(token["access_token"])

    def _client(self, access_token: str | None) -> HubSpot:
        return HubSpot(access_token=access_token, host=self.host, retry=_NO_SDK_RETRIES)

    def _oauth_secrets(self) -> list[str]:
        return [self.oauth.client_secret, self.oauth.refresh_token] if self.oauth else []

    def _count(self, counter: str) -> None:
        self.stats[counter] = int(self.stats[counter]) + 1


def budget_pause(headers: Any) -> float:
    """Seconds to send nothing, from HubSpot's `X-HubSpot-RateLimit-*` headers: the rest of the
    rolling window (`-Interval-Milliseconds`) once its `-Remaining` is spent, or a second once
    `-Secondly-Remaining` is. Search responses carry no such headers: the limiter's rate covers them."""

    def number(name: str) -> float | None:
        value = headers.get(name) if headers is not None else None
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    if number("X-HubSpot-RateLimit-Remaining") == 0:
        return (number("X-HubSpot-RateLimit-Interval-Milliseconds") or 10_000) / 1000
    if number("X-HubSpot-RateLimit-Secondly-Remaining") == 0:
        return 1.0
    return 0.0


def _millis(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)
