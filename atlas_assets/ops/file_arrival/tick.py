"""One evaluation of a file-arrival sensor: list the object's files, read the changed ones' cursor
column, and turn the partitions they touch into run requests.

Rules (README "File arrival"):

- The first tick records the files already present and requests nothing: they were there before
  the sensor was, and schedules or backfills cover them; enabling the sensor on a directory of
  years of files must not start a storm of runs.
- A new or changed file (path + size + modification time, or the source's content hash) requests
  the partitions its cursor values fall in, plus those its previous version touched (rows it
  no longer holds must leave those partitions). A removed file requests the partitions it
  touched when last read.
- `snapshot` objects store the source as it is now under the latest partition: a change requests
  that partition. `replace` and `append` objects are unpartitioned: a change requests one run.
- The partitions of every change in one tick are merged, then split into runs of consecutive
  partitions: one run per run of keys (a range run, as a single-run backfill makes), whatever
  the number of files. Run keys derive from the file versions, so a tick never repeats a run.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import dagster as dg

from atlas_assets.config.objects import WriteMode
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import ExtractRequest
from atlas_assets.connectors.errors import PermanentSourceError, SourceError, redact
from atlas_assets.connectors.file_versions import FileVersion, ListsFiles
from atlas_assets.ops.file_arrival.cursor import ArrivalCursor, SeenFile
from atlas_assets.ops.file_arrival.partitions import key_ranges, keys_of, touched_keys

TICK_BUDGET_SECONDS = 20.0
"""Files left unread when this is spent are read next tick, so a tick ends well inside Dagster's
sensor timeout (60 s) and its cursor is always saved."""


class FileArrivalError(Exception):
    """The object's files cannot be listed: the tick fails, naming the object."""


@dataclass
class ArrivalTick:
    """What a tick decided: the runs to request, the cursor to save, and what to say."""

    run_requests: list[dg.RunRequest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "; ".join(self.notes) or "no file is new, changed or removed"


def evaluate_tick(
    spec: ObjectSpec,
    files: ListsFiles,
    partitions_def: dg.TimeWindowPartitionsDefinition | None,
    cursor: ArrivalCursor,
    sensor_name: str,
    secrets: list[str],
) -> ArrivalTick:
    """Decide one tick and update `cursor` in place."""
    request = ExtractRequest(spec.tenant, spec.source, spec.name, spec.config, batch_size=spec.batch_size)
    try:
        listing = files.list_files(request)
    except SourceError as exc:
        raise FileArrivalError(f"{spec.label}: {redact(str(exc), secrets)}") from None
    tick = ArrivalTick()
    if not cursor.started:
        cursor.files = {version.id: SeenFile(version.fingerprint) for version in listing}
        cursor.started = True
        tick.notes.append(
            f"recorded the {len(listing)} file(s) present at the first tick; files landing or changing "
            "from now on request their partitions"
        )
        return tick
    changed, removed = cursor.changed(listing), cursor.removed(listing)
    keys: set[str] = set()
    read: list[FileVersion] = []
    deadline = time.monotonic() + TICK_BUDGET_SECONDS
    for version in changed:
        if read and time.monotonic() > deadline:
            tick.notes.append(f"{len(changed) - len(read)} changed file(s) left for the next tick")
            break
        read.append(version)
        previous = cursor.files.get(version.id)
        if previous is not None and previous.ranges and partitions_def is not None:
            keys |= keys_of(previous.ranges, partitions_def)
        try:
            touched = _touched(spec, files, request, version, partitions_def)
        except SourceError as exc:
            # Recorded all the same: a file that cannot be placed is told once, not every tick.
            tick.notes.append(f"{version.id} was not placed in partitions: {redact(str(exc), secrets)}")
            cursor.files[version.id] = SeenFile(version.fingerprint)
            continue
        keys |= touched
        ranges = tuple(key_ranges(touched, partitions_def)) if partitions_def is not None else ()
        cursor.files[version.id] = SeenFile(version.fingerprint, ranges)
    for file_id in removed:
        gone = cursor.files.pop(file_id)
        if gone.ranges and partitions_def is not None:
            keys |= keys_of(gone.ranges, partitions_def)
    if not read and not removed:
        return tick
    digest = _change_digest(read, removed)
    if partitions_def is None:
        tick.run_requests.append(
            dg.RunRequest(run_key=f"{sensor_name}:{digest}", asset_selection=[spec.asset_key])
        )
    elif spec.write_mode is WriteMode.SNAPSHOT:
        last = partitions_def.get_last_partition_key()
        if last is not None:
            tick.run_requests.append(_range_request(spec, sensor_name, digest, (last, last)))
    else:
        for key_range in key_ranges(keys, partitions_def):
            tick.run_requests.append(_range_request(spec, sensor_name, digest, key_range))
    what = f"{len(read)} new or changed and {len(removed)} removed file(s)"
    if tick.run_requests:
        tick.notes.insert(0, f"{what}: {len(tick.run_requests)} run(s) requested")
    else:
        tick.notes.insert(0, f"{what} touch no existing partition")
    return tick


def _touched(
    spec: ObjectSpec,
    files: ListsFiles,
    request: ExtractRequest,
    version: FileVersion,
    partitions_def: dg.TimeWindowPartitionsDefinition | None,
) -> set[str]:
    """The partitions `version`'s cursor values fall in (none for modes that do not place rows)."""
    if partitions_def is None or spec.write_mode is WriteMode.SNAPSHOT:
        return set()
    if not spec.config.cursor:
        raise PermanentSourceError("the object has no cursor")
    return set(touched_keys(files.cursor_instants(request, version), partitions_def))


def _range_request(
    spec: ObjectSpec, sensor_name: str, digest: str, key_range: tuple[str, str]
) -> dg.RunRequest:
    first, last = key_range
    run_key = f"{sensor_name}:{first}:{last}:{digest}"
    if first == last:
        return dg.RunRequest(run_key=run_key, asset_selection=[spec.asset_key], partition_key=first)
    # The tags a single-run backfill gives its run: one extraction and one commit for the range.
    tags = {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }
    return dg.RunRequest(run_key=run_key, asset_selection=[spec.asset_key], tags=tags)


def _change_digest(read: list[FileVersion], removed: list[str]) -> str:
    parts = sorted(version.digest for version in read) + sorted(f"removed:{file_id}" for file_id in removed)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
