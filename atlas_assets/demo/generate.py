"""Generating the whole offline demo dataset into one directory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from atlas_assets.demo.files import replace_file, write_csv
from atlas_assets.demo.leads import LEAD_COLUMNS, LeadDefects, lead_rows
from atlas_assets.demo.payments import PAYMENT_COLUMNS, payment_files, payment_rows
from atlas_assets.demo.shop import shop_rows, write_shop_db

SHOP_DB = "shop.db"
CSV_DIR = "csv"

DEMO_ROW_COUNTS: Mapping[str, int] = MappingProxyType(
    {"customers": 400, "orders": 6547, "products": 20, "payments": 6407, "leads": 150}
)
"""Rows per table or CSV object of every generated dataset (the generation is deterministic)."""

DEMO_FILE_ROWS: Mapping[str, int] = MappingProxyType(
    {
        "payments_2026-01.csv": 2182,
        "payments_2026-02.csv": 1964,
        "payments_2026-03.csv": 2261,
        "leads.csv": 150,
    }
)
"""Data rows (header excluded) of each file under `csv/`."""

LEAD_DEFECTS = LeadDefects(
    null_ids=5, duplicate_ids=5, invalid_emails=8, notes_with_pii=38, stale_dates=8, unparseable_dates=3
)
"""What leads.csv's quality and PII checks should find."""


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo` wrote: paths, and row counts measured while writing."""

    directory: Path
    shop_db: Path
    csv_dir: Path
    row_counts: dict[str, int]
    file_rows: dict[str, int]
    lead_defects: LeadDefects


def generate_demo(directory: Path) -> DemoSummary:
    """Write `shop.db` and `csv/` into `directory`, replacing earlier files with identical ones.

    Deterministic (fixed seeds, no clock): every call writes byte-identical files.
    """
    directory.mkdir(parents=True, exist_ok=True)
    csv_dir = directory / CSV_DIR
    csv_dir.mkdir(exist_ok=True)

    shop = shop_rows()
    replace_file(directory / SHOP_DB, lambda path: write_shop_db(path, shop))

    payments = payment_rows(shop.orders)
    files = payment_files(payments)
    leads, defects = lead_rows()
    files["leads.csv"] = leads
    for name, rows in files.items():
        header = LEAD_COLUMNS if name == "leads.csv" else PAYMENT_COLUMNS
        write_csv(csv_dir / name, header, rows)

    return DemoSummary(
        directory=directory,
        shop_db=directory / SHOP_DB,
        csv_dir=csv_dir,
        row_counts={
            "customers": len(shop.customers),
            "orders": len(shop.orders),
            "products": len(shop.products),
            "payments": len(payments),
            "leads": len(leads),
        },
        file_rows={name: len(rows) for name, rows in files.items()},
        lead_defects=defects,
    )
