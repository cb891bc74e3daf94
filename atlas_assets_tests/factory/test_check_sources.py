"""The `check_sources` job tests sources' connections before anything is scheduled."""

from __future__ import annotations

import pytest

from atlas_assets_tests.harness import Shop, platform

UNREACHABLE = "postgresql+psycopg2://nobody:s3cret-pass@127.0.0.1:9/none"


@pytest.fixture
def atlas(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    return platform(
        tmp_path,
        f"""
    tenants:
      demo:
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects: [orders]
          remote:
            kind: sql
            url: "{UNREACHABLE}"
            objects: [orders]
    """,
    )


def test_a_reachable_source_checks_ok(atlas):
    result = atlas.check_sources("demo.shop")

    assert result.success
    assert result.output_for_node("check_source_connections") == {"demo.shop": "ok"}


def test_an_unreachable_source_fails_the_job_naming_it_without_its_password(atlas):
    result = atlas.check_sources()

    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("1 of 2 sources failed: demo.remote: failed (transient)")
    assert "s3cret-pass" not in description


def test_a_sqlite_file_that_does_not_exist_fails_the_check_and_is_not_created(tmp_path):
    missing = tmp_path / "typo.db"
    atlas = platform(
        tmp_path,
        f"""
    tenants:
      demo:
        sources:
          shop: {{kind: sql, url: "sqlite:///{missing}", objects: [orders]}}
    """,
    )

    result = atlas.check_sources("demo.shop")

    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert f"SQLite database file '{missing}' does not exist" in description
    assert not missing.exists()


def test_naming_an_unknown_source_fails_listing_the_known_ones(atlas):
    result = atlas.check_sources("demo.nope")

    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "unknown sources: demo.nope; known: demo.remote, demo.shop" in (
        failure.step_failure_data.user_failure_data.description
    )


def test_a_missing_table_is_named_once_in_the_failure(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    atlas = platform(
        tmp_path,
        f"""
    tenants:
      demo:
        sources:
          shop: {{kind: sql, url: "{shop.url}", objects: [refunds]}}
    """,
    )

    result = atlas.materialize("demo/shop/refunds", raise_on_error=False)

    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert "table 'refunds' does not exist" in description
    assert description.count("demo.shop.refunds") == 1
