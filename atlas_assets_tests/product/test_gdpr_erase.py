"""GDPR erase: one data subject's rows deleted from a tenant's real Iceberg tables, through Dagster."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pytest
from dagster._serdes import serialize_value
from pyiceberg.catalog import Catalog
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import DoubleType, LongType, NestedField, StringType

from atlas_assets.config.loader import load_runner_config
from atlas_assets.config.objects import WriteMode
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.gdpr import SALT_ENV_VAR, build_gdpr_erase_job, subject_fingerprint
from atlas_assets.iceberg.resources import IcebergCatalogResource
from atlas_assets.iceberg.table_writer import TableWriter
from atlas_assets.iceberg.write_plan import WritePlan
from atlas_assets.ingest.lineage_columns import LineageValues

UTC = dt.UTC
SUBJECT = "ada@example.com"
SALT = "test-salt-7f3a"
RUNNER = """
defaults:
  partitions: {granularity: daily, start: "2026-01-01"}
tenants:
  demo:
    sources:
      shop:
        kind: sql
        url: "sqlite:///shop.db"
        objects:
          customers: {cursor: updated_at, primary_key: [id]}
          orders: {cursor: created_at, primary_key: [id]}
          refunds: {cursor: created_at, primary_key: [id]}
          products: {primary_key: [sku]}
  acme:
    sources:
      shop:
        kind: sql
        url: "sqlite:///acme.db"
        objects:
          customers: {cursor: updated_at, primary_key: [id]}
"""
# Which column holds the subject's email in each object (refunds has no table yet).
EMAIL_COLUMNS = {"shop.customers": "email", "shop.orders": "customer_email", "shop.refunds": "email"}

CUSTOMERS = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "email", StringType(), required=False),
    NestedField(3, "name", StringType(), required=False),
)
ORDERS = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "customer_email", StringType(), required=False),
    NestedField(3, "day", StringType(), required=False),
    NestedField(4, "amount", DoubleType(), required=False),
)


@pytest.fixture
def specs(tmp_path: Path) -> list[ObjectSpec]:
    runner = tmp_path / "runner.yaml"
    runner.write_text(textwrap.dedent(RUNNER))
    return load_runner_config(runner, env={})[1]


@pytest.fixture
def catalog_resource(tmp_path: Path) -> IcebergCatalogResource:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    return IcebergCatalogResource(
        properties={"type": "sql", "uri": f"sqlite:///{tmp_path}/catalog.db", "warehouse": warehouse.as_uri()}
    )


@pytest.fixture
def catalog(catalog_resource: IcebergCatalogResource) -> Catalog:
    """demo: customers (2 files), orders (partitioned by day), a quarantine table; acme: customers."""
    cat = catalog_resource.catalog
    for namespace in ("demo", "acme"):
        cat.create_namespace(namespace)
    customers = cat.create_table(("demo", "shop__customers"), CUSTOMERS)
    customers.append(customer_rows([(1, SUBJECT, "Ada"), (2, "bob@example.com", "Bob")]))
    customers.append(customer_rows([(3, "cy@example.com", "Cy"), (4, SUBJECT, "Ada L.")]))

    by_day = PartitionSpec(
        PartitionField(source_id=3, field_id=1000, transform=IdentityTransform(), name="day")
    )
    orders = cat.create_table(("demo", "shop__orders"), ORDERS, partition_spec=by_day)
    orders.append(
        pa.table(
            {
                "id": pa.array([10, 11, 12, 13, 14], pa.int64()),
                "customer_email": [SUBJECT, "bob@example.com", SUBJECT, SUBJECT, None],
                "day": ["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-03"],
                "amount": [5.0, 6.0, 7.0, 8.0, 9.0],
            }
        )
    )

    quarantine = cat.create_table(
        ("demo", "shop__customers__quarantine"),
        pa.schema([pa.field("_atlas_reason", pa.string()), pa.field("_atlas_row", pa.string())]),
    )
    quarantine.append(
        pa.table(
            {
                "_atlas_reason": ["id: not an integer", "id: not an integer", "name: too long"],
                "_atlas_row": [
                    json.dumps({"email": SUBJECT, "id": "x1", "name": "Ada"}, sort_keys=True),
                    json.dumps({"email": "bob@example.com", "id": "x2", "name": SUBJECT}, sort_keys=True),
                    json.dumps({"email": "cy@example.com", "id": 3, "name": "C" * 10}, sort_keys=True),
                ],
            }
        )
    )

    cat.create_table(("acme", "shop__customers"), CUSTOMERS).append(customer_rows([(1, SUBJECT, "Ada")]))
    return cat


def customer_rows(rows: list[tuple[int, str, str]]) -> pa.Table:
    ids, emails, names = zip(*rows, strict=True)
    return pa.table({"id": pa.array(ids, pa.int64()), "email": list(emails), "name": list(names)})


def erase(
    specs: list[ObjectSpec],
    resource: IcebergCatalogResource,
    instance: dg.DagsterInstance | None = None,
    **config: Any,
) -> dg.ExecuteInProcessResult:
    run_config = {"tenant": "demo", "key": "email", "columns": EMAIL_COLUMNS, **config}
    if "subject_env_var" not in config:
        run_config.setdefault("subject", SUBJECT)
    return build_gdpr_erase_job(specs).execute_in_process(
        run_config={"ops": {"erase_subject": {"config": run_config}}},
        resources={"iceberg_catalog": resource},
        instance=instance or dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def rows(catalog: Catalog, namespace: str, table: str) -> list[dict[str, Any]]:
    return sorted(catalog.load_table((namespace, table)).scan().to_arrow().to_pylist(), key=json.dumps)


def output_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    [event] = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"]
    return {key: value.value for key, value in event.step_output_data.metadata.items()}


@pytest.fixture(autouse=True)
def salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SALT_ENV_VAR, SALT)


def test_erase_removes_exactly_the_subjects_rows(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    result = erase(specs, catalog_resource)

    assert result.success
    assert [r["id"] for r in rows(catalog, "demo", "shop__customers")] == [2, 3]
    assert sorted(r["id"] for r in rows(catalog, "demo", "shop__orders")) == [11, 14]


def test_erase_reports_rows_removed_per_table(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    metadata = output_metadata(erase(specs, catalog_resource))

    assert metadata["rows_removed"] == {
        "shop__customers": 2,
        "shop__customers__quarantine": 1,
        "shop__orders": 3,
    }
    assert metadata["rows_removed_total"] == 6


def test_rows_an_upsert_replaced_are_not_counted_as_erased(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    # The upsert removes Bob's stored row, in the same data file as one of the subject's, by a
    # position delete; erasing rewrites that file and must count only the subject's rows.
    plan = WritePlan(
        namespace="demo",
        table="shop__customers",
        label="demo.shop.customers",
        mode=WriteMode.UPSERT,
        lineage=LineageValues("demo", "shop", "00000000-0000-0000-0000-000000000001", dt.datetime.now(UTC)),
        primary_key=("id",),
    )
    bob = customer_rows([(2, "bob@example.com", "Bob B.")]).to_batches()
    # Its own quarantine suffix: the fixture's quarantine table is not one a writer made.
    TableWriter(catalog, 1 << 20, quarantine_suffix="__upsert_quarantine").write(plan, lambda _after: bob)

    metadata = output_metadata(erase(specs, catalog_resource))

    assert metadata["rows_removed"]["shop__customers"] == 2
    remaining = catalog.load_table(("demo", "shop__customers")).scan().to_arrow()
    assert sorted(zip(remaining["id"].to_pylist(), remaining["name"].to_pylist(), strict=True)) == [
        (2, "Bob B."),
        (3, "Cy"),
    ]


def test_tables_not_created_yet_and_undeclared_objects_are_skipped_and_reported(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    skipped = output_metadata(erase(specs, catalog_resource))["tables_skipped"]

    assert skipped == {
        "shop__refunds": "table does not exist yet",
        "shop__refunds__quarantine": "table does not exist yet",
        "shop__orders__quarantine": "table does not exist yet",
        "shop__products": "declares no 'email' column",
    }


def test_each_table_changes_in_one_commit(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    before = {
        t: len(catalog.load_table(("demo", t)).metadata.metadata_log)
        for t in ("shop__customers", "shop__orders")
    }

    erase(specs, catalog_resource)

    after = {
        t: len(catalog.load_table(("demo", t)).metadata.metadata_log)
        for t in ("shop__customers", "shop__orders")
    }
    assert after == {t: n + 1 for t, n in before.items()}


def test_quarantined_rows_holding_the_subject_in_the_key_column_are_removed(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    erase(specs, catalog_resource)

    remaining = [
        json.loads(r["_atlas_row"])["id"] for r in rows(catalog, "demo", "shop__customers__quarantine")
    ]
    # x2 mentions the subject only in another column (name), so it is not the subject's row.
    assert sorted(map(str, remaining)) == ["3", "x2"]


def test_other_tenants_tables_are_untouched(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    erase(specs, catalog_resource)

    assert rows(catalog, "acme", "shop__customers") == [{"id": 1, "email": SUBJECT, "name": "Ada"}]


def test_assets_record_an_observation_of_the_erasure(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    result = erase(specs, catalog_resource)

    observed = [e.asset_observation_data.asset_observation for e in result.get_asset_observation_events()]
    observations = {o.asset_key.to_user_string(): o for o in observed}
    customers = observations["demo/shop/customers"]
    assert customers.metadata["gdpr_erase/rows_removed"].value == 2
    assert customers.metadata["gdpr_erase/quarantined_rows_removed"].value == 1


def test_audit_holds_a_salted_fingerprint_never_the_subject(
    specs: list[ObjectSpec],
    catalog: Catalog,
    catalog_resource: IcebergCatalogResource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ERASE_SUBJECT", SUBJECT)
    instance = dg.DagsterInstance.ephemeral()

    result = erase(specs, catalog_resource, instance, subject_env_var="ERASE_SUBJECT")

    fingerprint = subject_fingerprint(SALT, "demo", "email", SUBJECT)
    assert output_metadata(result)["subject_fingerprint"] == fingerprint
    assert fingerprint != subject_fingerprint("other-salt", "demo", "email", SUBJECT)
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.tags["atlas/gdpr-subject-fingerprint"] == fingerprint
    stored = serialize_value(run) + "".join(
        serialize_value(r.event_log_entry) for r in instance.get_records_for_run(result.run_id).records
    )
    assert SUBJECT not in stored
    snapshot_properties = (
        catalog.load_table(("demo", "shop__customers")).current_snapshot().summary.additional_properties
    )
    assert snapshot_properties["atlas.gdpr.subject-fingerprint"] == fingerprint


def test_missing_salt_fails_the_run_before_erasing(
    specs: list[ObjectSpec],
    catalog: Catalog,
    catalog_resource: IcebergCatalogResource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SALT_ENV_VAR)

    result = erase(specs, catalog_resource)

    assert not result.success
    assert len(rows(catalog, "demo", "shop__customers")) == 4


def test_unknown_tenant_fails_the_run(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    result = erase(specs, catalog_resource, tenant="nobody")

    assert not result.success
    failure = result.failure_data_for_node("erase_subject")
    assert failure is not None
    assert "unknown tenant 'nobody'" in failure.error.message


def test_subject_that_cannot_be_in_a_numeric_key_column_skips_that_table(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    result = erase(specs, catalog_resource, key="customer_id", columns={"shop.customers": "id"})

    assert result.success
    assert (
        output_metadata(result)["tables_skipped"]["shop__customers"]
        == "subject is not a valid long for column 'id'"
    )
    assert len(rows(catalog, "demo", "shop__customers")) == 4


def test_numeric_subject_key_erases_by_id(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    result = erase(specs, catalog_resource, key="customer_id", columns={"shop.customers": "id"}, subject="4")

    assert result.success
    assert [r["id"] for r in rows(catalog, "demo", "shop__customers")] == [1, 2, 3]


def test_a_mapped_column_missing_from_its_table_fails_before_anything_is_erased(
    specs: list[ObjectSpec], catalog: Catalog, catalog_resource: IcebergCatalogResource
) -> None:
    result = erase(specs, catalog_resource, columns={**EMAIL_COLUMNS, "shop.orders": "buyer_email"})

    assert not result.success
    failure = result.failure_data_for_node("erase_subject")
    assert failure is not None
    assert "demo.shop__orders has no column 'buyer_email'" in failure.error.message
    assert len(rows(catalog, "demo", "shop__customers")) == 4
