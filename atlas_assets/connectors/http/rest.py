"""`kind: rest` — any JSON/CSV/XML HTTP API, configured entirely in runner.yaml."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import dagster as dg
import httpx
import pyarrow as pa
from pydantic import BeforeValidator, Field, PrivateAttr, ValidationError, model_validator

from atlas_assets.config.errors import FieldError
from atlas_assets.config.objects import ObjectConfig, ObjectName, Secret, SourceConfigBase, _objects_shorthand
from atlas_assets.config.settings import RetryConfig, StrictModel
from atlas_assets.connectors.arrow import cursor_mask
from atlas_assets.connectors.contract import ExtractRequest, SourceConnector, TimeWindow
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.http.auth import AuthSettings, AuthType
from atlas_assets.connectors.http.bodies import BodyFormat, decode_body, select_records
from atlas_assets.connectors.http.client import HttpSession
from atlas_assets.connectors.http.pagination import (
    Page,
    PageRequest,
    PaginationConfig,
    pages,
    reported_total,
)
from atlas_assets.connectors.http.rate_limit import run_state_file
from atlas_assets.connectors.http.records import NestedMode, RecordBatcher, RecordOptions, TimestampFormat
from atlas_assets.connectors.secrets import OptionalSecretText, SecretText, resource_secret
from atlas_assets.connectors.type_names import parse_type_name


class RestAuthConfig(StrictModel):
    """`auth:` of a rest source. Credentials are secrets: write them as `${VAR}`."""

    type: AuthType = "none"
    token: Secret | None = Field(default=None, description="bearer: the token.")
    api_key: Secret | None = Field(default=None, description="api_key: the key.")
    name: str = Field(default="X-API-Key", description="api_key: header or query parameter name.")
    location: Literal["header", "query"] = Field(default="header", alias="in")
    username: str | None = None
    password: Secret | None = None
    token_url: str | None = Field(default=None, description="oauth2: the token endpoint.")
    client_id: str | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = Field(default=None, description="oauth2: use the refresh-token grant.")
    scope: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> RestAuthConfig:
        needs = {
            "bearer": ["token"],
            "api_key": ["api_key"],
            "basic": ["username", "password"],
            "oauth2": ["token_url", "client_id", "client_secret"],
        }.get(self.type, [])
        for key in needs:
            if getattr(self, key) is None:
                raise FieldError(key, f"auth type {self.type!r} needs `{key}`")
        return self


class IncrementalConfig(StrictModel):
    """`incremental:` — send the run's window to the API as query parameters."""

    start_param: str = Field(description="Query parameter receiving the window's start.")
    end_param: str | None = Field(default=None, description="Query parameter receiving its end.")
    format: Literal["iso8601", "epoch_seconds", "epoch_millis", "date"] = "iso8601"

    def params(self, window: TimeWindow) -> dict[str, str]:
        values = {self.start_param: _encode(window.start, self.format)}
        if self.end_param:
            values[self.end_param] = _encode(window.end, self.format)
        return values


class RestObjectConfig(ObjectConfig):
    """An object of a rest source: an endpoint, how to page through it and where its records are."""

    path: str | None = Field(
        default=None, description="Endpoint path under base_url; `/<object name>` by default."
    )
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    records: str | None = Field(
        default=None, description="Where the records are in the body: `data.items` or `$.data.items[*]`."
    )
    format: BodyFormat = Field(default="auto", description="Body format; `auto` follows Content-Type.")
    pagination: PaginationConfig = Field(default_factory=PaginationConfig)
    incremental: IncrementalConfig | None = None
    cursor_format: TimestampFormat | Literal["raw"] | None = Field(
        default=None,
        description="How the cursor encodes time: iso8601 (default for windowed writes), epoch_seconds, "
        "epoch_millis, or raw (kept as sent, e.g. an increasing id).",
    )
    nested: NestedMode = Field(default="json", description="Nested objects as JSON text or Arrow structs.")

    @model_validator(mode="after")
    def _rest_fits(self) -> RestObjectConfig:
        self.reject_sql_selection("rest objects name an endpoint with `path`, not `table` or `query`")
        return self

    def endpoint(self, object_name: str) -> str:
        return self.path or f"/{object_name}"

    def timestamp_columns(self) -> dict[str, TimestampFormat]:
        """Fields read as UTC instants: the cursor (unless raw) and declared timestamp columns."""
        epoch = self.cursor_format if self.cursor_format not in (None, "raw") else "iso8601"
        columns: dict[str, TimestampFormat] = {
            name: epoch for name, type_name in self.column_types.items() if type_name.startswith("timestamp")
        }
        if (
            self.cursor
            and self.cursor_format != "raw"
            and (self.cursor_format or self.write_mode.is_partitioned)
        ):
            columns[self.cursor] = epoch
        return columns


class RestSourceConfig(SourceConfigBase):
    """`kind: rest` — one HTTP API: its base URL, credentials, headers and rate limit."""

    kind: Literal["rest"]
    base_url: Secret = Field(
        description="Scheme, host and base path, e.g. https://api.example.com/v1 (a secret)."
    )
    auth: RestAuthConfig = Field(default_factory=RestAuthConfig)
    headers: dict[str, str] = Field(default_factory=dict, description="Sent with every request (no secrets).")
    rate_limit: float | None = Field(default=None, gt=0, description="Requests per second for the source.")
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for a response.")
    check_path: str = Field(default="/", description="Cheap authenticated GET for check_connection().")
    objects: Annotated[dict[ObjectName, RestObjectConfig], BeforeValidator(_objects_shorthand)] = Field(
        min_length=1
    )

    def build_resource(self) -> RestResource:
        auth = self.auth
        secret = lambda value: resource_secret(value) if value is not None else None  # noqa: E731
        return RestResource(
            base_url=resource_secret(self.base_url),
            headers=self.headers,
            rate_limit=self.rate_limit,
            timeout=self.timeout,
            check_path=self.check_path,
            auth_type=auth.type,
            auth_token=secret(auth.token),
            auth_api_key=secret(auth.api_key),
            auth_key_name=auth.name,
            auth_key_in=auth.location,
            auth_username=auth.username,
            auth_password=secret(auth.password),
            auth_token_url=auth.token_url,
            auth_client_id=auth.client_id,
            auth_client_secret=secret(auth.client_secret),
            auth_refresh_token=secret(auth.refresh_token),
            auth_scope=auth.scope,
        )


class RestResource(SourceConnector):
    """Reads rest objects page by page through one pooled, rate-limited, authenticated client."""

    base_url: SecretText
    headers: dict[str, str] = {}
    rate_limit: float | None = None
    timeout: float = 30.0
    check_path: str = "/"
    auth_type: str = "none"
    auth_token: OptionalSecretText = None
    auth_api_key: OptionalSecretText = None
    auth_key_name: str = "X-API-Key"
    auth_key_in: str = "header"
    auth_username: str | None = None
    auth_password: OptionalSecretText = None
    auth_token_url: str | None = None
    auth_client_id: str | None = None
    auth_client_secret: OptionalSecretText = None
    auth_refresh_token: OptionalSecretText = None
    auth_scope: str | None = None

    _session: HttpSession | None = PrivateAttr(default=None)
    _rate_limit_file: Path | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if self.rate_limit:
            # Taken before secrets resolve: the identity holds `${VAR}` text, never a credential.
            identity = json.dumps(self.model_dump(), sort_keys=True, default=str)
            self._rate_limit_file = run_state_file(context, identity)
        super().setup_for_execution(context)

    def session(self) -> HttpSession:
        """The source's client, created on first use and closed in teardown."""
        if self._session is None:
            self._session = HttpSession(
                self.base_url,
                auth=self._auth_settings(),
                headers=self.headers,
                timeout_seconds=self.timeout,
                requests_per_second=self.rate_limit,
                rate_limit_file=self._rate_limit_file,
            )
        return self._session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def secret_values(self) -> list[str]:
        return self._auth_settings().secrets()

    def dataset_namespace(self) -> str:
        url = httpx.URL(self.base_url)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}"  # never the userinfo

    def check_connection(self) -> None:
        self.session().get(self.check_path, {}, RetryConfig(max_retries=0))

    def extract(self, request: ExtractRequest) -> Iterator[pa.RecordBatch]:
        options = rest_options(request)
        batcher = RecordBatcher(
            RecordOptions(
                batch_size=request.batch_size,
                column_types={name: parse_type_name(t) for name, t in options.column_types.items()},
                nested=options.nested,
                timestamps=options.timestamp_columns(),
            )
        )
        for batch in batcher.batches(self.records(request, options)):
            batch = _in_window(batch, options.cursor, request)
            if batch.num_rows:
                yield batch

    def records(self, request: ExtractRequest, options: RestObjectConfig) -> Iterator[dict[str, Any]]:
        """Every record of the object for the request, page after page."""
        params: dict[str, Any] = dict(options.params)
        if options.incremental is not None and request.window is not None:
            params |= options.incremental.params(request.window)
        first = PageRequest(options.endpoint(request.object_name), params)
        for page in pages(first, options.pagination, lambda r: self._fetch(r, options, request)):
            total = reported_total(page, options.pagination)
            if total is not None:
                request.progress.total_rows = total  # lets the run's progress lines tell an ETA
            yield from page.records

    def _fetch(self, page: PageRequest, options: RestObjectConfig, request: ExtractRequest) -> Page:
        session = self.session()
        _same_host(page.url, self.base_url)
        response = session.get(page.url, page.params, request.retry)
        where = f"GET {response.request.url.path}"
        body = decode_body(response.content, response.headers.get("content-type", ""), options.format, where)
        return Page(response, body, select_records(body, options.records, where))

    def _auth_settings(self) -> AuthSettings:
        return AuthSettings(
            type=self.auth_type,  # type: ignore[arg-type]
            token=self.auth_token,
            api_key=self.auth_api_key,
            key_name=self.auth_key_name,
            key_in=self.auth_key_in,  # type: ignore[arg-type]
            username=self.auth_username,
            password=self.auth_password,
            token_url=self.auth_token_url,
            client_id=self.auth_client_id,
            client_secret=self.auth_client_secret,
            refresh_token=self.auth_refresh_token,
            scope=self.auth_scope,
        )


def rest_options(request: ExtractRequest) -> RestObjectConfig:
    """The request's object config as a `RestObjectConfig`."""
    if isinstance(request.config, RestObjectConfig):
        return request.config
    try:
        return RestObjectConfig.model_validate(request.config.model_dump(exclude_unset=True))
    except ValidationError as exc:
        problems = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise PermanentSourceError(problems) from None


def _in_window(batch: pa.RecordBatch, cursor: str | None, request: ExtractRequest) -> pa.RecordBatch:
    """Rows in the request's window and past its high-water mark (null cursors kept for validation)."""
    if cursor is None or cursor not in batch.schema.names:
        return batch
    window = request.window
    if window is None and request.after is None:
        return batch
    try:
        mask = cursor_mask(
            batch.column(cursor),
            start=window.start if window else None,
            end=window.end if window else None,
            after=request.after,
        )
    except ValueError as exc:
        raise PermanentSourceError(f"cursor {cursor!r}: {exc}") from None
    return batch.filter(mask)


def _same_host(url: str, base_url: str) -> None:
    """Credentials go to the configured host only, whatever a next-page link says."""
    target, base = httpx.URL(base_url).join(url), httpx.URL(base_url)
    if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
        raise PermanentSourceError(
            f"the API's next page is on another host ({target.host}); refusing to send credentials there"
        )


def _encode(moment: Any, encoding: str) -> str:
    if encoding == "epoch_seconds":
        return str(int(moment.timestamp()))
    if encoding == "epoch_millis":
        return str(int(moment.timestamp() * 1000))
    if encoding == "date":
        return moment.date().isoformat()
    return moment.isoformat().replace("+00:00", "Z")
