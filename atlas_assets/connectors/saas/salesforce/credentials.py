"""How a Salesforce source logs in, and which of its values are secrets (no SDK import: the
resource names its secrets without loading simple-salesforce)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Credentials:
    """How to log in: the fields of exactly one of the three ways (see `SalesforceSourceConfig`)."""

    username: str | None
    password: str | None
    security_token: str | None
    consumer_key: str | None
    consumer_secret: str | None
    private_key: str | None
    domain: str

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.security_token, self.consumer_secret, self.private_key) if s]
