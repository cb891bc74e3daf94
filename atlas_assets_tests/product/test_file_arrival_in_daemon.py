"""The file-arrival sensor as `dagster-daemon` runs it: files land in a csv source's directory and
the daemon's ticks request runs of exactly the partitions those files touch.

One deployment is shared by the module (a daemon takes a while to start); the scenario runs once,
in order, and each test asserts one of its outcomes:

1. before the daemon starts, `payments_old.csv` is there (rows of 1 January);
2. first tick: the file is recorded, nothing is requested;
3. `payments_new.csv` lands with rows of 2, 3, 4 and 7 January: one range run 2–4 January and
   one run of 7 January, which the daemon executes;
4. a tick without changes requests nothing;
5. `payments_new.csv` gets a new modification time: its partitions are requested again.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import InstigatorTick, TickStatus

from atlas_assets_tests.dagster_processes import Deadline, Deployment, poll, run_errors
from atlas_assets_tests.harness import write_runner

pytestmark = pytest.mark.slow

SENSOR = "demo__files__payments__file_arrival"
ASSET = dg.AssetKey(["demo", "files", "payments"])
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"

PAYMENTS = """\
tenants:
  demo:
    sources:
      files:
        kind: csv
        path: "{path}"
        sensor: {{file_arrival: true, interval_seconds: 5}}
        objects:
          payments: {{cursor: paid_at, primary_key: [id]}}
"""


@dataclass
class Scenario:
    """What the daemon did at each step, read back from its instance."""

    first_tick: InstigatorTick
    landed_runs: list[dg.DagsterRun]
    quiet_ticks: list[InstigatorTick]
    runs_after_quiet_ticks: list[dg.DagsterRun]
    touched_runs: list[dg.DagsterRun]
    all_ticks: list[InstigatorTick]
    materialized: set[str] = field(default_factory=set)


def _csv(*rows: tuple[int, str]) -> str:
    return "id,paid_at,amount\n" + "".join(f"{i},{at},{i * 10}\n" for i, at in rows)


def _ticks(instance: dg.DagsterInstance) -> list[InstigatorTick]:
    states = [s for s in instance.all_instigator_state() if s.name == SENSOR]
    if not states:
        return []
    (state,) = states
    return sorted(
        instance.get_ticks(state.instigator_origin_id, state.selector_id), key=lambda t: t.timestamp
    )


def _finished_ticks_after(deployment: Deployment, moment: float) -> list[InstigatorTick]:
    with deployment.instance() as instance:
        return [
            tick
            for tick in _ticks(instance)
            if tick.timestamp > moment
            and tick.status in (TickStatus.SUCCESS, TickStatus.SKIPPED, TickStatus.FAILURE)
        ]


def _sensor_runs(deployment: Deployment) -> list[dg.DagsterRun]:
    with deployment.instance() as instance:
        return list(instance.get_runs(filters=dg.RunsFilter(tags={"dagster/sensor_name": SENSOR})))


def _wait_for_runs_to_end(deployment: Deployment, run_ids: list[str], deadline: Deadline, daemon) -> None:
    def ended() -> bool:
        with deployment.instance() as instance:
            runs = [instance.get_run_by_id(run_id) for run_id in run_ids]
            return all(run is not None and run.is_finished for run in runs)

    poll(ended, deadline.remaining(), "the requested runs to finish", watch=[daemon])
    with deployment.instance() as instance:
        for run_id in run_ids:
            run = instance.get_run_by_id(run_id)
            assert run is not None
            assert run.status == dg.DagsterRunStatus.SUCCESS, run_errors(instance, run_id)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("file_arrival")
    files = root / "files"
    files.mkdir()
    (files / "payments_old.csv").write_text(_csv((1, "2026-01-01T09:00:00")))
    runner_yaml = write_runner(root, PAYMENTS.format(path=files))
    deployment = Deployment.create(root, runner_yaml, {"ATLAS_LINEAGE_TRANSPORT": "none"})
    deadline = Deadline(300)
    with deployment.daemon() as daemon:
        started = 0.0
        first = poll(
            lambda: _finished_ticks_after(deployment, started),
            deadline.remaining(),
            "a first tick",
            watch=[daemon],
        )

        landed_at = time.time()
        (files / "payments_new.csv").write_text(
            _csv(
                (2, "2026-01-02T08:00:00"),
                (3, "2026-01-03T23:59:59"),
                (4, "2026-01-04T00:00:00"),
                (5, "2026-01-04T12:30:00+02:00"),
                (6, "2026-01-07T10:00:00"),
            )
        )
        poll(
            lambda: _finished_ticks_after(deployment, landed_at),
            deadline.remaining(),
            "a tick after the file landed",
            watch=[daemon],
        )
        landed_runs = _sensor_runs(deployment)
        _wait_for_runs_to_end(deployment, [run.run_id for run in landed_runs], deadline, daemon)

        quiet_from = time.time()
        quiet = poll(
            lambda: (ticks := _finished_ticks_after(deployment, quiet_from)) and len(ticks) >= 2 and ticks,
            deadline.remaining(),
            "two ticks without changes",
            watch=[daemon],
        )
        quiet_runs = _sensor_runs(deployment)

        touched_at = time.time()
        later = os.stat(files / "payments_new.csv").st_mtime + 60
        os.utime(files / "payments_new.csv", (later, later))
        poll(
            lambda: _finished_ticks_after(deployment, touched_at),
            deadline.remaining(),
            "a tick after the touch",
            watch=[daemon],
        )
        after_touch = _sensor_runs(deployment)
        _wait_for_runs_to_end(deployment, [run.run_id for run in after_touch], deadline, daemon)

        with deployment.instance() as instance:
            all_ticks = _ticks(instance)
            materialized = set(instance.get_materialized_partitions(ASSET))
    landed_ids = {run.run_id for run in landed_runs}
    return Scenario(
        first_tick=first[0],
        landed_runs=landed_runs,
        quiet_ticks=quiet,
        runs_after_quiet_ticks=quiet_runs,
        touched_runs=[run for run in after_touch if run.run_id not in landed_ids],
        all_ticks=all_ticks,
        materialized=materialized,
    )


def _requested(runs: list[dg.DagsterRun]) -> list[tuple[str, str]]:
    """Each run's (first, last) partition, from the tags Dagster executes it by."""
    spans = []
    for run in runs:
        if "dagster/partition" in run.tags:
            spans.append((run.tags["dagster/partition"], run.tags["dagster/partition"]))
        else:
            spans.append((run.tags[RANGE_START], run.tags[RANGE_END]))
    return sorted(spans)


def test_the_first_tick_records_the_files_present_and_requests_nothing(scenario):
    assert scenario.first_tick.status == TickStatus.SKIPPED
    assert scenario.first_tick.run_ids == []
    assert "recorded the 1 file(s) present at the first tick" in (scenario.first_tick.skip_reason or "")


def test_a_landed_file_requests_one_run_per_run_of_consecutive_partitions_it_touches(scenario):
    assert _requested(scenario.landed_runs) == [("2026-01-02", "2026-01-04"), ("2026-01-07", "2026-01-07")]
    (range_run,) = [run for run in scenario.landed_runs if RANGE_START in run.tags]
    assert range_run.asset_selection == {ASSET}
    assert range_run.tags["atlas/tenant"] == "demo"


def test_the_requested_runs_materialize_exactly_the_touched_partitions(scenario):
    assert scenario.materialized == {"2026-01-02", "2026-01-03", "2026-01-04", "2026-01-07"}


def test_ticks_without_changes_request_nothing(scenario):
    assert {tick.status for tick in scenario.quiet_ticks} == {TickStatus.SKIPPED}
    assert all(tick.run_ids == [] for tick in scenario.quiet_ticks)
    assert all(tick.skip_reason == "no file is new, changed or removed" for tick in scenario.quiet_ticks)
    assert len(scenario.runs_after_quiet_ticks) == len(scenario.landed_runs)


def test_a_new_modification_time_requests_the_files_partitions_again(scenario):
    assert _requested(scenario.touched_runs) == [("2026-01-02", "2026-01-04"), ("2026-01-07", "2026-01-07")]


def test_no_tick_of_the_sensor_fails(scenario):
    assert scenario.all_ticks
    failures = [tick.error.to_string() for tick in scenario.all_ticks if tick.status == TickStatus.FAILURE]
    assert failures == []
    assert {tick.status for tick in scenario.all_ticks} <= {
        TickStatus.SUCCESS,
        TickStatus.SKIPPED,
        TickStatus.STARTED,
    }
