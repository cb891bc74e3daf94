"""The shipped dagster.yaml's run queue takes its tenant and source limits from runner.yaml."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import load_runner_config
from atlas_assets.config.naming import run_tags
from atlas_assets_tests.dagster_processes import Deployment
from atlas_assets_tests.harness import platform, write_runner


def _tenants(alpha_runs: object, source_runs: object = 1, cron: str = "null") -> str:
    return f"""
    tenants:
      alpha:
        schedule: {{cron: {cron}}}
        concurrency: {{runs: {alpha_runs}}}
        sources:
          crm:
            kind: csv
            path: {{csv}}
            concurrency: {{runs: {source_runs}}}
            objects: {{leads: {{write: replace}}}}
          files:
            kind: csv
            path: {{csv}}
            objects: {{payments: {{write: replace}}}}
    """


def _write(root: Path, alpha_runs: object, source_runs: object = 1) -> Path:
    path = write_runner(root, _tenants(alpha_runs, source_runs).replace("{csv}", str(root)))
    # The coordinator re-reads on a changed mtime or size; make each write count even within one tick.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    return path


def _limits(deployment: Deployment) -> list[dict]:
    with deployment.instance() as instance:
        return list(instance.get_concurrency_config().run_queue_config.tag_concurrency_limits)  # type: ignore[union-attr]


def test_the_run_queue_limits_each_tenant_and_source_to_its_concurrency_runs(tmp_path):
    deployment = Deployment.create(tmp_path, _write(tmp_path, 2))

    assert _limits(deployment) == [
        {"key": "atlas/tenant", "value": "alpha", "limit": 2},
        {"key": "atlas/source", "value": "alpha.crm", "limit": 1},
    ]


def test_an_edited_runner_yaml_changes_the_limits_of_a_running_instance(tmp_path):
    deployment = Deployment.create(tmp_path, _write(tmp_path, 2))
    with deployment.instance() as instance:
        instance.get_concurrency_config()
        _write(tmp_path, 5)
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits  # type: ignore[union-attr]

    assert {"key": "atlas/tenant", "value": "alpha", "limit": 5} in limits


def test_an_invalid_edit_keeps_the_previous_limits(tmp_path):
    deployment = Deployment.create(tmp_path, _write(tmp_path, 2))
    with deployment.instance() as instance:
        before = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits  # type: ignore[union-attr]
        _write(tmp_path, 0)
        after = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits  # type: ignore[union-attr]

    assert after == before


@pytest.mark.parametrize("runs", [0, '"2"'])
def test_concurrency_runs_must_be_a_positive_number_named_with_its_path_and_line(tmp_path, runs):
    path = _write(tmp_path, runs)
    with pytest.raises(RunnerConfigError) as error:
        load_runner_config(path)

    (problem,) = error.value.problems
    assert problem.path == "tenants.alpha.concurrency.runs"
    assert problem.line == 1 + next(
        n for n, line in enumerate(path.read_text().splitlines()) if "concurrency: {runs: " in line
    )


def test_a_run_of_one_source_is_tagged_with_its_tenant_and_tenant_qualified_source():
    keys = [dg.AssetKey(["alpha", "crm", "leads"]), dg.AssetKey(["alpha", "crm", "contacts"])]

    assert run_tags(keys) == {"atlas/tenant": "alpha", "atlas/source": "alpha.crm"}


def test_a_run_across_sources_or_tenants_carries_only_the_tags_it_has_one_value_for():
    across_sources = [dg.AssetKey(["alpha", "crm", "leads"]), dg.AssetKey(["alpha", "files", "payments"])]
    across_tenants = [dg.AssetKey(["alpha", "crm", "leads"]), dg.AssetKey(["beta", "crm", "leads"])]

    assert run_tags(across_sources) == {"atlas/tenant": "alpha"}
    assert run_tags(across_tenants) == {}


def test_a_source_with_its_own_limit_is_scheduled_apart_so_its_runs_carry_its_tag(tmp_path):
    atlas = platform(tmp_path, _tenants(2, cron="'0 3 * * *'").replace("{csv}", str(tmp_path)))
    repository = atlas.defs.get_repository_def()

    def selected(job_name: str) -> set[str]:
        return {key.to_user_string() for key in repository.get_job(job_name).asset_layer.selected_asset_keys}

    assert selected("alpha_crm_unpartitioned_0300_utc") == {"alpha/crm/leads"}
    assert selected("alpha_unpartitioned_0300_utc") == {"alpha/files/payments"}
