"""Salesforce through Dagster into Iceberg: simple-salesforce over HTTPS to a local Salesforce server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg
import pyarrow as pa
import pytest

from atlas_assets_tests.connectors.saas.salesforce.server import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    MY_DOMAIN,
    PASSWORD,
    PRIVATE_KEY_PEM,
    SECURITY_TOKEN,
    USERNAME,
    SalesforceServer,
)
from atlas_assets_tests.harness import Platform, failure_message, platform, step_failure

DAY1 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
DAY2 = DAY1 + dt.timedelta(days=1)
NODE = "acme__crm__{}"

PASSWORD_LOGIN = (
    f'username: "{USERNAME}"\n            password: "${{ACME_SF_PASSWORD}}"\n'
    '            security_token: "${ACME_SF_TOKEN}"'
)
JWT_LOGIN = (
    f'username: "{USERNAME}"\n            consumer_key: "{CONSUMER_KEY}"\n'
    '            private_key: "${ACME_SF_PRIVATE_KEY}"'
)
CLIENT_CREDENTIALS = (
    f'consumer_key: "{CONSUMER_KEY}"\n            consumer_secret: "${{ACME_SF_CONSUMER_SECRET}}"\n'
    f"            domain: {MY_DOMAIN}"
)


def sf_platform(
    tmp_path,
    server: SalesforceServer,
    objects: str = "{opportunities: {sobject: Opportunity}}",
    auth: str = PASSWORD_LOGIN,
    retry: str = "",
    extra: str = "",
) -> Platform:
    body = f"""
    tenants:
      acme:
        {retry}
        sources:
          crm:
            kind: salesforce
            {auth}
            login_url: "{server.url}"
            {extra}
            objects: {objects}
    """
    return platform(tmp_path, body)


def opportunity(server: SalesforceServer, number: int, modstamp: dt.datetime, **values) -> None:
    fields = {"Name": f"Deal {number}", "Amount": Decimal("1500.25"), "StageName": "Closed Won", **values}
    server.put("Opportunity", f"006{number:015d}", modstamp, **fields)


def oid(number: int) -> str:
    return f"006{number:015d}"


def rows(atlas: Platform, name: str = "opportunities") -> dict[str, dict]:
    return {r["Id"]: r for r in atlas.table(f"crm__{name}", namespace="acme").to_pylist()}


def subdirectory(tmp_path, name: str):
    (tmp_path / name).mkdir()
    return tmp_path / name


def part(day: dt.datetime) -> str:
    return day.date().isoformat()


def metadata(result: dg.ExecuteInProcessResult, name: str = "opportunities") -> dict:
    return result.asset_materializations_for_node(NODE.format(name))[0].metadata


def test_fields_are_typed_exactly_from_describe_and_keep_salesforces_names(tmp_path, salesforce):
    opportunity(
        salesforce,
        1,
        DAY1 + dt.timedelta(hours=1),
        Amount=Decimal("12345678901234.25"),
        Probability=Decimal("75"),
        TotalOpportunityQuantity=Decimal("2.5"),
        ExpectedScore=0.125,
        NumberOfItems__c=7,
        IsWon=True,
        CloseDate=dt.date(2026, 4, 1),
        ClosedAt__c=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
        Reminder__c=dt.time(9, 30),
        Regions__c="EMEA;APAC",
        Description="line one\nline two",
        AccountId="001000000000000001",
        ShipTo__City__s="Lyon",
    )
    atlas = sf_platform(tmp_path, salesforce)

    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    table = atlas.catalog.load_table(("acme", "crm__opportunities")).scan().to_arrow()
    types = {f.name: f.type for f in table.schema}
    assert types["Amount"] == pa.decimal128(18, 2)
    assert types["Probability"] == pa.decimal128(3, 0)
    assert types["TotalOpportunityQuantity"] == pa.decimal128(18, 2)
    assert types["ExpectedScore"] == pa.float64()
    assert types["NumberOfItems__c"] == pa.int64()
    assert types["IsWon"] == pa.bool_()
    assert types["CloseDate"] == pa.date32()
    assert types["ClosedAt__c"] == pa.timestamp("us", tz="UTC")
    assert types["SystemModstamp"] == pa.timestamp("us", tz="UTC")
    assert types["Reminder__c"] == pa.time64("us")
    assert "ShipTo__c" not in types  # the compound address, in favour of its components
    row = rows(atlas)[oid(1)]
    assert row["Amount"] == Decimal("12345678901234.25")
    assert (row["IsWon"], row["NumberOfItems__c"], row["ExpectedScore"]) == (True, 7, 0.125)
    assert row["CloseDate"] == dt.date(2026, 4, 1)
    assert row["Reminder__c"] == dt.time(9, 30)
    assert row["SystemModstamp"] == DAY1 + dt.timedelta(hours=1)
    assert (row["Regions__c"], row["Description"], row["ShipTo__City__s"]) == (
        "EMEA;APAC",
        "line one\nline two",
        "Lyon",
    )


def test_only_rows_whose_systemmodstamp_is_in_the_window_are_read(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 - dt.timedelta(seconds=1))
    opportunity(salesforce, 2, DAY1)
    opportunity(salesforce, 3, DAY2 - dt.timedelta(seconds=1))
    opportunity(salesforce, 4, DAY2)
    atlas = sf_platform(tmp_path, salesforce)

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert sorted(rows(atlas)) == [oid(2), oid(3)]
    select = salesforce.queries("SELECT Id")[0]
    assert "WHERE SystemModstamp >= 2026-03-02T00:00:00Z AND SystemModstamp < 2026-03-03T00:00:00Z" in select
    assert select.endswith("ORDER BY SystemModstamp, Id")
    assert metadata(result)["atlas/source/incremental"].value == "query by SystemModstamp"


def test_lastmodifieddate_can_be_the_cursor_instead(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(
        tmp_path, salesforce, "{opportunities: {sobject: Opportunity, cursor: LastModifiedDate}}"
    )

    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert list(rows(atlas)) == [oid(1)]
    assert "WHERE LastModifiedDate >= 2026-03-02T00:00:00Z" in salesforce.queries("SELECT Id")[0]


def test_many_rest_pages_are_followed_by_next_records_url_and_land_every_row_once(tmp_path, salesforce):
    for n in range(1, 4501):
        opportunity(salesforce, n, DAY1 + dt.timedelta(seconds=n))
    atlas = sf_platform(tmp_path, salesforce)

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert sorted(rows(atlas)) == [oid(n) for n in range(1, 4501)]
    more = [r.path for r in salesforce.of("GET", "/query/") if not r.path.endswith("/query/")]
    assert [m.rsplit("-", 1)[1] for m in more] == ["2000", "4000"]
    meta = metadata(result)
    assert meta["atlas/source/pages"].value == 3 + 1  # three pages, one (empty) queryAll page of deletes
    assert meta["dagster/row_count"].value == 4500


def test_rows_deleted_in_the_window_are_deleted_in_the_same_commit(tmp_path, salesforce):
    for n in (1, 2, 3):
        opportunity(salesforce, n, DAY1 + dt.timedelta(hours=n))
    atlas = sf_platform(tmp_path, salesforce)
    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))
    opportunity(salesforce, 2, DAY2 + dt.timedelta(hours=1), deleted=True)
    opportunity(salesforce, 3, DAY1 - dt.timedelta(days=3), deleted=True)  # deleted outside the window
    opportunity(salesforce, 1, DAY2 + dt.timedelta(hours=2), Name="Renamed")
    snapshots = len(atlas.snapshots("crm__opportunities", namespace="acme"))

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY2))

    assert {k: r["Name"] for k, r in rows(atlas).items()} == {oid(1): "Renamed", oid(3): "Deal 3"}
    assert metadata(result)["atlas/rows_deleted"].value == 1
    assert len(atlas.snapshots("crm__opportunities", namespace="acme")) == snapshots + 1
    deleted_query = salesforce.of("GET", "/queryAll")[-1].soql
    assert "IsDeleted = true" in deleted_query


def test_rerunning_a_partition_leaves_identical_rows(tmp_path, salesforce):
    for n in (1, 2, 3):
        opportunity(salesforce, n, DAY1 + dt.timedelta(hours=n))
    opportunity(salesforce, 4, DAY1 + dt.timedelta(hours=9), deleted=True)
    atlas = sf_platform(tmp_path, salesforce)
    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))
    lineage = ["_atlas_run_id", "_atlas_extracted_at"]
    first = atlas.table("crm__opportunities", namespace="acme").drop_columns(lineage)

    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    again = atlas.table("crm__opportunities", namespace="acme").drop_columns(lineage)
    assert again.sort_by("Id").equals(first.sort_by("Id"))
    assert again.num_rows == 3


def test_a_window_above_bulk_threshold_is_read_by_a_bulk_job_polled_until_complete(tmp_path, salesforce):
    for n in range(1, 2501):
        opportunity(salesforce, n, DAY1 + dt.timedelta(seconds=n), Description=f'note {n}\n"quoted", too')
    salesforce.bulk_in_progress_polls = 3
    atlas = sf_platform(
        tmp_path,
        salesforce,
        extra="bulk_threshold: 1000\n            bulk_page_size: 1000\n            bulk_poll_seconds: 0.01",
    )

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    landed = rows(atlas)
    assert sorted(landed) == [oid(n) for n in range(1, 2501)]
    assert landed[oid(7)]["Description"] == 'note 7\n"quoted", too'
    assert landed[oid(7)]["Amount"] == Decimal("1500.25")
    assert len(salesforce.of("POST", "/jobs/query")) == 1
    polls = [r for r in salesforce.of("GET", "/jobs/query/") if not r.path.endswith("/results")]
    assert len(polls) == 4  # three InProgress, then JobComplete
    results = salesforce.of("GET", "/results")
    assert [r.query.get("maxRecords") for r in results] == ["1000"] * 3
    assert ["locator" in r.query for r in results] == [False, True, True]
    assert not salesforce.queries("SELECT Id, Name")  # no REST page of the rows
    meta = metadata(result)
    assert meta["atlas/source/incremental"].value.startswith("bulk 2.0 query by SystemModstamp")
    assert meta["atlas/source/bulk_polls"].value == 4


def test_bulk_and_rest_land_the_same_columns_and_values(tmp_path, salesforce):
    opportunity(
        salesforce,
        1,
        DAY1 + dt.timedelta(hours=1),
        Probability=Decimal("75"),
        IsWon=False,
        CloseDate=dt.date(2026, 4, 1),
        ClosedAt__c=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
        Reminder__c=dt.time(9, 30),
        NumberOfItems__c=3,
    )
    opportunity(salesforce, 2, DAY1 + dt.timedelta(hours=2))
    rest = sf_platform(subdirectory(tmp_path, "rest"), salesforce)
    bulk_options = "bulk_threshold: 1\n            bulk_poll_seconds: 0.01"
    bulk = sf_platform(subdirectory(tmp_path, "bulk"), salesforce, extra=bulk_options)

    rest.materialize("acme/crm/opportunities", partition=part(DAY1))
    bulk.materialize("acme/crm/opportunities", partition=part(DAY1))

    lineage = ["_atlas_run_id", "_atlas_extracted_at"]
    by_rest = rest.table("crm__opportunities", namespace="acme").drop_columns(lineage).sort_by("Id")
    by_bulk = bulk.table("crm__opportunities", namespace="acme").drop_columns(lineage).sort_by("Id")
    assert len(salesforce.of("POST", "/jobs/query")) == 1
    assert by_bulk.schema == by_rest.schema
    assert by_bulk.to_pylist() == by_rest.to_pylist()


def test_a_failed_bulk_job_fails_the_run_with_its_error_message(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    salesforce.bulk_fails_with = "InternalServerError : retry later"
    atlas = sf_platform(tmp_path, salesforce, extra="bulk_threshold: 0\n            bulk_poll_seconds: 0.01")

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    description = step_failure(result).description
    assert "acme.crm.opportunities: Salesforce Opportunity: Bulk 2.0 job 750" in description
    assert "Failed: InternalServerError : retry later" in description


def test_a_bulk_job_still_running_at_bulk_timeout_seconds_fails_the_run_naming_the_job(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    salesforce.bulk_in_progress_polls = 10_000
    atlas = sf_platform(
        tmp_path,
        salesforce,
        extra="bulk_threshold: 0\n            bulk_poll_seconds: 0.05\n            bulk_timeout_seconds: 0.5",
    )

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    message = failure_message(result)  # transient: left to the run's retry policy, here none
    assert "acme.crm.opportunities: Salesforce Opportunity: Bulk 2.0 job 750" in message
    assert "still InProgress after 0.5 s (bulk_timeout_seconds)" in message
    polls = [r for r in salesforce.of("GET", "/jobs/query/") if not r.path.endswith("/results")]
    assert 2 <= len(polls) <= 12  # polled every 0.05 s until the timeout, then given up
    assert not salesforce.of("GET", "/results")
    assert not atlas.catalog.table_exists(("acme", "crm__opportunities"))  # nothing committed


def test_an_expired_session_mid_extraction_logs_in_again_once_and_repeats_the_page(tmp_path, salesforce):
    for n in range(1, 4501):
        opportunity(salesforce, n, DAY1 + dt.timedelta(seconds=n))
    atlas = sf_platform(tmp_path, salesforce)
    # Requests: login, describe, count, first page; the session expires before the second page.
    salesforce.expire_sessions_at = 5

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert len(rows(atlas)) == 4500
    logins = salesforce.of("POST", "/services/Soap/u/")
    assert len(logins) == 2
    second_pages = [r for r in salesforce.of("GET", "/query/") if r.path.endswith("-2000")]
    assert len(second_pages) == 2  # refused with INVALID_SESSION_ID, then repeated with the new session
    assert second_pages[0].headers["authorization"] != second_pages[1].headers["authorization"]
    assert metadata(result)["atlas/source/logins"].value == 2


def test_an_expired_session_in_a_bulk_job_logs_in_again_and_the_job_goes_on(tmp_path, salesforce):
    for n in range(1, 301):
        opportunity(salesforce, n, DAY1 + dt.timedelta(seconds=n))
    salesforce.bulk_in_progress_polls = 2
    atlas = sf_platform(
        tmp_path,
        salesforce,
        extra="bulk_threshold: 10\n            bulk_page_size: 100\n            bulk_poll_seconds: 0.01",
    )
    # Requests: login, describe, count, create job, polls 1-3, first results page; then it expires.
    salesforce.expire_sessions_at = 9

    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert len(rows(atlas)) == 300
    assert len(salesforce.of("POST", "/services/Soap/u/")) == 2
    assert len(salesforce.of("POST", "/jobs/query")) == 1


def test_a_session_that_stays_invalid_after_logging_in_again_fails_permanently(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(tmp_path, salesforce, retry="retry: {max_retries: 3, delay_seconds: 0.01}")
    for _ in range(2):
        salesforce.fail_next(401, "INVALID_SESSION_ID", "Session expired or invalid", path_part="/describe")

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert len(salesforce.of("GET", "/describe")) == 2
    assert len(salesforce.of("POST", "/services/Soap/u/")) == 2
    assert "HTTP 401 INVALID_SESSION_ID: Session expired or invalid" in step_failure(result).description


@pytest.mark.parametrize(
    ("status", "code"),
    [(403, "REQUEST_LIMIT_EXCEEDED"), (429, "REQUEST_LIMIT_EXCEEDED"), (503, "SERVER_UNAVAILABLE")],
)
def test_throttling_and_unavailability_retry_the_failing_page_not_the_run(tmp_path, salesforce, status, code):
    for n in range(1, 4501):
        opportunity(salesforce, n, DAY1 + dt.timedelta(seconds=n))
    atlas = sf_platform(tmp_path, salesforce, retry="retry: {max_retries: 3, delay_seconds: 0.01}")
    for _ in range(3):
        salesforce.fail_next(status, code, "TotalRequests Limit exceeded.", path_part="-2000")

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert len(rows(atlas)) == 4500
    assert len([r for r in salesforce.of("GET", "/query/") if r.path.endswith("-2000")]) == 4
    assert len(salesforce.queries("SELECT Id, Name")) == 1  # the first page was not read again
    assert metadata(result)["atlas/source/rate_limit_waits"].value == 3


def test_throttling_beyond_the_retry_budget_fails_without_a_run_retry(tmp_path, salesforce):
    atlas = sf_platform(tmp_path, salesforce, retry="retry: {max_retries: 2, delay_seconds: 0.01}")
    for _ in range(5):
        salesforce.fail_next(
            403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", path_part="/describe"
        )

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert len(salesforce.of("GET", "/describe")) == 3
    description = step_failure(result).description
    assert (
        "Salesforce Opportunity: HTTP 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."
        in description
    )
    assert "after 2 request retries" in description


def test_bad_credentials_fail_once_permanently_without_retries(tmp_path, salesforce, monkeypatch):
    monkeypatch.setenv("ACME_SF_PASSWORD", "wrong-password-000")
    atlas = sf_platform(tmp_path, salesforce, retry="retry: {max_retries: 3, delay_seconds: 0.01}")

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert len(salesforce.requests) == 1
    error = step_failure(result)
    assert error.description.startswith(
        "acme.crm.opportunities: Salesforce: login failed: INVALID_LOGIN: Invalid username, password"
    )
    assert "wrong-password-000" not in error.description
    assert SECURITY_TOKEN not in error.description
    step_starts = [e for e in result.all_events if e.event_type_value == "STEP_START"]
    assert len(step_starts) == 1  # no run or step retry


def test_an_unknown_field_is_a_permanent_error_naming_the_object_and_field(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(
        tmp_path, salesforce, "{opportunities: {sobject: Opportunity, fields: [Name, Amout]}}"
    )

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert (
        "acme.crm.opportunities: Salesforce Opportunity has no field 'Amout'"
        in step_failure(result).description
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("INVALID_FIELD", "No such column 'Regions__c' on entity 'Opportunity'."),
        ("INVALID_TYPE", "sObject type 'Opportunity' is not supported."),
    ],
)
def test_a_query_salesforce_refuses_fails_at_once_naming_the_object_and_its_message(
    tmp_path, salesforce, code, message
):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(tmp_path, salesforce, retry="retry: {max_retries: 3, delay_seconds: 0.01}")
    salesforce.fail_next(400, code, message, path_part="/query")

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    description = step_failure(result).description
    assert f"acme.crm.opportunities: Salesforce Opportunity: HTTP 400 {code}: {message}" in description
    assert len(salesforce.of("GET", "/query")) == 1  # permanent: not retried


def test_an_unknown_sobject_fails_naming_it(tmp_path, salesforce):
    atlas = sf_platform(tmp_path, salesforce, "{invoices: {sobject: Invoice__c}}")

    result = atlas.materialize("acme/crm/invoices", partition=part(DAY1), raise_on_error=False)

    assert not result.success
    assert "acme.crm.invoices: Salesforce Invoice__c: HTTP 404 NOT_FOUND" in step_failure(result).description


def test_a_listed_subset_of_fields_is_selected_with_id_and_the_cursor(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(
        tmp_path, salesforce, "{opportunities: {sobject: Opportunity, fields: [name, Amount]}}"
    )

    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert salesforce.queries("SELECT Id")[0].startswith(
        "SELECT Id, SystemModstamp, Name, Amount FROM Opportunity"
    )
    columns = {c for c in rows(atlas)[oid(1)] if not c.startswith("_atlas_")}
    assert columns == {"Id", "SystemModstamp", "Name", "Amount"}


def test_api_usage_from_sforce_limit_info_is_recorded_in_metadata(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(tmp_path, salesforce)

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    # describe, count, the page, the deletes' page: four API calls after the login.
    assert metadata(result)["atlas/source/api_usage"].value == "4/15000"


def test_the_jwt_bearer_grant_logs_in_with_the_connected_apps_key(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(tmp_path, salesforce, auth=JWT_LOGIN)

    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert list(rows(atlas)) == [oid(1)]
    token = salesforce.of("POST", "/services/oauth2/token")
    assert len(token) == 1
    assert b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in token[0].body


def test_the_client_credentials_grant_logs_in_on_the_my_domain(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(tmp_path, salesforce, auth=CLIENT_CREDENTIALS)

    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert list(rows(atlas)) == [oid(1)]
    token = salesforce.of("POST", "/services/oauth2/token")
    assert token[0].body == b"grant_type=client_credentials"
    assert token[0].headers["authorization"].startswith("Basic ")


def test_instance_url_overrides_the_instance_the_login_returns(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    salesforce.advertised_url = "https://127.0.0.1:9"  # nothing listens there
    atlas = sf_platform(tmp_path, salesforce, extra=f'instance_url: "{salesforce.url}"')

    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))

    assert list(rows(atlas)) == [oid(1)]


def test_check_connection_logs_in_and_makes_one_authenticated_call(tmp_path, salesforce):
    atlas = sf_platform(tmp_path, salesforce)

    result = atlas.check_sources()

    assert result.output_for_node("check_source_connections") == {"acme.crm": "ok"}
    assert [r.path for r in salesforce.requests] == ["/services/Soap/u/62.0", "/services/data/v62.0/limits/"]


def test_check_connection_with_bad_credentials_fails_permanently_naming_the_source(
    tmp_path, salesforce, monkeypatch
):
    monkeypatch.setenv("ACME_SF_TOKEN", "not-the-token-000")
    atlas = sf_platform(tmp_path, salesforce)

    result = atlas.check_sources()

    assert not result.success
    description = step_failure(result).description
    assert "acme.crm: failed (permanent): Salesforce: login failed: INVALID_LOGIN" in description
    assert "not-the-token-000" not in description


def test_no_password_token_key_or_session_appears_in_anything_dagster_stores(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(tmp_path, salesforce)
    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))
    sessions = set(salesforce.sessions)
    salesforce.fail_next(
        400,
        "MALFORMED_QUERY",
        f"echoing {PASSWORD} and {SECURITY_TOKEN}",
        path_part="/query",
    )
    failed = atlas.materialize("acme/crm/opportunities", partition=part(DAY1), raise_on_error=False)
    jwt_run = sf_platform(subdirectory(tmp_path, "jwt"), salesforce, auth=JWT_LOGIN)
    jwt_run.materialize("acme/crm/opportunities", partition=part(DAY1))

    stored = atlas.stored() + jwt_run.stored()
    assert not failed.success
    assert "echoing *** and ***" in step_failure(failed).description
    key_body = PRIVATE_KEY_PEM.splitlines()[1]
    for secret in (PASSWORD, SECURITY_TOKEN, CONSUMER_SECRET, key_body, *salesforce.sessions, *sessions):
        assert secret not in stored


def test_a_field_added_between_runs_evolves_the_table(tmp_path, salesforce):
    opportunity(salesforce, 1, DAY1 + dt.timedelta(hours=1))
    atlas = sf_platform(tmp_path, salesforce)
    atlas.materialize("acme/crm/opportunities", partition=part(DAY1))
    salesforce.sobjects["opportunity"].fields.append(
        {"name": "Region__c", "type": "picklist", "precision": 0, "scale": 0, "compoundFieldName": None}
    )
    opportunity(salesforce, 1, DAY2 + dt.timedelta(hours=1), Region__c="EMEA")

    result = atlas.materialize("acme/crm/opportunities", partition=part(DAY2))

    assert rows(atlas)[oid(1)]["Region__c"] == "EMEA"
    assert "Region__c" in metadata(result)["atlas/schema_changes"].value
