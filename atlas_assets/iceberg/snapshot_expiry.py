"""Expiring a table's old snapshots and deleting the files only they referenced.

Iceberg deletes are logical: replaced and erased rows stay readable through older snapshots
(time travel) until those snapshots are expired and their files removed. pyiceberg's
`ExpireSnapshots` only edits metadata, so the files the expired snapshots alone referenced (data
files, manifests, manifest lists) are deleted here, after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from pyiceberg.table import Table, TableProperties
from pyiceberg.table.update.snapshot import ExpireSnapshots

from atlas_assets.iceberg.commit_retry import with_commit_retries
from atlas_assets.iceberg.orphan_files import referenced_paths, remove_orphan_files, stored_files


@dataclass(frozen=True)
class ExpiryReport:
    """What one expiry did to one table."""

    snapshots_expired: int = 0
    data_files_removed: int = 0
    metadata_files_removed: int = 0


def expirable_snapshots(table: Table, older_than: dt.datetime, retain_last: int) -> list[int]:
    """Snapshots older than `older_than`, except the newest `retain_last` and the current one."""
    snapshots = sorted(table.metadata.snapshots, key=lambda snapshot: snapshot.timestamp_ms)
    kept = {snapshot.snapshot_id for snapshot in snapshots[-retain_last:]}
    kept.add(table.metadata.current_snapshot_id or -1)
    cutoff_ms = older_than.timestamp() * 1000
    return [s.snapshot_id for s in snapshots if s.timestamp_ms < cutoff_ms and s.snapshot_id not in kept]


def expire_snapshots(
    load: Callable[[], Table], older_than: dt.datetime, retain_last: int, what: str
) -> ExpiryReport:
    """Expire what `expirable_snapshots` names in one commit, then delete the files only they held.

    A concurrent ingestion commit makes the expiry re-plan on the new table (`with_commit_retries`).
    A file referenced before the expiry and by no snapshot after it was committed once and is
    now unreachable, so no run can be writing it: it is deleted whatever its age. Older metadata
    files beyond `retain_last` are dropped by the catalog on commit (Iceberg's
    `write.metadata.delete-after-commit.enabled`).
    """

    def attempt() -> tuple[Table, int, set[str], set[str]]:
        table = load()
        doomed = expirable_snapshots(table, older_than, retain_last)
        if not doomed:
            return table, 0, set(), set()
        data_before, metadata_before = referenced_paths(table), _metadata_files(table)
        tx = table.transaction()
        tx.set_properties(
            {
                TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED: "true",
                TableProperties.METADATA_PREVIOUS_VERSIONS_MAX: str(retain_last),
            }
        )
        ExpireSnapshots(tx).by_ids(doomed).commit()
        return tx.commit_transaction(), len(doomed), data_before, metadata_before

    table, expired, data_before, metadata_before = with_commit_retries(attempt, what)
    if not expired:
        return ExpiryReport()
    unreachable = data_before - referenced_paths(table)
    candidates = [file for file in stored_files(table) if file.path in unreachable]
    removed = remove_orphan_files(table, lambda _file: True, candidates=candidates)
    stale_metadata = metadata_before - _metadata_files(table)
    for path in stale_metadata:
        table.io.delete(path)
    return ExpiryReport(expired, len(removed), len(stale_metadata))


def _metadata_files(table: Table) -> set[str]:
    """Manifest lists and manifests of every snapshot the table keeps."""
    paths: set[str] = set()
    for snapshot in table.metadata.snapshots:
        paths.add(snapshot.manifest_list)
        paths.update(manifest.manifest_path for manifest in snapshot.manifests(table.io))
    return paths
