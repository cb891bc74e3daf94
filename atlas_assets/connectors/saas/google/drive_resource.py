"""The Google Drive CSV connector: the files of a folder modified in the window, each file's rows
replacing that file's earlier rows.

How "replace that file's rows" is done: the object is `partition_overwrite` on `_drive_modified`
(the file's `modifiedTime`, a lineage column on every row, beside `_drive_file_id`,
`_drive_file_name` and `_drive_version`). A run lists the files modified in its window, loads
each whole, and names their ids in `DeletedKeys` with the one column `_drive_file_id`: the writer
then replaces, in the run's one commit, the window's rows *and* every stored row of those files,
whatever window an earlier version was loaded in. So a file re-uploaded with fewer rows keeps
only its new rows; re-running any window leaves the same rows (an older window no longer lists a
file modified since). Upsert on (file id, row number) was the alternative, but it cannot remove
the rows past a shorter new version without knowing how many the old one had.

Deleted files: the folder's trashed files are listed on every run and their rows removed (Drive
keeps trashed files 30 days); a file deleted for good, or moved out of the folder, is no longer
visible and keeps its rows until the table is rebuilt.
"""

from __future__ import annotations

import dataclasses
import glob
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from atlas_assets.connectors.arrow import UTC_TIMESTAMP
from atlas_assets.connectors.contract import DeletedKeys, ExtractItem, ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError
from atlas_assets.connectors.file_versions import FileVersion
from atlas_assets.connectors.saas.google.resource import GoogleResource

if TYPE_CHECKING:
    from atlas_assets.connectors.saas.google.drive_config import GoogleDriveObjectConfig
    from atlas_assets.connectors.saas.google.drive_files import DriveFile

MODIFIED = "_drive_modified"
FILE_ID = "_drive_file_id"
FILE_NAME = "_drive_file_name"
VERSION = "_drive_version"


class GoogleDriveResource(GoogleResource):
    """CSV files of Drive folders through gspread's authorized session (Drive API v3)."""

    namespace_scheme = "google-drive"
    default_host = "www.googleapis.com"

    def extract(self, request: ExtractRequest) -> Iterator[ExtractItem]:
        from atlas_assets.connectors.files.parsing import stream_object
        from atlas_assets.connectors.saas.google.drive_files import download, list_files

        config = _drive_config(request)
        if request.window is None:
            raise PermanentSourceError(
                "google_drive objects are read by modifiedTime window; give them partitions"
            )
        api = self.api(request.retry, request.stats)
        pattern = config.file_glob(request.object_name)
        changed = list(
            list_files(api, config.folder_id, config.shared_drive_id, pattern, window=request.window)
        )
        trashed = list(list_files(api, config.folder_id, config.shared_drive_id, pattern, trashed=True))
        live = [f for f in changed if not f.trashed]
        request.stats["files_loaded"] = len(live)
        request.stats["files_trashed"] = len(trashed)
        replaced = sorted({f.id for f in [*changed, *trashed]})
        if replaced:
            yield DeletedKeys(pa.RecordBatch.from_pydict({FILE_ID: pa.array(replaced, pa.string())}))
        # The files' own rows are parsed as a csv object's: no cursor or window inside a file.
        options = config.model_copy(update={"cursor": None, "write": None})
        per_file = dataclasses.replace(request, config=options, window=None, after=None)
        request.progress.total_bytes = sum(f.size or 0 for f in live) or None
        done = 0
        for file in sorted(live, key=lambda f: (f.modified, f.id)):
            with tempfile.TemporaryDirectory(prefix="atlas-drive-") as tmp:
                # Named as in Drive, so the parser's errors name the file the user knows.
                target = Path(tmp) / (file.name.replace("/", "_") or file.id)
                done += download(api, file, target)
                for batch in stream_object(Path(tmp), glob.escape(target.name), options, per_file):
                    yield _with_lineage(batch, file)
            request.progress.bytes_read = done

    def list_files(self, request: ExtractRequest) -> list[FileVersion]:
        """The folder's matching files now (`ListsFiles`, for the file-arrival sensor): one listing."""
        from atlas_assets.connectors.saas.google.drive_files import list_files

        config = _drive_config(request)
        api = self.api(request.retry, request.stats)
        pattern = config.file_glob(request.object_name)
        return [
            FileVersion(id=f.id, size=f.size or 0, modified=f.modified, content_hash=f.md5 or str(f.version))
            for f in list_files(api, config.folder_id, config.shared_drive_id, pattern, trashed=False)
        ]

    def cursor_instants(self, request: ExtractRequest, file: FileVersion) -> pa.Array:
        """Every row of a Drive file carries its `modifiedTime` as the cursor: one instant, no read."""
        return pa.array([file.modified], UTC_TIMESTAMP)


def _with_lineage(batch: pa.RecordBatch, file: DriveFile) -> pa.RecordBatch:
    n = batch.num_rows
    columns = {
        FILE_ID: pa.array([file.id] * n, pa.string()),
        FILE_NAME: pa.array([file.name] * n, pa.string()),
        VERSION: pa.array([file.version] * n, pa.int64()),
        MODIFIED: pa.array([file.modified] * n, UTC_TIMESTAMP),
    }
    for name, values in columns.items():
        index = batch.schema.get_field_index(name)
        batch = batch.set_column(index, name, values) if index >= 0 else batch.append_column(name, values)
    return batch


def _drive_config(request: ExtractRequest) -> GoogleDriveObjectConfig:
    from atlas_assets.connectors.saas.google.drive_config import GoogleDriveObjectConfig

    if isinstance(request.config, GoogleDriveObjectConfig):
        return request.config
    raise PermanentSourceError("not a google_drive object's config")
