"""Test harness: a runner.yaml in a temp directory, materialized through Dagster for real."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pyarrow as pa
import sqlalchemy as sa
from dagster._serdes import serialize_value
from pyiceberg.catalog import Catalog

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.runner_yaml import write_runner

DAY = dt.timedelta(days=1)
START = dt.datetime(2026, 1, 1)


@dataclass
class Platform:
    """A runner.yaml, its definitions and one Dagster instance, all under one temp directory."""

    root: Path
    defs: dg.Definitions
    instance: dg.DagsterInstance

    @property
    def catalog(self) -> Catalog:
        return self.defs.resources["iceberg_catalog"].catalog

    def materialize(
        self,
        *keys: str,
        partition: str | None = None,
        partition_range: tuple[str, str] | None = None,
        raise_on_error: bool = True,
    ) -> dg.ExecuteInProcessResult:
        """Run the selected assets in process, as one run, like the UI's Materialize button."""
        tags = {}
        if partition_range is not None:
            tags = {
                "dagster/asset_partition_range_start": partition_range[0],
                "dagster/asset_partition_range_end": partition_range[1],
            }
        job = self.defs.resolve_implicit_global_asset_job_def()
        return job.execute_in_process(
            asset_selection=[dg.AssetKey.from_user_string(k) for k in keys],
            partition_key=partition,
            tags=tags,
            instance=self.instance,
            raise_on_error=raise_on_error,
        )

    def check_sources(self, *sources: str) -> dg.ExecuteInProcessResult:
        """Run the `check_sources` job, like launching it from the UI; no names checks every source."""
        return self.defs.resolve_job_def("check_sources").execute_in_process(
            run_config={"ops": {"check_source_connections": {"config": {"sources": list(sources)}}}},
            instance=self.instance,
            raise_on_error=False,
        )

    def stored(self) -> str:
        """Everything this instance holds of its runs, serialized: run records (config, tags),
        job snapshots and event logs — where a leaked secret would be persisted."""
        runs = self.instance.get_runs()
        parts = [serialize_value(run) for run in runs]
        parts += [serialize_value(self.instance.all_logs(run.run_id)) for run in runs]
        parts += [
            serialize_value(self.instance.get_job_snapshot(run.job_snapshot_id))
            for run in runs
            if run.job_snapshot_id
        ]
        return "".join(parts)

    def table(self, name: str, namespace: str = "demo") -> pa.Table:
        return self.catalog.load_table((namespace, name)).scan().to_arrow()

    def snapshots(self, name: str, namespace: str = "demo") -> list[int]:
        table = self.catalog.load_table((namespace, name))
        return [entry.snapshot_id for entry in table.history()]


def step_failure(result: dg.ExecuteInProcessResult) -> dg.Failure:
    """The `dg.Failure` the run's (first) failed step raised: a permanent source error's."""
    node = next(e.node_name for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    failure = result.failure_data_for_node(node)
    assert failure is not None
    assert failure.user_failure_data is not None, "the step raised no dg.Failure"
    return failure.user_failure_data


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The description of the run's (first) step failure."""
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data
    if failure.user_failure_data:
        return failure.user_failure_data.description
    error, messages = failure.error, []
    while error is not None:  # a transient error past its retries is the cause of Dagster's own
        messages.append(error.message)
        error = error.cause
    return " / ".join(messages)


def platform(root: Path, body: str, target_file_mb: int = 128) -> Platform:
    """Definitions and an ephemeral instance for a runner.yaml written under `root`."""
    config, specs = load_runner_config(write_runner(root, body, target_file_mb))
    return Platform(root, build_definitions(config, specs), dg.DagsterInstance.ephemeral())


class Shop:
    """A small SQLite shop whose rows tests add and change."""

    def __init__(self, path: Path):
        self.url = f"sqlite:///{path}"
        self.engine = sa.create_engine(self.url)
        metadata = sa.MetaData()
        self.orders = sa.Table(
            "orders",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("amount_cents", sa.Integer),
            sa.Column("created_at", sa.DateTime),
        )
        self.customers = sa.Table(
            "customers",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("email", sa.String),
            sa.Column("updated_at", sa.DateTime),
        )
        metadata.create_all(self.engine)

    def add_orders(self, days: int, per_day: int, first_id: int = 0) -> None:
        """`per_day` orders on each of `days` days from 2026-01-01, evenly spread."""
        step = DAY / per_day
        rows = [
            {
                "id": first_id + d * per_day + i,
                "amount_cents": 100 + i,
                "created_at": START + d * DAY + i * step,
            }
            for d in range(days)
            for i in range(per_day)
        ]
        self.insert(self.orders, rows)

    def insert(self, table: sa.Table, rows: Sequence[dict]) -> None:
        with self.engine.begin() as conn:
            conn.execute(table.insert(), list(rows))

    def execute(self, sql: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(sql))


def shop_source(shop: Shop, objects: str) -> str:
    """A `tenants:` section with the demo tenant's `shop` source over `shop`."""
    return f"""
    tenants:
      demo:
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
    """ + textwrap.indent(textwrap.dedent(objects), " " * 14)
