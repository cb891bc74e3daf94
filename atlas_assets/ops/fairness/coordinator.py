"""The run coordinator of the shipped dagster.yaml: Dagster's run queue, with runner.yaml's limits.

Dagster reads `tag_concurrency_limits` only from dagster.yaml, and pools (the other mechanism) give
an asset one pool, not a tenant's and a source's. So this subclass of `QueuedRunCoordinator` adds
the limits of runner.yaml's `concurrency:` keys to those dagster.yaml configures, re-reading the
file whenever it changes (no restart, no hand-edited copy), and stamps every run it queues with
the `atlas/tenant` and `atlas/source` tags the limits count: UI launches, schedules, sensors and
backfill runs all pass through `submit_run`, whatever tags their launcher gave them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import dagster as dg
from dagster._config import UserConfigSchema
from dagster._core.run_coordinator import QueuedRunCoordinator, SubmitRunContext
from dagster._core.run_coordinator.queued_run_coordinator import RunQueueConfig
from dagster._serdes import ConfigurableClassData

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.location import runner_config_path
from atlas_assets.config.naming import run_tags
from atlas_assets.ops.fairness.limits import tag_concurrency_limits

_FileState = tuple[str, int, int]


class TenantFairRunCoordinator(QueuedRunCoordinator):
    """`QueuedRunCoordinator` enforcing runner.yaml's tenant and source `concurrency:` limits.

    Config: everything `QueuedRunCoordinator` takes, plus `runner_config` (default
    `$ATLAS_RUNNER_CONFIG`, else ./runner.yaml, as the code location finds it).
    """

    def __init__(self, runner_config: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._runner_config = runner_config
        self._file_state: _FileState | None = None
        self._runner_limits: list[dict[str, Any]] = []

    @classmethod
    def config_type(cls) -> UserConfigSchema:
        return {
            **super().config_type(),  # type: ignore[dict-item]
            "runner_config": dg.Field(
                dg.StringSource,
                is_required=False,
                description="runner.yaml whose concurrency limits apply; default as the code location's.",
            ),
        }

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]) -> Self:
        queue_config = {key: value for key, value in config_value.items() if key != "runner_config"}
        coordinator = super().from_config_value(inst_data, queue_config)
        coordinator._runner_config = config_value.get("runner_config")
        return coordinator

    def get_run_queue_config(self) -> RunQueueConfig:
        queue = super().get_run_queue_config()
        limits: Sequence[Mapping[str, Any]] = [*queue.tag_concurrency_limits, *self._limits_from_runner()]
        return queue._replace(tag_concurrency_limits=limits)

    def submit_run(self, context: SubmitRunContext) -> dg.DagsterRun:
        run = context.dagster_run
        # Tagged before it is queued, so the daemon never sees the run without its tags.
        missing = {key: value for key, value in run_tags(self._assets_of(run)).items() if key not in run.tags}
        if missing:
            self._instance.add_run_tags(run.run_id, missing)
        return super().submit_run(context)

    def _assets_of(self, run: dg.DagsterRun) -> Iterable[dg.AssetKey]:
        """The assets the run materializes: its asset selection (UI launches, backfills), else
        those of the steps its execution plan runs (a job's own selection, e.g. a schedule's)."""
        if run.asset_selection:
            return run.asset_selection
        plan = (
            self._instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
            if run.execution_plan_snapshot_id
            else None
        )
        if plan is None:
            return ()
        executed = set(plan.step_keys_to_execute or (step.key for step in plan.steps))
        return {
            output.properties.asset_key
            for step in plan.steps
            if step.key in executed
            for output in step.outputs
            if output.properties is not None and output.properties.asset_key is not None
        }

    def _limits_from_runner(self) -> list[dict[str, Any]]:
        """The file's limits, read again only when its size or mtime changed.

        A file that cannot be read or holds invalid limits keeps the last good limits: a bad edit
        must not lift them (the code location reports the same problems with their lines).
        """
        path = Path(self._runner_config) if self._runner_config else runner_config_path()
        try:
            stat = path.stat()
        except OSError as exc:
            self._warn_once((str(path), -1, -1), f"runner config {path} not readable ({exc.strerror})")
            return self._runner_limits
        state = (str(path.absolute()), stat.st_mtime_ns, stat.st_size)
        if state != self._file_state:
            try:
                self._runner_limits = tag_concurrency_limits(path.read_text(encoding="utf-8"), str(path))
            except (OSError, UnicodeDecodeError, RunnerConfigError) as exc:
                self._warn_once(state, f"concurrency limits of {path} kept as before: {exc}")
                return self._runner_limits
            self._file_state = state
        return self._runner_limits

    def _warn_once(self, state: _FileState, message: str) -> None:
        if state != self._file_state:
            self._file_state = state
            self._logger.warning(message)
