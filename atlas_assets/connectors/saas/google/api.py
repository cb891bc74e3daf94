"""Google's Sheets v4 and Drive v3 through gspread's `HTTPClient` and its authorized session.

Imported only when a run extracts, never at definitions load. Both source kinds share this one
client: gspread's `HTTPClient` holds google-auth's `AuthorizedSession` (a `requests` session that
fetches and refreshes the access token), so Drive needs no second Google library:
`google-api-python-client` would bring discovery documents and its own HTTP stack for the three
Drive calls made here (`files.list`, `files.get?alt=media`, `files.export`), and its media
download holds no advantage over a streamed `requests` response.

The API base URL is configurable (proxies, tests) through gspread's supported extension point, a
`HTTPClient` subclass: every endpoint gspread builds on Google's hosts is sent to the base instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.http.retries import call_sdk_with_retries, wait_counter
from atlas_assets.connectors.saas.google.credentials import google_credentials, secrets_in
from atlas_assets.connectors.saas.google.errors import GOOGLE_ERRORS

T = TypeVar("T")

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
"""Where gspread sends Sheets and Drive requests; both move to `api_base_url` when it is set."""
TIMEOUT = (10.0, 120.0)
"""Connect and read timeouts of every request: a silent server fails the request, to be retried."""
DRIVE_FILES = "https://www.googleapis.com/drive/v3/files"


class RebasedHTTPClient(HTTPClient):
    """gspread's client, sending requests for Google's hosts to another base URL."""

    def __init__(self, auth: Any, base_url: str | None = None) -> None:
        super().__init__(auth)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.set_timeout(TIMEOUT)

    def url(self, endpoint: str) -> str:
        if self.base_url:
            for host in GOOGLE_HOSTS:
                if endpoint.startswith(host):
                    return self.base_url + endpoint[len(host) :]
        return endpoint

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        return super().request(method, self.url(endpoint), *args, **kwargs)

    def open_stream(self, endpoint: str, params: dict[str, Any]) -> requests.Response:
        """A GET whose body is read as it arrives (`iter_content`), never held whole; the caller
        closes it. A refused request raises gspread's `APIError` (its error body is small)."""
        response = self.session.get(self.url(endpoint), params=params, stream=True, timeout=self.timeout)
        if not response.ok:
            error = APIError(response)
            response.close()
            raise error
        return response


class GoogleApi:
    """One Google identity; counts requests and rate-limit waits into `stats`."""

    def __init__(
        self, credentials: str, base_url: str | None, retry: RetryConfig, stats: dict[str, int | str]
    ) -> None:
        self.retry = retry
        self.stats = stats
        stats.setdefault("requests", 0)
        self._waited = wait_counter(stats)
        self.secrets = secrets_in(credentials)
        self.http = RebasedHTTPClient(google_credentials(credentials), base_url)

    def call(self, send: Callable[[RebasedHTTPClient], T]) -> T:
        """One request, retried per the policy; the token is fetched (and refreshed) on the way."""

        def attempt() -> T:
            self.stats["requests"] = int(self.stats["requests"]) + 1
            return send(self.http)

        return call_sdk_with_retries(attempt, self.retry, GOOGLE_ERRORS, self._waited, self._secrets())

    # --- Sheets v4 ----------------------------------------------------------------------------

    def spreadsheet(self, spreadsheet_id: str) -> dict[str, Any]:
        """`spreadsheets.get`: the title, timezone and every worksheet's properties, no cells."""
        fields = "properties(title,timeZone),sheets(properties(sheetId,title,gridProperties))"
        return self.call(
            lambda h: h.fetch_sheet_metadata(
                spreadsheet_id, params={"includeGridData": "false", "fields": fields}
            )
        )

    def number_formats(self, spreadsheet_id: str, a1_range: str) -> list[list[str | None]]:
        """The `effectiveFormat.numberFormat.type` of each cell of `a1_range`, row by row."""
        fields = "sheets(data(rowData(values(effectiveFormat(numberFormat(type))))))"
        body = self.call(
            lambda h: h.spreadsheets_get(
                spreadsheet_id, params={"ranges": a1_range, "includeGridData": "true", "fields": fields}
            )
        )
        rows: list[list[str | None]] = []
        for sheet in body.get("sheets", []):
            for data in sheet.get("data", []):
                for row in data.get("rowData", []) or []:
                    rows.append(
                        [
                            ((cell.get("effectiveFormat") or {}).get("numberFormat") or {}).get("type")
                            for cell in row.get("values", []) or []
                        ]
                    )
        return rows

    def values(self, spreadsheet_id: str, a1_range: str) -> list[list[Any]]:
        """`spreadsheets.values.get` of `a1_range`: typed values (numbers, booleans, serial dates)."""
        params = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS",
        }
        body = self.call(lambda h: h.values_get(spreadsheet_id, a1_range, params=params))
        return body.get("values", [])

    # --- Drive v3 -----------------------------------------------------------------------------

    def drive_get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """A Drive v3 `files` call answered with JSON (`files.list`, `files.get` metadata)."""
        return self.call(lambda h: h.request("get", DRIVE_FILES + path, params=params).json())

    @contextmanager
    def drive_stream(self, path: str, params: dict[str, Any]) -> Iterator[requests.Response]:
        """A Drive download (`alt=media`, `export`) whose body streams; run it inside `retried`."""
        self.stats["requests"] = int(self.stats["requests"]) + 1
        response = self.http.open_stream(DRIVE_FILES + path, params)
        try:
            yield response
        finally:
            response.close()

    def retried(self, work: Callable[[], T]) -> T:
        """`work` (requests and reading their bodies) retried whole on a transient failure."""
        return call_sdk_with_retries(work, self.retry, GOOGLE_ERRORS, self._waited, self._secrets())

    def _secrets(self) -> list[str]:
        token = getattr(self.http.auth, "token", None)
        return [*self.secrets, token] if token else self.secrets
