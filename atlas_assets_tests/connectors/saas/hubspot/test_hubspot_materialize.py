"""HubSpot through Dagster into Iceberg, the official SDK talking to a local HubSpot-speaking server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import dagster as dg
import pyarrow as pa
import pytest

from atlas_assets_tests.connectors.saas.hubspot.server import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    HubSpotServer,
)
from atlas_assets_tests.harness import Platform, platform, step_failure

TOKEN_VAR = "ACME_HUBSPOT_TOKEN"
DAY1 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
DAY2 = DAY1 + dt.timedelta(days=1)
NODE = "acme__crm__{}"


@pytest.fixture
def hubspot(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubSpotServer]:
    monkeypatch.setenv(TOKEN_VAR, ACCESS_TOKEN)
    monkeypatch.setenv("ACME_HUBSPOT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("ACME_HUBSPOT_REFRESH_TOKEN", REFRESH_TOKEN)
    with HubSpotServer().running() as server:
        server.define(
            "deals",
            dealname="string",
            amount="number:currency",
            probability="number",
            closedate="datetime",
            launch="date",
            is_won="bool",
            dealstage="enumeration",
        )
        yield server


PRIVATE_APP = f'access_token: "${{{TOKEN_VAR}}}"'
OAUTH = (
    f'client_id: {CLIENT_ID}\n            client_secret: "${{ACME_HUBSPOT_CLIENT_SECRET}}"\n'
    '            refresh_token: "${ACME_HUBSPOT_REFRESH_TOKEN}"'
)


def hubspot_platform(
    tmp_path,
    server: HubSpotServer,
    objects: str = "[deals]",
    auth: str = PRIVATE_APP,
    retry: str = "",
) -> Platform:
    body = f"""
    tenants:
      acme:
        {retry}
        sources:
          crm:
            kind: hubspot
            {auth}
            api_base_url: "{server.url}"
            objects: {objects}
    """
    return platform(tmp_path, body)


def deal(server: HubSpotServer, number: int, modified: dt.datetime, **properties: str | None) -> None:
    fields = {"dealname": f"Deal {number}", "amount": "1500.25", "dealstage": "closedwon", **properties}
    server.put("deals", number, modified, **fields)


def contact_with_companies(server: HubSpotServer, number: int, companies: int) -> None:
    """A contact modified on DAY1, associated with companies 10001, 10002, …"""
    server.put("contacts", number, DAY1 + dt.timedelta(hours=number))
    for n in range(1, companies + 1):
        server.associate("contacts", number, "companies", 10_000 + n)


def rows(atlas: Platform, name: str = "deals") -> dict[str, dict]:
    return {r["id"]: r for r in atlas.table(f"crm__{name}", namespace="acme").to_pylist()}


def part(day: dt.datetime) -> str:
    return day.date().isoformat()


def metadata(result: dg.ExecuteInProcessResult, name: str = "deals") -> dict:
    return result.asset_materializations_for_node(NODE.format(name))[0].metadata


def test_properties_are_typed_from_hubspot_property_types(tmp_path, hubspot):
    deal(
        hubspot,
        1,
        DAY1 + dt.timedelta(hours=1),
        closedate="2026-03-01T10:00:00.000Z",
        launch="2026-04-01",
        is_won="true",
        probability="0.75",
    )
    atlas = hubspot_platform(tmp_path, hubspot)

    atlas.materialize("acme/crm/deals", partition=part(DAY1))

    table = atlas.table("crm__deals", namespace="acme")
    assert table.schema.field("probability").type == pa.float64()
    assert table.schema.field("closedate").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("launch").type == pa.date32()
    assert table.schema.field("is_won").type == pa.bool_()
    assert table.schema.field("dealstage").type in (pa.string(), pa.large_string())
    row = table.to_pylist()[0]
    assert (row["id"], row["probability"], row["is_won"]) == ("1", 0.75, True)
    assert row["closedate"] == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    assert row["launch"] == dt.date(2026, 4, 1)


def test_money_numbers_are_exact_decimals(tmp_path, hubspot):
    deal(hubspot, 1, DAY1 + dt.timedelta(hours=1), amount="0.1")
    deal(hubspot, 2, DAY1 + dt.timedelta(hours=2), amount="12345678901234.2")
    atlas = hubspot_platform(tmp_path, hubspot)

    atlas.materialize("acme/crm/deals", partition=part(DAY1))

    table = atlas.table("crm__deals", namespace="acme")
    assert table.schema.field("amount").type == pa.decimal128(38, 9)
    amounts = {r["id"]: r["amount"] for r in table.to_pylist()}
    assert amounts == {"1": Decimal("0.1"), "2": Decimal("12345678901234.2")}
    assert sum(amounts.values()) == Decimal("12345678901234.3")


def test_associations_become_list_columns_with_one_batch_read_per_page_and_type(tmp_path, hubspot):
    for n in range(1, 251):
        deal(hubspot, n, DAY1 + dt.timedelta(seconds=n))
    hubspot.associate("deals", 1, "companies", 501)
    hubspot.associate("deals", 1, "companies", 502)
    hubspot.associate("deals", 250, "contacts", 9)
    atlas = hubspot_platform(tmp_path, hubspot, objects="{deals: {associations: [companies, contacts]}}")

    atlas.materialize("acme/crm/deals", partition=part(DAY1))

    table = atlas.table("crm__deals", namespace="acme")
    assert pa.types.is_list(table.schema.field("associated_companies").type) or pa.types.is_large_list(
        table.schema.field("associated_companies").type
    )
    deals = {r["id"]: r for r in table.to_pylist()}
    assert len(deals) == 250
    assert deals["1"]["associated_companies"] == ["501", "502"]
    assert deals["250"]["associated_contacts"] == ["9"]
    assert deals["2"]["associated_companies"] == []
    reads = hubspot.of("POST", "/batch/read")
    assert sorted(r.path for r in reads) == [
        "/crm/v4/associations/deals/companies/batch/read",
        "/crm/v4/associations/deals/companies/batch/read",
        "/crm/v4/associations/deals/contacts/batch/read",
        "/crm/v4/associations/deals/contacts/batch/read",
    ]
    assert [len(r.body["inputs"]) for r in reads] == [200, 200, 50, 50]


def test_associations_past_the_first_500_of_an_object_are_read_by_following_its_after(tmp_path, hubspot):
    contact_with_companies(hubspot, 7, 1200)
    contact_with_companies(hubspot, 8, 1)
    atlas = hubspot_platform(tmp_path, hubspot, objects="{contacts: {associations: [companies]}}")

    result = atlas.materialize("acme/crm/contacts", partition=part(DAY1))

    contacts = rows(atlas, "contacts")
    assert contacts["7"]["associated_companies"] == [str(10_000 + n) for n in range(1, 1201)]
    assert contacts["8"]["associated_companies"] == ["10001"]
    # 500 + 500 + 200: the first read has both contacts, each follow-up only 7, with its cursor.
    reads = hubspot.of("POST", "/crm/v4/associations/contacts/companies/batch/read")
    assert [[i["id"] for i in r.body["inputs"]] for r in reads] == [["7", "8"], ["7"], ["7"]]
    assert [[set(i) for i in r.body["inputs"]] for r in reads[1:]] == [[{"id", "after"}]] * 2
    assert len(hubspot.requests) == 6  # properties, search, 3 association reads, archived list
    assert metadata(result, "contacts")["atlas/source/requests"].value == 6


def test_a_throttled_association_follow_up_read_is_retried_with_its_cursor(tmp_path, hubspot):
    contact_with_companies(hubspot, 7, 1200)
    atlas = hubspot_platform(
        tmp_path,
        hubspot,
        objects="{contacts: {associations: [companies]}}",
        retry="retry: {max_retries: 3, delay_seconds: 0.01}",
    )
    # Requests 1-3: properties, search, the first association read; the second read is throttled.
    hubspot.fail_next(
        429, "You have reached your secondly limit.", "RATE_LIMITS", from_request=4, Retry_After="0"
    )

    result = atlas.materialize("acme/crm/contacts", partition=part(DAY1))

    assert rows(atlas, "contacts")["7"]["associated_companies"] == [str(10_000 + n) for n in range(1, 1201)]
    reads = hubspot.of("POST", "/crm/v4/associations/contacts/companies/batch/read")
    assert len(reads) == 4
    assert reads[1].body == reads[2].body  # the throttled follow-up, repeated as it was
    assert metadata(result, "contacts")["atlas/source/rate_limit_waits"].value == 1


def test_an_associations_cursor_handed_back_twice_fails_the_run_instead_of_looping(tmp_path, hubspot):
    contact_with_companies(hubspot, 7, 1200)
    hubspot.stuck_association_cursor = True
    atlas = hubspot_platform(tmp_path, hubspot, objects="{contacts: {associations: [companies]}}")

    result = atlas.materialize("acme/crm/contacts", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert "associations cursor" in step_failure(result).description
    assert len(hubspot.of("POST", "/crm/v4/associations/contacts/companies/batch/read")) == 2


def test_only_objects_modified_in_the_partition_window_are_read_via_search(tmp_path, hubspot):
    deal(hubspot, 1, DAY1 - dt.timedelta(milliseconds=1))
    deal(hubspot, 2, DAY1)
    deal(hubspot, 3, DAY2 - dt.timedelta(milliseconds=1))
    deal(hubspot, 4, DAY2)
    atlas = hubspot_platform(tmp_path, hubspot)

    result = atlas.materialize("acme/crm/deals", partition=part(DAY1))

    assert sorted(rows(atlas)) == ["2", "3"]
    search = hubspot.of("POST", "/search")[0].body
    filters = search["filterGroups"][0]["filters"]
    assert {
        "propertyName": "hs_lastmodifieddate",
        "operator": "GTE",
        "value": str(int(DAY1.timestamp() * 1000)),
    } in filters
    assert {
        "propertyName": "hs_lastmodifieddate",
        "operator": "LT",
        "value": str(int(DAY2.timestamp() * 1000)),
    } in filters
    assert metadata(result)["atlas/source/incremental"].value == "search by hs_lastmodifieddate"


def test_contacts_are_windowed_on_lastmodifieddate(tmp_path, hubspot):
    hubspot.define("contacts", email="string")
    hubspot.put("contacts", 7, DAY1 + dt.timedelta(hours=2), email="ada@acme.test")
    atlas = hubspot_platform(tmp_path, hubspot, "[contacts]")

    atlas.materialize("acme/crm/contacts", partition=part(DAY1))

    assert rows(atlas, "contacts")["7"]["email"] == "ada@acme.test"
    filters = hubspot.of("POST", "/search")[0].body["filterGroups"][0]["filters"]
    assert {f["propertyName"] for f in filters} == {"lastmodifieddate"}


def test_many_pages_land_every_object_once(tmp_path, hubspot):
    for n in range(1, 451):
        deal(hubspot, n, DAY1 + dt.timedelta(seconds=n))
    atlas = hubspot_platform(tmp_path, hubspot)

    result = atlas.materialize("acme/crm/deals", partition=part(DAY1))

    assert sorted(rows(atlas), key=int) == [str(n) for n in range(1, 451)]
    assert metadata(result)["atlas/source/pages"].value == 3 + 1  # 3 search pages, 1 archived list page
    lasts = [
        next(
            (f["value"] for f in r.body["filterGroups"][0]["filters"] if f["propertyName"] == "hs_object_id"),
            None,
        )
        for r in hubspot.of("POST", "/search")
    ]
    assert lasts == [None, "200", "400"]


def test_a_listed_subset_of_properties_is_requested_and_unknown_ones_are_refused(tmp_path, hubspot):
    deal(hubspot, 1, DAY1 + dt.timedelta(hours=1))
    atlas = hubspot_platform(tmp_path, hubspot, "{deals: {properties: [dealname]}}")
    atlas.materialize("acme/crm/deals", partition=part(DAY1))
    (tmp_path / "bad").mkdir()
    bad = hubspot_platform(tmp_path / "bad", hubspot, "{deals: {properties: [dealnam]}}")

    failed = bad.materialize("acme/crm/deals", partition=part(DAY1), raise_on_error=False)

    assert hubspot.of("POST", "/search")[0].body["properties"] == ["dealname"]
    assert set(rows(atlas)["1"]) >= {"id", "dealname", "updated_at"}
    assert "amount" not in rows(atlas)["1"]
    assert "acme.crm.deals: HubSpot deals have no properties ['dealnam']" in step_failure(failed).description


@pytest.mark.slow
def test_a_window_of_25000_modified_objects_lands_all_of_them_once(tmp_path, hubspot):
    # 25,000 objects, 1,000 of which share one hs_lastmodifieddate: far past the 10,000 search cap.
    for n in range(1, 25_001):
        stamp = DAY1 + dt.timedelta(hours=5) if n <= 1000 else DAY1 + dt.timedelta(seconds=n)
        deal(hubspot, n, stamp)
    atlas = hubspot_platform(tmp_path, hubspot, "{deals: {properties: [dealname]}}")

    result = atlas.materialize("acme/crm/deals", partition=part(DAY1))

    ids = atlas.table("crm__deals", namespace="acme").column("id").to_pylist()
    assert len(ids) == 25_000
    assert set(ids) == {str(n) for n in range(1, 25_001)}
    assert metadata(result)["atlas/source/pages"].value == 126  # 125 search pages + 1 archived list
    assert all(int(r.body.get("after") or 0) == 0 for r in hubspot.of("POST", "/search"))


def test_objects_archived_in_the_window_are_deleted_in_the_same_commit(tmp_path, hubspot):
    for n in (1, 2, 3):
        deal(hubspot, n, DAY1 + dt.timedelta(hours=n))
    atlas = hubspot_platform(tmp_path, hubspot)
    atlas.materialize("acme/crm/deals", partition=part(DAY1))
    hubspot.put("deals", 2, DAY2 + dt.timedelta(hours=1), archived_at=DAY2 + dt.timedelta(hours=1))
    hubspot.put(
        "deals", 3, DAY1, archived_at=DAY1 - dt.timedelta(days=9)
    )  # archived before: not this window's
    deal(hubspot, 1, DAY2 + dt.timedelta(hours=2), dealname="Renamed")
    snapshots = len(atlas.snapshots("crm__deals", namespace="acme"))

    result = atlas.materialize("acme/crm/deals", partition=part(DAY2))

    assert {k: r["dealname"] for k, r in rows(atlas).items()} == {"1": "Renamed", "3": "Deal 3"}
    assert metadata(result)["atlas/rows_deleted"].value == 1
    assert len(atlas.snapshots("crm__deals", namespace="acme")) == snapshots + 1
    assert hubspot.of("GET", "/crm/v3/objects/deals")[-1].query["archived"].lower() == "true"


def test_rerunning_a_partition_leaves_identical_rows(tmp_path, hubspot):
    for n in (1, 2, 3):
        deal(hubspot, n, DAY1 + dt.timedelta(hours=n))
    hubspot.put("deals", 4, DAY1, archived_at=DAY1 + dt.timedelta(hours=9))
    atlas = hubspot_platform(tmp_path, hubspot)
    atlas.materialize("acme/crm/deals", partition=part(DAY1))
    first = atlas.table("crm__deals", namespace="acme").drop_columns(["_atlas_run_id", "_atlas_extracted_at"])

    atlas.materialize("acme/crm/deals", partition=part(DAY1))

    again = atlas.table("crm__deals", namespace="acme").drop_columns(["_atlas_run_id", "_atlas_extracted_at"])
    assert again.sort_by("id").equals(first.sort_by("id"))
    assert again.num_rows == 3


def test_oauth_refreshes_an_expired_token_once_mid_extraction(tmp_path, hubspot):
    for n in range(1, 451):
        deal(hubspot, n, DAY1 + dt.timedelta(seconds=n))
    atlas = hubspot_platform(tmp_path, hubspot, auth=OAUTH)

    original = hubspot.respond

    def respond(request):
        answer = original(request)
        if request.path.endswith("/search") and not getattr(respond, "expired", False):
            respond.expired = True
            hubspot.expire_tokens()
        return answer

    hubspot.respond = respond  # the server, not our code: tokens expire after the first search page
    result = atlas.materialize("acme/crm/deals", partition=part(DAY1))

    assert len(rows(atlas)) == 450
    tokens = hubspot.of("POST", "/oauth/v1/token")
    assert len(tokens) == 2
    assert tokens[0].body["grant_type"] == "refresh_token"
    assert metadata(result)["atlas/source/token_refreshes"].value == 2
    searches = hubspot.of("POST", "/search")
    # The second page's first attempt met the expired token; it was refreshed and repeated.
    first_token = searches[0].headers["authorization"]
    assert [r.headers["authorization"] == first_token for r in searches] == [True, True, False, False]


def test_a_rejected_private_app_token_fails_in_one_request_naming_hubspots_message(
    tmp_path, hubspot, monkeypatch
):
    monkeypatch.setenv(TOKEN_VAR, "pat-eu1-revoked-token-000000")
    atlas = hubspot_platform(tmp_path, hubspot, retry="retry: {max_retries: 3, delay_seconds: 0.01}")

    result = atlas.materialize("acme/crm/deals", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert len(hubspot.requests) == 1
    description = step_failure(result).description
    assert description.startswith("acme.crm.deals: HubSpot HTTP 401 INVALID_AUTHENTICATION: Authentication")
    assert "(correlationId " in description
    assert "pat-eu1-revoked-token-000000" not in description


def test_check_connection_passes_with_one_authenticated_request(tmp_path, hubspot):
    atlas = hubspot_platform(tmp_path, hubspot)

    result = atlas.check_sources()

    assert result.output_for_node("check_source_connections") == {"acme.crm": "ok"}
    assert [r.path for r in hubspot.requests] == ["/crm/v3/properties/contacts"]


def test_check_connection_with_a_rejected_token_fails_permanently_naming_the_source(
    tmp_path, hubspot, monkeypatch
):
    monkeypatch.setenv(TOKEN_VAR, "pat-eu1-revoked-token-000000")
    atlas = hubspot_platform(tmp_path, hubspot)

    result = atlas.check_sources()

    assert not result.success
    description = step_failure(result).description
    assert "acme.crm: failed (permanent): HubSpot HTTP 401" in description
    assert "pat-eu1-revoked-token-000000" not in description
    assert len(hubspot.requests) == 1


def test_a_refresh_token_that_keeps_failing_401_fails_after_one_refresh(tmp_path, hubspot):
    deal(hubspot, 1, DAY1 + dt.timedelta(hours=1))
    atlas = hubspot_platform(tmp_path, hubspot, auth=OAUTH)
    hubspot.fail_next(
        401, "The OAuth token used to make this call expired", "EXPIRED_AUTHENTICATION", from_request=2
    )
    hubspot.fail_next(
        401, "The OAuth token used to make this call expired", "EXPIRED_AUTHENTICATION", from_request=4
    )

    result = atlas.materialize("acme/crm/deals", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert [r.path for r in hubspot.requests] == [
        "/oauth/v1/token",
        "/crm/v3/properties/deals",
        "/oauth/v1/token",
        "/crm/v3/properties/deals",
    ]
    assert "HTTP 401 EXPIRED_AUTHENTICATION" in step_failure(result).description


def test_a_429_storm_is_retried_per_request_with_retry_after(tmp_path, hubspot):
    for n in range(1, 251):
        deal(hubspot, n, DAY1 + dt.timedelta(seconds=n))
    atlas = hubspot_platform(tmp_path, hubspot, retry="retry: {max_retries: 3, delay_seconds: 5}")
    for _ in range(3):  # the second search page is throttled three times
        hubspot.fail_next(
            429,
            "You have reached your secondly limit.",
            "RATE_LIMITS",
            from_request=3,
            Retry_After="0",
            X_HubSpot_RateLimit_Remaining="0",
        )

    result = atlas.materialize("acme/crm/deals", partition=part(DAY1))

    assert len(rows(atlas)) == 250
    meta = metadata(result)
    assert meta["atlas/source/rate_limit_waits"].value == 3
    assert meta["atlas/source/rate_limit_wait_seconds"].value == 0
    assert len(hubspot.of("POST", "/search")) == 5


def test_searches_are_spaced_by_the_sources_rate_limit(tmp_path, hubspot):
    for n in range(1, 602):
        deal(hubspot, n, DAY1 + dt.timedelta(seconds=n))
    atlas = hubspot_platform(tmp_path, hubspot, objects="[deals]\n            rate_limit: 4")

    atlas.materialize("acme/crm/deals", partition=part(DAY1))

    searches = [r.at for r in hubspot.of("POST", "/search")]
    assert len(searches) == 4
    # Send times are 0.25 s apart; arrival times jitter by a few milliseconds each.
    assert searches[-1] - searches[0] >= 0.7


def test_a_spent_rate_limit_window_pauses_the_source_before_its_next_request(tmp_path, hubspot):
    deal(hubspot, 1, DAY1 + dt.timedelta(hours=1))
    hubspot.budget = {
        "X-HubSpot-RateLimit-Interval-Milliseconds": "1500",
        "X-HubSpot-RateLimit-Max": "100",
        "X-HubSpot-RateLimit-Remaining": "0",
    }
    atlas = hubspot_platform(tmp_path, hubspot)

    result = atlas.materialize("acme/crm/deals", partition=part(DAY1))

    properties, search = hubspot.of("GET", "/properties/")[0], hubspot.of("POST", "/search")[0]
    assert search.at - properties.at >= 1.45
    metadata = result.asset_materializations_for_node(NODE.format("deals"))[0].metadata
    assert metadata["atlas/source/throttle_pauses"].value >= 1
    assert metadata["atlas/source/rate_limit_waits"].value == 0  # no 429 was needed


def test_throttling_beyond_the_retry_budget_fails_with_hubspots_message(tmp_path, hubspot):
    atlas = hubspot_platform(tmp_path, hubspot, retry="retry: {max_retries: 2, delay_seconds: 0.01}")
    for _ in range(5):
        hubspot.fail_next(429, "You have reached your secondly limit.", "RATE_LIMITS", Retry_After="0")

    result = atlas.materialize("acme/crm/deals", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert len(hubspot.requests) == 3
    description = step_failure(result).description
    assert (
        "acme.crm.deals: HubSpot HTTP 429 RATE_LIMITS: You have reached your secondly limit." in description
    )
    assert "after 2 request retries" in description


def test_no_token_or_secret_appears_in_anything_dagster_stores(tmp_path, hubspot):
    deal(hubspot, 1, DAY1 + dt.timedelta(hours=1))
    atlas = hubspot_platform(tmp_path, hubspot, auth=OAUTH)
    atlas.materialize("acme/crm/deals", partition=part(DAY1))
    issued = [t for t in hubspot.valid_tokens if t != ACCESS_TOKEN]
    hubspot.fail_next(
        400,
        f"echoing {REFRESH_TOKEN} and {CLIENT_SECRET}",
        "VALIDATION_ERROR",
        from_request=len(hubspot.requests) + 2,
    )
    failed = atlas.materialize("acme/crm/deals", partition=part(DAY1), raise_on_error=False)

    stored = atlas.stored()
    assert not failed.success
    assert "echoing *** and ***" in step_failure(failed).description
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, *issued):
        assert secret not in stored


def test_a_property_added_between_runs_evolves_the_table(tmp_path, hubspot):
    deal(hubspot, 1, DAY1 + dt.timedelta(hours=1))
    atlas = hubspot_platform(tmp_path, hubspot)
    atlas.materialize("acme/crm/deals", partition=part(DAY1))
    hubspot.define("deals", region="enumeration")
    deal(hubspot, 1, DAY2 + dt.timedelta(hours=1), region="emea")

    result = atlas.materialize("acme/crm/deals", partition=part(DAY2))

    assert rows(atlas)["1"]["region"] == "emea"
    assert "region" in metadata(result)["atlas/schema_changes"].value
