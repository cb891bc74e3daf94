"""Running Soda Core 4 contracts with soda-duckdb over an in-memory Arrow table.

Soda is imported on first use only: definitions load for thousands of assets must not pay for it.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.fs as pafs
import yaml

from atlas_assets.checks.quality.contract_file import ContractFile, FileProblem

if TYPE_CHECKING:
    import pyarrow.dataset as ds

DATA_SOURCE_NAME = "atlas"
SCHEMA = "main"
# Validation runs without data; Soda still needs a dataset identifier of the right shape.
_PLACEHOLDER_DATASET = f"{DATA_SOURCE_NAME}/{SCHEMA}/contract"


@dataclass(frozen=True)
class SodaCheckOutcome:
    """What Soda concluded about one check."""

    outcome: str
    value: float | int | None
    diagnostics: dict[str, Any]
    threshold: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SodaRun:
    """Outcomes by check qualifier (the Atlas check name), and the errors Soda logged."""

    outcomes: dict[str, SodaCheckOutcome]
    errors: tuple[str, ...]


# Soda registers its check types while `soda_core` itself is being imported. Without this lock a
# thread could use Soda while another (see `prepare_quality_checks`) is still registering, and
# find only some check types for good.
_import_lock = threading.Lock()
_loaded: SimpleNamespace | None = None


def load_soda() -> SimpleNamespace:
    """Soda's and DuckDB's entry points, imported once per process (thread-safe)."""
    global _loaded
    with _import_lock:
        if _loaded is None:
            _loaded = _import_soda()
        return _loaded


def _import_soda() -> SimpleNamespace:
    # Soda Core enables anonymous usage telemetry (an OTLP exporter to Soda's servers, installed
    # as the process-wide OpenTelemetry tracer provider) unless told otherwise; a data platform
    # must not phone home from every asset run. An operator can still opt in via the variable.
    os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
    with warnings.catch_warnings():
        # Soda declares a UNION ALL node "not fully supported" at import; contracts here never use it.
        warnings.simplefilter("ignore", DeprecationWarning)
        import duckdb
        from soda_core.common.yaml import ContractYamlSource
        from soda_core.contracts.contract_verification import ContractVerificationSession
        from soda_core.contracts.impl.check_types.check_types import CoreCheckTypesPlugin
        from soda_core.contracts.impl.contract_yaml import CheckYaml
        from soda_duckdb.common.data_sources.duckdb_data_source import DuckDBDataSourceImpl

    if not {"missing", "invalid", "duplicate", "freshness", "row_count", "schema"} <= set(
        CheckYaml.get_check_type_names()
    ):
        # Soda's plugin loader only logs a warning when an entry point fails to import (which a
        # concurrent import elsewhere in the process can cause); register the core types directly.
        CoreCheckTypesPlugin.register_check_types()
    return SimpleNamespace(
        duckdb=duckdb,
        ContractYamlSource=ContractYamlSource,
        ContractVerificationSession=ContractVerificationSession,
        CheckYaml=CheckYaml,
        DuckDBDataSourceImpl=DuckDBDataSourceImpl,
    )


DUCKDB_MEMORY_LIMIT = "128MB"


def run_contract(
    document: dict[str, Any],
    data: pa.Table | ds.Dataset,
    view: str,
    data_timestamp: dt.datetime | None,
    where: str | None = None,
) -> SodaRun:
    """Verify `document` (its dataset must be `dataset_identifier(view)`) against `data`.

    `data_timestamp` is the instant freshness is measured from (the partition window's end);
    `where`, a DuckDB predicate, keeps only the rows it holds for (one partition's).
    """
    soda = load_soda()
    connection = soda.duckdb.connect(":memory:")
    try:
        # Duplicate-key and other aggregates hash every row; a memory limit makes DuckDB spill
        # to disk instead, so checking a 10M-row partition costs no more memory than 1M.
        connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        connection.execute("SET preserve_insertion_order = false")
        connection.execute(f"SET temp_directory = '{tempfile.gettempdir()}/atlas-duckdb'")
        _expose(connection, view, data, where)
        data_source = soda.DuckDBDataSourceImpl.from_existing_cursor(connection, name=DATA_SOURCE_NAME)
        source = soda.ContractYamlSource.from_str(yaml.safe_dump(document, sort_keys=False))
        session = soda.ContractVerificationSession.execute(
            contract_yaml_sources=[source],
            data_source_impls=[data_source],
            data_timestamp=data_timestamp.isoformat() if data_timestamp is not None else None,
        )
    finally:
        connection.close()
    outcomes: dict[str, SodaCheckOutcome] = {}
    for result in session.results:
        for check_result in result.check_results:
            qualifier = check_result.check.qualifier
            if qualifier is None:
                continue
            outcomes[qualifier] = SodaCheckOutcome(
                outcome=check_result.outcome.name,
                value=check_result.threshold_value,
                diagnostics=dict(check_result.diagnostic_metric_values or {}),
                threshold=str(check_result.check.threshold) if check_result.check.threshold else None,
                details=_details(check_result),
            )
    return SodaRun(outcomes, tuple(session.get_errors()))


def _expose(connection: Any, view: str, data: pa.Table | ds.Dataset, where: str | None) -> None:
    """Make `data` (its rows where `where` holds) queryable as `view`, reading local Parquet natively.

    DuckDB's own Parquet reader honours its memory limit; scanning an Arrow dataset goes through
    Arrow's read-ahead and grows with the data, so files are read directly. Tables, in-memory
    datasets and object-store files are registered as Arrow (zero-copy for tables).
    """
    import pyarrow.dataset as ds

    if isinstance(data, ds.FileSystemDataset) and isinstance(data.filesystem, pafs.LocalFileSystem):
        columns = ", ".join(f'"{name}"' for name in data.schema.names)
        files = ", ".join("'" + path.replace("'", "''") + "'" for path in data.files)
        # By name: a run's earlier files lack the columns its later pages added (null there).
        source = f"read_parquet([{files}], union_by_name = true)"
    elif where is None:
        connection.register(view, data)
        return
    else:
        connection.register(f"{view}__all", data)
        source, columns = f'"{view}__all"', "*"
    condition = f" WHERE {where}" if where is not None else ""
    connection.execute(f'CREATE VIEW "{view}" AS SELECT {columns} FROM {source}{condition}')


def dataset_identifier(view: str) -> str:
    """Soda's `data_source/schema/table` name of a registered view."""
    return f"{DATA_SOURCE_NAME}/{SCHEMA}/{view}"


def _details(check_result: Any) -> dict[str, Any]:
    """Schema results carry which columns were missing or unexpected."""
    details: dict[str, Any] = {}
    for attribute, key in (
        ("expected_column_names_not_actual", "missing_columns"),
        ("actual_column_names_not_expected", "unexpected_columns"),
    ):
        value = getattr(check_result, attribute, None)
        if value is not None:
            details[key] = list(value)
    return details


def check_types() -> list[str]:
    """Check types this Soda installation knows (`missing`, `invalid`, `freshness`, ...)."""
    return list(load_soda().CheckYaml.get_check_type_names())


def validate_contract(contract: ContractFile) -> list[FileProblem]:
    """Soda's own judgement of a structurally sound contract file, with 1-based lines."""
    soda = load_soda()
    known = set(check_types())
    problems = [
        FileProblem(check.line, f"unknown check type '{check.kind}'; Soda knows: {', '.join(sorted(known))}")
        for check in contract.checks
        if check.kind not in known
    ]
    if problems:
        return problems
    source = soda.ContractYamlSource.from_str(_validatable_text(contract.text), file_path=str(contract.path))
    try:
        session = soda.ContractVerificationSession.execute(
            contract_yaml_sources=[source], only_validate_without_execute=True
        )
    except Exception as exc:  # Soda raises its parser exceptions with the location in the message.
        return [FileProblem(None, str(exc))]
    for result in session.results:
        for record in result.log_records or []:
            if record.levelno >= 40:
                location = getattr(record, "location", None)
                # Soda's per-key locations are 0-based lines.
                line = location.line + 1 if getattr(location, "line", None) is not None else None
                problems.append(FileProblem(line, record.getMessage()))
    return problems


def _validatable_text(text: str) -> str:
    """The file as Soda must see it: Atlas supplies `dataset` and an empty `columns` if absent.

    Keys are appended at the end so every line number Soda reports is the file's own.
    """
    parsed = yaml.safe_load(text) or {}
    additions = []
    if "dataset" not in parsed:
        additions.append(f"dataset: {_PLACEHOLDER_DATASET}")
    if "columns" not in parsed:
        additions.append("columns: []")
    if not additions:
        return text
    return text.rstrip("\n") + "\n" + "\n".join(additions) + "\n"
