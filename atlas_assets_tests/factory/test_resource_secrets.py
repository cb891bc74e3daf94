"""What Dagster persists of a job (its snapshot: every resource's config) never holds a resolved secret.

The slow end-to-end scan is `product/test_secrets_at_rest.py`; this is the same property on the
snapshots Dagster stores in run storage, checked in a second.
"""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._serdes import serialize_value

from atlas_assets.config.loader import parse_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.factory.resources import build_source_resources

RUNNER = """
defaults: {partitions: {start: "2026-01-01"}}
warehouse:
  catalog:
    uri: "postgresql+psycopg2://u:${ATLAS_CATALOG_PW}@catalog/db"
    properties: {s3.secret-access-key: "${ATLAS_S3_SECRET}"}
tenants:
  demo:
    privacy: {secret: "${DEMO_PII_SECRET}"}
    sources:
      embedded: {kind: sql, url: "postgresql://u:${DEMO_PW}@db/app", objects: {orders: {cursor: at}}}
      whole: {kind: sql, url: "${DEMO_URL}", objects: {customers: {cursor: at, pii: {email: hash}}}}
      fields: {kind: postgres, host: db, user: u, password: "${DEMO_FIELD_PW}", objects: [refunds]}
"""
ENV = {
    "ATLAS_CATALOG_PW": "canary-catalog-pw",
    "ATLAS_S3_SECRET": "canary-s3-secret",
    "DEMO_PII_SECRET": "canary-privacy-secret",
    "DEMO_PW": "canary-embedded-pw",
    "DEMO_URL": "postgresql://u:canary-whole-pw@db/app",
    "DEMO_FIELD_PW": "canary-field-pw",
}


def _snapshots() -> str:
    defs = build_definitions(*parse_runner_config(RUNNER, "runner.yaml", ENV))
    jobs = defs.get_repository_def().get_all_jobs()
    return "".join(serialize_value(job.get_job_snapshot()) for job in jobs)


def test_no_job_snapshot_holds_a_resolved_secret():
    assert "canary" not in _snapshots()


def test_job_snapshots_hold_the_references_instead():
    snapshots = _snapshots()

    assert "postgresql://u:${DEMO_PW}@db/app" in snapshots
    assert "${ATLAS_S3_SECRET}" in snapshots


def test_a_resource_expands_its_secrets_when_set_up_for_a_run(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    _config, specs = parse_runner_config(RUNNER, "runner.yaml", ENV)
    resource = build_source_resources(specs)["demo__embedded"]

    with resource.process_config_and_initialize_cm() as connector:
        assert connector.url == "postgresql://u:canary-embedded-pw@db/app"
    assert resource.url == "postgresql://u:${DEMO_PW}@db/app"


def test_a_secret_unset_where_the_run_executes_fails_naming_the_variable(monkeypatch):
    monkeypatch.delenv("DEMO_PW", raising=False)
    _config, specs = parse_runner_config(RUNNER, "runner.yaml", ENV)
    resource = build_source_resources(specs)["demo__embedded"]

    with pytest.raises(dg.Failure, match=r"SqlResource\.url: environment variable DEMO_PW is not set"):
        resource.resolve_secrets()
