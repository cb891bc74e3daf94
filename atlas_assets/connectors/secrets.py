"""Passing runner.yaml secrets to resources without Dagster ever displaying them."""

from __future__ import annotations

import dagster as dg

from atlas_assets.config.interpolation import EnvRef


def env_or_value(value: EnvRef | str) -> str:
    """`dg.EnvVar(name)` when the value came from one `${VAR}`, else the literal value."""
    if isinstance(value, EnvRef):
        return dg.EnvVar(value.env_var) if value.env_var else value.value  # type: ignore[return-value]
    return value
