"""A local Google (OAuth token endpoint, Sheets v4) and a service account whose key is made per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from atlas_assets_tests.connectors.saas.google.server import GoogleServer, service_account_json

KEY_VAR = "ACME_GOOGLE_KEY"


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleServer]:
    with GoogleServer().running() as server:
        monkeypatch.setenv(KEY_VAR, service_account_json(server.token_uri))
        yield server
