"""The Google Sheets connector: a worksheet read whole, in row chunks, as typed columns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from atlas_assets.connectors.contract import ExtractItem, ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.saas.google.resource import GoogleResource

if TYPE_CHECKING:
    from atlas_assets.connectors.saas.google.sheets_config import GoogleSheetsObjectConfig


class GoogleSheetsResource(GoogleResource):
    """Worksheets of Google spreadsheets through `gspread` (Sheets API v4).

    Every run reads the whole worksheet (or its `range`), `chunk_rows` rows per request, so a
    200k-row sheet never sits in one response; quota 429s retry the chunk they hit.
    """

    namespace_scheme = "google-sheets"
    default_host = "sheets.googleapis.com"

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


def _sheets_config(request: ExtractRequest) -> GoogleSheetsObjectConfig:
    from atlas_assets.connectors.saas.google.sheets_config import GoogleSheetsObjectConfig

    if isinstance(request.config, GoogleSheetsObjectConfig):
        return request.config
    raise PermanentSourceError("not a google_sheets object's config")
