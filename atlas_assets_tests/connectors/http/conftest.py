"""Fixtures of the HTTP tests: a real local API server and runner.yaml bodies for `kind: rest`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from atlas_assets_tests.connectors.http.api_server import ApiServer

FAST_RETRIES = {"max_retries": 6, "delay_seconds": 0.01, "backoff": None}


@pytest.fixture
def api() -> Iterator[ApiServer]:
    with ApiServer() as server:
        yield server


def rest_body(base_url: str, objects: dict[str, Any], **source: Any) -> str:
    """The `tenants:` section: tenant `acme`, source `api` of kind rest at `base_url`."""
    config = {"kind": "rest", "base_url": base_url, "objects": objects, **source}
    return yaml.safe_dump({"tenants": {"acme": {"sources": {"api": config}}}}, sort_keys=False)


def items(first: int, count: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"item {i}"} for i in range(first, first + count)]


def ids(platform: Any, table: str = "api__items") -> list[int]:
    return sorted(platform.table(table, namespace="acme").column("id").to_pylist())
