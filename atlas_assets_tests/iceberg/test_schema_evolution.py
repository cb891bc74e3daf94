"""Schema evolution: new source columns are added, safe widenings applied, the rest refused clearly."""

from __future__ import annotations

import pytest

from atlas_assets_tests.harness import Shop, platform, shop_source

EVENTS = "events: {cursor: created_at, primary_key: [id]}"


def _events(shop: Shop, columns: str, values: str) -> None:
    shop.execute("DROP TABLE IF EXISTS events")
    shop.execute(f"CREATE TABLE events ({columns})")
    shop.execute(f"INSERT INTO events VALUES {values}")


@pytest.fixture
def shop(tmp_path) -> Shop:
    shop = Shop(tmp_path / "shop.db")
    _events(shop, "id INTEGER, score SMALLINT, created_at TIMESTAMP", "(1, 5, '2026-01-01 01:00:00.000000')")
    return shop


def test_a_new_source_column_is_added_and_old_rows_read_null(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, EVENTS))
    atlas.materialize("demo/shop/events", partition="2026-01-01")
    _events(
        shop,
        "id INTEGER, score SMALLINT, country TEXT, created_at TIMESTAMP",
        "(1, 5, 'FR', '2026-01-01 01:00:00.000000'), (2, 6, 'DE', '2026-01-02 01:00:00.000000')",
    )

    result = atlas.materialize("demo/shop/events", partition="2026-01-02")

    rows = {r["id"]: r["country"] for r in atlas.table("shop__events").to_pylist()}
    assert rows == {1: None, 2: "DE"}
    changes = result.asset_materializations_for_node("demo__shop__events")[0].metadata["atlas/schema_changes"]
    assert changes.value == "added country: string"


def test_an_int_column_widened_to_bigint_is_promoted_to_long(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, EVENTS))
    atlas.materialize("demo/shop/events", partition="2026-01-01")
    assert (
        str(atlas.catalog.load_table(("demo", "shop__events")).schema().find_field("score").field_type)
        == "int"
    )
    _events(
        shop,
        "id INTEGER, score BIGINT, created_at TIMESTAMP",
        "(2, 9000000000, '2026-01-02 01:00:00.000000')",
    )

    atlas.materialize("demo/shop/events", partition="2026-01-02")

    table = atlas.catalog.load_table(("demo", "shop__events"))
    assert str(table.schema().find_field("score").field_type) == "long"
    assert sorted(table.scan().to_arrow().column("score").to_pylist()) == [5, 9000000000]


def test_an_incompatible_type_change_fails_naming_the_column_and_both_types(tmp_path, shop):
    atlas = platform(tmp_path, shop_source(shop, EVENTS))
    atlas.materialize("demo/shop/events", partition="2026-01-01")
    before = atlas.snapshots("shop__events")
    _events(shop, "id INTEGER, score TEXT, created_at TIMESTAMP", "(2, 'high', '2026-01-02 01:00:00.000000')")

    result = atlas.materialize("demo/shop/events", partition="2026-01-02", raise_on_error=False)

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "'score'" in message
    assert "int" in message
    assert "string" in message
    assert atlas.snapshots("shop__events") == before


def test_a_column_first_seen_in_a_later_csv_file_is_added_in_the_same_commit(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    (files / "leads_1.csv").write_text("id,name\n1,Ann\n2,Bob\n")
    (files / "leads_2.csv").write_text("id,name,country\n3,Cy,FR\n")
    atlas = platform(
        tmp_path,
        f"""
        tenants:
          demo:
            sources:
              files:
                kind: csv
                path: "{files}"
                objects:
                  leads: {{primary_key: [id]}}
        """,
    )

    result = atlas.materialize("demo/files/leads")

    rows = {r["id"]: (r["name"], r["country"]) for r in atlas.table("files__leads").to_pylist()}
    assert rows == {1: ("Ann", None), 2: ("Bob", None), 3: ("Cy", "FR")}
    assert len(atlas.snapshots("files__leads")) == 1
    metadata = result.asset_materializations_for_node("demo__files__leads")[0].metadata
    assert metadata["atlas/schema_changes"].value == "created table; added country: string"


@pytest.mark.parametrize("declared", ["TEXT", ""], ids=["typed", "untyped"])
def test_a_sql_column_null_throughout_the_first_batch_keeps_its_later_values(tmp_path, shop, declared):
    _events(
        shop,
        f"id INTEGER, note {declared}, created_at TIMESTAMP",
        "(1, NULL, '2026-01-01 01:00:00'), (2, NULL, '2026-01-01 02:00:00'), "
        "(3, 'late', '2026-01-01 03:00:00')",
    )
    atlas = platform(
        tmp_path, shop_source(shop, "events: {cursor: created_at, primary_key: [id], batch_size: 2}")
    )

    atlas.materialize("demo/shop/events", partition="2026-01-01")

    rows = {r["id"]: r["note"] for r in atlas.table("shop__events").to_pylist()}
    assert rows == {1: None, 2: None, 3: "late"}
