"""Sending a notification to a target: HTTP POST (slack, webhook) or SMTP (email), with retries.

Transient failures (connection errors, timeouts, 408/429/5xx, SMTP 4xx replies) are retried with
exponential backoff on tenacity; a rejection (other 4xx, SMTP authentication or 5xx) fails at
once. Whatever the failure, `DeliveryError` says only the kind of error: a webhook URL is itself
the secret, and `requests` puts it in every exception message.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

import requests
import tenacity

from atlas_assets.config.notify import EmailTarget, NotifyTarget, SlackTarget, WebhookTarget
from atlas_assets.ops.notify.message import Notification

ATTEMPTS = 3
TIMEOUT_SECONDS = 10.0
_RETRIED_STATUS = frozenset({408, 425, 429})


class DeliveryError(Exception):
    """A target did not take the notification; the message never holds a secret."""

    def __init__(self, reason: str, transient: bool):
        super().__init__(reason)
        self.transient = transient


def deliver(
    target: NotifyTarget,
    notification: Notification,
    attempts: int = ATTEMPTS,
    max_wait_seconds: float = 4.0,
) -> None:
    """Send `notification` to `target`, retrying transient failures; `DeliveryError` when it gives up."""
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=0.5, max=max_wait_seconds),
        retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, DeliveryError) and exc.transient),
        reraise=True,
    )
    retrying(_send_once, target, notification)


def _send_once(target: NotifyTarget, notification: Notification) -> None:
    if isinstance(target, SlackTarget):
        _post(target.url.value, notification.slack_payload(), {})
    elif isinstance(target, WebhookTarget):
        headers = {name: value.value for name, value in target.headers.items()}
        _post(target.url.value, notification.as_json(), headers)
    else:
        _email(target, notification)


def _post(url: str, body: dict[str, object], headers: dict[str, str]) -> None:
    try:
        response = requests.post(url, json=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise DeliveryError(type(exc).__name__, transient=True) from None
    status = response.status_code
    if status >= 400:
        raise DeliveryError(f"HTTP {status}", transient=status >= 500 or status in _RETRIED_STATUS)


def _email(target: EmailTarget, notification: Notification) -> None:
    message = EmailMessage()
    message["Subject"] = notification.headline
    message["From"] = target.sender
    message["To"] = ", ".join(target.to)
    message["Message-ID"] = f"<{notification.id}@atlas>"
    message.set_content(notification.email_body())
    try:
        with _smtp(target) as smtp:
            if target.username and target.password is not None:
                smtp.login(target.username, target.password.value)
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP authentication failed ({exc.smtp_code})", transient=False) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code}", transient=exc.smtp_code < 500) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(type(exc).__name__, transient=True) from None


def _smtp(target: EmailTarget) -> smtplib.SMTP:
    if target.security == "ssl":
        return smtplib.SMTP_SSL(
            target.host, target.smtp_port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    smtp = smtplib.SMTP(target.host, target.smtp_port, timeout=TIMEOUT_SECONDS)
    if target.security == "starttls":
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp
