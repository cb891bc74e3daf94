"""No secret from runner.yaml is ever stored or printed in clear (issue 7 §2).

A canary secret sits in every place runner.yaml can hold one: a whole-value source URL, a
password embedded in a URL, a `password:` field, the catalog URI's password, a catalog property
and the tenant's privacy secret. Successful and failing materializations and `check_sources` run
through the `dagster` CLI and a `DagsterInstance`; then everything on disk under DAGSTER_HOME and
`.atlas/` (sqlite cells, zlib-compressed snapshot blobs decompressed, compute logs, Iceberg
metadata, manifests as decoded by pyiceberg, Parquet values) and everything printed is scanned.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from atlas_assets.factory.definitions import definitions_from_file
from atlas_assets_tests.sql_support import unique_name

DAGSTER = str(Path(sys.executable).with_name("dagster"))
MARKER = unique_name("canary").encode()


def canary(place: str) -> str:
    return f"{MARKER.decode()}-{place}-0123456789"


SECRETS = {
    "DEMO_PG_URL_PW": canary("whole-url"),
    "DEMO_PG_PW": canary("embedded"),
    "DEMO_PG_FIELD_PW": canary("field"),
    "DEMO_DOWN_PW": canary("unreachable"),
    "DEMO_PII_SECRET": canary("privacy"),
    "ATLAS_CATALOG_PW": canary("catalog-uri"),
    "ATLAS_S3_SECRET": canary("catalog-property"),
}


class Scan:
    """Counts the places looked at and the canary occurrences found in them."""

    def __init__(self) -> None:
        self.places = 0
        self.found: list[str] = []

    def text(self, where: str, data: bytes | str) -> None:
        self.places += 1
        raw = data.encode() if isinstance(data, str) else data
        if MARKER in raw:
            self.found.append(where)

    def file(self, path: Path) -> None:
        data = path.read_bytes()
        self.text(str(path), data)
        if data.startswith(b"SQLite format 3"):
            self.sqlite(path)
        elif path.suffix == ".parquet":
            self.parquet(path)

    def sqlite(self, path: Path) -> None:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for row in db.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        self.cell(f"{path}:{table}", value)

    def cell(self, where: str, value: object) -> None:
        if isinstance(value, bytes):
            self.text(where, value)
            try:
                self.text(f"{where} (decompressed)", zlib.decompress(value))
                self.decompressed += 1
            except zlib.error:
                pass
        elif isinstance(value, str):
            self.text(where, value)
            if value.startswith("x\x9c"):  # zlib text stored as str
                self.cell(where, value.encode("latin-1"))

    decompressed = 0

    def parquet(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.text(f"{path} (values)", repr(pq.read_table(path).to_pylist()))


def _runner(pg: sa.URL, table: str, catalog_name: str) -> str:
    user, host, port, db = pg.username, pg.host, pg.port or 5432, pg.database
    return textwrap.dedent(
        f"""\
        defaults:
          partitions: {{start: "2026-01-01"}}
          retry: {{max_retries: 0}}
          schedule: {{cron: "0 3 * * *"}}
        warehouse:
          catalog:
            name: {catalog_name}
            uri: "postgresql+psycopg2://{user}:${{ATLAS_CATALOG_PW}}@{host}:{port}/{db}"
            properties: {{s3.secret-access-key: "${{ATLAS_S3_SECRET}}"}}
          location: .atlas/warehouse
        tenants:
          demo:
            privacy: {{secret: "${{DEMO_PII_SECRET}}"}}
            sources:
              whole:
                kind: sql
                url: "${{DEMO_PG_URL}}"
                objects:
                  {table}: {{cursor: created_at, primary_key: [id], pii: {{email: hash}}}}
              embedded:
                kind: postgres
                url: "postgresql://{user}:${{DEMO_PG_PW}}@{host}:{port}/{db}"
                objects:
                  {table}: {{cursor: created_at, primary_key: [id], pii: {{email: hash}}}}
                  missing_table: {{cursor: created_at}}
              fields:
                kind: postgres
                host: {host}
                port: {port}
                database: {db}
                user: {user}
                password: "${{DEMO_PG_FIELD_PW}}"
                objects:
                  {table}: {{cursor: created_at, primary_key: [id], pii: {{email: hash}}}}
              down:
                kind: sql
                url: "postgresql+psycopg2://atlas:${{DEMO_DOWN_PW}}@127.0.0.1:9/none"
                objects: [orders]
        """
    )


@pytest.mark.slow
def test_no_secret_is_stored_or_printed_in_clear(tmp_path, pg_url, monkeypatch, capfd):
    pg = sa.engine.make_url(pg_url)
    table, catalog_name = unique_name("orders"), unique_name("atlas")
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {table} (id int PRIMARY KEY, email text, created_at timestamp)"))
        conn.execute(
            sa.text(
                f"INSERT INTO {table} SELECT g, 'user' || g || '@example.com', "
                "timestamp '2026-01-01' + g * interval '1 hour' FROM generate_series(0, 71) g"
            )
        )
    env = {
        **SECRETS,
        "DEMO_PG_URL": f"postgresql+psycopg2://{pg.username}:{SECRETS['DEMO_PG_URL_PW']}@"
        f"{pg.host}:{pg.port or 5432}/{pg.database}",
        "ATLAS_RUNNER_CONFIG": str(tmp_path / "runner.yaml"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "ATLAS_LINEAGE_TRANSPORT": "none",
    }
    (tmp_path / "runner.yaml").write_text(_runner(pg, table, catalog_name))
    (tmp_path / "dagster_home").mkdir()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    printed: list[str] = []

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [DAGSTER, *args, "-m", "atlas_assets.definitions"],
            cwd=tmp_path,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        printed.extend([done.stdout, done.stderr])
        return done

    try:
        ok = cli(
            "asset", "materialize", "--partition", "2026-01-02",
            "--select", f"demo/whole/{table},demo/embedded/{table},demo/fields/{table}",
        )  # fmt: skip
        failed = cli(
            "asset", "materialize", "--select", "demo/embedded/missing_table", "--partition", "2026-01-02"
        )
        checked = cli("job", "execute", "-j", "check_sources")
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            defs = definitions_from_file()
            in_process = defs.resolve_job_def("check_sources").execute_in_process(
                instance=instance, raise_on_error=False
            )
            bronze = defs.resolve_implicit_global_asset_job_def().execute_in_process(
                asset_selection=[dg.AssetKey(["demo", "fields", table])],
                partition_key="2026-01-03",
                instance=instance,
            )
            catalog = defs.resources["iceberg_catalog"].catalog
            manifests = [
                repr(catalog.load_table(("demo", f"{source}__{table}")).inspect.files().to_pylist())
                for source in ("whole", "embedded", "fields")
            ]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))

    assert ok.returncode == 0, ok.stderr[-3000:]
    assert failed.returncode != 0
    assert "missing_table" in failed.stdout + failed.stderr
    assert checked.returncode != 0
    assert "demo.down: failed" in checked.stdout + checked.stderr
    assert not in_process.success
    assert bronze.success

    scan = Scan()
    files = [
        p for root in (tmp_path / "dagster_home", tmp_path / ".atlas") for p in root.rglob("*") if p.is_file()
    ]
    for path in files:
        scan.file(path)
    for where, text in [
        *enumerate(printed),
        *enumerate(manifests),
        ("pytest capture", "".join(capfd.readouterr())),
    ]:
        scan.text(f"printed/decoded {where}", text)
    print(f"secret scan: {scan.places} places in {len(files)} files, {len(scan.found)} occurrences")

    assert scan.found == []
    assert scan.decompressed > 0, "the scan must have read Dagster's compressed snapshots"
    assert any(p.suffix == ".parquet" for p in files)
    assert any("compute_logs" in str(p) for p in files)


def test_the_scan_finds_a_canary_inside_a_compressed_sqlite_blob(tmp_path):
    with sqlite3.connect(tmp_path / "runs.db") as db:
        db.execute("CREATE TABLE snapshots (body BLOB)")
        db.execute("INSERT INTO snapshots VALUES (?)", (zlib.compress(canary("hidden").encode() * 3),))
    scan = Scan()

    scan.file(tmp_path / "runs.db")

    assert scan.found == [f"{tmp_path / 'runs.db'}:snapshots (decompressed)"]
