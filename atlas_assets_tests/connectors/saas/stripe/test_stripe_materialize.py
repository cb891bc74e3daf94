"""Stripe through Dagster into Iceberg, the official SDK talking to a local Stripe-speaking server."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import dagster as dg
import pyarrow as pa
import pytest

from atlas_assets_tests.connectors.saas.stripe.server import API_KEY, StripeServer
from atlas_assets_tests.harness import Platform, platform

KEY_VAR = "ACME_STRIPE_KEY"
TODAY = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
DAY1, DAY2 = TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=2)
OLD_DAY = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


@pytest.fixture
def stripe_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    monkeypatch.setenv(KEY_VAR, API_KEY)
    with StripeServer().running() as server:
        yield server


def stripe_platform(
    tmp_path, server: StripeServer, objects: str, source_keys: str = "", retry: str = ""
) -> Platform:
    body = f"""
    tenants:
      acme:
        {retry}
        sources:
          billing:
            kind: stripe
            api_key: "${{{KEY_VAR}}}"
            api_base_url: "{server.url}"
            {source_keys}
            objects: {objects}
    """
    return platform(tmp_path, body)


def at(day: dt.datetime, hours: float = 0) -> int:
    return int((day + dt.timedelta(hours=hours)).timestamp())


def customer(number: int, created: int, **fields) -> dict:
    return {
        "id": f"cus_{number:06d}",
        "object": "customer",
        "created": created,
        "email": f"c{number}@acme.test",
        "balance": -1250,
        "currency": "eur",
        "metadata": {"plan": "gold"},
        "address": {"city": "Lyon", "country": "FR"},
        "livemode": False,
        **fields,
    }


def metadata_of(result: dg.ExecuteInProcessResult, node: str) -> dict:
    return result.asset_materializations_for_node(node)[0].metadata


def partition(day: dt.datetime) -> str:
    return day.date().isoformat()


def test_balance_transactions_are_listed_by_created_window_across_many_pages(tmp_path, stripe_api):
    for i in range(250):
        stripe_api.put(
            "balance_transactions",
            {
                "id": f"txn_{i:05d}",
                "object": "balance_transaction",
                "created": at(OLD_DAY, i * 0.05),
                "amount": 1999,
                "currency": "usd",
                "fee": 88,
                "available_on": at(OLD_DAY, 48),
            },
        )
    stripe_api.put("balance_transactions", {"id": "txn_next_day", "created": at(OLD_DAY, 24), "amount": 1})
    atlas = stripe_platform(tmp_path, stripe_api, "[balance_transactions]")

    result = atlas.materialize("acme/billing/balance_transactions", partition=partition(OLD_DAY))

    table = atlas.table("billing__balance_transactions", namespace="acme")
    assert sorted(table.column("id").to_pylist()) == [f"txn_{i:05d}" for i in range(250)]
    metadata = metadata_of(result, "acme__billing__balance_transactions")
    assert metadata["atlas/source/pages"].value == 3
    assert metadata["atlas/source/requests"].value == 3
    requests = stripe_api.list_requests("balance_transactions")
    assert [r.query.get("starting_after") for r in requests] == [None, "txn_00150", "txn_00050"]
    assert requests[0].query["created[gte]"] == str(at(OLD_DAY))
    assert requests[0].query["created[lt]"] == str(at(OLD_DAY, 24))
    assert requests[0].query["limit"] == "100"


def test_amounts_stay_minor_unit_integers_epochs_become_timestamptz_and_metadata_json_text(
    tmp_path, stripe_api
):
    stripe_api.put(
        "balance_transactions",
        {
            "id": "txn_1",
            "object": "balance_transaction",
            "created": at(OLD_DAY, 1),
            "amount": 1999,
            "currency": "jpy",
            "metadata": {"order": "A-1"},
            "available_on": at(OLD_DAY, 48),
        },
    )
    atlas = stripe_platform(tmp_path, stripe_api, "[balance_transactions]")

    atlas.materialize("acme/billing/balance_transactions", partition=partition(OLD_DAY))

    table = atlas.table("billing__balance_transactions", namespace="acme")
    assert table.schema.field("amount").type == pa.int64()
    assert table.schema.field("created").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("available_on").type == pa.timestamp("us", tz="UTC")
    row = table.to_pylist()[0]
    assert (row["amount"], row["currency"]) == (1999, "jpy")
    assert row["created"] == OLD_DAY + dt.timedelta(hours=1)
    assert json.loads(row["metadata"]) == {"order": "A-1"}


def test_customers_follow_the_events_feed_with_updates_and_deletes_across_two_partitions(
    tmp_path, stripe_api
):
    for n in range(1, 5):
        stripe_api.event("customer.created", customer(n, at(DAY1, n)), at(DAY1, n))
    # Day 2: cus 1 updated twice in the same second (the later event id wins), cus 2 deleted,
    # cus 3 updated then deleted, and a subscription event that the customers feed must ignore.
    stripe_api.event("customer.updated", customer(1, at(DAY1, 1), email="first@acme.test"), at(DAY2, 5))
    stripe_api.event("customer.updated", customer(1, at(DAY1, 1), email="final@acme.test"), at(DAY2, 5))
    stripe_api.event("customer.deleted", customer(2, at(DAY1, 2)), at(DAY2, 6))
    stripe_api.event("customer.updated", customer(3, at(DAY1, 3), email="gone@acme.test"), at(DAY2, 7))
    stripe_api.event("customer.deleted", customer(3, at(DAY1, 3)), at(DAY2, 8))
    stripe_api.event(
        "customer.subscription.updated",
        {"id": "sub_1", "object": "subscription", "customer": "cus_000004"},
        at(DAY2, 9),
    )
    atlas = stripe_platform(tmp_path, stripe_api, "[customers]")

    atlas.materialize("acme/billing/customers", partition=partition(DAY1))
    day1 = {r["id"]: r["email"] for r in atlas.table("billing__customers", namespace="acme").to_pylist()}
    result = atlas.materialize("acme/billing/customers", partition=partition(DAY2))

    rows = {r["id"]: r["email"] for r in atlas.table("billing__customers", namespace="acme").to_pylist()}
    assert day1 == {f"cus_{n:06d}": f"c{n}@acme.test" for n in range(1, 5)}
    assert rows == {"cus_000001": "final@acme.test", "cus_000004": "c4@acme.test"}
    metadata = metadata_of(result, "acme__billing__customers")
    assert metadata["atlas/rows_deleted"].value == 2
    assert metadata["atlas/rows_replaced"].value == 1
    assert metadata["atlas/source/events"].value == 5
    assert metadata["atlas/source/incremental"].value == "events feed (customer.*)"
    assert stripe_api.list_requests("events")[-1].query["type"] == "customer.*"


def test_rerunning_a_change_feed_partition_leaves_identical_rows(tmp_path, stripe_api):
    for n in range(1, 4):
        stripe_api.event("customer.created", customer(n, at(DAY1, n)), at(DAY1, n))
    stripe_api.event("customer.updated", customer(1, at(DAY1, 1), email="new@acme.test"), at(DAY2, 1))
    stripe_api.event("customer.deleted", customer(2, at(DAY1, 2)), at(DAY2, 2))
    atlas = stripe_platform(tmp_path, stripe_api, "[customers]")
    atlas.materialize("acme/billing/customers", partition=partition(DAY1))
    atlas.materialize("acme/billing/customers", partition=partition(DAY2))
    first = atlas.table("billing__customers", namespace="acme").drop_columns(
        ["_atlas_run_id", "_atlas_extracted_at"]
    )

    atlas.materialize("acme/billing/customers", partition=partition(DAY2))

    again = atlas.table("billing__customers", namespace="acme").drop_columns(
        ["_atlas_run_id", "_atlas_extracted_at"]
    )
    assert again.sort_by("id").equals(first.sort_by("id"))
    assert again.num_rows == 2


def _two_days_of_customer_events(stripe_api: StripeServer) -> None:
    """Day 1 creates customers 1–3; day 2 updates 1 and deletes 2."""
    for n in range(1, 4):
        stripe_api.event("customer.created", customer(n, at(DAY1, n)), at(DAY1, n))
    stripe_api.event("customer.updated", customer(1, at(DAY1, 1), email="new@acme.test"), at(DAY2, 1))
    stripe_api.event("customer.deleted", customer(2, at(DAY1, 2)), at(DAY2, 2))


def _customers(atlas: Platform) -> list[dict]:
    rows = atlas.table("billing__customers", namespace="acme").drop_columns(
        ["_atlas_run_id", "_atlas_extracted_at"]
    )
    return sorted(rows.to_pylist(), key=lambda r: r["id"])


def test_rerunning_day1_after_day2_leaves_the_table_as_day2_left_it(tmp_path, stripe_api):
    _two_days_of_customer_events(stripe_api)
    atlas = stripe_platform(tmp_path, stripe_api, "[customers]")
    atlas.materialize("acme/billing/customers", partition=partition(DAY1))
    atlas.materialize("acme/billing/customers", partition=partition(DAY2))
    after_day2 = _customers(atlas)

    rerun = atlas.materialize("acme/billing/customers", partition=partition(DAY1))

    assert _customers(atlas) == after_day2
    assert [(r["id"], r["email"]) for r in after_day2] == [
        ("cus_000001", "new@acme.test"),
        ("cus_000003", "c3@acme.test"),
    ]
    metadata = metadata_of(rerun, "acme__billing__customers")
    assert metadata["atlas/rows_stale"].value == 2  # cus 1 has a newer snapshot, cus 2 a tombstone


def test_rerunning_every_partition_three_times_in_any_order_leaves_identical_rows(tmp_path, stripe_api):
    _two_days_of_customer_events(stripe_api)
    days = [partition(DAY1), partition(DAY2)]
    results = []
    for number, order in enumerate([days, [days[1], days[0]] * 3, [days[0], days[1], days[1], days[0]] * 2]):
        root = tmp_path / f"order{number}"
        root.mkdir()
        atlas = stripe_platform(root, stripe_api, "[customers]")
        for day in order:
            atlas.materialize("acme/billing/customers", partition=day)
        results.append(_customers(atlas))

    assert results[0] == results[1] == results[2]
    assert [r["id"] for r in results[0]] == ["cus_000001", "cus_000003"]


def test_windows_older_than_the_events_retention_list_objects_by_created_and_say_so(tmp_path, stripe_api):
    stripe_api.put("customers", customer(7, at(OLD_DAY, 3), email="now@acme.test"))
    stripe_api.put("customers", customer(8, at(OLD_DAY, 30)))
    atlas = stripe_platform(tmp_path, stripe_api, "[customers]")

    result = atlas.materialize("acme/billing/customers", partition=partition(OLD_DAY))

    rows = atlas.table("billing__customers", namespace="acme").to_pylist()
    assert [(r["id"], r["email"]) for r in rows] == [("cus_000007", "now@acme.test")]
    assert rows[0]["changed_at"] == rows[0]["created"]
    assert (
        "30-day events retention"
        in metadata_of(result, "acme__billing__customers")["atlas/source/incremental"].value
    )
    assert stripe_api.list_requests("events") == []


def test_connect_account_and_api_version_reach_stripe_as_headers(tmp_path, stripe_api):
    stripe_api.put("balance_transactions", {"id": "txn_1", "created": at(OLD_DAY, 1), "amount": 5})
    atlas = stripe_platform(
        tmp_path,
        stripe_api,
        "[balance_transactions]",
        source_keys='stripe_account: acct_1AcmeConnected\n            api_version: "2026-01-28.clover"',
    )

    atlas.materialize("acme/billing/balance_transactions", partition=partition(OLD_DAY))

    headers = stripe_api.list_requests("balance_transactions")[0].headers
    assert headers["stripe-account"] == "acct_1AcmeConnected"
    assert headers["stripe-version"] == "2026-01-28.clover"
    assert headers["authorization"] == f"Bearer {API_KEY}"


def test_a_rate_limit_storm_retries_the_failing_page_not_the_run(tmp_path, stripe_api):
    for i in range(150):
        stripe_api.put(
            "balance_transactions", {"id": f"txn_{i:04d}", "created": at(OLD_DAY, i * 0.1), "amount": i}
        )
    atlas = stripe_platform(
        tmp_path, stripe_api, "[balance_transactions]", retry="retry: {max_retries: 3, delay_seconds: 0.05}"
    )
    # Page 2 (request 2) is throttled twice, then hits a lock timeout.
    for _ in range(2):
        stripe_api.fail_next(
            429,
            "invalid_request_error",
            "Too many requests",
            code="rate_limit",
            from_request=2,
            Retry_After="0",
        )
    stripe_api.fail_next(429, "invalid_request_error", "Object locked", code="lock_timeout", from_request=2)

    result = atlas.materialize("acme/billing/balance_transactions", partition=partition(OLD_DAY))

    assert atlas.table("billing__balance_transactions", namespace="acme").num_rows == 150
    metadata = metadata_of(result, "acme__billing__balance_transactions")
    assert metadata["atlas/source/rate_limit_waits"].value == 3
    assert metadata["atlas/source/requests"].value == 5
    assert metadata["atlas/source/pages"].value == 2
    starts = [r.query.get("starting_after") for r in stripe_api.list_requests("balance_transactions")]
    assert starts == [None, "txn_0050", "txn_0050", "txn_0050", "txn_0050"]


def test_throttling_beyond_the_retry_budget_fails_without_a_run_retry(tmp_path, stripe_api):
    stripe_api.put("balance_transactions", {"id": "txn_1", "created": at(OLD_DAY, 1), "amount": 5})
    atlas = stripe_platform(
        tmp_path, stripe_api, "[balance_transactions]", retry="retry: {max_retries: 2, delay_seconds: 0.01}"
    )
    for _ in range(10):
        stripe_api.fail_next(429, "invalid_request_error", "Too many requests", code="rate_limit")

    result = atlas.materialize(
        "acme/billing/balance_transactions", partition=partition(OLD_DAY), raise_on_error=False
    )

    assert not result.success
    assert len(stripe_api.list_requests("balance_transactions")) == 3
    description = _failure(result).description
    assert "Too many requests" in description
    assert "after 2 request retries" in description


def test_a_bad_api_key_fails_in_one_request_with_stripes_message_and_request_id(
    tmp_path, stripe_api, monkeypatch
):
    monkeypatch.setenv(KEY_VAR, "sk_test_wrong_key_000000000")
    stripe_api.put("balance_transactions", {"id": "txn_1", "created": at(OLD_DAY, 1), "amount": 5})
    atlas = stripe_platform(
        tmp_path, stripe_api, "[balance_transactions]", retry="retry: {max_retries: 3, delay_seconds: 0.01}"
    )

    result = atlas.materialize(
        "acme/billing/balance_transactions", partition=partition(OLD_DAY), raise_on_error=False
    )

    assert not result.success
    assert len(stripe_api.requests) == 1
    description = _failure(result).description
    assert description.startswith("acme.billing.balance_transactions: Stripe HTTP 401 invalid_request_error")
    assert "Invalid API Key provided" in description
    assert "(request req_" in description
    assert "sk_test_wrong_key_000000000" not in description


def test_an_unknown_resource_is_a_permanent_error_naming_stripes_message(tmp_path, stripe_api):
    atlas = stripe_platform(tmp_path, stripe_api, "{charges_typo: {resource: chargez}}")

    result = atlas.materialize(
        "acme/billing/charges_typo", partition=partition(OLD_DAY), raise_on_error=False
    )

    assert not result.success
    assert "Unrecognized request URL (GET: /v1/chargez)" in _failure(result).description
    assert len(stripe_api.requests) == 1


def test_the_api_key_appears_nowhere_dagster_stores(tmp_path, stripe_api):
    stripe_api.event("customer.created", customer(1, at(DAY1, 1)), at(DAY1, 1))
    atlas = stripe_platform(tmp_path, stripe_api, "[customers]")
    atlas.materialize("acme/billing/customers", partition=partition(DAY1))
    stripe_api.fail_next(400, "invalid_request_error", f"echoing {API_KEY} back")
    failed = atlas.materialize("acme/billing/customers", partition=partition(DAY1), raise_on_error=False)

    stored = atlas.stored()
    assert not failed.success
    assert "echoing *** back" in _failure(failed).description
    assert API_KEY not in stored


def _failure(result: dg.ExecuteInProcessResult) -> dg.Failure:
    """The user failure of the run's failed step."""
    node = next(e.node_name for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    return result.failure_data_for_node(node).user_failure_data


def test_check_connection_passes_with_one_authenticated_request(tmp_path, stripe_api):
    atlas = stripe_platform(tmp_path, stripe_api, "[customers]")

    result = atlas.check_sources()

    assert result.output_for_node("check_source_connections") == {"acme.billing": "ok"}
    assert [r.path for r in stripe_api.requests] == ["/v1/balance"]


def test_check_connection_with_a_bad_key_fails_permanently_naming_the_source(
    tmp_path, stripe_api, monkeypatch
):
    monkeypatch.setenv(KEY_VAR, "sk_test_revoked_key_99999999")
    atlas = stripe_platform(tmp_path, stripe_api, "[customers]")

    result = atlas.check_sources()

    assert not result.success
    description = _failure(result).description
    assert "acme.billing: failed (permanent): Stripe HTTP 401" in description
    assert "sk_test_revoked_key_99999999" not in description
    assert len(stripe_api.requests) == 1


def test_nested_struct_keeps_nested_objects_as_structs_and_metadata_as_json(tmp_path, stripe_api):
    stripe_api.event("customer.created", customer(1, at(DAY1, 1)), at(DAY1, 1))
    atlas = stripe_platform(tmp_path, stripe_api, "{customers: {nested: struct}}")

    atlas.materialize("acme/billing/customers", partition=partition(DAY1))

    table = atlas.table("billing__customers", namespace="acme")
    assert pa.types.is_struct(table.schema.field("address").type)
    assert table.to_pylist()[0]["address"] == {"city": "Lyon", "country": "FR"}
    assert json.loads(table.to_pylist()[0]["metadata"]) == {"plan": "gold"}


def test_a_property_added_between_runs_evolves_the_table(tmp_path, stripe_api):
    stripe_api.event("customer.created", customer(1, at(DAY1, 1)), at(DAY1, 1))
    stripe_api.event("customer.updated", customer(1, at(DAY1, 1), phone="+33 4 00 00 00 00"), at(DAY2, 1))
    atlas = stripe_platform(tmp_path, stripe_api, "[customers]")
    atlas.materialize("acme/billing/customers", partition=partition(DAY1))

    result = atlas.materialize("acme/billing/customers", partition=partition(DAY2))

    rows = atlas.table("billing__customers", namespace="acme").to_pylist()
    assert [(r["id"], r["phone"]) for r in rows] == [("cus_000001", "+33 4 00 00 00 00")]
    assert "phone" in metadata_of(result, "acme__billing__customers")["atlas/schema_changes"].value
