"""Freshness checks from runner.yaml's `freshness: {max_lag: ...}` and the sensor that evaluates them.

Dagster's own factories build both. `build_last_update_freshness_checks` is the one that says
what `max_lag` means, "the last materialization is at most this old", for partitioned and
unpartitioned (`replace`) objects alike. `build_time_partition_freshness_checks` asks instead
whether the latest complete partition arrived by a `deadline_cron`, a setting runner.yaml does
not have and one `max_lag` cannot be turned into without guessing when each source is loaded.

Dagster 1.13 marks both factories superseded by `FreshnessPolicy` on the asset, evaluated by the
daemon without a sensor. They stay here because their result is an asset check: it has the
severity and the ASSET_CHECK_EVALUATION events that the notification sensor (ops/notify) reads,
and shows on the asset's Checks tab like the quality and PII checks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import dagster as dg

from atlas_assets.config import naming
from atlas_assets.config.resolve import ObjectSpec


def build_freshness_checks(specs: Sequence[ObjectSpec]) -> list[dg.AssetChecksDefinition]:
    """One `freshness_check` per object with a `max_lag`; objects sharing a lag share one definition."""
    by_lag: dict[object, list[dg.AssetKey]] = defaultdict(list)
    for spec in specs:
        if spec.freshness is not None:
            by_lag[spec.freshness.max_lag].append(spec.asset_key)
    checks: list[dg.AssetChecksDefinition] = []
    for max_lag, keys in by_lag.items():
        # ERROR, not Dagster's default WARN: a stale table is a failure the notify targets hear
        # about. Not blocking: the check runs on its own, after the fact, never inside a run.
        checks += dg.build_last_update_freshness_checks(
            assets=keys, lower_bound_delta=max_lag, severity=dg.AssetCheckSeverity.ERROR
        )
    return checks


def freshness_sensor(checks: Sequence[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    """Dagster's sensor evaluating the freshness checks when they may have become overdue.

    Running by default, like the notification and lineage sensors: writing `freshness:` in
    runner.yaml is the request to be watched, and a stopped sensor would leave every check
    unevaluated. It launches a run only when some check is due, and never re-evaluates a failed
    check before a new materialization, so one staleness is one failed evaluation.
    """
    return dg.build_sensor_for_freshness_checks(
        freshness_checks=checks,
        name=naming.FRESHNESS_SENSOR,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
