"""Data files in a table's data directory that no snapshot references: what a killed run leaves.

A run streams its Parquet files into the table's data directory before it commits
(`data_files.py`); a run killed before its commit (SIGKILL, out of memory, a lost host) leaves
them there, referenced by nothing and never read. Those files are orphans. A file that no
snapshot references may also belong to a run that is still writing, so deleting is always
guarded by a caller's `may_remove`: by age (`older_than`, for maintenance) or by the state of
the run that wrote it (`remove_files_of_ended_runs`: our writers put the run id in file names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow.fs as pafs
from pyiceberg.table import Table
from pyiceberg.table.locations import load_location_provider

from atlas_assets.iceberg.data_files import arrow_paths, writing_run


@dataclass(frozen=True)
class StoredFile:
    """A file found in a table's data directory."""

    path: str
    """The path on the table's filesystem (for S3, `bucket/key`)."""
    size: int
    modified: dt.datetime


def committed_run_ids(table: Table) -> set[str]:
    """Runs whose commits are in the table's history (`atlas.run-id` of each snapshot)."""
    return {
        run_id
        for snapshot in table.metadata.snapshots
        if snapshot.summary is not None and (run_id := snapshot.summary.get("atlas.run-id"))
    }


def stored_files(table: Table) -> list[StoredFile]:
    """Every file under the table's data directory (`write.data.path`, default `<location>/data`)."""
    data_path = load_location_provider(table.metadata.location, table.metadata.properties).data_path
    filesystem, [root] = arrow_paths(table.io, [data_path])
    selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
    return [
        StoredFile(info.path, info.size or 0, info.mtime or dt.datetime.fromtimestamp(0, dt.UTC))
        for info in filesystem.get_file_info(selector)
        if info.type == pafs.FileType.File
    ]


def referenced_paths(table: Table) -> set[str]:
    """Paths (as `stored_files` gives them) of every data and delete file any snapshot holds."""
    io = table.io
    locations: set[str] = set()
    manifests_seen: set[str] = set()
    for snapshot in table.metadata.snapshots:
        for manifest in snapshot.manifests(io):
            if manifest.manifest_path in manifests_seen:
                continue
            manifests_seen.add(manifest.manifest_path)
            # Live entries only: a DELETED entry records that this snapshot removed the file (a
            # delete or overwrite commit, e.g. a GDPR erase); an older snapshot that still reads it
            # lists it live in its own manifests, so once those snapshots expire the file goes.
            for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                locations.add(entry.data_file.file_path)
    if not locations:
        return set()
    _, paths = arrow_paths(io, sorted(locations))
    return set(paths)


def orphan_files(table: Table) -> list[StoredFile]:
    """Files in the data directory that no snapshot of the table references."""
    stored = stored_files(table)
    if not stored:
        return []
    referenced = referenced_paths(table)
    return [file for file in stored if file.path not in referenced]


def remove_orphan_files(
    table: Table, may_remove: Callable[[StoredFile], bool], candidates: list[StoredFile] | None = None
) -> list[StoredFile]:
    """Delete the orphans `may_remove` accepts; the files deleted.

    `candidates` narrows the search to files already suspected (listing skipped); only those no
    snapshot references are deleted.
    """
    if candidates is None:
        orphans = orphan_files(table)
    else:
        referenced = referenced_paths(table)
        orphans = [file for file in candidates if file.path not in referenced]
    doomed = [file for file in orphans if may_remove(file)]
    if doomed:
        data_path = load_location_provider(table.metadata.location, table.metadata.properties).data_path
        filesystem, _ = arrow_paths(table.io, [data_path])
        for file in doomed:
            filesystem.delete_file(file.path)
    return doomed


def older_than(moment: dt.datetime) -> Callable[[StoredFile], bool]:
    """`may_remove` for files last modified before `moment`: no run still writing them (maintenance)."""
    return lambda file: file.modified < moment


def remove_files_of_ended_runs(
    table: Table, this_run: str, run_ended: Callable[[str], bool]
) -> list[StoredFile]:
    """A run's cleanup after its commit: delete orphans left by runs that have ended.

    Cheap when there are none (the usual case): one listing of the data directory, compared
    with the runs named in snapshot summaries; manifests are read only when some file was
    written by another run that committed nothing to this table and has ended. Files of runs
    still going (a concurrent partition) are never touched; files named otherwise are left to
    maintenance (`older_than`).
    """
    committed = committed_run_ids(table) | {this_run}
    suspects = [
        file for file in stored_files(table) if (run := writing_run(file.path)) and run not in committed
    ]
    ended = {run for run in {writing_run(file.path) for file in suspects} if run and run_ended(run)}
    suspects = [file for file in suspects if writing_run(file.path) in ended]
    if not suspects:
        return []
    return remove_orphan_files(table, lambda _file: True, candidates=suspects)
