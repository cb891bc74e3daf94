"""The file-arrival sensor's memory between ticks: each file's version and the partitions it touched.

Serialized as JSON in the sensor's cursor. It holds file ids (paths relative to the source's
directory, or a Drive file id), size-and-time fingerprints and partition keys: nothing secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from atlas_assets.connectors.file_versions import FileVersion

KeyRange = tuple[str, str]
"""First and last partition key of a run of consecutive partitions (equal for one partition)."""

_FORMAT = 1


@dataclass(frozen=True)
class SeenFile:
    """A file as the sensor last saw it: its fingerprint and, once read, the partitions it touched.

    `ranges` is None for files recorded without being read (those present on the first tick):
    their partitions are unknown until they change.
    """

    fingerprint: str
    ranges: tuple[KeyRange, ...] | None = None


@dataclass
class ArrivalCursor:
    """Every file of the object seen so far, by id; `started` is False before the first tick."""

    files: dict[str, SeenFile] = field(default_factory=dict)
    started: bool = False

    @classmethod
    def parse(cls, text: str | None) -> ArrivalCursor:
        if not text:
            return cls()
        data = json.loads(text)
        files = {
            file_id: SeenFile(
                entry["v"], None if entry.get("p") is None else tuple((a, b) for a, b in entry["p"])
            )
            for file_id, entry in data["files"].items()
        }
        return cls(files, started=True)

    def dumps(self) -> str:
        files = {
            file_id: {
                "v": seen.fingerprint,
                "p": None if seen.ranges is None else [list(r) for r in seen.ranges],
            }
            for file_id, seen in sorted(self.files.items())
        }
        return json.dumps({"format": _FORMAT, "files": files}, separators=(",", ":"))

    def changed(self, listing: Iterable[FileVersion]) -> list[FileVersion]:
        """The listed files that are new, or whose fingerprint differs from the one recorded."""
        return [
            version
            for version in listing
            if (seen := self.files.get(version.id)) is None or seen.fingerprint != version.fingerprint
        ]

    def removed(self, listing: Iterable[FileVersion]) -> list[str]:
        """Ids recorded but no longer listed."""
        listed = {version.id for version in listing}
        return sorted(file_id for file_id in self.files if file_id not in listed)
