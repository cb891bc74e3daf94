"""Dagster instance storage chosen when the instance starts: PostgreSQL if configured, else SQLite.

dagster.yaml cannot branch on the environment, so it names this class instead; the same file
then serves a laptop (embedded SQLite) and production (set `ATLAS_DAGSTER_PG_URL`).
"""

from __future__ import annotations

import os
from typing import Any

import dagster._check as check
from dagster import Field, StringSource
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClass, ConfigurableClassData

PG_URL_ENV = "ATLAS_DAGSTER_PG_URL"


class EnvSelectedStorage(DagsterStorage, ConfigurableClass):
    """`storage: custom:` target: DagsterPostgresStorage when `$ATLAS_DAGSTER_PG_URL` is set.

    Never instantiated itself: `from_config_value` returns the selected storage. It subclasses
    DagsterStorage only because the instance checks the configured class is one.
    """

    @classmethod
    def config_type(cls) -> dict[str, Field]:
        return {
            "base_dir": Field(
                StringSource, is_required=False, description="SQLite directory; default .atlas/dagster"
            ),
            "postgres_url_env": Field(str, default_value=PG_URL_ENV),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: dict[str, Any]
    ) -> DagsterStorage:  # type: ignore[override]
        postgres_url = os.environ.get(config_value["postgres_url_env"])
        if postgres_url:
            from dagster_postgres import DagsterPostgresStorage

            return DagsterPostgresStorage(postgres_url=postgres_url, inst_data=inst_data)
        base_dir = config_value.get("base_dir") or os.path.join(".atlas", "dagster")
        return DagsterSqliteStorage.from_local(
            base_dir=check.str_param(base_dir, "base_dir"), inst_data=inst_data
        )
