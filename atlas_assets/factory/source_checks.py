"""The `check_sources` job: test that sources are reachable before scheduling them.

(No `from __future__ import annotations`: Dagster reads the op's config type from its annotation.)
"""

import dagster as dg

from atlas_assets.config.naming import source_label
from atlas_assets.connectors.contract import SourceConnector
from atlas_assets.connectors.errors import SourceError

JOB_NAME = "check_sources"
OP_NAME = "check_source_connections"


class CheckSourcesConfig(dg.Config):
    """Which sources to check, as `tenant.source`; all of them when empty."""

    sources: list[str] = []


def build_check_sources_job(connectors: dict[str, SourceConnector]) -> dg.JobDefinition:
    """A job that runs `check_connection()` on each selected source and reports every outcome.

    Run it from the UI's launchpad or `dagster job execute -m atlas_assets.definitions -j
    check_sources`; it fails (without retries) when any source is unreachable, listing why.
    """
    by_label = {source_label(key): connector for key, connector in connectors.items()}

    @dg.op(name=OP_NAME, description="check_connection() on every selected source.")
    def _check(context: dg.OpExecutionContext, config: CheckSourcesConfig) -> dict[str, str]:
        unknown = sorted(set(config.sources) - set(by_label))
        if unknown:
            raise dg.Failure(
                f"unknown sources: {', '.join(unknown)}; known: {', '.join(sorted(by_label))}",
                allow_retries=False,
            )
        outcomes = {label: _outcome(by_label[label]) for label in config.sources or sorted(by_label)}
        for label, outcome in outcomes.items():
            context.log.info(f"{label}: {outcome}")
        failed = {label: outcome for label, outcome in outcomes.items() if outcome != "ok"}
        if failed:
            raise dg.Failure(
                f"{len(failed)} of {len(outcomes)} sources failed: "
                + "; ".join(f"{label}: {outcome}" for label, outcome in failed.items()),
                metadata={"outcomes": outcomes},
                allow_retries=False,
            )
        context.add_output_metadata({"outcomes": outcomes})
        return outcomes

    @dg.job(name=JOB_NAME, description="Test every source's connection (or those named in config).")
    def _job() -> None:
        _check()

    return _job


def _outcome(connector: SourceConnector) -> str:
    # The connector is built from runner.yaml with EnvVar fields; initializing resolves them.
    with connector.process_config_and_initialize_cm() as ready:
        try:
            ready.check_connection()
        except SourceError as exc:
            kind = "transient" if exc.transient else "permanent"
            return f"failed ({kind}): {exc}"
    return "ok"
