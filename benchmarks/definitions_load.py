"""Definitions load time: Atlas from a generated runner.yaml vs bare Dagster, in one process.

Both sides build the same 10,000 partitioned assets (same keys, groups, kinds, tags, shared
daily partitions, single-run backfill policy, retry policy, the same number of checks per asset,
one resource per tenant × source, one job and schedule) and resolve them into a repository,
which is where Dagster does its real work. Atlas also parses and validates runner.yaml.

    .venv/bin/python benchmarks/definitions_load.py --tenants 500 --objects 20 --rounds 3
"""

import argparse
import gc
import statistics
import time
import warnings
from collections.abc import Callable

import dagster as dg

from atlas_assets.config.loader import parse_runner_config
from atlas_assets.factory.definitions import build_definitions


def runner_yaml(tenants: int, objects: int) -> str:
    lines = [
        "defaults:",
        '  partitions: {granularity: daily, start: "2026-01-01"}',
        '  schedule: {cron: "0 3 * * *"}',
        "  retry: {max_retries: 3, delay_seconds: 30, backoff: exponential}",
        "tenants:",
    ]
    for t in range(tenants):
        lines += [
            f"  tenant_{t}:",
            "    sources:",
            "      app_db:",
            "        kind: sql",
            f'        url: "sqlite:///t{t}.db"',
            "        objects:",
        ]
        lines += [f"          table_{o}: {{cursor: updated_at, primary_key: [id]}}" for o in range(objects)]
    return "\n".join(lines) + "\n"


class _Source(dg.ConfigurableResource):
    url: str


def bare_dagster(tenants: int, objects: int, checks_per_asset: int) -> dg.Definitions:
    """The same definitions written by hand with plain Dagster, no config layer."""
    partitions = dg.DailyPartitionsDefinition(start_date="2026-01-01")
    retry = dg.RetryPolicy(max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL)
    assets = []
    for t in range(tenants):
        for o in range(objects):
            key = dg.AssetKey([f"tenant_{t}", "app_db", f"table_{o}"])

            @dg.asset(
                key=key,
                group_name=f"tenant_{t}",
                description=f"sql table table_{o} of tenant_{t}.app_db",
                kinds={"sql", "iceberg"},
                tags={"atlas/tenant": f"tenant_{t}", "atlas/source": "app_db"},
                metadata={"atlas/table": f"tenant_{t}.app_db__table_{o}", "atlas/cursor": "updated_at"},
                partitions_def=partitions,
                backfill_policy=dg.BackfillPolicy.single_run(),
                retry_policy=retry,
                required_resource_keys={f"tenant_{t}__app_db"},
                check_specs=[dg.AssetCheckSpec(f"check_{c}", asset=key) for c in range(checks_per_asset)],
            )
            def _asset(context: dg.AssetExecutionContext): ...

            assets.append(_asset)
    job = dg.define_asset_job("ingest_daily", selection=dg.AssetSelection.all(), partitions_def=partitions)
    return dg.Definitions(
        assets=assets,
        jobs=[job],
        schedules=[dg.build_schedule_from_partitioned_job(job, hour_of_day=3)],
        resources={f"tenant_{t}__app_db": _Source(url=f"sqlite:///t{t}.db") for t in range(tenants)},
    )


def atlas(text: str) -> dg.Definitions:
    config, specs = parse_runner_config(text, "runner.yaml", {})
    return build_definitions(config, specs)


def timed(build: Callable[[], dg.Definitions]) -> float:
    gc.collect()
    start = time.perf_counter()
    defs = build()
    repository = defs.get_repository_def()
    repository.asset_graph  # noqa: B018 - forces the asset graph, as loading a code location does
    repository.get_all_jobs()
    return time.perf_counter() - start


def main() -> None:
    warnings.simplefilter("ignore", dg.BetaWarning)  # both sides build the same beta policies
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    text = runner_yaml(args.tenants, args.objects)
    sample = atlas(runner_yaml(1, 1))
    checks = len(sample.resolve_assets_def(dg.AssetKey(["tenant_0", "app_db", "table_0"])).check_keys)
    ours, bare = [], []
    for _ in range(args.rounds):  # alternate, so machine noise hits both sides alike
        bare.append(timed(lambda: bare_dagster(args.tenants, args.objects, checks)))
        ours.append(timed(lambda: atlas(text)))
    assets = args.tenants * args.objects
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"assets: {assets}  checks per asset: {checks}  rounds: {args.rounds}")
    print(f"bare Dagster : median {b:6.2f} s  ({', '.join(f'{x:.2f}' for x in bare)})")
    print(f"Atlas        : median {o:6.2f} s  ({', '.join(f'{x:.2f}' for x in ours)})")
    print(f"ratio Atlas / bare = {o / b:.2f}  (target <= 1.30)")


if __name__ == "__main__":
    main()
