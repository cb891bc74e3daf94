"""Dagster retry policies from runner.yaml's `retry` settings."""

from __future__ import annotations

from functools import cache

import dagster as dg

from atlas_assets.config.settings import RetryConfig

_BACKOFF = {"linear": dg.Backoff.LINEAR, "exponential": dg.Backoff.EXPONENTIAL}
_JITTER = {"full": dg.Jitter.FULL, "plus_minus": dg.Jitter.PLUS_MINUS}


@cache
def retry_policy_for(config: RetryConfig) -> dg.RetryPolicy | None:
    """The policy (shared per distinct setting), or None when retries are off."""
    if config.max_retries == 0:
        return None
    return dg.RetryPolicy(
        max_retries=config.max_retries,
        delay=config.delay_seconds,
        backoff=_BACKOFF[config.backoff] if config.backoff else None,
        jitter=_JITTER[config.jitter] if config.jitter else None,
    )
