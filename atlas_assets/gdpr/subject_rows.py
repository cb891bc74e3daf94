"""Which rows of one table are a data subject's, however the table stores the subject's key.

A key column may hold the subject in clear (emails compared without regard to case: mail
systems treat `Quinn@Example.com` and `quinn@example.com` as one address), as the tenant's
HMAC when it is masked with `hash` (the subject is hashed with the same key and compared with
the stored digest), or not at all when `mask` or `redact` hid it in a silver copy: there the
subject's rows are found by the primary keys of the subject's bronze rows.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.expressions import And, BooleanExpression, EqualTo, In, Or
from pyiceberg.expressions.visitors import bind
from pyiceberg.table import Table

from atlas_assets.config.pii_columns import MaskPolicy
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.masking.hashing import hmac_sha256_hex
from atlas_assets.masking.transform import tenant_key

# Key kinds whose values are compared without regard to case.
CASE_INSENSITIVE_KEYS = frozenset({"email"})


class NotMatchableError(Exception):
    """No row of the table can be identified as the subject's; the message says why."""


@dataclass(frozen=True)
class SubjectRows:
    """The subject's rows of one table: its key `column` holds one of `values` (without regard to
    case when `ignore_case`), or, when `keys` is given, its primary key is one of those rows."""

    column: str
    values: frozenset[str]
    ignore_case: bool = False
    keys: pa.Table | None = None

    def predicate(self, table: Table) -> BooleanExpression | None:
        """The delete filter for `table`, or None when no stored row is the subject's."""
        if self.keys is not None:
            return _key_filter(self.keys)
        if str(table.schema().find_field(self.column).field_type) != "string":
            return self._typed_filter(table)
        stored = table.scan(selected_fields=(self.column,)).to_arrow().column(self.column)
        matched = self.stored_forms(stored)
        return In(self.column, matched) if matched else None

    def stored_forms(self, stored: pa.ChunkedArray | pa.Array) -> set[str]:
        """The distinct stored values that are the subject's."""
        values = stored.combine_chunks() if isinstance(stored, pa.ChunkedArray) else stored
        distinct = pc.unique(values.drop_null())
        compared = pc.utf8_lower(distinct) if self.ignore_case else distinct
        wanted = {v.lower() for v in self.values} if self.ignore_case else set(self.values)
        mask = pc.is_in(compared, value_set=pa.array(sorted(wanted), pa.string()))
        return set(distinct.filter(mask).to_pylist())

    def holds(self, row: dict[str, Any]) -> bool:
        """Whether a quarantined row (parsed from its JSON text) is the subject's."""
        if self.keys is not None:
            names = self.keys.column_names
            return any(all(row.get(n) == k[n] for n in names) for k in self.keys.to_pylist())
        value = row.get(self.column)
        if value is None:
            return False
        text = str(value)
        if self.ignore_case:
            return text.lower() in {v.lower() for v in self.values}
        return text in self.values

    def quarantine_hint(self) -> str | None:
        """A substring every quarantined row of the subject contains (a cheap prefilter), if any."""
        if self.keys is not None or len(self.values) != 1:
            return None
        return next(iter(self.values))

    def _typed_filter(self, table: Table) -> BooleanExpression:
        """An exact match on a non-text column (e.g. a numeric customer id)."""
        predicate: BooleanExpression = EqualTo(self.column, min(self.values))
        try:
            bind(table.schema(), predicate, case_sensitive=True)
        except ValueError:
            # E.g. an email against a numeric id column. pyiceberg's message quotes the value.
            field_type = table.schema().find_field(self.column).field_type
            raise NotMatchableError(
                f"subject is not a valid {field_type} for column {self.column!r}"
            ) from None
        return predicate


def bronze_rows(spec: ObjectSpec, key: str, column: str, subject: str) -> SubjectRows:
    """The subject's rows of the object's own table, as masking on write stored them."""
    policy = spec.config.pii.get(column)
    if spec.pii_scan.masking == "on_write" and policy is not None:
        return _masked(spec, column, policy.policy, subject, key)
    return SubjectRows(column, frozenset({subject}), ignore_case=key in CASE_INSENSITIVE_KEYS)


def silver_rows(
    spec: ObjectSpec, key: str, column: str, subject: str, bronze_keys: pa.Table | None
) -> SubjectRows:
    """The subject's rows of the object's silver copy, where `pii:` policies changed the key column.

    `bronze_keys` are the primary keys of the subject's bronze rows, read before bronze is erased.
    """
    policy = spec.config.pii.get(column)
    if policy is None:
        return SubjectRows(column, frozenset({subject}), ignore_case=key in CASE_INSENSITIVE_KEYS)
    return _masked(spec, column, policy.policy, subject, key, bronze_keys)


def _masked(
    spec: ObjectSpec,
    column: str,
    policy: MaskPolicy,
    subject: str,
    key: str,
    bronze_keys: pa.Table | None = None,
) -> SubjectRows:
    if policy is MaskPolicy.KEEP:
        return SubjectRows(column, frozenset({subject}), ignore_case=key in CASE_INSENSITIVE_KEYS)
    if policy is MaskPolicy.HASH:
        # The digest of the value as the source spelled it: for case-insensitive keys the
        # lower-case spelling is tried too (the usual canonical form); other spellings cannot be found.
        forms = {subject, subject.lower()} if key in CASE_INSENSITIVE_KEYS else {subject}
        digests = hmac_sha256_hex(pa.array(sorted(forms), pa.string()), tenant_key(spec)).to_pylist()
        return SubjectRows(column, frozenset(digests))
    if bronze_keys is None:
        raise NotMatchableError(
            f"column {column!r} is masked with {policy!s} and the object has no primary key to find "
            "the subject's rows by"
        )
    return SubjectRows(column, frozenset(), keys=bronze_keys)


def primary_keys_of(table: Table, rows: SubjectRows, primary_key: tuple[str, ...]) -> pa.Table | None:
    """The primary keys of the subject's rows in `table` (before they are deleted)."""
    if not primary_key:
        return None
    predicate = rows.predicate(table)
    if predicate is None:
        return pa.table({name: pa.array([], pa.string()) for name in primary_key})
    return table.scan(row_filter=predicate, selected_fields=primary_key).to_arrow()


def _key_filter(keys: pa.Table) -> BooleanExpression | None:
    if keys.num_rows == 0:
        return None
    names = keys.column_names
    if len(names) == 1:
        return In(names[0], set(keys.column(0).to_pylist()))
    matches = [
        functools.reduce(And, [EqualTo(n, row[n]) for n in names])  # type: ignore[arg-type]
        for row in keys.to_pylist()
    ]
    return functools.reduce(Or, matches)


def quarantined_json_holds(text: str, rows: SubjectRows) -> bool:
    """Whether a quarantine table's `_atlas_row` JSON text is one of the subject's rows."""
    try:
        row = json.loads(text)
    except ValueError:
        return False
    return isinstance(row, dict) and rows.holds(row)
