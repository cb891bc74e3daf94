"""The offline demo dataset: a SQLite shop and CSV files, generated deterministically."""

from atlas_assets.demo.generate import (
    DEMO_FILE_ROWS,
    DEMO_ROW_COUNTS,
    LEAD_DEFECTS,
    DemoSummary,
    generate_demo,
)

__all__ = ["DEMO_FILE_ROWS", "DEMO_ROW_COUNTS", "LEAD_DEFECTS", "DemoSummary", "generate_demo"]
