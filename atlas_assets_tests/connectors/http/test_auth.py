"""Every auth kind, against a real local server that checks credentials the way APIs do."""

from __future__ import annotations

import base64

import pytest

from atlas_assets_tests.connectors.http.api_server import Received, json_reply
from atlas_assets_tests.connectors.http.conftest import ids, items, rest_body
from atlas_assets_tests.harness import failure_message, platform

SECRET = "s3cr3t-value-42"


def guarded(check):
    """A route answering items to requests that `check` accepts, 401 with an error body otherwise."""

    def route(request: Received):
        if not check(request):
            return json_reply({"error": "invalid credentials"}, status=401)
        return json_reply(items(0, 3))

    return route


BASIC = "Basic " + base64.b64encode(f"ann:{SECRET}".encode()).decode()


@pytest.mark.parametrize(
    ("auth", "check"),
    [
        (
            {"type": "bearer", "token": "${ACME_API_SECRET}"},
            lambda r: r.headers.get("authorization") == f"Bearer {SECRET}",
        ),
        (
            {"type": "api_key", "api_key": "${ACME_API_SECRET}", "name": "X-Key"},
            lambda r: r.headers.get("x-key") == SECRET,
        ),
        (
            {"type": "api_key", "api_key": "${ACME_API_SECRET}", "name": "key", "in": "query"},
            lambda r: r.params.get("key") == SECRET,
        ),
        (
            {"type": "basic", "username": "ann", "password": "${ACME_API_SECRET}"},
            lambda r: r.headers.get("authorization") == BASIC,
        ),
    ],
    ids=["bearer", "api_key_header", "api_key_query", "basic"],
)
def test_static_credentials_reach_the_api(tmp_path, api, monkeypatch, auth, check):
    monkeypatch.setenv("ACME_API_SECRET", SECRET)
    api.route("/items", guarded(check))
    atlas = platform(tmp_path, rest_body(api.url, {"items": {}}, auth=auth))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == [0, 1, 2]


class TokenServer:
    """An OAuth2 token endpoint whose tokens the items route accepts until revoked."""

    def __init__(self, api, expires_in: int = 3600):
        self.issued: list[str] = []
        self.grants: list[dict[str, str]] = []
        self.revoked: set[str] = set()
        self.expires_in = expires_in
        api.route("/oauth/token", self.token)

    def token(self, request: Received):
        form = dict(pair.split("=", 1) for pair in request.body.decode().split("&"))
        client = base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode()
        if client != f"app:{SECRET}":
            return json_reply({"error": "invalid_client"}, status=401)
        self.grants.append(form)
        token = f"token-{len(self.issued) + 1}"
        self.issued.append(token)
        return json_reply({"access_token": token, "token_type": "bearer", "expires_in": self.expires_in})

    def accepts(self, request: Received) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return token in self.issued and token not in self.revoked


def oauth(api, **extra):
    return {
        "type": "oauth2",
        "token_url": f"{api.url}/oauth/token",
        "client_id": "app",
        "client_secret": "${ACME_API_SECRET}",
        **extra,
    }


def test_oauth2_client_credentials_fetch_one_token_for_the_whole_extraction(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ACME_API_SECRET", SECRET)
    tokens = TokenServer(api)
    pages = {"type": "offset", "limit": 1}
    api.route(
        "/items",
        lambda r: (
            json_reply(items(int(r.params["offset"]), 1 if int(r.params["offset"]) < 4 else 0))
            if tokens.accepts(r)
            else json_reply({"error": "bad token"}, status=401)
        ),
    )
    atlas = platform(tmp_path, rest_body(api.url, {"items": {"pagination": pages}}, auth=oauth(api)))

    atlas.materialize("acme/api/items")

    assert ids(atlas) == [0, 1, 2, 3]
    assert tokens.grants == [{"grant_type": "client_credentials"}]


def test_a_token_revoked_mid_extraction_is_refreshed_once_and_the_pages_continue(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ACME_API_SECRET", SECRET)
    monkeypatch.setenv("ACME_API_REFRESH", "refresh-abc")
    tokens = TokenServer(api)

    def route(request: Received):
        offset = int(request.params["offset"])
        if offset == 2 and tokens.issued == ["token-1"]:
            tokens.revoked.add("token-1")  # the provider rotates the token between pages
        if not tokens.accepts(request):
            return json_reply({"error": "token expired"}, status=401)
        return json_reply(items(offset, 1 if offset < 4 else 0))

    api.route("/items", route)
    source = rest_body(
        api.url,
        {"items": {"pagination": {"type": "offset", "limit": 1}}},
        auth=oauth(api, refresh_token="${ACME_API_REFRESH}"),
    )
    atlas = platform(tmp_path, source)

    atlas.materialize("acme/api/items")

    assert ids(atlas) == [0, 1, 2, 3]
    assert [g["grant_type"] for g in tokens.grants] == ["refresh_token", "refresh_token"]
    assert tokens.grants[0]["refresh_token"] == "refresh-abc"
    assert [r.params["offset"] for r in api.requests_to("/items")] == ["0", "1", "2", "2", "3", "4"]


def test_a_token_about_to_expire_is_renewed_before_the_request(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ACME_API_SECRET", SECRET)
    tokens = TokenServer(api, expires_in=30)  # inside the refresh margin: every request renews
    api.route(
        "/items",
        lambda r: (
            json_reply(items(int(r.params["offset"]), 1 if int(r.params["offset"]) < 2 else 0))
            if tokens.accepts(r)
            else json_reply({"error": "bad token"}, status=401)
        ),
    )
    atlas = platform(
        tmp_path,
        rest_body(api.url, {"items": {"pagination": {"type": "offset", "limit": 1}}}, auth=oauth(api)),
    )

    atlas.materialize("acme/api/items")

    assert len(tokens.issued) == 3
    assert all(
        r.headers["authorization"] == f"Bearer token-{i + 1}" for i, r in enumerate(api.requests_to("/items"))
    )


def test_a_401_fails_at_once_naming_object_and_path_without_the_secret(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ACME_API_SECRET", SECRET)
    api.route("/v1/items", lambda r: json_reply({"error": "API key revoked"}, status=401))
    source = rest_body(
        f"{api.url}/v1",
        {"items": {"params": {"limit": 5}}},
        auth={"type": "api_key", "api_key": "${ACME_API_SECRET}", "name": "key", "in": "query"},
        retry={"max_retries": 5, "delay_seconds": 0.01},
    )
    atlas = platform(tmp_path, source)

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    message = failure_message(result)
    assert message.startswith("acme.api.items: GET /v1/items: HTTP 401")
    assert "API key revoked" in message
    assert SECRET not in message
    assert len(api.requests_to("/v1/items")) == 1


def test_secrets_never_reach_what_dagster_stores(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ACME_API_SECRET", SECRET)
    api.route("/items", lambda r: json_reply({"error": f"bad key {r.params.get('key')}"}, status=403))
    atlas = platform(
        tmp_path,
        rest_body(
            api.url,
            {"items": {}},
            auth={"type": "api_key", "api_key": "${ACME_API_SECRET}", "name": "key", "in": "query"},
        ),
    )

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    records = atlas.instance.all_logs(result.run_id)
    stored = " ".join(str(record) for record in records) + str(atlas.instance.get_run_by_id(result.run_id))
    assert "bad key ***" in failure_message(result)
    assert SECRET not in stored


def test_a_401_despite_a_fresh_token_fails_after_one_refresh_without_retries(tmp_path, api, monkeypatch):
    monkeypatch.setenv("ACME_API_SECRET", SECRET)
    tokens = TokenServer(api)
    api.route("/items", lambda r: json_reply({"error": "account suspended"}, status=401))
    source = rest_body(
        api.url, {"items": {}}, auth=oauth(api), retry={"max_retries": 5, "delay_seconds": 0.01}
    )
    atlas = platform(tmp_path, source)

    result = atlas.materialize("acme/api/items", raise_on_error=False)

    message = failure_message(result)
    assert message.startswith("acme.api.items: GET /items: HTTP 401 (credentials refused, even after a token")
    assert "account suspended" in message
    assert len(api.requests_to("/items")) == 2
    assert len(tokens.issued) == 2
