"""Quality checks of an object's asset: declared at definitions load, run on the rows each run wrote.

The three entry points (the first two for the definitions factory, the last for the loader):

- `quality_check_specs(spec)`: the `AssetCheckSpec`s, cheap (no Soda import, a contract file is
  parsed once).
- `run_quality_checks(spec, data, window, rows=None)`: one `AssetCheckResult` per spec, by running
  the object's Soda contract with soda-duckdb over exactly the Arrow rows the run committed (or
  one partition's share of them).
- `quality_config_problems(specs, base_dir)`: contract files that are missing or do not parse,
  and `quality:` settings that name no check or column, as `ConfigProblem`s.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa

from atlas_assets.checks.quality.contract import QualityContract, build_contract
from atlas_assets.checks.quality.contract_file import ContractFile, read_contract_file
from atlas_assets.checks.quality.results import check_result, quiet_window_result
from atlas_assets.checks.quality.soda import dataset_identifier, load_soda, run_contract, validate_contract
from atlas_assets.config.errors import ConfigProblem
from atlas_assets.config.location import runner_config_path
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.connectors.contract import TimeWindow
from atlas_assets.iceberg.partition_rows import PartitionRows

if TYPE_CHECKING:
    # pyarrow.dataset imports pandas: a run's checks need it, loading definitions does not.
    import pyarrow.dataset as ds

# Lineage columns Atlas stamps on every row: they say nothing about the source data's quality and
# would only make exact-schema checks fail.
LINEAGE_PREFIX = "_atlas_"

# runner.yaml's directory per object, as last given to `quality_config_problems`: contract files
# are relative to it, and ObjectSpec does not (yet) carry it.
_config_dirs: dict[str, Path] = {}


def quality_check_specs(
    spec: ObjectSpec, *, partitions_def: dg.PartitionsDefinition | None = None
) -> list[dg.AssetCheckSpec]:
    """The quality checks declared for the object's asset, with `blocking` from its config."""
    if not spec.config.quality.enabled:
        return []
    specs = []
    for check in object_contract(spec).checks:
        _, blocking = spec.config.quality.policy(check.name)
        specs.append(
            dg.AssetCheckSpec(
                name=check.name,
                asset=spec.asset_key,
                description=check.description,
                blocking=blocking,
                metadata={"atlas/check_kind": check.kind, "atlas/check_origin": check.origin},
                partitions_def=partitions_def,
            )
        )
    return specs


_import_thread: threading.Thread | None = None  # the latest `prepare_quality_checks` thread


def prepare_quality_checks(spec: ObjectSpec) -> threading.Thread | None:
    """Start importing Soda in the background; call at the start of the asset's op.

    A run's process imports Soda once (about half a second to a second); doing it while the
    extraction runs keeps it off the path between the commit and the check results.
    """
    global _import_thread
    if not spec.config.quality.enabled:
        return None
    thread = threading.Thread(target=load_soda, name="atlas-quality-import", daemon=True)
    thread.start()
    _import_thread = thread
    return thread


def settle_quality_import() -> None:
    """Wait until a Soda import an earlier op of this process started has finished.

    Call before forking: a fork copies the import's module locks but not the thread holding
    them, so a child importing the same modules would wait for them forever.
    """
    if _import_thread is not None:
        _import_thread.join()


def run_quality_checks(
    spec: ObjectSpec,
    data: pa.Table | ds.Dataset,
    window: TimeWindow | None,
    rows: PartitionRows | None = None,
) -> list[dg.AssetCheckResult]:
    """Run the object's contract over `data` (the rows one run wrote) and report every check.

    `rows` restricts the contract to one partition's rows of a range run, `window` being that
    partition's. A dataset is scanned lazily by DuckDB, so memory does not grow with the partition.
    """
    if not spec.config.quality.enabled:
        return []
    import pyarrow.dataset as ds

    contract = object_contract(spec)
    if isinstance(data, pa.Table):
        data = ds.dataset(data)
    data = data.replace_schema(pa.schema([f for f in data.schema if not f.name.startswith(LINEAGE_PREFIX)]))
    if not data.schema.names:
        data = ds.dataset(_no_rows_of(contract))
    present = set(data.schema.names)
    window_length = window.end - window.start if window is not None else None
    document = contract.soda_document(dataset_identifier(spec.table_name), present, window_length)
    # Freshness is measured from the window's end; without a window, from now.
    reference = window.end if window is not None else None
    started = time.perf_counter()
    where = rows.sql_predicate(data.schema) if rows is not None else None
    soda = run_contract(document, data, spec.table_name, reference, where)

    context = _run_context(rows.dataset(data) if rows is not None else data, window, reference)
    # The whole contract runs as one Soda verification; every result carries its duration.
    context["quality_seconds"] = round(time.perf_counter() - started, 4)
    results = []
    for check in contract.checks:
        severity, _ = spec.config.quality.policy(check.name)
        if check.quiet_passes and context["rows_written"] == 0:
            results.append(quiet_window_result(spec.asset_key, check, severity, context))
            continue
        absent = [column for column in check.reads if column not in present]
        results.append(
            check_result(
                spec.asset_key, check, severity, soda.outcomes.get(check.name), context, absent, soda.errors
            )
        )
    return results


def _no_rows_of(contract: QualityContract) -> pa.Table:
    """Zero rows of every column the contract reads, for a run that extracted nothing before any
    table existed (an API's quiet first window): nothing contradicts the contract's columns, so the
    checks judge zero rows as they would for a source whose schema is known, and Soda (DuckDB) gets
    a table it can query. Null-typed columns compare with any check's literals."""
    read = (column for check in contract.checks for column in check.reads)
    names = dict.fromkeys([*contract.expected_columns, *read])
    return pa.table({name: pa.nulls(0) for name in names} or {"_": pa.nulls(0)})


def quality_config_problems(specs: list[ObjectSpec], base_dir: Path) -> list[ConfigProblem]:
    """Problems with objects' `quality:` settings and contract files, each naming file and line."""
    problems: list[ConfigProblem] = []
    for spec in specs:
        quality = spec.config.quality
        _config_dirs[spec.path] = Path(base_dir)
        where = f"{spec.path}.quality"
        contract_file = None
        if quality.contract_file is not None:
            contract_file = _contract_file(spec)
            problems += _contract_file_problems(f"{where}.contract_file", contract_file)
        problems += _column_problems(spec, where)
        if quality.checks:
            names = {check.name for check in build_contract(spec, contract_file).checks}
            for name in quality.checks:
                if name not in names:
                    listed = ", ".join(sorted(names)) or "none"
                    problems.append(
                        ConfigProblem(f"{where}.checks.{name}", f"no check named {name!r}; checks: {listed}")
                    )
    return problems


def object_contract(spec: ObjectSpec) -> QualityContract:
    """The object's contract: generated from runner.yaml, merged with its contract file."""
    contract_file = _contract_file(spec) if spec.config.quality.contract_file is not None else None
    if contract_file is not None and contract_file.problems:
        # A broken file is reported by quality_config_problems; its checks cannot be named.
        contract_file = None
    return build_contract(spec, contract_file)


def contract_file_path(spec: ObjectSpec) -> Path | None:
    """Where the object's contract file is: relative paths are against runner.yaml's directory."""
    name = spec.config.quality.contract_file
    if name is None:
        return None
    path = Path(os.path.expanduser(name))
    if path.is_absolute():
        return path
    base = _config_dirs.get(spec.path) or runner_config_path().resolve().parent
    return base / path


def _contract_file(spec: ObjectSpec) -> ContractFile:
    path = contract_file_path(spec)
    assert path is not None
    return read_contract_file(path)


def _contract_file_problems(where: str, contract_file: ContractFile) -> list[ConfigProblem]:
    """Each problem as `contract file <path>:<line>: <message>`, the form editors can jump to."""
    found = list(contract_file.problems) or validate_contract(contract_file)
    return [
        ConfigProblem(
            where,
            f"contract file {contract_file.path}"
            + (f":{problem.line}" if problem.line is not None else "")
            + f": {problem.message}",
        )
        for problem in found
    ]


def _column_problems(spec: ObjectSpec, where: str) -> list[ConfigProblem]:
    """Rules on columns the object does not extract can never pass."""
    columns = spec.config.columns
    if columns is None:
        return []
    quality = spec.config.quality
    problems = []
    for key, names in (("required", quality.required), ("columns", list(quality.columns))):
        for name in names:
            if name not in columns:
                problems.append(
                    ConfigProblem(
                        f"{where}.{key}", f"column {name!r} is not among the object's columns: {columns}"
                    )
                )
    return problems


def _run_context(
    data: ds.Dataset, window: TimeWindow | None, reference: dt.datetime | None
) -> dict[str, Any]:
    context: dict[str, Any] = {"rows_written": data.count_rows()}
    if window is not None:
        context["window_start"] = window.start.isoformat()
        context["window_end"] = window.end.isoformat()
    if reference is not None:
        context["freshness_measured_from"] = reference.isoformat()
    return context
