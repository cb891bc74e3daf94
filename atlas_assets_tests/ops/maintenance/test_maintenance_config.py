"""`maintenance:` in runner.yaml: what it defines, and its errors named with path and line."""

from __future__ import annotations

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import load_runner_config
from atlas_assets_tests.harness import platform, write_runner


def _tenants(maintenance: str) -> str:
    return f"""
    tenants:
      acme:
        maintenance: {maintenance}
        sources:
          files:
            kind: csv
            path: .
            objects: {{leads: {{write: replace}}}}
    """


def test_a_tenant_with_maintenance_gets_its_job_and_a_stopped_schedule(tmp_path):
    atlas = platform(tmp_path, _tenants("{cron: '0 4 * * 0'}"))

    schedule = atlas.defs.resolve_schedule_def("acme_maintenance_schedule")
    assert schedule.job_name == "acme_maintenance"
    assert schedule.cron_schedule == "0 4 * * 0"
    assert schedule.default_status.value == "STOPPED"
    assert atlas.defs.resolve_job_def("acme_maintenance").tags["atlas/tenant"] == "acme"


@pytest.mark.parametrize(
    ("maintenance", "field"),
    [
        ("{retain_last: 0}", "retain_last"),
        ("{expire_snapshots_older_than: soon}", "expire_snapshots_older_than"),
        ("{cron: 'every day'}", "cron"),
        ("{compact: true}", "compact"),
    ],
)
def test_a_bad_maintenance_setting_is_named_with_its_path_and_line(tmp_path, maintenance, field):
    path = write_runner(tmp_path, _tenants(maintenance))
    with pytest.raises(RunnerConfigError) as error:
        load_runner_config(path)

    (problem,) = error.value.problems
    assert problem.path == f"tenants.acme.maintenance.{field}"
    assert problem.line == 1 + next(
        n for n, line in enumerate(path.read_text().splitlines()) if "maintenance:" in line
    )
