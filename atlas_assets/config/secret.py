"""The `Secret` type of runner.yaml fields that hold credentials."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, PlainSerializer

from atlas_assets.config.interpolation import EnvRef, Interpolated


def _to_secret(value: Any) -> EnvRef:
    if isinstance(value, EnvRef):
        return value
    if isinstance(value, Interpolated):
        return EnvRef(str(value), value.template)
    if isinstance(value, str):
        return EnvRef(value, value)  # a literal: its text is its value
    raise ValueError("expected a string")


Secret = Annotated[
    EnvRef,
    BeforeValidator(_to_secret),
    PlainSerializer(lambda v: "***", return_type=str),
]
"""A credential: its value is never printed, and resources receive its text as written (with its
`${VAR}` references), which they expand at run time: see `connectors.secrets`."""


def secret_values(model: Any) -> list[str]:
    """Every secret value held anywhere in a config model, to mask in text that leaves the process."""
    if isinstance(model, EnvRef):
        return [model.value]
    if isinstance(model, BaseModel):
        return [v for name in type(model).model_fields for v in secret_values(getattr(model, name))]
    if isinstance(model, dict):
        return [v for item in model.values() for v in secret_values(item)]
    if isinstance(model, list | tuple):
        return [v for item in model for v in secret_values(item)]
    return []
