"""runner.yaml's `concurrency:` limits, enforced by the shipped dagster.yaml's run queue in the real daemon.

Runs are launched through the webserver's GraphQL API as the UI's Materialize button does; the
daemon dequeues them under the limits it reads from the deployment's runner.yaml.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

from atlas_assets_tests.dagster_processes import Deadline, Deployment, poll
from atlas_assets_tests.harness import Shop, write_runner

ALPHA = dg.AssetKey(["alpha", "shop", "products"])
BETA = dg.AssetKey(["beta", "shop", "products"])
ALPHA_LIMIT = 2
QUEUED_ALPHA_RUNS = 20
# What QueuedRunCoordinatorDaemon logs once per dequeue iteration that finds queued runs.
DEQUEUE_CYCLE_LOG = "Priority sorting and checking tag concurrency limits for queued runs."


def _fair_deployment(root: Path) -> Deployment:
    """Tenants alpha (limited to ALPHA_LIMIT runs) and beta, each with one small replaced table."""
    shop = Shop(root / "shop.db")
    shop.execute("CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT)")
    shop.execute("INSERT INTO products VALUES (1, 'tea')")
    tenants = "".join(
        f"""
          {tenant}:
            {limit}
            sources:
              shop:
                kind: sql
                url: "{shop.url}"
                objects:
                  products: {{write: replace}}
        """
        for tenant, limit in [("alpha", f"concurrency: {{runs: {ALPHA_LIMIT}}}"), ("beta", "")]
    )
    write_runner(root, "tenants:" + textwrap.indent(textwrap.dedent(tenants), "  "))
    return Deployment.create(root, root / "runner.yaml")


def _queued(instance: dg.DagsterInstance, run_ids: list[str]) -> list[str]:
    return [
        run.run_id
        for run in instance.get_runs(dg.RunsFilter(run_ids=run_ids, statuses=[dg.DagsterRunStatus.QUEUED]))
    ]


def _in_progress(instance: dg.DagsterInstance, tenant: str) -> list[dg.DagsterRun]:
    return list(
        instance.get_runs(
            dg.RunsFilter(statuses=list(IN_PROGRESS_RUN_STATUSES), tags={"atlas/tenant": tenant})
        )
    )


@pytest.mark.slow
def test_a_tenant_with_twenty_queued_runs_never_exceeds_its_limit_and_another_tenant_is_not_starved(
    tmp_path,
):
    deployment = _fair_deployment(tmp_path)
    deadline = Deadline(240)
    with deployment.webserver(timeout=deadline.remaining()) as web, deployment.daemon() as daemon:
        alpha_runs = [web.launch_assets([ALPHA]) for _ in range(QUEUED_ALPHA_RUNS)]
        with deployment.instance() as instance:
            most_alpha = 0

            def alpha_at_limit() -> bool:
                nonlocal most_alpha
                most_alpha = max(most_alpha, len(_in_progress(instance, "alpha")))
                return most_alpha >= ALPHA_LIMIT

            poll(alpha_at_limit, deadline.remaining(), "alpha to fill its limit", 0.2, [daemon, web.process])
            log_offset = daemon.log.stat().st_size
            beta_run = web.launch_assets([BETA])

            def beta_started() -> bool:
                nonlocal most_alpha
                most_alpha = max(most_alpha, len(_in_progress(instance, "alpha")))
                run = instance.get_run_by_id(beta_run)
                return run is not None and run.status != dg.DagsterRunStatus.QUEUED

            poll(beta_started, deadline.remaining(), "beta's run to start", 0.2, [daemon])
            with daemon.log.open("rb") as log:
                log.seek(log_offset)
                cycles = log.read().decode(errors="replace").count(DEQUEUE_CYCLE_LOG)
            alpha_queued = instance.get_runs_count(
                dg.RunsFilter(run_ids=alpha_runs, statuses=[dg.DagsterRunStatus.QUEUED])
            )
            # Keep watching until alpha's runs finish and the queue replaces them with queued ones.
            first_wave = set(alpha_runs) - set(_queued(instance, alpha_runs))

            def a_queued_alpha_run_replaced_a_finished_one() -> bool:
                nonlocal most_alpha
                most_alpha = max(most_alpha, len(_in_progress(instance, "alpha")))
                started = set(alpha_runs) - set(_queued(instance, alpha_runs))
                return bool(started - first_wave)

            poll(
                a_queued_alpha_run_replaced_a_finished_one,
                deadline.remaining(),
                "alpha's next run",
                0.2,
                [daemon],
            )
            alpha_tags = instance.get_run_by_id(alpha_runs[0]).tags  # type: ignore[union-attr]

    # Counted in the daemon's own dequeue iterations, not seconds, so a loaded machine does not
    # matter: one iteration may be under way when beta's run is queued; the next one takes it.
    assert 1 <= cycles <= 2, f"beta's run waited {cycles} dequeue iterations"
    assert alpha_queued >= QUEUED_ALPHA_RUNS // 2, "beta's run did not overtake alpha's queue"
    assert most_alpha == ALPHA_LIMIT
    assert alpha_tags["atlas/tenant"] == "alpha"
    assert alpha_tags["atlas/source"] == "alpha.shop"


@pytest.mark.slow
def test_runs_the_daemon_launches_for_backfills_and_schedules_carry_the_fairness_tags(tmp_path):
    shop = Shop(tmp_path / "shop.db")
    shop.add_orders(days=2, per_day=2)
    write_runner(
        tmp_path,
        f"""
        tenants:
          alpha:
            schedule: {{cron: "* * * * *", running: true}}
            sources:
              shop:
                kind: sql
                url: "{shop.url}"
                objects:
                  orders: {{cursor: created_at, primary_key: [id]}}
        """,
    )
    deployment = Deployment.create(tmp_path, tmp_path / "runner.yaml")
    orders = dg.AssetKey(["alpha", "shop", "orders"])
    deadline = Deadline(150)
    with deployment.webserver(timeout=deadline.remaining()) as web:
        web.launch_asset_backfill(orders, ["2026-01-01"])
        with deployment.daemon() as daemon, deployment.instance() as instance:

            def launched_by(tag: str) -> dg.DagsterRun | None:
                # Created NOT_STARTED, then submitted to the coordinator, which tags it as it queues it.
                return next(
                    (
                        run
                        for run in instance.get_runs()
                        if tag in run.tags and run.status != dg.DagsterRunStatus.NOT_STARTED
                    ),
                    None,
                )

            backfill_run = poll(
                lambda: launched_by("dagster/backfill"),
                deadline.remaining(),
                "the backfill's run",
                1.0,
                [daemon],
            )
            # The scheduler ticks at the next minute boundary.
            schedule_run = poll(
                lambda: launched_by("dagster/schedule_name"),
                deadline.remaining(),
                "a scheduled run",
                1.0,
                [daemon],
            )

    for run in (backfill_run, schedule_run):
        assert run.tags["atlas/tenant"] == "alpha"
        assert run.tags["atlas/source"] == "alpha.shop"
