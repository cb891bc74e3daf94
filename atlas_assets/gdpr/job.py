"""GDPR erasure: delete every row of one data subject from a tenant's Iceberg tables.

`build_gdpr_erase_job(specs)` returns the `gdpr_erase` job. Its run config names the tenant, the
subject (the value, or the environment variable holding it) and the kind of key (`email`,
`customer_id`, ...). For each of the tenant's objects that declares a column for that kind of key,
the subject's rows are deleted in one Iceberg commit per table: from the object's table, its
quarantine table and, when it masks in silver, its `<object>_silver` copy (and that copy's
quarantine table). `subject_rows` says how each table stores the subject (emails without regard
to case, hashed key columns by their digest, masked ones by primary key). What was removed is
reported per table as op output metadata and as an observation on each asset; a run that finds
no row anywhere says so with a warning. The subject appears only as a keyed SHA-256 fingerprint
(HMAC-SHA256 with the secret salt in `$ATLAS_GDPR_SALT`).

Iceberg deletes are logical: the rows stay in the data files of older snapshots (time travel)
until those snapshots are expired and the files removed. This job does not expire snapshots.
"""

# No `from __future__ import annotations`: Dagster reads the op's `config` annotation at
# definition time and cannot resolve it from a string.
import hashlib
import hmac
import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pyarrow.compute as pc
from pydantic import Field
from pyiceberg.expressions import BooleanExpression, In
from pyiceberg.table import Table

from atlas_assets.config.naming import (
    DEFAULT_QUARANTINE_SUFFIX,
    masks_in_silver,
    quarantine_table_name,
    silver_table_name,
)
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.gdpr.subject_rows import (
    NotMatchableError,
    SubjectRows,
    bronze_rows,
    primary_keys_of,
    quarantined_json_holds,
    silver_rows,
)
from atlas_assets.iceberg.commit_retry import with_commit_retries
from atlas_assets.iceberg.resources import IcebergCatalogResource

JOB_NAME = "gdpr_erase"
SALT_ENV_VAR = "ATLAS_GDPR_SALT"
# The quarantine table (iceberg/quarantine.py) keeps each rejected row as sorted-key JSON here.
QUARANTINE_ROW_COLUMN = "_atlas_row"
# Marks the snapshots an erasure committed, so the rows removed are read from the table's own
# history (the subject's live rows before and after), not from a count a concurrent writer could skew.
ERASURE_PROPERTY = "atlas.gdpr.erasure-id"
FINGERPRINT_PROPERTY = "atlas.gdpr.subject-fingerprint"


class GdprEraseConfig(dg.Config):
    """Run config of `gdpr_erase`: whose rows to delete, and by which kind of key."""

    tenant: str = Field(description="The tenant whose tables are searched.")
    key: str = Field(default="email", description="Kind of subject key, e.g. 'email' or 'customer_id'.")
    subject: str | None = Field(
        default=None,
        description="The key value. Dagster stores run config with the run: prefer subject_env_var.",
    )
    subject_env_var: str | None = Field(
        default=None,
        description="Name of an environment variable holding the value (kept out of run storage).",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="'source.object' → column holding this key, for objects declaring none (or to override).",
    )


@dataclass(frozen=True)
class TableErasure:
    """What happened to one table."""

    table: str
    rows_removed: int = 0
    skipped: str | None = None


def build_gdpr_erase_job(
    specs: list[ObjectSpec], quarantine_suffix: str = DEFAULT_QUARANTINE_SUFFIX
) -> dg.JobDefinition:
    """The `gdpr_erase` job over the given objects (needs the `iceberg_catalog` resource)."""
    by_tenant: dict[str, list[ObjectSpec]] = {}
    for spec in specs:
        by_tenant.setdefault(spec.tenant, []).append(spec)

    @dg.op(
        name="erase_subject",
        description="Delete one data subject's rows from every table of a tenant that declares the key.",
        out=dg.Out(dict, description="Rows removed per table."),
    )
    def erase_subject(
        context: dg.OpExecutionContext, config: GdprEraseConfig, iceberg_catalog: IcebergCatalogResource
    ) -> Iterator[dg.Output[dict[str, int]] | dg.AssetObservation]:
        tenant_specs = by_tenant.get(config.tenant)
        if tenant_specs is None:
            raise dg.Failure(
                f"unknown tenant {config.tenant!r}; tenants: {', '.join(sorted(by_tenant)) or 'none'}",
                allow_retries=False,
            )
        subject = _subject_value(config)
        fingerprint = subject_fingerprint(_salt(), config.tenant, config.key, subject)
        targets = _targets(tenant_specs, config)
        # Every mapping is checked before anything is deleted: a typo must not leave a partial erasure.
        _check_columns(iceberg_catalog, tenant_specs, targets)
        erasure_id = f"{context.run_id}/{uuid.uuid4()}"
        context.instance.add_run_tags(context.run_id, {"atlas/gdpr-subject-fingerprint": fingerprint})

        outcomes: list[TableErasure] = []
        for spec in tenant_specs:
            column = targets.get(_object_ref(spec))
            if column is None:
                outcomes.append(TableErasure(spec.table_name, skipped=f"declares no '{config.key}' column"))
                continue
            properties = {ERASURE_PROPERTY: erasure_id, FINGERPRINT_PROPERTY: fingerprint}
            erased = _erase_object(
                iceberg_catalog, spec, config.key, column, subject, properties, quarantine_suffix
            )
            outcomes += erased
            by_kind = dict(zip(_OUTCOME_KINDS, erased, strict=False))
            context.log.info(
                f"{spec.namespace}.{spec.table_name}: "
                + ", ".join(f"{o.rows_removed} {kind} row(s) removed" for kind, o in by_kind.items())
                + "".join(f"; {o.table}: {o.skipped}" for o in erased if o.skipped)
            )
            yield dg.AssetObservation(
                asset_key=spec.asset_key,
                metadata={
                    "gdpr_erase/rows_removed": by_kind["table"].rows_removed,
                    "gdpr_erase/quarantined_rows_removed": by_kind["quarantined"].rows_removed,
                    **(
                        {"gdpr_erase/silver_rows_removed": by_kind["silver"].rows_removed}
                        if "silver" in by_kind
                        else {}
                    ),
                    "gdpr_erase/subject_fingerprint": fingerprint,
                    "gdpr_erase/key": config.key,
                },
            )

        removed = {o.table: o.rows_removed for o in outcomes if o.skipped is None}
        skipped = {o.table: o.skipped for o in outcomes if o.skipped is not None}
        total = sum(removed.values())
        if total == 0:
            # Usually a wrong key kind, column mapping or spelling: an erasure request must not
            # look fulfilled when nothing was found.
            context.log.warning(
                f"no row of the subject ({fingerprint}) was found in any table of tenant "
                f"{config.tenant!r} searched by key {config.key!r}: nothing was erased; check the "
                "subject's spelling, the key kind and the column mapping"
            )
        yield dg.Output(
            removed,
            metadata={
                "tenant": config.tenant,
                "key": config.key,
                "subject_fingerprint": fingerprint,
                "rows_removed_total": total,
                "subject_found": total > 0,
                "rows_removed": dg.MetadataValue.json(removed),
                "tables_skipped": dg.MetadataValue.json(skipped),
            },
        )

    @dg.job(
        name=JOB_NAME,
        description="GDPR erasure of one data subject across a tenant's Iceberg tables.",
        tags={"atlas/kind": "gdpr"},
    )
    def gdpr_erase() -> None:
        erase_subject()

    return gdpr_erase


def subject_fingerprint(salt: str, tenant: str, key: str, subject: str) -> str:
    """A keyed SHA-256 of the subject: the same subject always gives the same fingerprint, and
    without the salt it cannot be reversed by hashing candidate emails."""
    message = "\x1f".join((tenant, key, subject)).encode("utf-8")
    return "hmac-sha256:" + hmac.new(salt.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _salt() -> str:
    salt = os.environ.get(SALT_ENV_VAR)
    if not salt:
        raise dg.Failure(
            f"${SALT_ENV_VAR} is not set: the audit fingerprint of the subject needs a secret salt "
            "(any long random string, the same for every erasure)",
            allow_retries=False,
        )
    return salt


def _subject_value(config: GdprEraseConfig) -> str:
    if (config.subject is None) == (config.subject_env_var is None):
        raise dg.Failure(
            "give exactly one of 'subject' and 'subject_env_var' in the run config", allow_retries=False
        )
    if config.subject_env_var is not None:
        value = os.environ.get(config.subject_env_var)
        if not value:
            raise dg.Failure(f"${config.subject_env_var} is not set or empty", allow_retries=False)
        return value
    assert config.subject is not None
    if not config.subject.strip():
        raise dg.Failure("'subject' is empty", allow_retries=False)
    return config.subject


def _object_ref(spec: ObjectSpec) -> str:
    return f"{spec.source}.{spec.name}"


def _targets(specs: list[ObjectSpec], config: GdprEraseConfig) -> dict[str, str]:
    """'source.object' → column, from declared subject keys overridden by the run config."""
    refs = {_object_ref(spec) for spec in specs}
    unknown = sorted(set(config.columns) - refs)
    if unknown:
        raise dg.Failure(
            f"run config 'columns' names objects that tenant {config.tenant!r} lacks: {', '.join(unknown)}; "
            f"its objects: {', '.join(sorted(refs))}",
            allow_retries=False,
        )
    targets: dict[str, str] = {}
    for spec in specs:
        declared = spec.config.subject_keys
        if config.key in declared:
            targets[_object_ref(spec)] = declared[config.key]
    targets.update(config.columns)
    if not targets:
        raise dg.Failure(
            f"no object of tenant {config.tenant!r} declares a '{config.key}' subject key and the run config "
            "maps none ('columns': {'source.object': 'column'}); nothing would be erased",
            allow_retries=False,
        )
    return targets


def _check_columns(catalog: IcebergCatalogResource, specs: list[ObjectSpec], targets: dict[str, str]) -> None:
    wrong = []
    for spec in specs:
        column = targets.get(_object_ref(spec))
        table = catalog.load_table(spec.namespace, spec.table_name) if column is not None else None
        if table is not None and column not in table.schema().column_names:
            wrong.append(f"{spec.namespace}.{spec.table_name} has no column {column!r}")
    if wrong:
        raise dg.Failure(
            "nothing was erased: " + "; ".join(wrong) + " (fix the subject key mapping)", allow_retries=False
        )


_OUTCOME_KINDS = ("table", "quarantined", "silver", "silver quarantined")


def _erase_object(
    catalog: IcebergCatalogResource,
    spec: ObjectSpec,
    key: str,
    column: str,
    subject: str,
    properties: dict[str, str],
    quarantine_suffix: str,
) -> list[TableErasure]:
    """Erase from the object's table and quarantine, then its silver copy and that one's quarantine."""
    namespace = spec.namespace
    bronze = bronze_rows(spec, key, column, subject)
    silver: SubjectRows | str | None = None
    if masks_in_silver(spec):
        # Silver rows are found by the bronze rows' primary keys when masking hid the key column,
        # so those keys are read before bronze is erased.
        table = catalog.load_table(namespace, spec.table_name)
        keys = _keys_of(table, bronze, tuple(spec.config.primary_key))
        try:
            silver = silver_rows(spec, key, column, subject, keys)
        except NotMatchableError as exc:
            silver = str(exc)
    outcomes = [
        _erase_table(catalog, namespace, spec.table_name, bronze, properties),
        _erase_quarantined(
            catalog, namespace, quarantine_table_name(spec.table_name, quarantine_suffix), bronze, properties
        ),
    ]
    if silver is not None:
        silver_table = silver_table_name(spec.table_name)
        silver_quarantine = quarantine_table_name(silver_table, quarantine_suffix)
        if isinstance(silver, str):
            outcomes += [
                TableErasure(silver_table, skipped=silver),
                TableErasure(silver_quarantine, skipped=silver),
            ]
        else:
            outcomes += [
                _erase_table(catalog, namespace, silver_table, silver, properties),
                _erase_quarantined(catalog, namespace, silver_quarantine, silver, properties),
            ]
    return outcomes


def _keys_of(table: Table | None, rows: SubjectRows, primary_key: tuple[str, ...]) -> Any:
    if table is None or not primary_key:
        return None
    try:
        return primary_keys_of(table, rows, primary_key)
    except NotMatchableError:
        return None


def _erase_table(
    catalog: IcebergCatalogResource,
    namespace: str,
    name: str,
    rows: SubjectRows,
    properties: dict[str, str],
) -> TableErasure:
    table = catalog.load_table(namespace, name)
    if table is None:
        return TableErasure(name, skipped="table does not exist yet")
    try:
        predicate = rows.predicate(table)
    except NotMatchableError as exc:
        return TableErasure(name, skipped=str(exc))
    if predicate is None:
        return TableErasure(name)
    return TableErasure(name, rows_removed=_delete(table, predicate, properties))


def _erase_quarantined(
    catalog: IcebergCatalogResource,
    namespace: str,
    name: str,
    rows: SubjectRows,
    properties: dict[str, str],
) -> TableErasure:
    """Quarantined rows are JSON text; the subject's are found by parsing, deleted by exact text."""
    table = catalog.load_table(namespace, name)
    if table is None:
        return TableErasure(name, skipped="table does not exist yet")
    if QUARANTINE_ROW_COLUMN not in table.schema().column_names:
        return TableErasure(name, skipped=f"no {QUARANTINE_ROW_COLUMN} column")
    texts = table.scan(selected_fields=(QUARANTINE_ROW_COLUMN,)).to_arrow().column(QUARANTINE_ROW_COLUMN)
    hint = rows.quarantine_hint()
    if hint is not None:
        # Cheap substring prefilter before parsing: a row holding the subject contains its text.
        found = pc.match_substring(texts, hint, ignore_case=rows.ignore_case)
        texts = texts.filter(pc.fill_null(found, False))
    matches = {text for text in texts.to_pylist() if text is not None and quarantined_json_holds(text, rows)}
    if not matches:
        return TableErasure(name)
    return TableErasure(name, rows_removed=_delete(table, In(QUARANTINE_ROW_COLUMN, matches), properties))


def _delete(table: Table, predicate: BooleanExpression, properties: dict[str, str]) -> int:
    """Delete in one commit (retried on a concurrent commit) and return the rows it removed."""

    def attempt() -> None:
        with warnings.catch_warnings():
            # pyiceberg warns when nothing matched; zero rows removed says the same.
            warnings.filterwarnings("ignore", message="Delete operation did not match any records")
            table.refresh().delete(predicate, snapshot_properties=properties)

    with_commit_retries(attempt, ".".join(table.name()))
    return _rows_removed(table.refresh(), properties[ERASURE_PROPERTY], predicate)


def _rows_removed(table: Table, erasure_id: str, predicate: BooleanExpression) -> int:
    ours = sorted(
        (
            s
            for s in table.metadata.snapshots
            if s.summary is not None and s.summary.get(ERASURE_PROPERTY) == erasure_id
        ),
        key=lambda s: s.sequence_number or 0,
    )
    if not ours:
        return 0
    base = (
        table.snapshot_by_id(ours[0].parent_snapshot_id) if ours[0].parent_snapshot_id is not None else None
    )
    return _live_matches(table, base, predicate) - _live_matches(table, ours[-1], predicate)


def _live_matches(table: Table, snapshot: Any, predicate: BooleanExpression) -> int:
    """Live rows matching `predicate` in `snapshot`. Not `total-records`: that counts rows an
    upsert's position deletes removed, which a rewrite of their file drops without a trace."""
    if snapshot is None:
        return 0
    return table.scan(row_filter=predicate, snapshot_id=snapshot.snapshot_id).count()
