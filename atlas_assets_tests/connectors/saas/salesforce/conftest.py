"""The local Salesforce server (HTTPS, its CA trusted through `REQUESTS_CA_BUNDLE`) and its secrets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from atlas_assets_tests.connectors.saas.salesforce.server import (
    CONSUMER_SECRET,
    PASSWORD,
    PRIVATE_KEY_PEM,
    SECURITY_TOKEN,
    SalesforceServer,
)


@pytest.fixture
def salesforce(tmp_path_factory, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceServer]:
    server = SalesforceServer(tmp_path_factory.mktemp("salesforce-ca"))
    # requests (under simple-salesforce) verifies the server's certificate against this bundle.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
    monkeypatch.setenv("ACME_SF_PASSWORD", PASSWORD)
    monkeypatch.setenv("ACME_SF_TOKEN", SECURITY_TOKEN)
    monkeypatch.setenv("ACME_SF_PRIVATE_KEY", PRIVATE_KEY_PEM)
    monkeypatch.setenv("ACME_SF_CONSUMER_SECRET", CONSUMER_SECRET)
    with server.running():
        server.define(
            "Opportunity",
            Amount="currency(18,2)",
            Probability="percent(3,0)",
            TotalOpportunityQuantity="double(18,2)",
            ExpectedScore="double",
            NumberOfItems__c="int",
            IsWon="boolean",
            CloseDate="date",
            ClosedAt__c="datetime",
            Reminder__c="time",
            StageName="picklist",
            Regions__c="multipicklist",
            Description="textarea",
            AccountId="reference",
            ShipTo__c="address",
            ShipTo__City__s="string:ShipTo__c",
            ShipTo__CountryCode__s="string:ShipTo__c",
        )
        yield server
