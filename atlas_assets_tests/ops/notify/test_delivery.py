"""Delivering one notification to real local receivers: the wire format, retries and rejections."""

from __future__ import annotations

import pytest

from atlas_assets.config.interpolation import EnvRef
from atlas_assets.config.notify import EmailTarget, SlackTarget, WebhookTarget
from atlas_assets.ops.notify.delivery import DeliveryError, deliver
from atlas_assets.ops.notify.message import SCHEMA, Notification
from atlas_assets_tests.receivers import SmtpServer, http_receiver, smtp_server

NOTICE = Notification(
    id="n1",
    kind="run_failure",
    tenant="acme",
    assets=("acme/shop/orders",),
    partitions=tuple(f"2026-01-{d:02d}" for d in range(2, 7)),
    checks=("acme/shop/orders:invalid_email",),
    error="acme.shop.orders: table 'orders' does not exist in the source",
    occurred_at="2026-01-07T03:00:00+00:00",
    run_id="run-1",
    job="ingest_daily",
    run_url="http://dagster.example/runs/run-1",
)


def secret(value: str) -> EnvRef:
    return EnvRef(value, "SOME_VAR")


def test_a_webhook_target_receives_the_documented_json_with_its_headers() -> None:
    with http_receiver() as receiver:
        target = WebhookTarget(
            kind="webhook",
            url=secret(f"{receiver.url}/hook"),
            headers={"Authorization": secret("Bearer t0k")},
        )
        deliver(target, NOTICE)

    [request] = receiver.requests
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.json() == {
        "schema": SCHEMA,
        "id": "n1",
        "kind": "run_failure",
        "tenant": "acme",
        "assets": ["acme/shop/orders"],
        "partitions": ["2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05", "2026-01-06"],
        "checks": ["acme/shop/orders:invalid_email"],
        "error": "acme.shop.orders: table 'orders' does not exist in the source",
        "run_id": "run-1",
        "job": "ingest_daily",
        "run_url": "http://dagster.example/runs/run-1",
        "occurred_at": "2026-01-07T03:00:00+00:00",
    }


def test_a_slack_target_receives_an_incoming_webhook_text_with_a_link_to_the_run() -> None:
    with http_receiver() as receiver:
        deliver(SlackTarget(kind="slack", url=secret(f"{receiver.url}/services/T0/B0/x")), NOTICE)

    [body] = receiver.bodies("/services/T0/B0/x")
    text = body["text"]
    assert text.splitlines()[0] == "*[atlas] acme: run failed: acme/shop/orders*"
    assert "Partitions: 2026-01-02 … 2026-01-06 (5 partitions)" in text
    assert "Error: acme.shop.orders: table 'orders' does not exist in the source" in text
    assert "<http://dagster.example/runs/run-1|View the run in Dagster>" in text


def email_target(smtp: SmtpServer, password: EnvRef, to: list[str]) -> EmailTarget:
    """An `email` target for the local server (plain TCP: it has no certificate)."""
    config = {"kind": "email", "host": smtp.host, "port": smtp.port, "security": "none"}
    config |= {"username": smtp.username, "password": password, "from": "atlas@acme.example", "to": to}
    return EmailTarget.model_validate(config)


def test_an_email_target_logs_in_and_sends_one_message_that_never_holds_the_password() -> None:
    with smtp_server() as smtp:
        target = email_target(smtp, secret(smtp.password), ["oncall@acme.example", "data@acme.example"])
        deliver(target, NOTICE)

    [message] = smtp.messages
    assert message["Subject"] == "[atlas] acme: run failed: acme/shop/orders"
    assert message["To"] == "oncall@acme.example, data@acme.example"
    body = message.get_payload()
    assert "Run: http://dagster.example/runs/run-1" in body
    assert "Tenant: acme" in body
    assert smtp.password.encode() not in smtp.raw[0]


def test_a_wrong_smtp_password_fails_at_once_without_showing_it() -> None:
    with smtp_server() as smtp:
        target = email_target(smtp, secret("wrong-password-42"), ["oncall@acme.example"])
        with pytest.raises(DeliveryError) as raised:
            deliver(target, NOTICE)

    assert str(raised.value) == "SMTP authentication failed (535)"
    assert not raised.value.transient
    assert smtp.messages == []


def test_a_receiver_answering_503_twice_gets_the_notification_on_the_third_attempt() -> None:
    with http_receiver(statuses=[503, 503]) as receiver:
        deliver(
            WebhookTarget(kind="webhook", url=secret(f"{receiver.url}/hook")), NOTICE, max_wait_seconds=0.1
        )

    assert len(receiver.requests) == 3
    assert {request.json()["id"] for request in receiver.requests} == {"n1"}


def test_a_rejection_is_not_retried_and_its_error_does_not_show_the_url() -> None:
    with http_receiver(statuses=[404]) as receiver:
        url = f"{receiver.url}/services/T0/B0/secret-path"
        with pytest.raises(DeliveryError) as raised:
            deliver(SlackTarget(kind="slack", url=secret(url)), NOTICE, max_wait_seconds=0.1)

    assert len(receiver.requests) == 1
    assert str(raised.value) == "HTTP 404"


def test_a_receiver_that_is_down_fails_with_the_error_kind_only() -> None:
    with http_receiver() as receiver:
        url = f"{receiver.url}/services/T0/B0/secret-path"
    # the receiver has shut down: nothing listens on its port any more
    with pytest.raises(DeliveryError) as raised:
        deliver(SlackTarget(kind="slack", url=secret(url)), NOTICE, max_wait_seconds=0.1)

    assert str(raised.value) == "ConnectionError"
    assert raised.value.transient
