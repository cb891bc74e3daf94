"""Failure-notification targets (runner.yaml `notify:` at defaults, tenant, source or object level).

defaults:
  notify:
    - {kind: slack, url: "${ATLAS_SLACK_WEBHOOK}"}           # Slack incoming webhook
tenants:
  acme:
    notify:                                                  # replaces the inherited list
      - {kind: webhook, url: "${ACME_ALERTS_URL}", headers: {Authorization: "${ACME_ALERTS_TOKEN}"}}
      - kind: email
        host: smtp.acme.example
        username: alerts
        password: "${ACME_SMTP_PASSWORD}"
        from: atlas@acme.example
        to: [data-oncall@acme.example]

The nearest level that sets `notify` wins as a whole; `notify: []` silences a tenant or source.
Webhook URLs, header values and SMTP passwords are secrets: they reach only the sender.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from atlas_assets.config.secret import Secret
from atlas_assets.config.strict import StrictModel

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _http_url(value: Secret) -> Secret:
    if not value.value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL (the value is not shown)")
    return value


class SlackTarget(StrictModel):
    """A Slack incoming webhook: one message with the failure's fields and a link to the run."""

    kind: Literal["slack"]
    url: Secret = Field(description="The incoming-webhook URL (a secret: anyone holding it can post).")

    _url = field_validator("url")(_http_url)


class WebhookTarget(StrictModel):
    """Any HTTP endpoint: the notification's JSON (schema in the README) POSTed as the body."""

    kind: Literal["webhook"]
    url: Secret
    headers: dict[str, Secret] = Field(
        default_factory=dict, description="Extra request headers, e.g. Authorization (secrets)."
    )

    _url = field_validator("url")(_http_url)


class EmailTarget(StrictModel):
    """An SMTP relay: one plain-text email per failure to every address in `to`."""

    kind: Literal["email"]
    host: str
    port: int | None = Field(default=None, ge=1, le=65535, description="587 (starttls), 465 (ssl), 25.")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    sender: Annotated[str, Field(pattern=_EMAIL)] = Field(alias="from")
    to: list[Annotated[str, Field(pattern=_EMAIL)]] = Field(min_length=1)

    @property
    def smtp_port(self) -> int:
        if self.port is not None:
            return self.port
        return {"starttls": 587, "ssl": 465, "none": 25}[self.security]


NotifyTarget = Annotated[SlackTarget | WebhookTarget | EmailTarget, Field(discriminator="kind")]
