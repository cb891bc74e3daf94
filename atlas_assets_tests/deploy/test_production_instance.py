"""deploy/dagster.yaml loads into a real DagsterInstance, local servers standing in for AWS.

PostgreSQL is the local service; moto's server stands in for S3 (compute logs) and ECS.
The embedded default dagster.yaml's two storages are covered in product/test_cli_and_instance.py.
"""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.errors import DagsterInvalidConfigError
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

from atlas_assets.ops.fairness.coordinator import TenantFairRunCoordinator
from atlas_assets_tests.dagster_processes import REPO
from atlas_assets_tests.s3_server import LocalS3
from atlas_assets_tests.sql_support import unique_name

PRODUCTION_HOME = REPO / "deploy"


@pytest.fixture
def production_env(dagster_pg_url: str, local_s3: LocalS3, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        **local_s3.env(),
        "ATLAS_DAGSTER_PG_URL": dagster_pg_url,
        "ATLAS_COMPUTE_LOG_BUCKET": local_s3.create_bucket(unique_name("logs").replace("_", "-")),
        "ATLAS_ECS_CLUSTER": "atlas",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_the_production_dagster_yaml_loads_postgres_storage_the_tenant_queue_s3_logs_and_ecs(
    production_env,
):
    with dg.DagsterInstance.from_config(str(PRODUCTION_HOME)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert isinstance(instance.run_coordinator, TenantFairRunCoordinator)
        assert instance.run_monitoring_enabled
        logs = instance.compute_log_manager
        assert isinstance(logs, S3ComputeLogManager)
        assert logs._s3_bucket == production_env["ATLAS_COMPUTE_LOG_BUCKET"]
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        assert launcher.run_task_kwargs["cluster"] == "atlas"
        assert launcher.propagate_tags == {"allow_list": ["atlas/tenant", "atlas/source"]}


def test_the_production_dagster_yaml_without_its_database_url_fails_naming_the_variable(
    production_env, monkeypatch
):
    monkeypatch.delenv("ATLAS_DAGSTER_PG_URL")

    with pytest.raises(DagsterInvalidConfigError, match="ATLAS_DAGSTER_PG_URL"):
        dg.DagsterInstance.from_config(str(PRODUCTION_HOME))


def test_the_embedded_dagster_yaml_queues_runs_under_the_tenant_limits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ATLAS_DAGSTER_PG_URL", raising=False)

    with dg.DagsterInstance.from_config(str(REPO)) as instance:
        assert isinstance(instance.run_coordinator, TenantFairRunCoordinator)
