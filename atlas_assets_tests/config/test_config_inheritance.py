"""Settings inherit defaults → tenant → source → object; the nearest level wins, field by field."""

from __future__ import annotations

import datetime as dt
import textwrap

from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import DEFAULT_BATCH_SIZE


def specs_of(text: str) -> dict[str, ObjectSpec]:
    """Resolved objects by `tenant.source.object`."""
    _config, specs = parse_runner_config(textwrap.dedent(text), "runner.yaml", {})
    return {spec.label: spec for spec in specs}


def one_object(levels: dict[str, str]) -> ObjectSpec:
    """The spec of `acme.app_db.orders` with extra settings written at each named level."""
    text = f"""\
defaults:
  partitions: {{start: "2026-01-01"}}
{levels.get("defaults", "")}
tenants:
  acme:
{levels.get("tenant", "")}
    sources:
      app_db:
        kind: sql
        url: sqlite:///app.db
{levels.get("source", "")}
        objects:
          orders:
            cursor: updated_at
{levels.get("object", "")}
"""
    return specs_of(text)["acme.app_db.orders"]


def test_object_without_settings_gets_the_defaults() -> None:
    spec = one_object({})
    assert spec.partitions is not None
    assert (spec.partitions.granularity, spec.partitions.start, spec.partitions.timezone) == (
        "daily",
        dt.date(2026, 1, 1),
        "UTC",
    )


def test_partition_fields_merge_across_levels() -> None:
    spec = one_object(
        {
            "tenant": "    partitions: {granularity: hourly}",
            "object": "            partitions: {timezone: Europe/Paris}",
        }
    )
    assert spec.partitions is not None
    assert (spec.partitions.granularity, spec.partitions.timezone, spec.partitions.start) == (
        "hourly",
        "Europe/Paris",
        dt.date(2026, 1, 1),
    )


def test_nearest_level_wins_for_the_same_field() -> None:
    spec = one_object(
        {
            "defaults": "  batch_size: 100",
            "tenant": "    partitions: {granularity: hourly}\n    batch_size: 200",
            "source": "        partitions: {granularity: weekly}",
            "object": "            partitions: {granularity: monthly}\n            batch_size: 400",
        }
    )
    assert spec.partitions is not None
    assert (spec.partitions.granularity, spec.batch_size) == ("monthly", 400)


def test_object_may_set_its_own_start() -> None:
    spec = one_object({"object": '            partitions: {start: "2025-06-01T12:00:00"}'})
    assert spec.partitions is not None
    assert spec.partitions.start == dt.datetime(2025, 6, 1, 12)


def test_retry_is_inherited_field_by_field() -> None:
    spec = one_object(
        {
            "defaults": "  retry: {max_retries: 5, backoff: linear}",
            "tenant": "    retry: {delay_seconds: 60}",
            "object": "            retry: {jitter: full}",
        }
    )
    assert (spec.retry.max_retries, spec.retry.delay_seconds, spec.retry.backoff, spec.retry.jitter) == (
        5,
        60,
        "linear",
        "full",
    )


def test_retry_falls_back_to_built_in_defaults() -> None:
    spec = one_object({})
    assert (spec.retry.max_retries, spec.retry.delay_seconds, spec.retry.backoff) == (3, 30, "exponential")


def test_owners_of_the_nearest_level_replace_farther_ones() -> None:
    spec = one_object({"defaults": "  owners: [data@acme.com]", "source": "        owners: ['team:apps']"})
    assert spec.owners == ("team:apps",)


def test_owners_are_inherited_from_defaults() -> None:
    assert one_object({"defaults": "  owners: [data@acme.com, 'team:platform']"}).owners == (
        "data@acme.com",
        "team:platform",
    )


def test_batch_size_is_inherited_from_the_source() -> None:
    spec = one_object({"defaults": "  batch_size: 100", "source": "        batch_size: 7"})
    assert spec.batch_size == 7


def test_batch_size_defaults_to_the_connector_contract() -> None:
    assert one_object({}).batch_size == DEFAULT_BATCH_SIZE


def test_schedule_is_inherited_and_an_object_can_disable_it() -> None:
    specs = specs_of(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
          schedule: {cron: "0 3 * * *"}
        tenants:
          acme:
            schedule: {cron: "0 */6 * * *"}
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  orders: {cursor: updated_at}
                  audit: {cursor: logged_at, schedule: {cron: null}}
        """
    )
    assert specs["acme.app_db.orders"].schedule.cron == "0 */6 * * *"
    assert specs["acme.app_db.audit"].schedule.cron is None


def test_pii_scan_is_inherited_field_by_field() -> None:
    spec = one_object(
        {"defaults": "  pii_scan: {sample_rows: 50}", "tenant": "    pii_scan: {on_undeclared: fail}"}
    )
    assert (spec.pii_scan.sample_rows, spec.pii_scan.on_undeclared) == (50, "fail")


def test_one_tenants_settings_do_not_reach_another() -> None:
    specs = specs_of(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            partitions: {granularity: hourly}
            sources:
              app_db: {kind: sql, url: "sqlite:///a.db", objects: {orders: {cursor: updated_at}}}
          globex:
            sources:
              app_db: {kind: sql, url: "sqlite:///g.db", objects: {orders: {cursor: updated_at}}}
        """
    )
    granularities = {label: spec.partitions.granularity for label, spec in specs.items() if spec.partitions}
    assert granularities == {"acme.app_db.orders": "hourly", "globex.app_db.orders": "daily"}


def test_an_object_without_a_cursor_is_unpartitioned_even_with_default_partitions() -> None:
    spec = specs_of(
        """\
        defaults:
          partitions: {start: "2026-01-01", granularity: hourly}
        tenants:
          acme:
            sources:
              app_db: {kind: sql, url: "sqlite:///a.db", objects: [countries]}
        """
    )["acme.app_db.countries"]
    assert (spec.write_mode, spec.partitions) == ("replace", None)
