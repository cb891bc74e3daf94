"""The PII check inside real ingestion runs: evaluated on what the run wrote, blocking when configured."""

from __future__ import annotations

import dagster as dg
import pytest

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.harness import Platform, Shop, write_runner

SECRET = "pii-in-runs-secret-0123"


@pytest.fixture
def shop(tmp_path) -> Shop:
    """`contacts`: one day of rows whose `notes` column holds phone numbers nobody declared."""
    shop = Shop(tmp_path / "shop.db")
    shop.execute(
        "CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, notes TEXT, updated_at DATETIME)"
    )
    for i in range(40):
        shop.execute(
            f"INSERT INTO contacts VALUES ({i}, 'user{i}@example.com', 'call +1 212 555 {1000 + i}',"
            f" '2026-01-01 {1 + i % 23:02d}:30:00')"
        )
    return shop


def contacts_platform(tmp_path, shop: Shop, on_undeclared: str, pii: str = "{email: hash}") -> Platform:
    body = f"""
    tenants:
      demo:
        privacy: {{secret: "{SECRET}"}}
        pii_scan: {{on_undeclared: {on_undeclared}, masking: silver}}
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
              contacts: {{cursor: updated_at, primary_key: [id], pii: {pii}}}
    """
    config, specs = load_runner_config(write_runner(tmp_path, body))
    return Platform(tmp_path, build_definitions(config, specs), dg.DagsterInstance.ephemeral())


def pii_evaluation(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "pii_scan"]
    return evaluation


def test_an_ingestion_run_reports_undeclared_pii_in_what_it_wrote(tmp_path, shop):
    atlas = contacts_platform(tmp_path, shop, "warn")

    result = atlas.materialize("demo/shop/contacts", partition="2026-01-01")

    evaluation = pii_evaluation(result)
    assert evaluation.passed is False
    assert evaluation.metadata["undeclared_pii"].value == {"notes": {"PHONE_NUMBER": 1.0}}


def test_the_run_passes_its_pii_check_once_the_column_is_declared(tmp_path, shop):
    atlas = contacts_platform(tmp_path, shop, "fail", pii="{email: hash, notes: mask}")

    result = atlas.materialize("demo/shop/contacts", "demo/shop/contacts_silver", partition="2026-01-01")

    assert pii_evaluation(result).passed is True
    assert atlas.table("shop__contacts_silver").num_rows == 40


def test_a_failing_blocking_pii_check_stops_the_silver_asset(tmp_path, shop):
    atlas = contacts_platform(tmp_path, shop, "fail")

    result = atlas.materialize(
        "demo/shop/contacts", "demo/shop/contacts_silver", partition="2026-01-01", raise_on_error=False
    )

    assert pii_evaluation(result).passed is False
    assert not atlas.catalog.table_exists(("demo", "shop__contacts_silver"))
