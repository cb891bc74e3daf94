"""runner.yaml's `concurrency:` limits as tag concurrency limits of Dagster's run queue."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from atlas_assets.config.concurrency import ConcurrencyConfig
from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.naming import SOURCE_TAG, TENANT_TAG, source_run_tag
from atlas_assets.config.yaml_source import parse_yaml


class _Limited(BaseModel):
    # Only the limits are read: the code location validates everything else.
    model_config = ConfigDict(extra="ignore")

    concurrency: ConcurrencyConfig | None = None


class _TenantLimits(_Limited):
    sources: dict[str, _Limited] = Field(default_factory=dict)


class _RunnerLimits(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenants: dict[str, _TenantLimits] = Field(default_factory=dict)


def tag_concurrency_limits(text: str, file: str) -> list[dict[str, Any]]:
    """One `{key, value, limit}` per tenant or source with `concurrency: {runs: N}` in `text`.

    The file is read without interpolating `${VAR}`: the daemon that calls this need not hold the
    tenants' secrets. Invalid limits raise `RunnerConfigError` naming their path and line.
    """
    doc = parse_yaml(text, file)
    if doc.problems:
        raise RunnerConfigError(file, doc.problems)
    try:
        view = _RunnerLimits.model_validate(doc.data or {})
    except ValidationError as exc:
        problems = [
            ConfigProblem(".".join(map(str, error["loc"])), error["msg"], doc.line_of(tuple(error["loc"])))
            for error in exc.errors()
        ]
        raise RunnerConfigError(file, problems) from None
    limits: list[dict[str, Any]] = []
    for tenant, tenant_limits in view.tenants.items():
        if tenant_limits.concurrency:
            limits.append({"key": TENANT_TAG, "value": tenant, "limit": tenant_limits.concurrency.runs})
        for source, source_limits in tenant_limits.sources.items():
            if source_limits.concurrency:
                value = source_run_tag(tenant, source)
                limits.append({"key": SOURCE_TAG, "value": value, "limit": source_limits.concurrency.runs})
    return limits
