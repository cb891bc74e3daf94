"""Row deletes reported by a source: collected from the extract stream, applied in the run's commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa

from atlas_assets.config.objects import WriteMode
from atlas_assets.connectors.contract import DeletedKeys, ExtractItem
from atlas_assets.iceberg.conform import normalize
from atlas_assets.iceberg.write_plan import WritePlan


class DeleteError(ValueError):
    """A source reported deletes the write cannot apply (wrong mode, missing or null key)."""


class DeleteCollector:
    """Takes `DeletedKeys` out of an extract stream, so the writer sees record batches only.

    Keys are small next to rows (one key column per deleted record), so they are held until the
    commit, like the upsert keys the writer already keeps.
    """

    def __init__(self, plan: WritePlan):
        self.plan = plan
        self._keys: list[pa.Table] = []

    def divert(self, items: Iterable[ExtractItem]) -> Iterator[pa.RecordBatch]:
        """The record batches of `items`; deleted keys are checked and kept aside."""
        for item in items:
            if isinstance(item, DeletedKeys):
                self._add(item.keys)
            else:
                yield item

    @property
    def reported(self) -> int:
        """Deleted keys the source reported (each once)."""
        return self.keys().num_rows

    def keys(self, upserted: pa.Table | None = None) -> pa.Table:
        """The distinct deleted keys, minus those `upserted` by the same run (their row wins)."""
        names = list(self.plan.primary_key)
        if not self._keys:
            return pa.table({name: pa.array([], pa.string()) for name in names})
        keys = pa.concat_tables(self._keys, promote_options="permissive").group_by(names).aggregate([])
        keys = keys.select(names)
        if upserted is not None and upserted.num_rows:
            keys = keys.cast(upserted.select(names).schema)
            keys = keys.join(upserted.select(names), keys=names, join_type="left anti")
        return keys.select(names)

    def _add(self, batch: pa.RecordBatch) -> None:
        plan = self.plan
        if plan.mode is not WriteMode.UPSERT:
            raise DeleteError(
                f"{plan.label}: the source reported deleted rows, which only write mode 'upsert' can apply"
            )
        missing = [name for name in plan.primary_key if name not in batch.schema.names]
        if missing:
            raise DeleteError(f"{plan.label}: deleted keys lack primary-key column(s) {missing}")
        keys = normalize(batch.select(list(plan.primary_key)))
        for name in plan.primary_key:
            nulls = keys.column(name).null_count
            if nulls:
                raise DeleteError(f"{plan.label}: {nulls} deleted key(s) have a null {name!r}")
        if keys.num_rows:
            self._keys.append(pa.Table.from_batches([keys]))


def count_matching(stored: pa.Table, keys: pa.Table) -> int:
    """Rows of `stored` whose primary key is in `keys`."""
    if not keys.num_rows:
        return 0
    stored_keys = stored.select(keys.column_names)
    matched = stored_keys.join(keys.cast(stored_keys.schema), keys=keys.column_names, join_type="left semi")
    return matched.num_rows
