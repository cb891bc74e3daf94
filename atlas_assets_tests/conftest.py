"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from atlas_assets_tests.s3_server import LocalS3, moto_server
from atlas_assets_tests.services import (
    DEFAULT_MYSQL_URL,
    DEFAULT_PG_URL,
    MYSQL_URL_VAR,
    PG_URL_VAR,
    scratch_database,
    service_url,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests (daemons, browsers, whole CLI runs) first, in their collected order: the
    workers then share out the long tests early and finish together, instead of one worker
    starting a minutes-long test when the rest of the suite is done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the real PostgreSQL service (skips when unreachable unless services are required)."""
    return service_url(PG_URL_VAR, DEFAULT_PG_URL)


@pytest.fixture(scope="session")
def mysql_url() -> str:
    """URL of the real MariaDB/MySQL service (skips when unreachable unless services are required)."""
    return service_url(MYSQL_URL_VAR, DEFAULT_MYSQL_URL)


@pytest.fixture
def dagster_pg_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own for a Dagster instance, dropped afterwards."""
    with scratch_database(pg_url, "dagster") as url:
        yield url


@pytest.fixture
def local_s3() -> Iterator[LocalS3]:
    """moto's S3 (and ECS) server on 127.0.0.1, started for the test and stopped after it."""
    with moto_server() as server:
        yield server
