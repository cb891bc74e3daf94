"""Drive v3 files of a folder: listing (`files.list`, paged), and one file's CSV streamed to disk.

Listing asks for `supportsAllDrives=true&includeItemsFromAllDrives=true` (and `corpora=drive` with
the `driveId` for a shared drive), so a folder in a shared drive lists like one in My Drive.
A download streams 8 MiB at a time into a temporary file, so a 1 GB file never sits in memory;
the CSV parser (`connectors/files/`) then reads that file as it reads a local one.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.connectors.saas.google.api import GoogleApi

SHEET_MIME = "application/vnd.google-apps.spreadsheet"
"""A native Google Sheet: exported as CSV (its first worksheet), not downloaded."""
FOLDER_MIME = "application/vnd.google-apps.folder"
FIELDS = "nextPageToken,files(id,name,mimeType,modifiedTime,size,version,md5Checksum,trashed)"
PAGE_SIZE = 1000
"""Drive's largest `files.list` page."""
CHUNK_BYTES = 8 << 20


@dataclass(frozen=True)
class DriveFile:
    """One file of the folder, as `files.list` describes it."""

    id: str
    name: str
    mime_type: str
    modified: dt.datetime
    version: int
    size: int | None
    md5: str | None
    trashed: bool

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> DriveFile:
        return cls(
            id=body["id"],
            name=body.get("name", ""),
            mime_type=body.get("mimeType", ""),
            modified=dt.datetime.fromisoformat(body["modifiedTime"].replace("Z", "+00:00")),
            version=int(body.get("version") or 0),
            size=int(body["size"]) if body.get("size") is not None else None,
            md5=body.get("md5Checksum"),
            trashed=bool(body.get("trashed")),
        )

    @property
    def is_sheet(self) -> bool:
        return self.mime_type == SHEET_MIME

    def is_readable(self) -> bool:
        """A CSV-like upload or a native Sheet; other Google types (Docs, folders) have no CSV."""
        return self.is_sheet or not self.mime_type.startswith("application/vnd.google-apps.")


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def list_files(
    api: GoogleApi,
    folder_id: str,
    shared_drive_id: str | None,
    pattern: str,
    *,
    window: TimeWindow | None = None,
    trashed: bool | None = None,
) -> Iterator[DriveFile]:
    """The folder's readable files whose name matches `pattern`, modified in `window` if given."""
    clauses = [f"{_quoted(folder_id)} in parents"]
    if trashed is not None:
        clauses.append(f"trashed = {'true' if trashed else 'false'}")
    if window is not None:
        clauses.append(f"modifiedTime >= {_quoted(_rfc3339(window.start))}")
        clauses.append(f"modifiedTime < {_quoted(_rfc3339(window.end))}")
    params: dict[str, Any] = {
        "q": " and ".join(clauses),
        "fields": FIELDS,
        "pageSize": PAGE_SIZE,
        "supportsAllDrives": "true",
        "includeItemsFromAllDrives": "true",
    }
    if shared_drive_id:
        params.update(corpora="drive", driveId=shared_drive_id)
    token: str | None = None
    while True:
        page = api.drive_get("", {**params, **({"pageToken": token} if token else {})})
        api.stats["list_pages"] = int(api.stats.get("list_pages", 0)) + 1
        for body in page.get("files", []):
            file = DriveFile.from_api(body)
            if (
                file.mime_type != FOLDER_MIME
                and file.is_readable()
                and fnmatch.fnmatchcase(file.name, pattern)
            ):
                yield file
        token = page.get("nextPageToken")
        if not token:
            return


def download(api: GoogleApi, file: DriveFile, target: Path) -> int:
    """Write the file's CSV to `target` (an upload's bytes, a Sheet's export); its size in bytes.

    The whole download is one retried request: a connection cut mid-body starts the file over.
    """

    def fetch() -> int:
        path, params = (
            (f"/{file.id}/export", {"mimeType": "text/csv"})
            if file.is_sheet
            else (f"/{file.id}", {"alt": "media", "supportsAllDrives": "true"})
        )
        with api.drive_stream(path, params) as response, target.open("wb") as out:
            for chunk in response.iter_content(CHUNK_BYTES):
                out.write(chunk)
            return out.tell()

    return api.retried(fetch)


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
