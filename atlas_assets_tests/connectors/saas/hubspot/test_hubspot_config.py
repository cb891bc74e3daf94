"""runner.yaml for `kind: hubspot`: upsert defaults, one way to authenticate, secrets as text."""

from __future__ import annotations

import textwrap

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.objects import WriteMode

ENV = {
    "ACME_HUBSPOT_TOKEN": "pat-eu1-123456",
    "ACME_HUBSPOT_SECRET": "s3cr3t",
    "ACME_HUBSPOT_REFRESH": "r3fr3sh",
}


def hubspot_source(auth: str, objects: str = "[deals]"):
    text = textwrap.dedent(f"""
        defaults:
          partitions: {{start: "2026-01-01"}}
        tenants:
          acme:
            sources:
              crm:
                kind: hubspot
                {auth}
                objects: {objects}
        """)
    config, _ = parse_runner_config(text, "runner.yaml", ENV)
    return config.tenants["acme"].sources["crm"]


def test_objects_default_to_an_upsert_on_id_with_cursor_updated_at():
    source = hubspot_source(
        'access_token: "${ACME_HUBSPOT_TOKEN}"', "{deals: {}, firms: {object_type: companies}}"
    )

    deals, firms = source.objects["deals"], source.objects["firms"]

    assert (deals.write_mode, deals.cursor, deals.primary_key, deals.properties) == (
        WriteMode.UPSERT,
        "updated_at",
        ["id"],
        "all",
    )
    assert firms.object_type == "companies"


def test_secrets_reach_the_resource_as_their_runner_yaml_text():
    source = hubspot_source(
        'client_id: app-1\n                client_secret: "${ACME_HUBSPOT_SECRET}"\n'
        '                refresh_token: "${ACME_HUBSPOT_REFRESH}"'
    )

    resource = source.build_resource()

    assert (resource.client_secret, resource.refresh_token) == (
        "${ACME_HUBSPOT_SECRET}",
        "${ACME_HUBSPOT_REFRESH}",
    )
    assert resource.api_base_url == "https://api.hubapi.com"
    dumped = repr(source.model_dump())
    assert "s3cr3t" not in dumped
    assert "r3fr3sh" not in dumped


def test_a_token_together_with_oauth_keys_is_refused_naming_the_source():
    with pytest.raises(RunnerConfigError) as failure:
        hubspot_source('access_token: "${ACME_HUBSPOT_TOKEN}"\n                client_id: app-1')

    message = str(failure.value)
    assert "tenants.acme.sources.crm.access_token" in message
    assert "give `access_token` or the OAuth2 keys, not both" in message


def test_incomplete_oauth_keys_name_the_missing_ones():
    with pytest.raises(RunnerConfigError) as failure:
        hubspot_source("client_id: app-1")

    assert "(missing client_secret, refresh_token)" in str(failure.value)


def test_a_write_mode_other_than_upsert_is_refused_with_its_path_and_line():
    with pytest.raises(RunnerConfigError) as failure:
        hubspot_source('access_token: "${ACME_HUBSPOT_TOKEN}"', "{deals: {write: replace}}")

    message = str(failure.value)
    assert "line 10: tenants.acme.sources.crm.objects.deals.write" in message
    assert "hubspot objects are written as `upsert` on `id`" in message
