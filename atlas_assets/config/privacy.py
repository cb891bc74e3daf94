"""A tenant's privacy settings: the HMAC secret for `hash` masking and its own PII recognizers.

tenants:
  acme:
    privacy:
      secret: "${ACME_PII_SECRET}"          # HMAC-SHA256 key; required when any object hashes
      recognizers:
        - entity: EMPLOYEE_ID
          patterns: ['EMP-\\d{6}']          # or {regex: ..., score: 0.8}
          context: [employee, staff]        # words (in the value or the column name) that raise the score
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from atlas_assets.config.secret import Secret
from atlas_assets.config.settings import StrictModel

ENTITY_PATTERN = r"^[A-Z][A-Z0-9_]{0,63}$"
MIN_SECRET_LENGTH = 16


class PiiPattern(StrictModel):
    """One regular expression of a custom recognizer (Presidio `Pattern`)."""

    regex: str
    score: float = Field(default=0.6, ge=0.0, le=1.0, description="Confidence of a bare match.")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        import regex  # Presidio's own regex engine; imported here so config loading stays light

        try:
            regex.compile(value)
        except regex.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value


def _pattern_shorthand(value: Any) -> Any:
    """A bare string is a pattern with the default score."""
    if isinstance(value, list | tuple):
        return [{"regex": v} if isinstance(v, str) else v for v in value]
    return value


class PiiRecognizerConfig(StrictModel):
    """A tenant-specific PII recognizer: regexes plus context words, reported as `entity`."""

    entity: Annotated[str, Field(pattern=ENTITY_PATTERN)] = Field(
        description="Entity type reported by the scan, upper case (e.g. EMPLOYEE_ID)."
    )
    patterns: Annotated[tuple[PiiPattern, ...], BeforeValidator(_pattern_shorthand)] = Field(min_length=1)
    context: tuple[str, ...] = Field(
        default=(), description="Words near a match (or in the column name) that raise its score."
    )


class TenantPrivacyConfig(StrictModel):
    """Per-tenant privacy settings (runner.yaml `tenants.<name>.privacy`)."""

    secret: Secret | None = Field(
        default=None,
        description=f"HMAC-SHA256 key for the `hash` policy, at least {MIN_SECRET_LENGTH} characters; "
        "use ${VAR} so it stays out of runner.yaml.",
    )
    recognizers: tuple[PiiRecognizerConfig, ...] = ()

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: Any) -> Any:
        if value is not None and len(value.value) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (the value is not shown)")
        return value


def objects_hashing_without_secret(sources: Mapping[str, Any]) -> list[str]:
    """`source.object` names whose `pii:` uses the `hash` policy (they need the tenant's secret)."""
    from atlas_assets.config.pii_columns import MaskPolicy

    return [
        f"{source_name}.{object_name}"
        for source_name, source in sources.items()
        for object_name, obj in source.object_configs().items()
        if any(rule.policy is MaskPolicy.HASH for rule in obj.pii.values())
    ]
