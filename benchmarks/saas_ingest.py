"""SaaS ingest: Stripe customers, HubSpot contacts, a Google sheet and Salesforce opportunities
from local vendor-speaking servers into Iceberg through Dagster.

Three paths, each in a fresh process that reports its own peak RSS (the server runs in this
process, so its memory and CPU are not counted in the ingest's RSS, but share the machine).
Peak RSS is the child's `VmHWM`, not `ru_maxrss`: Linux carries `ru_maxrss` over fork and exec,
so a child of this process (which holds every served object) would report this process's size.

- `events feed`: `--customers` customers created (one `customer.created` event each) on one
  recent day, read as the upsert of that day's partition;
- `listing`: the same number of balance transactions on one day, listed by `created` window.

- `hubspot search`: `--contacts` contacts modified on one day, read by the CRM search API as the
  upsert of that day (200 a page), through the official `hubspot-api-client`. The source's
  `rate_limit` is raised to 1,000/s so the connector, not HubSpot's 5 searches/s, is measured;
  at HubSpot's limit the same requests take at least requests / 5 seconds.

- `google sheets`: a `--sheet-rows`-row worksheet (6 columns: text, whole number, decimal number,
  checkbox, a DATE and a DATE_TIME serial in Europe/Paris) read whole by `write: replace` through
  gspread, 10,000 rows per `values.get`, from the local Google server (token endpoint + Sheets v4).

- `salesforce rest` / `salesforce bulk`: `--salesforce` opportunities modified on one day, read
  as that day's upsert through `simple-salesforce` over HTTPS from the local Salesforce-speaking
  server: by SOQL pages of 2,000 (`bulk_threshold` above the count), and by a Bulk API 2.0 query
  job whose CSV results are read 50,000 rows a page (`bulk_threshold: 0`).
- `google drive`: one `--drive-mb`-MB CSV file (fixed-width rows of id, amount, customer, a
  10,000-row block repeated) in a Drive folder, modified on one day, read as that day's
  `partition_overwrite`: listed, streamed to a temporary file 8 MiB at a time, parsed by the csv
  kind's parser. Peak RSS must not grow with the file.

Requests made are compared with the minimum: ⌈objects / 100⌉ Stripe pages; for HubSpot one
properties call, ⌈contacts / 200⌉ searches and one archived-list page; for Sheets one metadata
call, one number-format call and ⌈(rows + 1) / 10,000⌉ value chunks (the token exchange is not
counted); for Salesforce a login, describe, `COUNT()`, ⌈rows / 2,000⌉ query pages (REST) or job
create, one poll and ⌈rows / 50,000⌉ result pages (Bulk), and one `queryAll` page of deletes.
CPU is the ingest process's own user + system seconds (`getrusage`), beside wall time.

    .venv/bin/python benchmarks/saas_ingest.py --customers 50000 200000 --contacts 50000 200000
    .venv/bin/python benchmarks/saas_ingest.py --customers --contacts --sheet-rows 200000
    .venv/bin/python benchmarks/saas_ingest.py --customers --contacts --salesforce 100000 500000
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from atlas_assets_tests.connectors.saas.google.server import GoogleServer, service_account_json
from atlas_assets_tests.connectors.saas.hubspot.server import ACCESS_TOKEN, HubSpotServer
from atlas_assets_tests.connectors.saas.salesforce import server as sf
from atlas_assets_tests.connectors.saas.stripe.server import API_KEY, StripeServer
from atlas_assets_tests.runner_yaml import write_runner

RUN = """
import json, resource, time
import dagster as dg
from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
defs = build_definitions(*load_runner_config("{runner}"))
job = defs.resolve_implicit_global_asset_job_def()
start = time.perf_counter()
cpu_start = resource.getrusage(resource.RUSAGE_SELF)
result = job.execute_in_process(
    asset_selection=[dg.AssetKey(["bench", "{source}", "{object}"])],
    partition_key={partition},
    instance=dg.DagsterInstance.ephemeral(),
)
seconds = time.perf_counter() - start
cpu_end = resource.getrusage(resource.RUSAGE_SELF)
cpu = (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)
m = result.asset_materializations_for_node("bench__{source}__{object}")[0].metadata
print(json.dumps({{"rows": m["dagster/row_count"].value, "seconds": seconds,
                  "requests": m["atlas/source/requests"].value,
                  "cpu_seconds": cpu, "peak_rss_mb": peak_rss_mb()}}))
"""

PEAK_RSS = """
def peak_rss_mb():
    # This process's own high-water mark (VmHWM), in MB.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""


def runner_yaml(
    root: Path,
    stripe_url: str,
    hubspot_url: str,
    google_url: str = "http://127.0.0.1:9",
    salesforce_url: str = "https://127.0.0.1:9",
) -> Path:
    return write_runner(
        root,
        f"""
        tenants:
          bench:
            pii_scan: {{on_undeclared: ignore}}
            sources:
              billing:
                kind: stripe
                api_key: "${{BENCH_STRIPE_KEY}}"
                api_base_url: "{stripe_url}"
                objects:
                  customers: {{quality: {{enabled: false}}}}
                  balance_transactions: {{quality: {{enabled: false}}}}
              crm:
                kind: hubspot
                access_token: "${{BENCH_HUBSPOT_TOKEN}}"
                api_base_url: "{hubspot_url}"
                rate_limit: 1000
                objects:
                  contacts: {{quality: {{enabled: false}}}}
              sheets:
                kind: google_sheets
                credentials: "${{BENCH_GOOGLE_KEY}}"
                api_base_url: "{google_url}"
                objects:
                  ledger: {{spreadsheet: {SHEET_ID}, worksheet: Ledger, quality: {{enabled: false}}}}
              sf_rest:
                kind: salesforce
                username: "{sf.USERNAME}"
                password: "${{BENCH_SF_PASSWORD}}"
                security_token: "${{BENCH_SF_TOKEN}}"
                login_url: "{salesforce_url}"
                bulk_threshold: 100000000
                objects:
                  opportunities: {{sobject: Opportunity, quality: {{enabled: false}}}}
              sf_bulk:
                kind: salesforce
                username: "{sf.USERNAME}"
                password: "${{BENCH_SF_PASSWORD}}"
                security_token: "${{BENCH_SF_TOKEN}}"
                login_url: "{salesforce_url}"
                bulk_threshold: 0
                bulk_poll_seconds: 0.5
                objects:
                  opportunities: {{sobject: Opportunity, quality: {{enabled: false}}}}
              drive:
                kind: google_drive
                credentials: "${{BENCH_GOOGLE_KEY}}"
                api_base_url: "{google_url}"
                objects:
                  exports: {{folder_id: {FOLDER_ID}, quality: {{enabled: false}}}}
        """,
    )


def fill(server: StripeServer, count: int, day: dt.datetime, old_day: dt.datetime) -> None:
    step = 86_400 / count
    for i in range(count):
        created = int(day.timestamp() + i * step)
        customer = {
            "id": f"cus_{i:08d}",
            "object": "customer",
            "created": created,
            "email": f"customer{i}@bench.test",
            "name": f"Customer {i}",
            "balance": i % 5000,
            "currency": "usd",
            "delinquent": i % 17 == 0,
            "metadata": {"tier": str(i % 3)},
            "address": {"city": "Lyon", "country": "FR", "postal_code": f"{69000 + i % 10}"},
            "livemode": False,
        }
        server.event("customer.created", customer, created)
        server.put(
            "balance_transactions",
            {
                "id": f"txn_{i:08d}",
                "object": "balance_transaction",
                "created": int(old_day.timestamp() + i * step),
                "amount": 1000 + i % 9000,
                "fee": 59,
                "net": 941 + i % 9000,
                "currency": "usd",
                "type": "charge",
                "status": "available",
                "available_on": int(old_day.timestamp()) + 172_800,
            },
        )


def fill_contacts(server: HubSpotServer, count: int, day: dt.datetime) -> None:
    server.define(
        "contacts",
        email="string",
        firstname="string",
        lastname="string",
        phone="string",
        lifecyclestage="enumeration",
        hs_analytics_num_visits="number",
        total_revenue="number:currency",
        createdate="datetime",
    )
    step = 86_400 / count
    for i in range(count):
        modified = day + dt.timedelta(seconds=i * step)
        server.put(
            "contacts",
            i + 1,
            modified,
            email=f"contact{i}@bench.test",
            firstname=f"First{i}",
            lastname=f"Last{i}",
            phone=f"+33 4 {i % 100:02d} {i % 10_000:04d}",
            lifecyclestage="lead" if i % 3 else "customer",
            hs_analytics_num_visits=str(i % 40),
            total_revenue=f"{i % 10_000}.{i % 100:02d}",
            createdate=modified.isoformat().replace("+00:00", "Z"),
        )


SHEET_ID = "1BenchLedger0123456789abcdefghijklmnopqrstu"
FOLDER_ID = "1BenchFolder0123456789"
BLOCK_ROWS = 10_000


def fill_drive(server: GoogleServer, megabytes: int, day: dt.datetime) -> int:
    """One CSV of about `megabytes` MB, generated as it is sent; returns its row count."""
    header = b"id,amount,customer\n"
    block = b"".join(
        f"{i:012d},{(i * 37) % 100_000 / 100:010.2f},customer-{i:06d}\n".encode() for i in range(BLOCK_ROWS)
    )
    blocks = max(1, megabytes * 1_000_000 // len(block))

    def chunks():
        yield header
        for _ in range(blocks):
            yield block

    modified = (day + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    server.upload(FOLDER_ID, "exports-big.csv", chunks, modified, size=len(header) + blocks * len(block))
    return blocks * BLOCK_ROWS


def fill_sheet(server: GoogleServer, count: int) -> None:
    server.spreadsheet(SHEET_ID, time_zone="Europe/Paris")
    sheet = server.worksheet(SHEET_ID, "Ledger", sheet_id=1, row_count=count + 1, column_count=6)
    sheet.formats = {5: "DATE", 6: "DATE_TIME"}
    header = [["customer", "invoice", "amount", "paid", "due", "booked_at"]]
    rows = (
        [
            f"Customer {i}",
            100_000 + i,
            (i % 10_000) / 100 + 0.01,
            i % 3 == 0,
            46_000 + i % 400,
            46_000 + i / 1000,
        ]
        for i in range(count)
    )
    sheet.put_rows(1, [*header, *rows])


def fill_opportunities(server: sf.SalesforceServer, count: int, day: dt.datetime) -> None:
    server.define(
        "Opportunity",
        Amount="currency(18,2)",
        Probability="percent(3,0)",
        StageName="picklist",
        CloseDate="date",
        IsWon="boolean",
        NumberOfItems__c="int",
        ClosedAt__c="datetime",
        AccountId="reference",
        Description="textarea",
    )
    step = 86_400 / count
    for i in range(count):
        modified = day + dt.timedelta(seconds=i * step)
        server.put(
            "Opportunity",
            f"006{i:015d}",
            modified,
            Name=f"Opportunity {i}",
            Amount=decimal.Decimal(f"{i % 100_000}.{i % 100:02d}"),
            Probability=decimal.Decimal(i % 101),
            StageName="Closed Won" if i % 3 else "Prospecting",
            CloseDate=(day + dt.timedelta(days=i % 90)).date(),
            IsWon=i % 3 != 0,
            NumberOfItems__c=i % 40,
            ClosedAt__c=modified,
            AccountId=f"001{i % 5000:015d}",
            Description=f"Renewal for account {i % 5000}, line {i}",
        )


def measure(script: str, google_key: str = "", extra_env: dict[str, str] | None = None) -> dict[str, float]:
    env = {
        **os.environ,
        "BENCH_STRIPE_KEY": API_KEY,
        "BENCH_HUBSPOT_TOKEN": ACCESS_TOKEN,
        "BENCH_GOOGLE_KEY": google_key,
        "BENCH_SF_PASSWORD": sf.PASSWORD,
        "BENCH_SF_TOKEN": sf.SECURITY_TOKEN,
        **(extra_env or {}),
    }
    completed = subprocess.run(
        [sys.executable, "-c", PEAK_RSS + script], capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-4000:])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, nargs="*", default=[200_000])
    parser.add_argument("--contacts", type=int, nargs="*", default=[200_000])
    parser.add_argument("--sheet-rows", type=int, nargs="*", default=[])
    parser.add_argument("--salesforce", type=int, nargs="*", default=[])
    parser.add_argument("--drive-mb", type=int, nargs="*", default=[])
    args = parser.parse_args()
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day, old_day = today - dt.timedelta(days=2), dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| path | rows | seconds | CPU s | rows/s | requests (minimum) | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for count in args.customers:
        stripe = StripeServer()
        fill(stripe, count, day, old_day)
        for label, obj, when in (
            ("events feed", "customers", day),
            ("listing", "balance_transactions", old_day),
        ):
            run_one(label, stripe, HubSpotServer(), "billing", obj, when, count, math.ceil(count / 100))
    for count in args.contacts:
        hubspot = HubSpotServer()
        fill_contacts(hubspot, count, day)
        minimum = 1 + math.ceil(count / 200) + 1
        run_one("hubspot search", StripeServer(), hubspot, "crm", "contacts", day, count, minimum)
    for count in args.sheet_rows:
        google = GoogleServer()
        fill_sheet(google, count)
        minimum = 2 + math.ceil((count + 1) / 10_000)
        run_one(
            "google sheets", StripeServer(), HubSpotServer(), "sheets", "ledger", None, count, minimum, google
        )
    for count in args.salesforce:
        run_salesforce(count, day)
    for megabytes in args.drive_mb:
        google = GoogleServer()
        rows = fill_drive(google, megabytes, day)
        # Two listings (the window's files, the trash), one download.
        run_one(
            f"google drive {megabytes} MB",
            StripeServer(),
            HubSpotServer(),
            "drive",
            "exports",
            day,
            rows,
            3,
            google,
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run_salesforce(count: int, day: dt.datetime) -> None:
    """Both Salesforce paths over the same served opportunities (one fill, one server)."""
    with tempfile.TemporaryDirectory() as tmp:
        server = sf.SalesforceServer(Path(tmp))
        fill_opportunities(server, count, day)
        with server.running():
            for label, source, minimum in (
                ("salesforce rest", "sf_rest", 3 + math.ceil(count / sf.REST_PAGE) + 1),
                ("salesforce bulk", "sf_bulk", 3 + 2 + math.ceil(count / 50_000) + 1),
            ):
                root = Path(tmp) / source
                root.mkdir()
                runner = runner_yaml(
                    root, "http://127.0.0.1:9", "http://127.0.0.1:9", salesforce_url=server.url
                )
                script = RUN.format(
                    runner=runner,
                    source=source,
                    object="opportunities",
                    partition=repr(day.date().isoformat()),
                )
                result = measure(script, extra_env={"REQUESTS_CA_BUNDLE": str(server.ca_bundle)})
                report(label, result, minimum)


def run_one(
    label: str,
    stripe: StripeServer,
    hubspot: HubSpotServer,
    source: str,
    obj: str,
    when: dt.datetime | None,
    count: int,
    minimum: int,
    google: GoogleServer | None = None,
) -> None:
    google = google or GoogleServer()
    with stripe.running(), hubspot.running(), google.running(), tempfile.TemporaryDirectory() as tmp:
        runner = runner_yaml(Path(tmp), stripe.url, hubspot.url, google.url)
        partition = repr(when.date().isoformat()) if when else "None"  # a replace asset has no partitions
        result = measure(
            RUN.format(runner=runner, source=source, object=obj, partition=partition),
            service_account_json(google.token_uri),
        )
    report(label, result, minimum)


def report(label: str, result: dict[str, float], minimum: int) -> None:
    print(
        f"| {label} | {result['rows']:,} | {result['seconds']:.1f} | {result['cpu_seconds']:.1f} | "
        f"{result['rows'] / result['seconds']:,.0f} | {result['requests']:,} ({minimum:,}) | "
        f"{result['peak_rss_mb']:.0f} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
