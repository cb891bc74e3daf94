"""An object's quality contract: checks generated from runner.yaml, merged with its contract file.

Pure Python and cheap: it runs at definitions load for every object. Each check gets a stable
Dagster check name; the Soda document built from the contract carries that name as the check's
`qualifier`, which is how Soda's results are matched back to Dagster checks.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from atlas_assets.checks.quality.contract_file import ContractFile, FileCheck
from atlas_assets.config.objects import WriteMode
from atlas_assets.config.resolve import ObjectSpec

if TYPE_CHECKING:
    # Annotations only: importing quality_config before the config package has initialised is
    # an import cycle (config/objects.py imports quality_config for ObjectConfig.quality).
    from atlas_assets.checks.quality.config import ColumnRule, QualityConfig, RowCountBounds

Origin = Literal["runner.yaml", "contract_file"]

# Which slot a check fills: a contract-file check in the same slot as a generated one replaces it
# (so a file can retune, e.g., the missing threshold of a key column) and keeps its name.
Slot = tuple[Any, ...]

_NOMINAL_PERIOD = {
    "hourly": dt.timedelta(hours=1),
    "daily": dt.timedelta(days=1),
    "weekly": dt.timedelta(weeks=1),
    "monthly": dt.timedelta(days=31),
}
_NOT_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]+")
FRESHNESS_WRITE_MODES = (WriteMode.PARTITION_OVERWRITE, WriteMode.UPSERT)
# These modes write only what changed since the last run: a quiet hour writes no row and is not a
# failure, so their row_count has no minimum unless runner.yaml sets one.
QUIET_WRITE_MODES = (WriteMode.APPEND, WriteMode.UPSERT)


@dataclass(frozen=True)
class QualityCheck:
    """One check of an object's contract."""

    name: str
    kind: str
    column: str | None
    reads: tuple[str, ...]
    body: dict[str, Any]
    description: str
    origin: Origin
    slot: Slot
    quiet_passes: bool = False
    """A window that wrote no row passes (without asking Soda): set where the write mode writes
    only changes, so a quiet window is not a failure, as `row_count` has no minimum there."""

    def soda_entry(self, window_length: dt.timedelta | None) -> dict[str, Any]:
        """`{kind: body}` for the Soda document, qualified by the check's Dagster name."""
        body = {**self.body, "qualifier": self.name}
        if self.origin == "runner.yaml" and self.kind == "freshness" and window_length is not None:
            # The newest row must lie in the window: Soda measures from the window's end (the
            # data timestamp), so anything older than the window's length is stale.
            body["threshold"] = {
                "unit": "minute",
                "must_be_less_than_or_equal": window_length.total_seconds() / 60,
            }
        return {self.kind: body}


@dataclass(frozen=True)
class QualityContract:
    """All checks of one object and the columns its data is expected to have."""

    checks: tuple[QualityCheck, ...]
    expected_columns: tuple[str, ...]
    column_entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    top_level: dict[str, Any] = field(default_factory=dict)
    nominal_window: dt.timedelta | None = None

    def soda_document(
        self, dataset: str, present_columns: set[str], window_length: dt.timedelta | None
    ) -> dict[str, Any]:
        """The Soda contract to run, leaving out checks that read columns absent from the data.

        Soda computes most metrics in one aggregate query, so a single unknown column would leave
        every check unevaluated; absent columns are reported by the caller instead.
        """
        window_length = window_length or self.nominal_window
        runnable = [c for c in self.checks if set(c.reads) <= present_columns]
        columns: list[dict[str, Any]] = []
        for name in self.expected_columns:
            entry: dict[str, Any] = {"name": name, **self.column_entries.get(name, {})}
            column_checks = [c.soda_entry(window_length) for c in runnable if c.column == name]
            if column_checks:
                entry["checks"] = column_checks
            columns.append(entry)
        document: dict[str, Any] = {**self.top_level, "dataset": dataset, "columns": columns}
        dataset_checks = [c.soda_entry(window_length) for c in runnable if c.column is None]
        if dataset_checks:
            document["checks"] = dataset_checks
        return document


def build_contract(spec: ObjectSpec, contract_file: ContractFile | None) -> QualityContract:
    """The object's contract: generated checks, then the contract file's, merged by slot."""
    quality: QualityConfig = spec.config.quality
    generated = _generated_checks(spec, quality)
    file_checks = contract_file.checks if contract_file is not None else ()

    by_slot: dict[Slot, QualityCheck] = {check.slot: check for check in generated}
    taken = {check.name for check in generated}
    extra: list[QualityCheck] = []
    for file_check in file_checks:
        slot = _file_slot(file_check)
        replaced = by_slot.get(slot)
        if replaced is not None:
            by_slot[slot] = _from_file(file_check, replaced.name, slot)
            continue
        name = _unique(_file_check_name(file_check), taken)
        taken.add(name)
        extra.append(_from_file(file_check, name, slot))
    checks = (*by_slot.values(), *extra)

    expected = list(_expected_columns(spec, quality))
    entries = dict(contract_file.column_entries) if contract_file is not None else {}
    for column in [*entries, *(c for check in checks for c in check.reads)]:
        if column not in expected:
            expected.append(column)
    return QualityContract(
        checks=tuple(checks),
        expected_columns=tuple(expected),
        column_entries=entries,
        top_level=dict(contract_file.top_level) if contract_file is not None else {},
        nominal_window=_NOMINAL_PERIOD[spec.partitions.granularity] if spec.partitions is not None else None,
    )


def _generated_checks(spec: ObjectSpec, quality: QualityConfig) -> list[QualityCheck]:
    config = spec.config
    checks: list[QualityCheck] = []
    for column in config.primary_key:
        checks.append(_missing(column, f"primary key column {column} is never null"))
    if config.primary_key:
        key = ", ".join(config.primary_key)
        checks.append(
            QualityCheck(
                name="duplicate_primary_key",
                kind="duplicate",
                column=None,
                reads=tuple(config.primary_key),
                body={"columns": list(config.primary_key)},
                description=f"no two rows share a primary key ({key})",
                origin="runner.yaml",
                slot=(None, "duplicate", None, tuple(config.primary_key)),
            )
        )
    for column in quality.required:
        if column not in config.primary_key:
            checks.append(_missing(column, f"required column {column} is never null"))
    for column, rule in quality.columns.items():
        checks.append(_invalid(column, rule))
    if quality.freshness and config.cursor and spec.write_mode in FRESHNESS_WRITE_MODES:
        checks.append(
            QualityCheck(
                name=_name(f"freshness_{config.cursor}"),
                kind="freshness",
                column=None,
                reads=(config.cursor,),
                body={"column": config.cursor},
                description=f"the newest {config.cursor} lies in the partition's time window",
                origin="runner.yaml",
                slot=(None, "freshness", None, config.cursor),
                quiet_passes=spec.write_mode in QUIET_WRITE_MODES,
            )
        )
    bounds = _row_count_bounds(spec, quality)
    if bounds is not None:
        checks.append(_row_count(bounds))
    if quality.schema_check and _expected_columns(spec, quality):
        exact = config.columns is not None
        checks.append(
            QualityCheck(
                name="schema",
                kind="schema",
                column=None,
                reads=(),
                body={"allow_extra_columns": not exact, "allow_other_column_order": True},
                description=(
                    "the data has exactly the columns listed in `columns`"
                    if exact
                    else "the columns runner.yaml names (key, cursor, rules) are present"
                ),
                origin="runner.yaml",
                slot=(None, "schema", None, None),
            )
        )
    return checks


def _missing(column: str, description: str) -> QualityCheck:
    return QualityCheck(
        name=_name(f"missing_{column}"),
        kind="missing",
        column=column,
        reads=(column,),
        body={},
        description=description,
        origin="runner.yaml",
        slot=(column, "missing", None),
    )


def _invalid(column: str, rule: ColumnRule) -> QualityCheck:
    body: dict[str, Any] = {}
    said: list[str] = []
    if rule.pattern is not None:
        body["valid_format"] = {"name": rule.format or "regex", "regex": rule.pattern}
        said.append(f"is a valid {rule.format}" if rule.format else f"matches {rule.regex}")
    if rule.allowed_values is not None:
        body["valid_values"] = list(rule.allowed_values)
        said.append(f"is one of {', '.join(map(str, rule.allowed_values))}")
    if rule.min is not None:
        body["valid_min"] = rule.min
        said.append(f"is at least {rule.min:g}")
    if rule.max is not None:
        body["valid_max"] = rule.max
        said.append(f"is at most {rule.max:g}")
    return QualityCheck(
        name=_name(f"invalid_{column}"),
        kind="invalid",
        column=column,
        reads=(column,),
        body=body,
        description=f"every non-null {column} " + " and ".join(said),
        origin="runner.yaml",
        slot=(column, "invalid", None),
    )


def _row_count_bounds(spec: ObjectSpec, quality: QualityConfig) -> RowCountBounds | None:
    """The row_count bounds that apply to the object, None when nothing is to be checked."""
    bounds = quality.row_count
    if bounds is None:
        return None
    if spec.write_mode in QUIET_WRITE_MODES and "min" not in bounds.model_fields_set:
        bounds = bounds.model_copy(update={"min": None})
    return bounds if bounds.is_bounded else None


def _row_count(bounds: RowCountBounds) -> QualityCheck:
    if bounds.min and bounds.max is not None:
        threshold: dict[str, Any] = {
            "must_be_between": {"greater_than_or_equal": bounds.min, "less_than_or_equal": bounds.max}
        }
        said = f"between {bounds.min} and {bounds.max}"
    elif bounds.max is not None:
        threshold = {"must_be_less_than_or_equal": bounds.max}
        said = f"at most {bounds.max}"
    else:
        threshold = {"must_be_greater_than_or_equal": bounds.min}
        said = f"at least {bounds.min}"
    return QualityCheck(
        name="row_count",
        kind="row_count",
        column=None,
        reads=(),
        body={"threshold": threshold},
        description=f"a run writes {said} row{'' if said.endswith(' 1') else 's'}",
        origin="runner.yaml",
        slot=(None, "row_count", None, None),
    )


def _expected_columns(spec: ObjectSpec, quality: QualityConfig) -> tuple[str, ...]:
    """Columns runner.yaml says the data has, in the order it first names them."""
    config = spec.config
    named = [
        *(config.columns or []),
        *config.primary_key,
        *([config.cursor] if config.cursor else []),
        *quality.required,
        *quality.columns,
        *config.column_types,
    ]
    return tuple(dict.fromkeys(named))


def _file_slot(check: FileCheck) -> Slot:
    if check.column is not None:
        return (check.column, check.kind, check.qualifier)
    detail: Any = None
    if check.kind == "duplicate" and isinstance(check.body.get("columns"), list):
        detail = tuple(map(str, check.body["columns"]))
    elif check.kind == "freshness":
        detail = check.body.get("column")
    return (None, check.kind, check.qualifier, detail)


def _file_check_name(check: FileCheck) -> str:
    parts = [check.kind]
    if check.column is not None:
        parts.append(check.column)
    elif check.kind == "duplicate" and isinstance(check.body.get("columns"), list):
        parts.extend(map(str, check.body["columns"]))
    elif check.kind == "freshness" and check.body.get("column"):
        parts.append(str(check.body["column"]))
    if check.qualifier:
        parts.append(check.qualifier)
    return _name("_".join(parts))


def _from_file(check: FileCheck, name: str, slot: Slot) -> QualityCheck:
    reads: tuple[str, ...] = (check.column,) if check.column is not None else ()
    if check.kind == "duplicate" and isinstance(check.body.get("columns"), list):
        reads = tuple(map(str, check.body["columns"]))
    elif check.kind == "freshness" and isinstance(check.body.get("column"), str):
        reads = (check.body["column"],)
    where = f" on {check.column}" if check.column else ""
    line = f", line {check.line}" if check.line else ""
    return QualityCheck(
        name=name,
        kind=check.kind,
        column=check.column,
        reads=reads,
        body={k: v for k, v in check.body.items() if k != "qualifier"},
        description=check.body.get("name")
        or f"Soda '{check.kind}' check{where} from the contract file{line}",
        origin="contract_file",
        slot=slot,
    )


def _name(text: str) -> str:
    """A valid Dagster check name (letters, digits, underscores)."""
    return _NOT_NAME_CHARS.sub("_", text).strip("_") or "check"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate
