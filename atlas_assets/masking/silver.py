"""Silver assets: a masked copy of each bronze object whose `pii_scan.masking` is `silver`.

Key `[tenant, source, <object>_silver]`, Iceberg table `<namespace>.<source>__<object>_silver`.
The tenant stays the key's first part so tenant-wide selections, groups and permissions cover
silver too, and the asset sits next to its bronze object in the UI (a `silver` prefix would
split every tenant in two).

Each run reads the bronze rows of its partitions through the Iceberg IO manager, applies the
object's `pii:` policies and writes the result with the bronze object's partitioning, so a
partition of silver always derives from the same partition of bronze. A blocking PII check that
fails on bronze stops silver in the same run.
"""

# No `from __future__ import annotations`: Dagster reads the asset function's annotations at runtime.

from typing import Any

import dagster as dg
import pyarrow as pa

from atlas_assets.config.naming import asset_tags, masks_in_silver, silver_asset_key, silver_table_name
from atlas_assets.config.objects import WriteMode
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.factory.assets import IO_MANAGER_KEY
from atlas_assets.factory.partitions import partitions_def_for
from atlas_assets.iceberg.io_manager import CURSOR_KEY, TABLE_KEY, WRITE_MODE_KEY
from atlas_assets.ingest.lineage_columns import LINEAGE_PREFIX
from atlas_assets.masking.transform import BatchMasker, mask_table, masker_for


def build_silver_assets(specs: list[ObjectSpec]) -> list[dg.AssetsDefinition]:
    """One silver asset per object that masks in silver (name clashes are load-time config errors)."""
    return [_silver_asset(spec) for spec in specs if masks_in_silver(spec)]


def _silver_asset(spec: ObjectSpec) -> dg.AssetsDefinition:
    masker = masker_for(spec)
    assert masker is not None
    partitions_def = partitions_def_for(spec)
    policies = ", ".join(f"{column}: {rule.policy}" for column, rule in masker.rules)

    @dg.asset(
        key=silver_asset_key(spec.asset_key),
        ins={"bronze": dg.AssetIn(key=spec.asset_key)},
        group_name=spec.tenant,
        description=f"{spec.label} with its PII masked ({policies}).",
        kinds={"iceberg"},
        tags={**asset_tags(spec.tenant, spec.source), "atlas/layer": "silver"},
        owners=list(spec.owners) or None,
        metadata=_silver_metadata(spec),
        partitions_def=partitions_def,
        backfill_policy=_backfill_policy(spec) if partitions_def else None,
        io_manager_key=IO_MANAGER_KEY,
    )
    def _silver(bronze: pa.Table) -> pa.Table:
        return masked_silver_rows(bronze, masker)

    return _silver


def masked_silver_rows(bronze: pa.Table, masker: BatchMasker) -> pa.Table:
    """Bronze rows without their lineage columns (the writer stamps silver's own), masked."""
    data = bronze.drop_columns([name for name in bronze.column_names if name.startswith(LINEAGE_PREFIX)])
    return mask_table(data, masker)


def _silver_metadata(spec: ObjectSpec) -> dict[str, Any]:
    mode = spec.write_mode
    metadata: dict[str, Any] = {
        TABLE_KEY: f"{spec.namespace}.{silver_table_name(spec.table_name)}",
        # Unpartitioned bronze (replace, append) is re-derived whole: silver replaces.
        WRITE_MODE_KEY: str(mode if mode.is_partitioned else WriteMode.REPLACE),
        "atlas/config_path": spec.path,
        "atlas/bronze": spec.asset_key.to_user_string(),
    }
    if spec.config.cursor and mode.is_partitioned and mode is not WriteMode.SNAPSHOT:
        metadata[CURSOR_KEY] = spec.config.cursor
    if spec.config.primary_key:
        metadata["atlas/primary_key"] = ", ".join(spec.config.primary_key)
    return metadata


def _backfill_policy(spec: ObjectSpec) -> dg.BackfillPolicy:
    if spec.write_mode is WriteMode.SNAPSHOT:
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
    return dg.BackfillPolicy.single_run()
