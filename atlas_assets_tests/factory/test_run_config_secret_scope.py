"""Run config cannot carry a tenant's resource across the tenant boundary.

The launchpad lets a user replace a resource's config for one run. A connector's secret texts
are checked again when the run expands them: only the variables its place in runner.yaml may
name are read, so `${BETA_DB_URL}` in run config for tenant alpha's resource fails the run.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from atlas_assets_tests.dagster_processes import run_errors
from atlas_assets_tests.harness import Platform, Shop, platform

ORDERS = "{cursor: created_at, primary_key: [id]}"


@pytest.fixture
def atlas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Platform:
    """Tenants alpha and beta, each reading its own shop through its own variable."""
    for tenant in ("alpha", "beta"):
        shop = Shop(tmp_path / f"{tenant}.db")
        shop.add_orders(days=1, per_day=3 if tenant == "alpha" else 5)
        monkeypatch.setenv(f"{tenant.upper()}_DB_URL", shop.url)
    body = f"""
    tenants:
      alpha:
        sources:
          db: {{kind: sql, url: "${{ALPHA_DB_URL}}", objects: {{orders: {ORDERS}}}}}
      beta:
        sources:
          db: {{kind: sql, url: "${{BETA_DB_URL}}", objects: {{orders: {ORDERS}}}}}
    """
    return platform(tmp_path, body)


def run_alpha(atlas: Platform, url: str) -> dg.ExecuteInProcessResult:
    """alpha's orders for 2026-01-01 with the launchpad's resource config replacing its `url`."""
    return atlas.defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[dg.AssetKey(["alpha", "db", "orders"])],
        partition_key="2026-01-01",
        run_config={"resources": {"alpha__db": {"config": {"url": url}}}},
        instance=atlas.instance,
        raise_on_error=False,
    )


def failure(atlas: Platform, result: dg.ExecuteInProcessResult) -> str:
    """The errors the run logged (the connector fails while it is set up)."""
    return run_errors(atlas.instance, result.run_id)


def test_run_config_naming_another_tenants_variable_fails_the_run(atlas: Platform) -> None:
    result = run_alpha(atlas, "${BETA_DB_URL}")

    assert not result.success
    message = failure(atlas, result)
    assert "SqlResource.url (of tenants.alpha.sources.db)" in message
    assert "${BETA_DB_URL} belongs to tenant beta" in message
    assert not atlas.catalog.table_exists(("alpha", "db__orders"))


def test_run_config_naming_a_platform_variable_fails_the_run(atlas: Platform, monkeypatch) -> None:
    monkeypatch.setenv("PLATFORM_DB_URL", "sqlite:///nowhere.db")

    result = run_alpha(atlas, "${PLATFORM_DB_URL}")

    assert not result.success
    assert "${PLATFORM_DB_URL} is a platform variable" in failure(atlas, result)


def test_run_config_naming_the_tenants_own_variable_runs(atlas: Platform, monkeypatch, tmp_path) -> None:
    other = Shop(tmp_path / "alpha_copy.db")
    other.add_orders(days=1, per_day=4)
    monkeypatch.setenv("ALPHA_COPY_URL", other.url)

    result = run_alpha(atlas, "${ALPHA_COPY_URL}")

    assert result.success
    assert atlas.table("db__orders", namespace="alpha").num_rows == 4
