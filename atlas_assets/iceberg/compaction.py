"""Rewriting a window's small data files into target-size files, in one commit per table.

Each partition run adds its own files, so a window re-run often, or an upsert table merged
daily, collects many small files that every read has to open; an upsert's position deletes
(`position_deletes`) are folded into their data files the same way. Files are grouped by the window
their rows fall in (`window_of`, from the cursor's column bounds); a group of two or more small
files is read back (deletes applied, projected to the current schema) and written again as
target-size files, and one `overwrite` snapshot swaps exactly those files: rows stay identical.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from pyiceberg.expressions import AlwaysTrue
from pyiceberg.io.pyarrow import ArrowScan
from pyiceberg.manifest import DataFile
from pyiceberg.table import FileScanTask, Table

from atlas_assets.iceberg.commit_retry import with_commit_retries
from atlas_assets.iceberg.data_files import DataFileWriter

WindowOf = Callable[[Table, DataFile], str | None]
"""The window a data file's rows all fall in, or None when they span windows (never compacted)."""

# A file this close to the target size is full enough; rewriting it would gain nothing.
SMALL_FILE_SHARE = 0.75


@dataclass(frozen=True)
class CompactionReport:
    """What one compaction did to one table."""

    windows: int = 0
    files_removed: int = 0
    files_added: int = 0


def small_file_groups(table: Table, window_of: WindowOf, target_bytes: int) -> dict[str, list[FileScanTask]]:
    """The current snapshot's files to rewrite, per window: small files of windows that hold two
    or more, and every file carrying position deletes (an upsert's), whatever its size.

    Rewriting a file with deletes applies them, so the rows an upsert replaced (a data subject's
    older versions included) leave the table's live files; snapshot expiry then removes the old
    file. Such a file whose rows span windows is rewritten on its own.
    """
    groups: dict[str, list[FileScanTask]] = defaultdict(list)
    for task in table.scan().plan_files():
        if not task.delete_files and task.file.file_size_in_bytes >= SMALL_FILE_SHARE * target_bytes:
            continue
        window = window_of(table, task.file)
        if window is None and task.delete_files:
            window = task.file.file_path
        if window is not None:
            groups[window].append(task)
    return {
        window: tasks
        for window, tasks in groups.items()
        if len(tasks) > 1 or any(task.delete_files for task in tasks)
    }


def compact_small_files(
    load: Callable[[], Table], window_of: WindowOf, target_bytes: int, run_id: str, what: str
) -> CompactionReport:
    """Rewrite each window's small files (see `small_file_groups`) in one commit.

    Planned on the table as it is; a concurrent ingestion commit fails this commit and the whole
    rewrite is planned again on the new table (`with_commit_retries`), so a window an ingestion
    run just replaced is never brought back. The files of a lost attempt are deleted at once.
    """

    def attempt() -> CompactionReport:
        table = load()
        groups = small_file_groups(table, window_of, target_bytes)
        if not groups:
            return CompactionReport()
        scan = ArrowScan(table.metadata, table.io, table.schema(), AlwaysTrue())
        with DataFileWriter(table.io, table.metadata, target_bytes, run_id) as writer:
            for tasks in groups.values():
                rows = scan.to_table(tasks).cast(writer.arrow_schema)
                for batch in rows.to_batches():
                    writer.write(batch)
                writer.close()  # the next window starts a file of its own
            tx = table.transaction()
            properties = {"atlas.run-id": run_id, "atlas.maintenance": "compaction"}
            with tx.update_snapshot(snapshot_properties=properties).overwrite() as overwrite:
                for task in (task for tasks in groups.values() for task in tasks):
                    overwrite.delete_data_file(task.file)
                for data_file in writer.files:
                    overwrite.append_data_file(data_file)
            tx.commit_transaction()
        removed = sum(len(tasks) for tasks in groups.values())
        return CompactionReport(len(groups), removed, len(writer.files))

    return with_commit_retries(attempt, what)
