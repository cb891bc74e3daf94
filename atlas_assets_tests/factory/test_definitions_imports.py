"""Loading the code location imports no library that only a run's work needs.

Every webserver, daemon, code server and run process loads the definitions; a library imported
there is paid by all of them. Checked in a fresh interpreter loading the shipped runner.yaml.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

RUN_TIME_ONLY = [
    "pandas",
    "pyarrow.dataset",
    "pyiceberg.io.pyarrow",
    "presidio_analyzer",
    "spacy",
    "soda_core",
    "duckdb",
    "stripe",
    "hubspot",
    "gspread",
    "google.auth",
    "simple_salesforce",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.mysql",
    "psycopg2",
    "pymysql",
]


@pytest.fixture(scope="module")
def loaded_modules(tmp_path_factory) -> set[str]:
    script = "import json, sys; import atlas_assets.definitions; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path_factory.mktemp("home"))},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return set(json.loads(completed.stdout.splitlines()[-1]))


@pytest.mark.parametrize("module", RUN_TIME_ONLY)
def test_loading_the_definitions_does_not_import(loaded_modules, module):
    assert module not in loaded_modules
