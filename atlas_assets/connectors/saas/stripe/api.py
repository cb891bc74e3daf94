"""Stripe's list endpoints through the official SDK: one pooled `StripeClient`, pages, counters.

Imported only when a run extracts (the SDK costs ~0.3 s to import), never at definitions load.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import stripe

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.connectors.http.retries import call_sdk_with_retries, wait_counter
from atlas_assets.connectors.saas.stripe.errors import STRIPE_ERRORS

PAGE_SIZE = 100
"""Stripe's largest page."""


class StripeApi:
    """Lists one account's resources; counts requests, pages and rate-limit waits into `stats`."""

    def __init__(
        self,
        api_key: str,
        api_base_url: str,
        stripe_account: str | None,
        api_version: str | None,
        retry: RetryConfig,
        stats: dict[str, int | str],
    ):
        self.client = stripe.StripeClient(
            api_key,
            stripe_account=stripe_account,
            stripe_version=api_version,
            base_addresses={"api": api_base_url.rstrip("/")},
            max_network_retries=0,  # retried per request, see connectors/http/retries.py
        )
        self.retry = retry
        self.api_key = api_key
        self.stats = stats
        for counter in ("requests", "pages"):
            stats.setdefault(counter, 0)
        self._waited = wait_counter(stats)

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """One GET, retried per the policy; the JSON body."""

        def call() -> dict[str, Any]:
            self.stats["requests"] = int(self.stats["requests"]) + 1
            return self.client.raw_request("get", path, **params).data

        return call_sdk_with_retries(call, self.retry, STRIPE_ERRORS, self._waited, [self.api_key])

    def list(
        self, resource: str, window: TimeWindow | None = None, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Every object of `/v1/<resource>` (created in `window`, if given), newest first."""
        query: dict[str, Any] = {"limit": PAGE_SIZE, **{k: v for k, v in params.items() if v}}
        if window is not None:
            # `created` is whole seconds: created >= start ⇔ created >= ⌈start⌉, likewise for the end.
            query["created"] = {
                "gte": math.ceil(window.start.timestamp()),
                "lt": math.ceil(window.end.timestamp()),
            }
        while True:
            page = self.get(f"/v1/{resource}", query)
            self.stats["pages"] = int(self.stats["pages"]) + 1
            data = page.get("data", [])
            yield from data
            if not page.get("has_more") or not data:
                return
            query["starting_after"] = data[-1]["id"]
