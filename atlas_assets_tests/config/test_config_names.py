"""Generated names: distinct config paths never share an asset key, resource, table or job.

Each attack from issue 7 §1 is a runner.yaml that must fail at load, naming both paths and lines.
"""

from __future__ import annotations

import textwrap

import pytest

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.naming import cron_slug, timezone_slug
from atlas_assets.factory.definitions import build_definitions

HEADER = """\
defaults:
  partitions: {start: "2026-01-01"}
"""


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(RunnerConfigError) as caught:
        parse_runner_config(HEADER + textwrap.dedent(text), "runner.yaml", {})
    return caught.value.problems


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the whole file (header included) holding `fragment`."""
    lines = (HEADER + textwrap.dedent(text)).splitlines()
    (line,) = [i for i, content in enumerate(lines, 1) if fragment in content]
    return line


def acme_shop(objects: str) -> str:
    """Tenant `acme` with one SQL source `shop` holding `objects` (YAML lines)."""
    source = (
        "tenants:\n  acme:\n    sources:\n      shop:\n        kind: sql\n        url: sqlite:///shop.db\n"
    )
    return source + "        objects:\n" + textwrap.indent(textwrap.dedent(objects), " " * 10)


def sql(objects: str) -> str:
    return f"{{kind: sql, url: 'sqlite:///shop.db', objects: {objects}}}"


def test_a_tenant_cannot_take_another_tenants_namespace():
    text = f"""\
    tenants:
      alpha:
        namespace: beta
        sources: {{shop: {sql("[orders]")}}}
      beta:
        sources: {{shop: {sql("[orders]")}}}
    """
    (problem,) = problems_of(text)

    assert (problem.path, problem.line) == ("tenants.alpha.namespace", line_of(text, "namespace: beta"))
    assert "Iceberg namespace 'beta'" in problem.message
    assert f"tenants.beta (line {line_of(text, 'beta:')})" in problem.message


def test_two_tenants_cannot_choose_the_same_namespace():
    text = f"""\
    tenants:
      alpha:
        namespace: shared
        sources: {{a: {sql("[orders]")}}}
      beta:
        namespace: shared
        sources: {{b: {sql("[refunds]")}}}
    """
    (problem,) = problems_of(text)

    assert (problem.path, problem.line) == ("tenants.beta.namespace", 8)
    assert "tenants.alpha.namespace (line 5)" in problem.message


def test_names_joined_by_the_separator_cannot_meet():
    # `alpha__beta`/`db` and `alpha`/`beta__db` once shared the resource key `alpha__beta__db`.
    text = f"""\
    tenants:
      alpha__beta:
        sources: {{db: {sql("[orders]")}}}
      alpha:
        sources: {{beta__db: {sql("[orders]")}}}
    """
    problems = problems_of(text)

    assert [(p.path, p.line) for p in problems] == [
        ("tenants.alpha__beta", line_of(text, "alpha__beta:")),
        ("tenants.alpha.sources.beta__db", line_of(text, "beta__db:")),
    ]
    assert all("without `__`" in p.message for p in problems)


def test_a_source_and_object_split_differently_cannot_meet():
    # source `a__b` + object `c` and source `a` + object `b__c` once both made table `a__b__c`.
    text = f"""\
    tenants:
      acme:
        sources:
          a__b: {sql("{c: {}}")}
          a: {sql("{b__c: {}}")}
    """
    problems = problems_of(text)

    assert [p.path for p in problems] == ["tenants.acme.sources.a__b", "tenants.acme.sources.a.objects.b__c"]


def test_an_object_cannot_be_named_like_another_objects_quarantine_table():
    text = acme_shop(
        """\
        items: {}
        items__quarantine: {}
        """
    )
    (problem,) = problems_of(text)

    assert problem.path == "tenants.acme.sources.shop.objects.items__quarantine"
    assert problem.line == line_of(text, "items__quarantine:")


def test_a_name_in_the_objects_list_shorthand_is_reported_as_that_item():
    text = f"""\
    tenants:
      acme:
        sources:
          shop: {sql("[items, items__quarantine]")}
    """
    (problem,) = problems_of(text)

    assert (problem.path, problem.line) == ("tenants.acme.sources.shop.objects.1", line_of(text, "shop:"))
    assert problem.message.startswith("name 'items__quarantine' must be")


@pytest.mark.parametrize("suffix", ['""', "_quarantine", "quarantine", "__", "___q", "__Q"])
def test_a_quarantine_suffix_that_could_meet_a_table_name_is_a_config_error(suffix):
    text = f"""\
    warehouse:
      quarantine_suffix: {suffix}
    tenants:
      acme:
        sources: {{shop: {sql("[items]")}}}
    """
    (problem,) = problems_of(text)

    assert (problem.path, problem.line) == ("warehouse.quarantine_suffix", line_of(text, "quarantine_suffix"))
    assert "must be `__` followed by" in problem.message


def test_an_object_cannot_take_the_name_of_another_objects_silver_asset():
    text = acme_shop(
        """\
        customers:
          pii: {email: mask}
          pii_scan: {masking: silver}
        customers_silver: {}
        """
    )
    (problem,) = problems_of(text)

    assert problem.path == "tenants.acme.sources.shop.objects.customers_silver"
    assert problem.line == line_of(text, "customers_silver:")
    assert "asset key 'acme/shop/customers_silver'" in problem.message
    assert "Iceberg table 'acme.shop__customers_silver'" in problem.message
    where = f"tenants.acme.sources.shop.objects.customers.pii_scan.masking (line {line_of(text, 'masking')})"
    assert where in problem.message


def test_two_crons_that_read_the_same_cannot_share_a_job_name():
    text = acme_shop(
        """\
        orders: {cursor: created_at, schedule: {cron: "0 3 * * *"}}
        refunds: {cursor: created_at, schedule: {cron: "00 03 * * *"}}
        """
    )
    (problem,) = problems_of(text)

    assert problem.path == "tenants.acme.sources.shop.objects.refunds.schedule"
    assert "job 'acme_daily_0300_utc'" in problem.message
    assert f"objects.orders.schedule (line {line_of(text, 'orders:')})" in problem.message


def _job_names(text: str) -> dict[str, list[str]]:
    config, specs = parse_runner_config(textwrap.dedent(text), "runner.yaml", {})
    defs = build_definitions(config, specs)
    graph = defs.resolve_asset_graph()
    return {
        job.name: sorted(key.to_user_string() for key in job.selection.resolve(graph))
        for job in defs.jobs
        if job.name not in ("check_sources", "gdpr_erase")
    }


SCHEDULED = f"""\
defaults:
  partitions: {{start: "2026-01-01"}}
  schedule: {{cron: "0 3 * * *"}}
tenants:
  demo:
    sources:
      shop:
        kind: sql
        url: sqlite:///shop.db
        objects:
          orders: {{cursor: created_at}}
          products: {{}}
  acme:
    schedule: {{cron: "0 */6 * * *", timezone: Europe/Paris}}
    partitions: {{granularity: hourly}}
    sources: {{app: {sql("{events: {cursor: at}}")}}}
"""


def test_job_names_say_whose_objects_run_when():
    assert _job_names(SCHEDULED) == {
        "demo_daily_0300_utc": ["demo/shop/orders"],
        "demo_unpartitioned_0300_utc": ["demo/shop/products"],
        "acme_hourly_every_6h_at_00_europe_paris": ["acme/app/events"],
    }


def test_schedules_are_named_after_their_job():
    config, specs = parse_runner_config(SCHEDULED, "runner.yaml", {})
    defs = build_definitions(config, specs)

    assert sorted((s.name, s.job_name) for s in defs.schedules) == [
        ("acme_hourly_every_6h_at_00_europe_paris_schedule", "acme_hourly_every_6h_at_00_europe_paris"),
        ("demo_daily_0300_utc_schedule", "demo_daily_0300_utc"),
        ("demo_unpartitioned_0300_utc_schedule", "demo_unpartitioned_0300_utc"),
    ]


def test_job_names_do_not_change_when_another_tenant_is_added():
    before = _job_names(SCHEDULED)
    after = _job_names(SCHEDULED + f"  beta:\n    sources: {{db: {sql('{orders: {cursor: at}}')}}}\n")

    assert {name: after[name] for name in before} == before
    assert after["beta_daily_0300_utc"] == ["beta/db/orders"]


def test_groups_that_would_read_the_same_are_told_apart_by_what_differs():
    text = f"""\
    defaults:
      partitions: {{start: "2026-01-01"}}
      schedule: {{cron: "0 3 * * *"}}
    tenants:
      demo:
        sources:
          shop: {sql('{orders: {cursor: at}, legacy: {cursor: at, partitions: {start: "2025-06-01"}}}')}
    """
    assert _job_names(text) == {
        "demo_daily_0300_utc_from_20260101": ["demo/shop/orders"],
        "demo_daily_0300_utc_from_20250601": ["demo/shop/legacy"],
    }


@pytest.mark.parametrize(
    ("cron", "slug"),
    [
        ("0 3 * * *", "0300"),
        ("30 * * * *", "hourly_at_30"),
        ("15 */6 * * *", "every_6h_at_15"),
        ("0 4 * * mon", "mon_0400"),
        ("0 4 1 * *", "day1_0400"),
        ("*/15 9-17 * * 1-5", "every15_9to17_x_x_1to5"),
    ],
)
def test_a_cron_reads_as_when_it_runs(cron, slug):
    assert cron_slug(cron) == slug


@pytest.mark.parametrize(
    ("timezone", "slug"),
    [("UTC", "utc"), ("Europe/Paris", "europe_paris"), ("Etc/GMT-5", "etc_gmt_minus_5")],
)
def test_a_timezone_reads_as_its_name(timezone, slug):
    assert timezone_slug(timezone) == slug
