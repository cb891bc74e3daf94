"""The `quality:` section of runner.yaml: mistakes are load errors at their path and line."""

from __future__ import annotations

import textwrap

import pytest

from atlas_assets.checks.quality.check import quality_check_specs
from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config

HEADER = """
defaults:
  partitions: {granularity: daily, start: "2026-01-01"}
tenants:
  demo:
    sources:
      shop:
        kind: sql
        url: "sqlite:///shop.db"
        objects:
          orders:
            cursor: created_at
            primary_key: [id]
"""
WHERE = "tenants.demo.sources.shop.objects.orders.quality"


def load(quality_yaml: str) -> list[str]:
    """Check names declared for `orders` with the given `quality:` body."""
    text = HEADER + "            quality:\n" + textwrap.indent(textwrap.dedent(quality_yaml), " " * 14)
    _, specs = parse_runner_config(text, "runner.yaml", {})
    return [spec.name for spec in quality_check_specs(specs[0])]


def problems(quality_yaml: str) -> list[tuple[int | None, str]]:
    with pytest.raises(RunnerConfigError) as caught:
        load(quality_yaml)
    return [(p.line, p.path) for p in caught.value.problems]


def test_mistakes_in_rules_are_reported_each_at_its_path_and_line() -> None:
    found = problems(
        """
        columns:
          email: {format: emial}
          code: {regex: "[a-"}
          amount: {}
        row_count: {min: 5, max: 2}
        severity: fatal
        """
    )

    assert found == [
        (17, f"{WHERE}.columns.email.format"),
        (18, f"{WHERE}.columns.code.regex"),
        (19, f"{WHERE}.columns.amount"),
        (20, f"{WHERE}.row_count"),
        (21, f"{WHERE}.severity"),
    ]


def test_schema_freshness_and_row_count_checks_can_be_switched_off() -> None:
    names = load(
        """
        schema: false
        freshness: false
        row_count: null
        """
    )

    assert names == ["missing_id", "duplicate_primary_key"]


def test_defaults_check_key_freshness_non_empty_runs_and_schema() -> None:
    assert load("{}\n") == [
        "missing_id",
        "duplicate_primary_key",
        "freshness_created_at",
        "row_count",
        "schema",
    ]
