"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from atlas_assets_tests.services import (
    DEFAULT_MYSQL_URL,
    DEFAULT_PG_URL,
    MYSQL_URL_VAR,
    PG_URL_VAR,
    service_url,
)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the real PostgreSQL service (skips when unreachable unless services are required)."""
    return service_url(PG_URL_VAR, DEFAULT_PG_URL)


@pytest.fixture(scope="session")
def mysql_url() -> str:
    """URL of the real MariaDB/MySQL service (skips when unreachable unless services are required)."""
    return service_url(MYSQL_URL_VAR, DEFAULT_MYSQL_URL)
