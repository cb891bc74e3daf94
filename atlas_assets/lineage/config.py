"""Where lineage events go: console (default), a file, an HTTP endpoint, or nowhere."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from atlas_assets.config.secret import Secret
from atlas_assets.config.settings import StrictModel

Transport = Literal["console", "file", "http", "none"]


class LineageConfig(StrictModel):
    """OpenLineage emission settings (see `from_env` for the environment variables)."""

    transport: Transport = "console"
    url: str | None = Field(default=None, description="Base URL of a Marquez-compatible API (http).")
    endpoint: str = Field(default="api/v1/lineage", description="Path under `url` that receives events.")
    api_key: Secret | None = Field(default=None, description="Sent as a Bearer token only.")
    timeout_seconds: float = Field(default=5.0, gt=0, description="Per-event HTTP timeout.")
    file_path: str = Field(default=".atlas/lineage/events.jsonl", description="JSON lines file.")
    namespace: str = Field(default="atlas", description="OpenLineage namespace of Atlas's jobs.")
    dataset_namespace: str | None = Field(
        default=None, description="Namespace of the Iceberg datasets; derived from the catalog when unset."
    )
    minimum_interval_seconds: int = Field(default=30, ge=1, description="Sensor interval.")
    max_records_per_tick: int = Field(default=500, ge=1)

    @model_validator(mode="after")
    def _http_needs_url(self) -> LineageConfig:
        if self.transport == "http" and not self.url:
            raise ValueError("the http transport needs a url (set OPENLINEAGE_URL)")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LineageConfig:
        """Settings from the environment.

        `ATLAS_LINEAGE_TRANSPORT` (console | file | http | none; http when only `OPENLINEAGE_URL`
        is set), `OPENLINEAGE_URL`, `OPENLINEAGE_ENDPOINT`, `OPENLINEAGE_API_KEY`,
        `OPENLINEAGE_NAMESPACE`, `ATLAS_LINEAGE_FILE`, `ATLAS_LINEAGE_TIMEOUT`,
        `ATLAS_LINEAGE_DATASET_NAMESPACE`, `ATLAS_LINEAGE_INTERVAL`.
        """
        env = os.environ if env is None else env
        url = env.get("OPENLINEAGE_URL") or None
        transport = env.get("ATLAS_LINEAGE_TRANSPORT") or ("http" if url else "console")
        values: dict[str, object] = {"transport": transport}
        for key, var in (
            ("url", "OPENLINEAGE_URL"),
            ("endpoint", "OPENLINEAGE_ENDPOINT"),
            ("api_key", "OPENLINEAGE_API_KEY"),
            ("namespace", "OPENLINEAGE_NAMESPACE"),
            ("file_path", "ATLAS_LINEAGE_FILE"),
            ("timeout_seconds", "ATLAS_LINEAGE_TIMEOUT"),
            ("dataset_namespace", "ATLAS_LINEAGE_DATASET_NAMESPACE"),
            ("minimum_interval_seconds", "ATLAS_LINEAGE_INTERVAL"),
        ):
            if env.get(var):
                values[key] = env[var]
        return cls.model_validate(values)
