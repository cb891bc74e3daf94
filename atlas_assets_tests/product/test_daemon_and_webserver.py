"""The features that belong to Dagster's long-running processes, exercised through the real ones.

Backfills are launched through `dagster-webserver`'s GraphQL API and executed by
`dagster-daemon`; runner.yaml's schedules tick in the daemon; `dagster definitions validate`
loads the code location as a deployment does. Runs execute in real run-worker subprocesses and
write to the Iceberg warehouse that runner.yaml names.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import dagster as dg

from atlas_assets_tests.dagster_processes import (
    BACKFILL_DONE,
    BIN,
    REPO,
    Deadline,
    Deployment,
    poll,
    run_errors,
)
from atlas_assets_tests.harness import Shop, platform, shop_source, write_runner

ORDERS_KEY = dg.AssetKey(["demo", "shop", "orders"])
ORDERS = "orders: {cursor: created_at, primary_key: [id]}"
PER_DAY = 10
DAY = dt.timedelta(days=1)


def test_a_backfill_launched_in_the_webserver_runs_its_five_days_as_one_successful_run(tmp_path):
    """UI backfill → daemon → one run (BackfillPolicy.single_run) → exactly those days in Iceberg.

    The daemon starts after the backfill is requested, so its first backfill iteration picks the
    backfill up at once instead of up to 30 s (the daemon's loop interval) later.
    """
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=7, per_day=PER_DAY)  # 2026-01-01 .. 2026-01-07, ids 0..69
    atlas = platform(tmp_path, shop_source(shop, ORDERS))
    deployment = Deployment.create(tmp_path, tmp_path / "runner.yaml")
    days = [f"2026-01-0{d}" for d in range(2, 7)]
    # Webserver start (10-25 s) + daemon start (10-20 s) + run (15-25 s) + the backfill daemon's
    # next 30 s iteration, which marks the backfill complete.
    deadline = Deadline(105)

    with deployment.webserver(timeout=deadline.remaining()) as web:
        backfill_id = web.launch_asset_backfill(ORDERS_KEY, days)
        with deployment.daemon() as daemon:
            status = poll(
                lambda: (s := web.backfill_status(backfill_id)) in BACKFILL_DONE and s,
                timeout=deadline.remaining(),
                what=f"backfill {backfill_id} to finish",
                watch=[web.process, daemon],
            )

    assert status == "COMPLETED_SUCCESS"
    with deployment.instance() as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        errors = [run_errors(instance, run.run_id) for run in runs]
        assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS], errors
        assert runs[0].tags["dagster/asset_partition_range_start"] == days[0]
        assert runs[0].tags["dagster/asset_partition_range_end"] == days[-1]
        assert instance.get_materialized_partitions(ORDERS_KEY) == set(days)
    ids = sorted(atlas.table("shop__orders").column("id").to_pylist())
    assert ids == list(range(1 * PER_DAY, 6 * PER_DAY))  # the orders of 2026-01-02 .. 2026-01-06


def test_a_running_schedule_in_runner_yaml_materializes_the_latest_complete_day_on_its_first_tick(tmp_path):
    """`schedule: {cron: "* * * * *", running: true}` ticks in the daemon without anyone turning it on.

    Nothing starts the schedule (no UI, no `dagster schedule start`): a run exists only if the
    schedule is RUNNING by default, as runner.yaml's `running: true` asks.

    Cron is per minute, so the first tick comes at the first minute boundary after the daemon's
    first scheduler iteration (at most ~60 s later); the tick is the daemon's own, nothing is faked.
    """
    # Orders on the two days before today, today and tomorrow: a tick just past midnight moves
    # the latest complete day forward, and only the ticked day's rows may land in Iceberg.
    first_day = dt.datetime.combine(dt.datetime.now(dt.UTC).date() - 2 * DAY, dt.time())
    shop = Shop(tmp_path / "shop.db")
    shop.insert(shop.orders, _orders(first_day, days=4))
    objects = 'orders: {cursor: created_at, primary_key: [id], schedule: {cron: "* * * * *", running: true}}'
    atlas = platform(tmp_path, shop_source(shop, objects))
    (schedule,) = atlas.defs.schedules or ()
    deployment = Deployment.create(tmp_path, tmp_path / "runner.yaml")

    with deployment.daemon() as daemon, deployment.instance() as instance:
        schedule_runs = dg.RunsFilter(tags={"dagster/schedule_name": schedule.name})
        (run,) = poll(
            lambda: [r for r in instance.get_runs(filters=schedule_runs) if r.is_finished],
            timeout=105,  # daemon start (10-20 s) + up to 60 s to the tick + queue and run (15-25 s)
            what=f"a finished run of schedule {schedule.name}",
            watch=[daemon],
        )
        assert run.status == dg.DagsterRunStatus.SUCCESS, run_errors(instance, run.run_id)

    ticked_at = dt.datetime.fromisoformat(run.tags[".dagster/scheduled_execution_time"])
    latest_complete_day = (ticked_at - DAY).date()
    assert run.tags["dagster/partition"] == latest_complete_day.isoformat()
    day = (latest_complete_day - first_day.date()).days
    ids = sorted(atlas.table("shop__orders").column("id").to_pylist())
    assert ids == list(range(day * PER_DAY, (day + 1) * PER_DAY))


def _orders(first_day: dt.datetime, days: int) -> list[dict[str, object]]:
    """`PER_DAY` orders on each of `days` days from `first_day`; day d holds ids d*PER_DAY .. +PER_DAY-1."""
    return [
        {"id": d * PER_DAY + i, "amount_cents": 100, "created_at": first_day + d * DAY + i * DAY / PER_DAY}
        for d in range(days)
        for i in range(PER_DAY)
    ]


def _validate(tmp: Path, runner_yaml: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`dagster definitions validate [args]` run in `tmp` for `runner_yaml`; output with stderr merged.

    Loading the location creates the warehouse directory if it is relative (`.atlas/warehouse`),
    so the working directory and DAGSTER_HOME are both under `tmp`.
    """
    home = tmp / "dagster_home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ATLAS_DAGSTER_PG_URL"}
    env.update(DAGSTER_HOME=str(home), ATLAS_RUNNER_CONFIG=str(runner_yaml))
    return subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", *args],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # Dagster logs to stdout, Python warnings to stderr
        text=True,
        timeout=110,
    )


def test_dagster_definitions_validate_accepts_the_shipped_runner_yaml(tmp_path):
    """The repo's runner.yaml through the repo's workspace.yaml, as a deployment loads them."""
    assert (REPO / "runner.yaml").is_file(), "the repo must ship a runner.yaml at its root"

    completed = _validate(tmp_path, REPO / "runner.yaml", "-w", str(REPO / "workspace.yaml"))

    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "All code locations passed validation." in completed.stdout


def test_dagster_definitions_validate_rejects_a_broken_runner_yaml_naming_its_path_and_line(tmp_path):
    """The location fails to load with our `RunnerConfigError`: the file, the line and the dotted path."""
    shop = Shop(tmp_path / "shop.db")
    runner_yaml = write_runner(tmp_path, shop_source(shop, "orders: {cursor: created_at, colour: blue}"))
    line = next(n for n, text in enumerate(runner_yaml.read_text().splitlines(), 1) if "colour" in text)

    completed = _validate(tmp_path, runner_yaml, "-m", "atlas_assets.definitions")

    assert completed.returncode == 1, completed.stdout[-4000:]
    assert f"RunnerConfigError: {runner_yaml}: 1 problem in the runner config" in completed.stdout
    problem = f"line {line}: tenants.demo.sources.shop.objects.orders.colour: unknown key 'colour'"
    assert problem in completed.stdout


def test_dagster_definitions_validate_rejects_a_csv_path_that_does_not_exist_naming_path_and_line(tmp_path):
    missing = tmp_path / "exports"
    body = f"""
    tenants:
      acme:
        sources:
          files: {{kind: csv, path: "{missing}", objects: [payments]}}
    """
    runner_yaml = write_runner(tmp_path, body)
    line = next(n for n, text in enumerate(runner_yaml.read_text().splitlines(), 1) if "exports" in text)

    completed = _validate(tmp_path, runner_yaml, "-m", "atlas_assets.definitions")

    assert completed.returncode == 1, completed.stdout[-4000:]
    assert (
        f"line {line}: tenants.acme.sources.files.path: directory {missing} does not exist"
        in completed.stdout
    )


def test_a_csv_path_inside_the_demo_data_directory_validates_before_the_demo_generates_it(tmp_path):
    """Like the shipped demo tenant: `.atlas/demo/...` exists only after `python -m atlas_assets.demo`."""
    body = """
    tenants:
      acme:
        sources:
          files: {kind: csv, path: .atlas/demo/exports, objects: [payments]}
    """
    runner_yaml = write_runner(tmp_path, body)

    completed = _validate(tmp_path, runner_yaml, "-m", "atlas_assets.definitions")

    assert completed.returncode == 0, completed.stdout[-4000:]
    assert not (tmp_path / ".atlas" / "demo").exists()


def test_dagster_definitions_validate_rejects_crossing_the_tenant_boundary_naming_paths_and_lines(tmp_path):
    """Another tenant's namespace and another tenant's variable, each reported with its path and line."""
    shop = Shop(tmp_path / "shop.db")
    body = f"""
    tenants:
      alpha:
        namespace: beta
        sources:
          db: {{kind: sql, url: "${{BETA_SHOP_URL}}", objects: [orders]}}
      beta:
        sources:
          db: {{kind: sql, url: "{shop.url}", objects: [orders]}}
    """
    runner_yaml = write_runner(tmp_path, body)
    lines = runner_yaml.read_text().splitlines()
    namespace, url, beta = (
        next(n for n, t in enumerate(lines, 1) if f in t) for f in ("namespace:", "BETA_", "beta:")
    )

    completed = _validate(tmp_path, runner_yaml, "-m", "atlas_assets.definitions")

    assert completed.returncode == 1, completed.stdout[-4000:]
    assert (
        f"line {namespace}: tenants.alpha.namespace: generates the same Iceberg namespace 'beta' as "
        f"tenants.beta (line {beta})" in completed.stdout
    )
    assert (
        f"line {url}: tenants.alpha.sources.db.url: ${{BETA_SHOP_URL}} belongs to tenant beta"
        in completed.stdout
    )


def test_objects_sharing_a_cron_but_not_its_running_flag_load_as_two_schedules(tmp_path):
    """One running and one stopped schedule on the same cron: two jobs, not a duplicate-name load error."""
    shop = Shop(tmp_path / "shop.db")
    objects = """
    orders: {cursor: created_at, primary_key: [id], schedule: {cron: "0 3 * * *", running: true}}
    customers: {cursor: updated_at, primary_key: [id], write: upsert, schedule: {cron: "0 3 * * *"}}
    """
    runner_yaml = write_runner(tmp_path, shop_source(shop, objects))

    completed = _validate(tmp_path, runner_yaml, "-m", "atlas_assets.definitions")

    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "All code locations passed validation." in completed.stdout
