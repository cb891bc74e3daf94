"""What a file-based source tells the file-arrival sensor (`ops/file_arrival/`): its files, and
the instants a file's cursor column holds.

A source kind whose objects are sets of files (`csv` now, Google Drive later) implements
`ListsFiles` on its resource. The sensor calls `list_files` every tick, so it must be cheap: a
directory listing, one API page of file metadata; never the files' contents. It reads a file
(`cursor_instants`) only when the file is new or its version changed, and only its cursor column.

`FileVersion` is what the sensor keeps in its cursor between ticks: it must hold no secret (no
signed URL, no token), only an id the source understands and what tells versions apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pyarrow as pa

from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.instants import epoch_micros


@dataclass(frozen=True)
class FileVersion:
    """One version of one file of an object.

    `id` names the file within its source: a path relative to the source's directory, a Drive file
    id. `size` and `modified` (aware) tell versions apart; `content_hash` does too where the
    source reports one for free (Drive's `md5Checksum`), and then wins over size and time.
    """

    id: str
    size: int
    modified: dt.datetime
    content_hash: str | None = None

    def __post_init__(self) -> None:
        if self.modified.tzinfo is None:
            raise ValueError("FileVersion.modified must be timezone-aware")

    @property
    def fingerprint(self) -> str:
        """A short text equal for equal versions and different when the file changed."""
        if self.content_hash:
            return f"hash:{self.content_hash}"
        return f"{self.size}:{epoch_micros(self.modified)}"

    @property
    def digest(self) -> str:
        """`id` and `fingerprint` hashed: what a run key is made of (no file name in run keys)."""
        return hashlib.sha256(f"{self.id}\0{self.fingerprint}".encode()).hexdigest()[:16]


@runtime_checkable
class ListsFiles(Protocol):
    """A source resource whose objects are files: what the file-arrival sensor needs of it.

    Both methods take the `ExtractRequest` a run of the object would get (no window): the
    object's name and config (its glob, folder, delimiter, cursor) come from there, so a tenant's
    sensor can only ever look where that tenant's runner.yaml points. Failures are raised as
    `connectors.errors.SourceError`s, as `extract` raises them.
    """

    def list_files(self, request: ExtractRequest) -> list[FileVersion]:
        """Every file of the object as it is now, each once (order does not matter)."""
        ...

    def cursor_instants(self, request: ExtractRequest, file: FileVersion) -> pa.Array:
        """The file's cursor column as UTC timestamps (`timestamp[us, tz=UTC]`), null where a
        value spells no instant. Reads that column only. A file gone since `list_files` is an
        empty array, not an error (it was replaced between the listing and the read)."""
        ...
