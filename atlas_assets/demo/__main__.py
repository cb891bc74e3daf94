"""`python -m atlas_assets.demo`: generate the offline demo data and materialize the demo tenant.

Runs on the embedded default: SQLite Dagster storage (./dagster.yaml, so `dagster dev` shows the
runs), SQLite Iceberg catalog and a local warehouse under .atlas/.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import dagster as dg

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import load_runner_config
from atlas_assets.config.location import DEMO_DATA_DIR
from atlas_assets.demo.generate import generate_demo
from atlas_assets.factory.definitions import build_definitions
from atlas_assets.ingest.progress import is_final_line


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m atlas_assets.demo", description=__doc__)
    parser.add_argument("--start", default="2026-01-01", help="first daily partition to materialize")
    parser.add_argument("--end", default="2026-01-31", help="last daily partition to materialize")
    args = parser.parse_args()

    summary = generate_demo(DEMO_DATA_DIR)
    print(f"demo data: {summary.shop_db} and {summary.csv_dir}/ ({sum(summary.row_counts.values())} rows)")
    try:
        config, specs = load_runner_config()
    except RunnerConfigError as error:
        # The problems are the whole story: a traceback through the loader would only bury them.
        print(error, file=sys.stderr)
        sys.exit(2)
    demo = [spec for spec in specs if spec.tenant == "demo"]
    defs = build_definitions(config, specs)
    job = defs.resolve_implicit_global_asset_job_def()
    with _instance() as instance:
        partitioned = [s.asset_key for s in demo if s.partitions is not None]
        unpartitioned = [s.asset_key for s in demo if s.partitions is None]
        range_tags = {
            "dagster/asset_partition_range_start": args.start,
            "dagster/asset_partition_range_end": args.end,
        }
        failed_checks: list[str] = []
        for selection, tags in ((partitioned, range_tags), (unpartitioned, {})):
            if selection:
                result = job.execute_in_process(asset_selection=selection, tags=tags, instance=instance)
                print(
                    f"run {result.run_id}: {'succeeded' if result.success else 'FAILED'} "
                    f"for {len(selection)} assets"
                )
                # The run log's last progress line of each asset (the UI's run view shows them all).
                for record in instance.all_logs(result.run_id):
                    if is_final_line(record.user_message):
                        print(f"  {record.user_message}")
                # A range run evaluates each partition's checks: name the partition that failed.
                failed_checks += [
                    f"{e.asset_key.to_user_string()}:{e.check_name} ({e.severity.value})"
                    + (f" partition {e.partition}" if e.partition else "")
                    for e in result.get_asset_check_evaluations()
                    if not e.passed
                ]
    print(f"failing checks ({len(failed_checks)}; leads.csv is dirty on purpose):")
    for failed in failed_checks:
        print(f"  {failed}")
    catalog = defs.resources["iceberg_catalog"].catalog
    print("\nIceberg tables (namespace demo):")
    for spec in demo:
        table = catalog.load_table((spec.namespace, spec.table_name))
        print(f"  {spec.namespace}.{spec.table_name:<20} {table.scan().count():>6} rows   {table.location()}")
    bin_dir = Path(sys.executable).parent
    print(
        "\nRead one back:\n"
        f'  {bin_dir / "python"} -c "'
        "from atlas_assets.factory.definitions import definitions_from_file as d; "
        "c = d().resources['iceberg_catalog'].catalog; "
        "print(c.load_table('demo.shop__orders').scan(limit=5).to_pandas())\"\n"
        f"Browse it in Dagster: DAGSTER_HOME=$PWD {bin_dir / 'dagster'} dev"
    )


def _instance() -> dg.DagsterInstance:
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    if Path("dagster.yaml").exists():
        return dg.DagsterInstance.from_config(".")
    return dg.DagsterInstance.ephemeral()


if __name__ == "__main__":
    main()
