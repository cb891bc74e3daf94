"""runner.yaml for `kind: salesforce`: upsert defaults, one way to log in, secrets as text."""

from __future__ import annotations

import textwrap

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.objects import WriteMode

ENV = {"ACME_SF_PASSWORD": "pa55word", "ACME_SF_TOKEN": "t0ken-abc", "ACME_SF_SECRET": "s3cr3t-xyz"}
PASSWORD_LOGIN = (
    'username: u@acme.test\n                password: "${ACME_SF_PASSWORD}"\n'
    '                security_token: "${ACME_SF_TOKEN}"'
)


def salesforce_source(auth: str, objects: str = "[account]", extra: str = ""):
    text = textwrap.dedent(f"""
        defaults:
          partitions: {{start: "2026-01-01"}}
        tenants:
          acme:
            sources:
              crm:
                kind: salesforce
                {auth}
                {extra}
                objects: {objects}
        """)
    config, _ = parse_runner_config(text, "runner.yaml", ENV)
    return config.tenants["acme"].sources["crm"]


def test_objects_default_to_an_upsert_on_id_by_systemmodstamp_with_every_field():
    source = salesforce_source(PASSWORD_LOGIN, "{account: {}, invoices: {sobject: Invoice__c}}")

    account, invoices = source.objects["account"], source.objects["invoices"]

    assert (account.write_mode, account.cursor, account.primary_key, account.fields) == (
        WriteMode.UPSERT,
        "SystemModstamp",
        ["Id"],
        "all",
    )
    assert invoices.sobject == "Invoice__c"
    assert (source.domain, source.api_version, source.bulk_threshold) == ("login", "62.0", 100_000)


def test_secrets_reach_the_resource_as_their_runner_yaml_text():
    source = salesforce_source(PASSWORD_LOGIN)

    resource = source.build_resource()

    assert (resource.password, resource.security_token) == ("${ACME_SF_PASSWORD}", "${ACME_SF_TOKEN}")
    dumped = repr(source.model_dump())
    assert "pa55word" not in dumped
    assert "t0ken-abc" not in dumped


def test_two_ways_of_logging_in_at_once_are_refused_naming_the_source():
    with pytest.raises(RunnerConfigError) as failure:
        salesforce_source(PASSWORD_LOGIN + '\n                consumer_secret: "${ACME_SF_SECRET}"')

    message = str(failure.value)
    assert "tenants.acme.sources.crm.username" in message
    assert "(got password and client credentials)" in message


def test_a_password_without_its_security_token_names_what_is_missing():
    with pytest.raises(RunnerConfigError) as failure:
        salesforce_source('username: u@acme.test\n                password: "${ACME_SF_PASSWORD}"')

    assert "missing security_token" in str(failure.value)


def test_client_credentials_need_a_my_domain():
    auth = 'consumer_key: app-1\n                consumer_secret: "${ACME_SF_SECRET}"'
    with pytest.raises(RunnerConfigError) as failure:
        salesforce_source(auth)
    ok = salesforce_source(auth, extra="domain: acme.my")

    assert "tenants.acme.sources.crm.domain" in str(failure.value)
    assert ok.build_resource().domain == "acme.my"


def test_a_cursor_other_than_the_modification_stamps_is_refused_with_its_path_and_line():
    with pytest.raises(RunnerConfigError) as failure:
        salesforce_source(PASSWORD_LOGIN, "{account: {cursor: CreatedDate}}")

    message = str(failure.value)
    assert "line 13: tenants.acme.sources.crm.objects.account.cursor" in message
    assert "SystemModstamp, LastModifiedDate" in message


def test_a_write_mode_other_than_upsert_is_refused():
    with pytest.raises(RunnerConfigError) as failure:
        salesforce_source(PASSWORD_LOGIN, "{account: {write: replace, cursor: null}}")

    assert "salesforce objects are written as `upsert` on `Id`" in str(failure.value)
