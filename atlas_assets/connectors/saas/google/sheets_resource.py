"""The Google Sheets connector: a worksheet read whole, in row chunks, as typed columns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.contract import ExtractItem, ExtractRequest, SourceConnector
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.secrets import OptionalSecretText, SecretText

if TYPE_CHECKING:
    from atlas_assets.connectors.saas.google.api import GoogleApi
    from atlas_assets.connectors.saas.google.sheets_config import GoogleSheetsObjectConfig


class GoogleSheetsResource(SourceConnector):
    """Worksheets of Google spreadsheets through `gspread` (Sheets API v4).

    Every run reads the whole worksheet (or its `range`), `chunk_rows` rows per request, so a
    200k-row sheet never sits in one response; quota 429s retry the chunk they hit.
    """

    credentials: SecretText
    api_base_url: OptionalSecretText = None

    def check_connection(self) -> None:
        """One token exchange: the credentials are valid for the Sheets and Drive read scopes."""
        from google.auth.transport.requests import Request

        api = self.api(RetryConfig(max_retries=0), {})
        # A plain transport: through the authorized session the refresh would itself refresh first.
        api.call(lambda h: h.auth.refresh(Request()))

    def extract(self, request: ExtractRequest) -> Iterator[ExtractItem]:
        from atlas_assets.connectors.http.records import RecordBatcher, RecordOptions
        from atlas_assets.connectors.saas.google.worksheet import WorksheetRead, worksheet_rows

        config = _sheets_config(request)
        read = WorksheetRead(
            spreadsheet=config.spreadsheet,
            worksheet=config.worksheet,
            range=config.range,
            header_row=config.header_row_number,
            dedupe_headers=config.dedupe_headers,
            chunk_rows=config.chunk_rows,
        )
        api = self.api(request.retry, request.stats)
        batcher = RecordBatcher(RecordOptions(batch_size=request.batch_size))
        yield from batcher.batches(worksheet_rows(api, read, request.stats))

    def secret_values(self) -> list[str]:
        from atlas_assets.connectors.saas.google.credentials import secrets_in

        return secrets_in(self.credentials)

    def dataset_namespace(self) -> str:
        # The host only: a proxy URL's userinfo may hold credentials.
        return f"google-sheets://{urlsplit(self.api_base_url or '').hostname or 'sheets.googleapis.com'}"

    def api(self, retry: RetryConfig, stats: dict[str, int | str]) -> GoogleApi:
        from atlas_assets.connectors.saas.google.api import GoogleApi

        return GoogleApi(self.credentials, self.api_base_url, retry, stats)


def _sheets_config(request: ExtractRequest) -> GoogleSheetsObjectConfig:
    from atlas_assets.connectors.saas.google.sheets_config import GoogleSheetsObjectConfig

    if isinstance(request.config, GoogleSheetsObjectConfig):
        return request.config
    raise PermanentSourceError("not a google_sheets object's config")
