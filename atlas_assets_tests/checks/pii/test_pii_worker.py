"""The PII scan worker process: loads Presidio alongside the ingest and scans like the in-process path."""

from __future__ import annotations

import pyarrow as pa
import pytest

from atlas_assets.checks.pii import worker as pii_worker
from atlas_assets.checks.pii.check import run_pii_checks, warm_pii_engine
from atlas_assets_tests.checks.pii.test_pii_scan import object_spec, people


@pytest.fixture
def worker():
    yield
    pii_worker.stop()


def test_warming_starts_a_worker_process_that_the_scan_then_uses(worker):
    spec = object_spec()

    assert warm_pii_engine(spec) is True
    (result,) = run_pii_checks(spec, pa.table(people()))

    assert pii_worker.running()
    assert result.metadata["undeclared_pii"].value["mobile"]["PHONE_NUMBER"] >= 0.9


def test_the_worker_finds_what_the_in_process_scan_finds(worker):
    spec = object_spec()
    data = pa.table(people())
    (in_process,) = run_pii_checks(spec, data)

    warm_pii_engine(spec)
    (in_worker,) = run_pii_checks(spec, data)

    assert in_worker.metadata["undeclared_pii"].value == in_process.metadata["undeclared_pii"].value


def test_no_worker_when_the_scan_is_off(worker):
    spec = object_spec(defaults={"pii_scan": {"on_undeclared": "ignore"}})

    assert warm_pii_engine(spec) is False
    assert not pii_worker.running()
