"""runner.yaml for `kind: stripe`: defaults per resource, errors with path and line, the key as an EnvVar."""

from __future__ import annotations

import textwrap

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.objects import WriteMode


def stripe_source(objects: str):
    text = textwrap.dedent(f"""
        defaults:
          partitions: {{start: "2026-01-01"}}
        tenants:
          acme:
            sources:
              billing:
                kind: stripe
                api_key: "${{ACME_STRIPE_KEY}}"
                objects: {objects}
        """)
    config, specs = parse_runner_config(text, "runner.yaml", {"ACME_STRIPE_KEY": "sk_test_123456"})
    return config.tenants["acme"].sources["billing"], specs


def test_mutable_resources_default_to_upsert_from_the_feed_and_others_to_created_windows():
    source, _ = stripe_source(
        "{customers: {}, balance_transactions: {}, invoices_all: {resource: invoices, write: replace}}"
    )

    customers, transactions, invoices = (
        source.objects[n] for n in ("customers", "balance_transactions", "invoices_all")
    )
    assert (customers.write_mode, customers.cursor, customers.primary_key) == (
        WriteMode.UPSERT,
        "changed_at",
        ["id"],
    )
    assert (transactions.write_mode, transactions.cursor) == (WriteMode.PARTITION_OVERWRITE, "created")
    assert (invoices.write_mode, invoices.cursor, invoices.resource) == (WriteMode.REPLACE, None, "invoices")


def test_the_api_key_reaches_the_resource_as_its_runner_yaml_text():
    source, _ = stripe_source("[customers]")

    resource = source.build_resource()

    assert resource.api_key == "${ACME_STRIPE_KEY}"
    assert "sk_test_123456" not in repr(source.model_dump())


def test_append_is_rejected_naming_the_object_s_path_and_line():
    with pytest.raises(RunnerConfigError) as failure:
        stripe_source("{customers: {write: append}}")

    message = str(failure.value)
    assert "line 10: tenants.acme.sources.billing.objects.customers.write" in message
    assert "stripe objects support upsert, partition_overwrite, replace and snapshot" in message
