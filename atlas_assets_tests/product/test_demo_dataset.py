"""The offline demo dataset: deterministic, the documented sizes, and dirty where it should be."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.files.csv import CsvObjectConfig, CsvResource
from atlas_assets.demo import DEMO_FILE_ROWS, DEMO_ROW_COUNTS, LEAD_DEFECTS, DemoSummary, generate_demo

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
PHONE = re.compile(r"(\+\d{1,3}[ \d-]{7,}\d|\(\d{3}\) \d{3}-\d{4})")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo"))


def file_bytes(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


def query(demo: DemoSummary, sql: str) -> list[sa.Row]:
    engine = sa.create_engine(f"sqlite:///{demo.shop_db}")
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def lead_rows(demo: DemoSummary) -> list[dict[str, str]]:
    with (demo.csv_dir / "leads.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_summary_reports_the_documented_row_counts(demo: DemoSummary) -> None:
    assert demo.row_counts == dict(DEMO_ROW_COUNTS)
    assert demo.file_rows == dict(DEMO_FILE_ROWS)
    assert demo.lead_defects == LEAD_DEFECTS


def test_database_tables_hold_the_documented_row_counts(demo: DemoSummary) -> None:
    counts = {
        table: query(demo, f"SELECT count(*) FROM {table}")[0][0]
        for table in ("customers", "orders", "products")
    }

    assert counts == {table: DEMO_ROW_COUNTS[table] for table in counts}


def test_csv_folder_holds_monthly_payments_and_leads(demo: DemoSummary) -> None:
    assert sorted(p.name for p in demo.csv_dir.iterdir()) == sorted(DEMO_FILE_ROWS)


def test_two_generations_write_byte_identical_files(demo: DemoSummary, tmp_path: Path) -> None:
    generate_demo(tmp_path)

    assert file_bytes(tmp_path) == file_bytes(demo.directory)


def test_regenerating_in_place_restores_identical_files(demo: DemoSummary, tmp_path: Path) -> None:
    generate_demo(tmp_path)
    (tmp_path / "csv" / "leads.csv").write_text("tampered\n")
    (tmp_path / "shop.db").write_bytes(b"not a database")

    generate_demo(tmp_path)

    assert file_bytes(tmp_path) == file_bytes(demo.directory)


def test_timestamps_read_back_through_sqlalchemy_as_datetimes(demo: DemoSummary) -> None:
    engine = sa.create_engine(f"sqlite:///{demo.shop_db}")
    orders = sa.Table("orders", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        created = conn.execute(sa.select(orders.c.created_at).limit(1)).scalar_one()
    engine.dispose()

    assert isinstance(created, dt.datetime)


def test_orders_span_the_first_quarter_of_2026_a_few_per_hour(demo: DemoSummary) -> None:
    hours = Counter(row[0] for row in query(demo, "SELECT substr(created_at, 1, 13) FROM orders"))

    assert min(hours) == "2026-01-01 00"
    assert max(hours) == "2026-03-31 23"
    assert len(hours) == 90 * 24
    assert set(hours.values()) <= {1, 2, 3, 4, 5}


def test_every_order_belongs_to_a_customer_created_before_it(demo: DemoSummary) -> None:
    orphans = query(
        demo,
        "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
        "WHERE c.id IS NULL OR c.created_at > o.created_at",
    )

    assert orphans[0][0] == 0


def test_some_customers_changed_many_days_after_creation(demo: DemoSummary) -> None:
    changed = query(
        demo, "SELECT count(*) FROM customers WHERE julianday(updated_at) - julianday(created_at) >= 5"
    )[0][0]

    assert 50 <= changed <= 200


def test_products_have_no_cursor_column(demo: DemoSummary) -> None:
    columns = [row[1] for row in query(demo, "PRAGMA table_info(products)")]

    assert not {"created_at", "updated_at"} & set(columns)


def test_payments_stream_through_the_csv_connector_with_utc_times(demo: DemoSummary) -> None:
    config = CsvObjectConfig(
        cursor="created_at", write=WriteMode.SNAPSHOT, column_types={"amount": "decimal(12,2)"}
    )
    request = ExtractRequest(tenant="demo", source="files", object_name="payments", config=config)

    table = pa.Table.from_batches(list(CsvResource(path=str(demo.csv_dir)).extract(request)))

    assert table.num_rows == DEMO_ROW_COUNTS["payments"]
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert all(re.fullmatch(r"\d+\.\d\d", amount) for amount in table.column("amount").to_pylist())


def test_leads_have_the_documented_null_and_repeated_ids(demo: DemoSummary) -> None:
    ids = [row["lead_id"] for row in lead_rows(demo)]
    repeats = sum(count - 1 for lead_id, count in Counter(ids).items() if lead_id)

    assert (ids.count(""), repeats) == (LEAD_DEFECTS.null_ids, LEAD_DEFECTS.duplicate_ids)


def test_leads_have_the_documented_invalid_emails(demo: DemoSummary) -> None:
    invalid = [row["email"] for row in lead_rows(demo) if not EMAIL.match(row["email"])]

    assert len(invalid) == LEAD_DEFECTS.invalid_emails


def test_lead_notes_hold_undeclared_phone_numbers(demo: DemoSummary) -> None:
    with_phones = [row["notes"] for row in lead_rows(demo) if PHONE.search(row["notes"])]

    assert len(with_phones) == LEAD_DEFECTS.notes_with_pii


def test_leads_have_the_documented_stale_and_unparseable_dates(demo: DemoSummary) -> None:
    stale = unparseable = 0
    for row in lead_rows(demo):
        try:
            day = dt.date.fromisoformat(row["created_at"])
        except ValueError:
            unparseable += 1
            continue
        stale += day.year < 2025

    assert (stale, unparseable) == (LEAD_DEFECTS.stale_dates, LEAD_DEFECTS.unparseable_dates)
