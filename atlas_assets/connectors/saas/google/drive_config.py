"""`kind: google_drive` in runner.yaml: the credentials, and each object's folder and file glob."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from atlas_assets.config.errors import FieldError
from atlas_assets.config.objects import ObjectName, Secret, SourceConfigBase, WriteMode, _objects_shorthand
from atlas_assets.connectors.files.csv import CsvObjectConfig
from atlas_assets.connectors.saas.google.drive_resource import MODIFIED, GoogleDriveResource
from atlas_assets.connectors.secrets import resource_secret


class GoogleDriveObjectConfig(CsvObjectConfig):
    """An object of a google_drive source: the CSV files (and native Sheets, exported as CSV) of one
    Drive folder whose names match `glob`, partitioned by their `modifiedTime`.

    Parsed exactly as a `csv` object's files are (`header`, `delimiter`, `column_types`, ...).
    """

    kind_name: ClassVar[str] = "google_drive"

    folder_id: str = Field(description="The Drive folder's id (the last part of its URL).")
    shared_drive_id: str | None = Field(
        default=None,
        description="The shared drive's id when the folder lies in one (lists it with corpora=drive).",
    )

    @model_validator(mode="after")
    def _drive_fits(self) -> GoogleDriveObjectConfig:
        if self.write_mode is not WriteMode.PARTITION_OVERWRITE or self.cursor != MODIFIED:
            raise FieldError(
                "write",
                f"google_drive objects replace each reloaded file's rows: write is `partition_overwrite` on "
                f"cursor `{MODIFIED}` (the file's modifiedTime), set by default",
            )
        return self


def _with_file_defaults(value: Any) -> Any:
    """Every object is a `partition_overwrite` on the file's modifiedTime, unless written otherwise."""
    objects = _objects_shorthand(value)
    if not isinstance(objects, dict):
        return objects
    return {
        name: {"write": "partition_overwrite", "cursor": MODIFIED, **config}
        if isinstance(config, dict)
        else config
        for name, config in objects.items()
    }


class GoogleDriveSourceConfig(SourceConfigBase):
    """`kind: google_drive` — CSV files in Drive folders, through the same Google client as Sheets."""

    kind: Literal["google_drive"]
    lists_files: ClassVar[bool] = True
    """Its resource implements `ListsFiles`: `sensor: {file_arrival: true}` watches the folder."""
    credentials: Secret = Field(
        description="A service account's JSON key: the file's path or the JSON itself."
    )
    api_base_url: Secret | None = Field(
        default=None, description="Replaces https://www.googleapis.com (proxies, tests)."
    )
    objects: Annotated[dict[ObjectName, GoogleDriveObjectConfig], BeforeValidator(_with_file_defaults)] = (
        Field(min_length=1)
    )

    def build_resource(self) -> GoogleDriveResource:
        return GoogleDriveResource(
            credentials=resource_secret(self.credentials),
            api_base_url=resource_secret(self.api_base_url) if self.api_base_url is not None else None,
        )
