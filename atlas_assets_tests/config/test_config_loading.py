"""Finding runner.yaml, and what a valid one turns into: one ObjectSpec per object of each source."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import (
    CONFIG_ENV_VAR,
    load_runner_config,
    parse_runner_config,
    runner_config_path,
)
from atlas_assets.config.objects import WriteMode
from atlas_assets.config.resolve import ObjectSpec

MINIMAL = """\
tenants:
  {tenant}:
    sources:
      db: {{kind: sql, url: "sqlite:///x.db", objects: [items]}}
"""

FULL = textwrap.dedent(
    """\
    defaults:
      partitions: {granularity: daily, start: "2026-01-01", timezone: UTC}
      schedule: {cron: "0 3 * * *"}
      retry: {max_retries: 3, delay_seconds: 30, backoff: exponential, jitter: plus_minus}
      owners: [data@example.com]
    warehouse:
      catalog: {type: sql, uri: "${ATLAS_CATALOG_URI:-sqlite:///.atlas/catalog.db}"}
      location: "${ATLAS_WAREHOUSE:-.atlas/warehouse}"
    tenants:
      demo:
        sources:
          shop:
            kind: sql
            url: "sqlite:///.atlas/demo/shop.db"
            objects:
              orders:    {cursor: created_at, primary_key: [id]}
              customers: {cursor: updated_at, primary_key: [id], write: upsert, pii: [email, full_name]}
              countries: {}
      acme:
        namespace: acme_prod
        schedule: {cron: "0 */6 * * *"}
        sources:
          app_db:
            kind: sql
            url: "${ACME_DB_URL}"
            objects:
              orders: {cursor: updated_at, lookback: 2h, primary_key: id, table: sales.orders}
              events: {cursor: id, write: append}
              daily_stock: {query: "select * from stock", write: snapshot, cursor: taken_at}
          billing:
            kind: sql
            url: "sqlite:///billing.db"
            objects: [invoices, plans]
    """
)
FULL_ENV = {"ACME_DB_URL": "postgresql://acme:pw@db.acme.internal/app"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def full_specs() -> dict[str, ObjectSpec]:
    _config, specs = parse_runner_config(FULL, "runner.yaml", FULL_ENV)
    return {spec.label: spec for spec in specs}


# --- finding the file --------------------------------------------------------------------------


def test_env_var_names_the_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path / "conf" / "atlas.yaml", MINIMAL.format(tenant="from_env"))
    monkeypatch.setenv(CONFIG_ENV_VAR, str(path))

    _config, specs = load_runner_config(env={})

    assert runner_config_path() == path
    assert [spec.tenant for spec in specs] == ["from_env"]


def test_without_the_env_var_runner_yaml_in_the_working_directory_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path / "runner.yaml", MINIMAL.format(tenant="from_cwd"))
    monkeypatch.delenv(CONFIG_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)

    _config, specs = load_runner_config(env={})

    assert runner_config_path() == Path("runner.yaml")
    assert [spec.tenant for spec in specs] == ["from_cwd"]


def test_an_empty_env_var_falls_back_to_runner_yaml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path / "runner.yaml", MINIMAL.format(tenant="from_cwd"))
    monkeypatch.setenv(CONFIG_ENV_VAR, "")
    monkeypatch.chdir(tmp_path)

    _config, specs = load_runner_config(env={})

    assert [spec.tenant for spec in specs] == ["from_cwd"]


def test_an_explicit_path_wins_over_the_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CONFIG_ENV_VAR, str(write(tmp_path / "env.yaml", MINIMAL.format(tenant="from_env"))))
    explicit = write(tmp_path / "explicit.yaml", MINIMAL.format(tenant="explicit"))

    _config, specs = load_runner_config(explicit, env={})

    assert [spec.tenant for spec in specs] == ["explicit"]


def test_missing_default_file_names_the_path_and_the_env_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(CONFIG_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)

    with pytest.raises(RunnerConfigError) as caught:
        load_runner_config(env={})

    (problem,) = caught.value.problems
    assert caught.value.file == "runner.yaml"
    assert str(tmp_path / "runner.yaml") in problem.message
    assert f"{CONFIG_ENV_VAR} is not set" in problem.message
    assert f"set {CONFIG_ENV_VAR} to the file's path" in problem.message


def test_missing_file_from_the_env_var_says_the_env_var_points_at_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "runner.yaml"
    monkeypatch.setenv(CONFIG_ENV_VAR, str(missing))

    with pytest.raises(RunnerConfigError) as caught:
        load_runner_config(env={})

    assert str(missing) in str(caught.value)
    assert f"{CONFIG_ENV_VAR} points at it" in str(caught.value)


def test_a_directory_instead_of_a_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(RunnerConfigError) as caught:
        load_runner_config(tmp_path, env={})
    assert "cannot be read" in caught.value.problems[0].message


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "runner.yaml"
    path.write_bytes(b"tenants:\n  caf\xe9: {}\n")
    with pytest.raises(RunnerConfigError) as caught:
        load_runner_config(path, env={})
    assert "not UTF-8" in caught.value.problems[0].message


def test_errors_from_a_loaded_file_name_that_file(tmp_path: Path) -> None:
    path = write(tmp_path / "runner.yaml", "defaults: {colour: red}\n")
    with pytest.raises(RunnerConfigError) as caught:
        load_runner_config(path, env={})
    assert str(caught.value).splitlines()[0] == f"{path}: 1 problem in the runner config"


# --- a valid, full config ----------------------------------------------------------------------


def test_full_config_yields_one_spec_per_tenant_source_object() -> None:
    assert sorted(full_specs()) == [
        "acme.app_db.daily_stock",
        "acme.app_db.events",
        "acme.app_db.orders",
        "acme.billing.invoices",
        "acme.billing.plans",
        "demo.shop.countries",
        "demo.shop.customers",
        "demo.shop.orders",
    ]


def test_asset_key_is_tenant_source_object() -> None:
    spec = full_specs()["acme.app_db.orders"]
    assert spec.asset_key == dg.AssetKey(["acme", "app_db", "orders"])


def test_table_name_is_source_and_object_in_the_tenant_namespace() -> None:
    tables = {label: (spec.namespace, spec.table_name) for label, spec in full_specs().items()}
    assert tables["demo.shop.orders"] == ("demo", "shop__orders")
    assert tables["acme.app_db.orders"] == ("acme_prod", "app_db__orders")


def test_write_mode_defaults_to_partition_overwrite_with_a_cursor_and_replace_without() -> None:
    modes = {label: spec.write_mode for label, spec in full_specs().items()}
    assert modes == {
        "demo.shop.orders": WriteMode.PARTITION_OVERWRITE,
        "demo.shop.customers": WriteMode.UPSERT,
        "demo.shop.countries": WriteMode.REPLACE,
        "acme.app_db.orders": WriteMode.PARTITION_OVERWRITE,
        "acme.app_db.events": WriteMode.APPEND,
        "acme.app_db.daily_stock": WriteMode.SNAPSHOT,
        "acme.billing.invoices": WriteMode.REPLACE,
        "acme.billing.plans": WriteMode.REPLACE,
    }


def test_only_partitioned_write_modes_have_partitions() -> None:
    partitioned = {label for label, spec in full_specs().items() if spec.partitions is not None}
    assert partitioned == {
        "demo.shop.orders",
        "demo.shop.customers",
        "acme.app_db.orders",
        "acme.app_db.daily_stock",
    }


def test_object_settings_are_parsed() -> None:
    orders = full_specs()["acme.app_db.orders"].config
    assert (orders.table, orders.cursor, orders.primary_key, orders.lookback) == (
        "sales.orders",
        "updated_at",
        ["id"],
        dt.timedelta(hours=2),
    )


def test_tenant_schedule_overrides_the_default_for_its_objects() -> None:
    specs = full_specs()
    assert specs["acme.app_db.orders"].schedule.cron == "0 */6 * * *"
    assert specs["demo.shop.orders"].schedule.cron == "0 3 * * *"


def test_resource_key_is_tenant_and_source() -> None:
    assert full_specs()["acme.billing.plans"].resource_key == "acme__billing"


def test_warehouse_defaults_apply_when_their_variables_are_unset() -> None:
    config, _specs = parse_runner_config(FULL, "runner.yaml", FULL_ENV)
    assert config.warehouse.location == ".atlas/warehouse"
    assert config.warehouse.catalog.uri is not None
    assert config.warehouse.catalog.uri.value == "sqlite:///.atlas/catalog.db"


def test_yaml_merge_keys_share_settings_and_keys_written_after_them_override() -> None:
    config, specs = parse_runner_config(
        textwrap.dedent(
            """\
            tenants:
              acme:
                sources:
                  app_db: &sql_source
                    kind: sql
                    url: sqlite:///app.db
                    batch_size: 10
                    objects: [customers]
                  billing:
                    <<: *sql_source
                    url: sqlite:///billing.db
            """
        ),
        "runner.yaml",
        {},
    )
    billing = config.tenants["acme"].sources["billing"]
    assert (billing.url.value, billing.batch_size) == ("sqlite:///billing.db", 10)
    assert sorted(spec.label for spec in specs) == ["acme.app_db.customers", "acme.billing.customers"]
