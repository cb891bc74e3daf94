"""Secrets given as `${VAR}` are usable by connectors and invisible everywhere else."""

from __future__ import annotations

import re
import textwrap

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.interpolation import interpolate
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.yaml_source import parse_yaml
from atlas_assets.connectors.registry import SOURCE_CONFIGS

DB_URL = "postgresql://atlas:s3cr3t-db-pw@db.acme.internal/app"
CATALOG_URI = "postgresql://iceberg:s3cr3t-catalog-pw@catalog/iceberg"
PG_PASSWORD = "s3cr3t-pg-pw"
STRIPE_KEY = "sk_live_s3cr3t"
ENV = {
    "ACME_DB_URL": DB_URL,
    "ATLAS_CATALOG_URI": CATALOG_URI,
    "ACME_PG_PASSWORD": PG_PASSWORD,
    "ACME_STRIPE_KEY": STRIPE_KEY,
}
SECRETS = (DB_URL, CATALOG_URI, PG_PASSWORD, STRIPE_KEY)

VALID = textwrap.dedent(
    """\
    defaults:
      partitions: {start: "2026-01-01"}
    warehouse:
      catalog: {type: sql, uri: "${ATLAS_CATALOG_URI}"}
    tenants:
      acme:
        sources:
          app_db:
            kind: sql
            url: ${ACME_DB_URL}
            objects:
              orders: {cursor: updated_at}
    """
)


def error_text(text: str, env: dict[str, str]) -> str:
    with pytest.raises(RunnerConfigError) as caught:
        parse_runner_config(textwrap.dedent(text), "runner.yaml", env)
    return str(caught.value) + repr(caught.value) + repr(caught.value.problems)


def assert_no_secret_in(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert "s3cr3t" not in text  # nor any fragment a message might have cut from one


def test_resolved_secret_is_reachable_for_validation_and_keeps_its_reference() -> None:
    config, _specs = parse_runner_config(VALID, "runner.yaml", ENV)
    url = config.tenants["acme"].sources["app_db"].url
    assert (url.value, url.template, url.env_var) == (DB_URL, "${ACME_DB_URL}", "ACME_DB_URL")


def test_a_platform_secret_keeps_its_reference_too() -> None:
    config, _specs = parse_runner_config(VALID, "runner.yaml", ENV)
    assert config.warehouse.catalog.uri is not None
    assert config.warehouse.catalog.uri.template == "${ATLAS_CATALOG_URI}"
    assert config.warehouse.catalog.uri.value == CATALOG_URI


def test_secret_value_is_not_in_the_config_repr_or_str() -> None:
    config, specs = parse_runner_config(VALID, "runner.yaml", ENV)
    assert_no_secret_in(repr(config) + str(config) + repr(specs))


def test_secret_value_is_masked_in_model_dump() -> None:
    config, _specs = parse_runner_config(VALID, "runner.yaml", ENV)
    dumped = config.model_dump()
    assert dumped["tenants"]["acme"]["sources"]["app_db"]["url"] == "***"
    assert dumped["warehouse"]["catalog"]["uri"] == "***"
    assert_no_secret_in(repr(dumped) + config.model_dump_json())


def test_a_secret_embedded_in_a_longer_value_keeps_the_text_around_its_reference() -> None:
    text = VALID.replace("${ACME_DB_URL}", '"postgresql://atlas:${ACME_PG_PASSWORD}@db/app"')
    config, _specs = parse_runner_config(text, "runner.yaml", ENV)
    url = config.tenants["acme"].sources["app_db"].url
    assert url.value == f"postgresql://atlas:{PG_PASSWORD}@db/app"
    assert (url.template, url.env_var) == ("postgresql://atlas:${ACME_PG_PASSWORD}@db/app", None)
    assert_no_secret_in(repr(config) + config.model_dump_json())


def test_literal_secret_is_masked_too() -> None:
    config, _specs = parse_runner_config(VALID.replace("${ACME_DB_URL}", DB_URL), "runner.yaml", ENV)
    url = config.tenants["acme"].sources["app_db"].url
    assert (url.value, url.env_var) == (DB_URL, None)
    assert_no_secret_in(repr(config) + config.model_dump_json())


def test_a_defaulted_reference_is_kept_whole_for_the_resource_to_expand() -> None:
    text = VALID.replace("${ACME_DB_URL}", '"${ACME_DB_URL:-sqlite:///local.db}"')
    env = {name: value for name, value in ENV.items() if name != "ACME_DB_URL"}
    config, _specs = parse_runner_config(text, "runner.yaml", env)
    url = config.tenants["acme"].sources["app_db"].url
    assert (url.value, url.template) == ("sqlite:///local.db", "${ACME_DB_URL:-sqlite:///local.db}")


def test_missing_variable_message_names_it_without_other_secrets() -> None:
    text = VALID.replace("${ACME_DB_URL}", "${ACME_REPLICA_URL}")
    report = error_text(text, ENV)
    assert "ACME_REPLICA_URL" in report
    assert_no_secret_in(report)


def test_errors_elsewhere_in_a_source_never_print_its_secrets() -> None:
    report = error_text(
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: ${ACME_DB_URL}
                password: ${ACME_PG_PASSWORD}
                api_key: ${ACME_STRIPE_KEY}
                batch_size: none
                objects: {orders: {cursor: updated_at, write: sideways}}
        """,
        ENV,
    )
    assert "tenants.acme.sources.app_db.password" in report
    assert "tenants.acme.sources.app_db.api_key" in report
    assert_no_secret_in(report)


def test_a_secret_of_the_wrong_type_is_reported_without_its_value() -> None:
    report = error_text(
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: [s3cr3t-a, s3cr3t-b]
                objects: [orders]
        """,
        ENV,
    )
    assert "tenants.acme.sources.app_db.url" in report
    assert_no_secret_in(report)


def test_a_catalog_property_named_like_a_secret_is_accepted() -> None:
    text = VALID.replace("{type: sql,", "{properties: {token: t0k}, type: sql,")
    config, _specs = parse_runner_config(text, "runner.yaml", ENV)
    assert "t0k" not in repr(config)


def test_every_interpolated_string_remembers_its_text_as_written() -> None:
    doc = parse_yaml("tenants:\n  acme:\n    anything: pre-${ACME_PG_PASSWORD}\n", "runner.yaml")
    assert interpolate(doc, ENV) == []
    value = doc.data["tenants"]["acme"]["anything"]
    assert (str(value), value.template) == (f"pre-{PG_PASSWORD}", "pre-${ACME_PG_PASSWORD}")


CREDENTIAL_FIELD = re.compile(r"(password|secret|token|api_key|url|uri|credentials)$")


@pytest.mark.parametrize("source_config", SOURCE_CONFIGS, ids=lambda cls: cls.__name__)
def test_every_credential_field_of_every_source_kind_is_typed_secret(source_config) -> None:
    # A new connector's `api_key: str` would hand Dagster the resolved value; `Secret` hands it the reference.
    credentials = [name for name in source_config.model_fields if CREDENTIAL_FIELD.search(name)]
    untyped = [
        name for name in credentials if "EnvRef" not in str(source_config.model_fields[name].annotation)
    ]
    assert untyped == []
