"""An object's declared PII columns and how each is protected: hash, mask, redact or keep.

runner.yaml accepts either form under an object's `pii:`

    pii: [email, full_name]                     # declared only: scanned as known, written as is
    pii: {email: hash, full_name: mask, notes: redact, phone: {policy: redact, replacement: "[removed]"}}
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, model_validator

from atlas_assets.config.settings import StrictModel


class MaskPolicy(StrEnum):
    """How a declared PII column is protected where masking applies (on write or in silver)."""

    HASH = "hash"
    """HMAC-SHA256 hex with the tenant's secret: deterministic, so joins on it still work."""
    MASK = "mask"
    """Shape kept, content hidden: `j***@e***.com`, `***-***-1234`, `J*** S***`."""
    REDACT = "redact"
    """Null, or a fixed `replacement` text when one is given."""
    KEEP = "keep"
    """Unchanged: declared as PII (so the scan expects it) but written in clear."""


class ColumnPolicy(StrictModel):
    """The protection of one declared PII column."""

    policy: MaskPolicy = MaskPolicy.KEEP
    # Not called `token`: runner.yaml treats keys named like credentials as secrets.
    replacement: str | None = None

    @model_validator(mode="after")
    def _replacement_only_for_redact(self) -> ColumnPolicy:
        if self.replacement is not None and self.policy is not MaskPolicy.REDACT:
            raise ValueError(f"'replacement' applies to policy 'redact' only, not '{self.policy}'")
        return self


def _columns_shorthand(value: Any) -> Any:
    """`[a, b]` → every column `keep`; `{a: hash}` → `{a: {policy: hash}}`."""
    if value is None:
        return {}
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise ValueError("a list of PII columns holds column names only; use a mapping to set policies")
        return {name: {} for name in value}
    if isinstance(value, dict):
        return {name: _policy(cfg) for name, cfg in value.items()}
    return value


def _policy(value: Any) -> Any:
    if isinstance(value, str):
        return {"policy": value}
    return {} if value is None else value


PiiColumns = Annotated[dict[str, ColumnPolicy], BeforeValidator(_columns_shorthand)]
"""Declared PII columns by name, each with its `ColumnPolicy` (list or mapping in runner.yaml)."""

# Policies whose output is a string whatever the column's type was.
STRING_OUTPUT_POLICIES = frozenset({MaskPolicy.HASH, MaskPolicy.MASK})


def policy_conflict(
    pii: dict[str, ColumnPolicy], cursor: str | None, primary_key: list[str], column_types: dict[str, str]
) -> str | None:
    """Why the object's `pii:` policies cannot work with its other settings, if they cannot."""
    for column, rule in pii.items():
        if rule.policy is MaskPolicy.KEEP:
            continue
        if column == cursor:
            return f"column {column!r} is the cursor: it places rows in windows, so it can only be 'keep'"
        if column in primary_key and rule.policy is not MaskPolicy.HASH:
            return f"column {column!r} is in the primary key: '{rule.policy}' makes keys collide; use 'hash'"
        declared = column_types.get(column)
        if rule.policy in STRING_OUTPUT_POLICIES and declared and declared.strip().lower() != "string":
            return (
                f"column {column!r}: policy '{rule.policy}' writes text, but column_types declares "
                f"{declared!r}; drop one of the two"
            )
    return None
