"""The runner.yaml the tests and benchmarks write: their `tenants:` over an embedded warehouse.

A module of its own, importing nothing heavy, so a benchmark can write its runner.yaml without
paying for Dagster or pyiceberg in the process it measures.
"""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_runner(root: Path, body: str, target_file_mb: int = 128, name: str = "runner.yaml") -> Path:
    """runner.yaml with the embedded warehouse under `root`; `body` is the `tenants:` section."""
    path = root / name
    header = f"""
    defaults:
      partitions: {{granularity: daily, start: "2026-01-01"}}
      retry: {{max_retries: 0}}
    warehouse:
      catalog: {{type: sql, uri: "sqlite:///{root}/catalog.db"}}
      location: "{root}/warehouse"
      target_file_mb: {target_file_mb}
    """
    path.write_text(textwrap.dedent(header) + textwrap.dedent(body))
    return path
