"""`kind: google_sheets` in runner.yaml: the credentials, and each object's worksheet and header."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from atlas_assets.config.errors import FieldError
from atlas_assets.config.objects import (
    ObjectConfig,
    ObjectName,
    Secret,
    SourceConfigBase,
    WriteMode,
    _objects_shorthand,
)
from atlas_assets.connectors.saas.google.a1 import GridRange
from atlas_assets.connectors.saas.google.sheets_resource import GoogleSheetsResource
from atlas_assets.connectors.secrets import resource_secret

DEFAULT_CHUNK_ROWS = 10_000


class GoogleSheetsObjectConfig(ObjectConfig):
    """An object of a google_sheets source: one worksheet (or an A1 range of it), replaced whole
    on every run (`write: replace`, the default) or kept one copy per partition (`snapshot`)."""

    spreadsheet: str = Field(description="The spreadsheet's id, or its URL.")
    worksheet: str | int | None = Field(
        default=None,
        description="Worksheet title, or its gid (the number after `#gid=`); the first by default.",
    )
    range: str | None = Field(
        default=None, description="A1 range to read, e.g. `B3:H` or `A1:F500`; all cells by default."
    )
    header_row: Literal["auto"] | int = Field(
        default="auto", description="Sheet row number of the header, or `auto`: the first non-blank row."
    )
    dedupe_headers: bool = Field(
        default=False,
        description="Name blank header cells `column_<letter>` and repeated ones `<name>_2`, … "
        "instead of failing.",
    )
    chunk_rows: int = Field(
        default=DEFAULT_CHUNK_ROWS, ge=1, le=100_000, description="Rows read per request."
    )

    @field_validator("range")
    @classmethod
    def _a1_range(cls, value: str | None) -> str | None:
        if value is not None:
            GridRange.parse(value)  # raises naming the accepted forms
        return value

    @field_validator("header_row")
    @classmethod
    def _positive_row(cls, value: Any) -> Any:
        if isinstance(value, int) and value < 1:
            raise ValueError("header_row is a sheet row number (1 is the first row), or `auto`")
        return value

    @model_validator(mode="after")
    def _sheets_fit(self) -> GoogleSheetsObjectConfig:
        self.reject_sql_selection("google_sheets objects name a `spreadsheet` and `worksheet`")
        if self.write_mode not in (WriteMode.REPLACE, WriteMode.SNAPSHOT):
            raise FieldError(
                "write",
                "a worksheet is read whole: google_sheets objects are written as `replace` or `snapshot`",
            )
        return self

    @property
    def header_row_number(self) -> int | None:
        return None if self.header_row == "auto" else int(self.header_row)


class GoogleSheetsSourceConfig(SourceConfigBase):
    """`kind: google_sheets` — worksheets read through `gspread` as one Google identity."""

    kind: Literal["google_sheets"]
    credentials: Secret = Field(
        description="A service account's (or authorized user's) JSON key: the file's path or the JSON itself."
    )
    api_base_url: Secret | None = Field(
        default=None,
        description="Replaces https://sheets.googleapis.com and https://www.googleapis.com (proxies, tests).",
    )
    objects: Annotated[dict[ObjectName, GoogleSheetsObjectConfig], BeforeValidator(_objects_shorthand)] = (
        Field(min_length=1)
    )

    def build_resource(self) -> GoogleSheetsResource:
        return GoogleSheetsResource(
            credentials=resource_secret(self.credentials),
            api_base_url=resource_secret(self.api_base_url) if self.api_base_url is not None else None,
        )
