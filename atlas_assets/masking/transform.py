"""Applying an object's `pii:` policies to Arrow batches: the on-write transform and its building blocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from atlas_assets.config.pii_columns import STRING_OUTPUT_POLICIES, ColumnPolicy, MaskPolicy
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.masking.hashing import hmac_sha256_hex
from atlas_assets.masking.shapes import mask_values

BatchTransform = Callable[[pa.RecordBatch], pa.RecordBatch]


@dataclass(frozen=True)
class BatchMasker:
    """Masks the declared columns of each batch it is called with; other columns pass untouched.

    A declared column missing from a batch is skipped: there is nothing in clear to protect.
    """

    rules: tuple[tuple[str, ColumnPolicy], ...]
    key: bytes | None = field(default=None, repr=False)

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        for column, rule in self.rules:
            index = batch.schema.get_field_index(column)
            if index < 0:
                continue
            values = batch.column(index)
            masked = self.mask_column(values, rule)
            batch = batch.set_column(index, pa.field(column, masked.type, nullable=True), masked)
        return batch

    def mask_column(self, values: pa.Array, rule: ColumnPolicy) -> pa.Array:
        """One column under one policy."""
        policy = rule.policy
        if policy is MaskPolicy.HASH:
            if self.key is None:
                raise ValueError("the hash policy needs the tenant's privacy.secret")
            return hmac_sha256_hex(values, self.key)
        if policy is MaskPolicy.MASK:
            return mask_values(values)
        if policy is MaskPolicy.REDACT:
            if rule.replacement is None:
                return pa.nulls(len(values), values.type)
            text = values if pa.types.is_string(values.type) else pa.nulls(len(values), pa.string())
            return pc.if_else(pc.is_valid(values), pa.scalar(rule.replacement), text.cast(pa.string()))
        return values


def protected_columns(spec: ObjectSpec) -> tuple[tuple[str, ColumnPolicy], ...]:
    """Declared PII columns whose policy changes the data (everything but `keep`)."""
    return tuple((name, rule) for name, rule in spec.config.pii.items() if rule.policy is not MaskPolicy.KEEP)


def masker_for(spec: ObjectSpec) -> BatchMasker | None:
    """The object's masker, wherever it runs; None when every declared column is `keep`."""
    rules = protected_columns(spec)
    if not rules:
        return None
    needs_key = any(rule.policy is MaskPolicy.HASH for _, rule in rules)
    return BatchMasker(rules, tenant_key(spec) if needs_key else None)


def masking_transform(spec: ObjectSpec) -> BatchTransform | None:
    """The batch transform that masks on write, or None when this object masks in silver or not at all."""
    if spec.pii_scan.masking != "on_write":
        return None
    return masker_for(spec)


def masked_type(rule: ColumnPolicy, arrow_type: pa.DataType) -> pa.DataType:
    """The Arrow type a column of `arrow_type` has after `rule` (hash and mask write text)."""
    replaced = rule.policy is MaskPolicy.REDACT and rule.replacement is not None
    if rule.policy in STRING_OUTPUT_POLICIES or replaced:
        return pa.string()
    return arrow_type


def tenant_key(spec: ObjectSpec) -> bytes:
    """The tenant's HMAC key; runner.yaml validation guarantees it exists when `hash` is used."""
    secret = spec.tenant_config.privacy.secret
    if secret is None:
        raise ValueError(f"tenants.{spec.tenant}.privacy.secret is required by {spec.path}.pii ('hash')")
    return secret.value.encode("utf-8")


def mask_table(table: pa.Table, masker: BatchMasker) -> pa.Table:
    """`table` with `masker` applied batch by batch (an empty table keeps its masked schema)."""
    rules = dict(masker.rules)
    schema = pa.schema(
        [pa.field(f.name, masked_type(rules[f.name], f.type)) if f.name in rules else f for f in table.schema]
    )
    return pa.Table.from_batches([masker(batch) for batch in table.to_batches()], schema=schema)
