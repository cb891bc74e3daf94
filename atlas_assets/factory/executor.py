"""The code location's executor: a run of one step runs it in the run's own process.

Dagster's default executor starts a fresh Python process for every step, and that process imports
the code location again (Dagster, pyarrow, pyiceberg, the definitions) before the step starts:
about as long as the run process's own start, paid again by every run. A run of one step gains
nothing from the second process, as nothing runs beside the step, and most Atlas runs have one
step: one object's partition from its schedule or the CLI, a whole backfill range (single-run
backfill policy), `check_sources`, `gdpr_erase`. Runs of several steps (a tenant's scheduled job
over many objects, an asset with its silver copy) keep a process per step, so their steps use
every core and one step's memory or crash stays its own. With one step in process, a step that
kills its process ends the run process too; Dagster's run monitoring marks such a run failed.

Run config can still force either mode with the keys of Dagster's default executor:
`execution: {config: {in_process: {}}}` or `{multiprocess: {max_concurrent: 2}}`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster._core.definitions.executor_definition import multiple_process_executor_requirements
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode
from dagster._core.execution.step_dependency_config import StepDependencyConfig

from atlas_assets.config import naming

_MULTIPROCESS = dg.multiprocess_executor
_IN_PROCESS = dg.in_process_executor


class StepCountExecutor(dg.Executor):
    """Runs a one-step plan with `in_process`, any larger plan with `multiprocess`."""

    def __init__(self, in_process: dg.Executor, multiprocess: dg.Executor):
        self._in_process = in_process
        self._multiprocess = multiprocess

    @property
    def retries(self) -> RetryMode:
        return self._multiprocess.retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self._multiprocess.step_dependency_config

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[dg.DagsterEvent]:
        # A freshness check beside the asset (Dagster adds an asset's checks to its runs) only
        # reads the event log: it is no reason to pay a process start per step.
        steps = [key for key in execution_plan.step_keys_to_execute if not naming.is_freshness_step(key)]
        one_step = len(steps) <= 1
        chosen = self._in_process if one_step else self._multiprocess
        yield from chosen.execute(plan_context, execution_plan)


@dg.executor(
    name="atlas_step_count",
    config_schema=dg.Field(
        dg.Selector(
            {
                # Multiprocess settings, used when the run has several steps.
                "by_step_count": _MULTIPROCESS.config_schema.as_field(),
                "multiprocess": _MULTIPROCESS.config_schema.as_field(),
                "in_process": _IN_PROCESS.config_schema.as_field(),
            }
        ),
        default_value={"by_step_count": {}},
    ),
    requirements=multiple_process_executor_requirements(),
)
def step_count_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """One step: in the run's process. Several: one process each. Or as run config forces."""
    [(mode, config)] = init_context.executor_config.items()
    if mode == "multiprocess":
        return _create(_MULTIPROCESS, init_context, config)
    if mode == "in_process":
        return _create(_IN_PROCESS, init_context, config)
    shared = {key: config[key] for key in ("retries", "step_dependency_config") if key in config}
    return StepCountExecutor(
        in_process=_create(_IN_PROCESS, init_context, shared),
        multiprocess=_create(_MULTIPROCESS, init_context, config),
    )


def _create(
    definition: dg.ExecutorDefinition, init_context: dg.InitExecutorContext, config: Mapping[str, Any]
) -> dg.Executor:
    creation = definition.executor_creation_fn
    assert creation is not None
    return creation(dg.InitExecutorContext(init_context.job, definition, config, init_context.instance))
