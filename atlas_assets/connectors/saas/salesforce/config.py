"""`kind: salesforce` in runner.yaml: the org's login, API version, Bulk threshold and each sObject."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from atlas_assets.config.errors import FieldError
from atlas_assets.config.objects import (
    ObjectConfig,
    ObjectName,
    Secret,
    SourceConfigBase,
    WriteMode,
    _objects_shorthand,
)
from atlas_assets.connectors.saas.salesforce.catalog import ID, MODSTAMPS, SYSTEM_MODSTAMP
from atlas_assets.connectors.saas.salesforce.resource import SalesforceResource
from atlas_assets.connectors.secrets import resource_secret

DEFAULT_API_VERSION = "62.0"


class SalesforceObjectConfig(ObjectConfig):
    """An object of a Salesforce source: one sObject (`Account`, `Opportunity`, `Invoice__c`, …),
    upserted on `Id` by the window of its `SystemModstamp` (or `LastModifiedDate`)."""

    sobject: str | None = Field(
        default=None,
        description="sObject API name (`Account`, `Invoice__c`); defaults to the object name "
        "(Salesforce names are case-insensitive).",
    )
    fields: Literal["all"] | list[str] = Field(
        default="all",
        description="`all` (default: every queryable field from describe, compound fields as their "
        "components) or a list of field API names.",
    )

    @model_validator(mode="after")
    def _salesforce_fits(self) -> SalesforceObjectConfig:
        self.reject_sql_selection("salesforce objects name an sObject with `sobject`")
        if self.write_mode is not WriteMode.UPSERT:
            raise FieldError("write", "salesforce objects are written as `upsert` on `Id`")
        if self.primary_key != [ID]:
            raise FieldError("primary_key", "salesforce objects are keyed by `Id`")
        if self.cursor not in MODSTAMPS:
            raise FieldError("cursor", f"the cursor of a salesforce object is one of {', '.join(MODSTAMPS)}")
        return self


def _with_upsert_defaults(value: Any) -> Any:
    """Every object is an `upsert` on `Id` with cursor `SystemModstamp`, unless written otherwise."""
    objects = _objects_shorthand(value)
    if not isinstance(objects, dict):
        return objects
    return {
        name: {"write": "upsert", "primary_key": [ID], "cursor": SYSTEM_MODSTAMP, **config}
        if isinstance(config, dict)
        else config
        for name, config in objects.items()
    }


class SalesforceSourceConfig(SourceConfigBase):
    """`kind: salesforce` — a Salesforce org through the official `simple-salesforce`.

    Logs in with a username, password and security token (SOAP login), an OAuth2 JWT bearer
    grant (connected app `consumer_key` and `private_key`) or the client credentials grant
    (`consumer_key` and `consumer_secret`, on a My Domain).
    """

    kind: Literal["salesforce"]
    username: str | None = Field(default=None, description="The integration user's username.")
    password: Secret | None = Field(default=None, description="Its password (with `security_token`).")
    security_token: Secret | None = Field(default=None, description="Its security token.")
    consumer_key: str | None = Field(default=None, description="Connected app consumer key (OAuth2).")
    consumer_secret: Secret | None = Field(
        default=None, description="Connected app consumer secret (client credentials grant)."
    )
    private_key: Secret | None = Field(
        default=None, description="PEM private key signing the JWT bearer grant (with `username`)."
    )
    domain: str = Field(
        default="login",
        description="Login domain: `login` (production), `test` (sandboxes) or a My Domain "
        "(`acme.my`, for `https://acme.my.salesforce.com`).",
    )
    login_url: Secret | None = Field(
        default=None,
        description="Where login requests go instead of `https://<domain>.salesforce.com` (a proxy, a "
        "test server); a secret, as a proxy URL may hold credentials.",
    )
    instance_url: Secret | None = Field(
        default=None,
        description="REST and Bulk calls go here instead of the instance the login returns.",
    )
    api_version: str = Field(
        default=DEFAULT_API_VERSION,
        pattern=r"^\d+\.0$",
        description="Pinned REST API version, e.g. `62.0`.",
    )
    bulk_threshold: int = Field(
        default=100_000,
        ge=0,
        description="Windows with more rows than this (a `COUNT()` query) are read by a Bulk API 2.0 "
        "query job instead of REST pages.",
    )
    bulk_page_size: int = Field(
        default=50_000, gt=0, description="Rows per Bulk 2.0 result page (`maxRecords`)."
    )
    bulk_poll_seconds: float = Field(
        default=2.0, gt=0, description="Seconds between polls of a Bulk 2.0 job's state."
    )
    bulk_timeout_seconds: float = Field(
        default=3600.0, gt=0, description="A Bulk 2.0 job not complete by then fails the run (transient)."
    )
    objects: Annotated[dict[ObjectName, SalesforceObjectConfig], BeforeValidator(_with_upsert_defaults)] = (
        Field(min_length=1)
    )

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> SalesforceSourceConfig:
        password = self.password is not None or self.security_token is not None
        jwt = self.private_key is not None
        client = self.consumer_secret is not None
        used = (("password", password), ("JWT", jwt), ("client credentials", client))
        ways = [name for name, given in used if given]
        if len(ways) != 1:
            got = f" (got {' and '.join(ways)})" if ways else ""
            raise FieldError(
                "username",
                "give one way to log in: `username`, `password` and `security_token`; `username`, "
                "`consumer_key` and `private_key` (JWT bearer); or `consumer_key` and `consumer_secret` "
                f"(client credentials){got}",
            )
        missing = []
        if password:
            missing = [n for n in ("username", "password", "security_token") if getattr(self, n) is None]
        elif jwt:
            missing = [n for n in ("username", "consumer_key") if getattr(self, n) is None]
        else:
            missing = [n for n in ("consumer_key",) if getattr(self, n) is None]
            if self.domain in ("login", "test"):
                raise FieldError(
                    "domain", "the client credentials grant logs in on a My Domain (`domain: acme.my`)"
                )
        if missing:
            raise FieldError(missing[0], f"missing {', '.join(missing)} for this way of logging in")
        return self

    def build_resource(self) -> SalesforceResource:
        def secret(value: Any) -> str | None:
            return resource_secret(value) if value is not None else None

        return SalesforceResource(
            username=self.username,
            password=secret(self.password),
            security_token=secret(self.security_token),
            consumer_key=self.consumer_key,
            consumer_secret=secret(self.consumer_secret),
            private_key=secret(self.private_key),
            domain=self.domain,
            login_url=secret(self.login_url),
            instance_url=secret(self.instance_url),
            api_version=self.api_version,
            bulk_threshold=self.bulk_threshold,
            bulk_page_size=self.bulk_page_size,
            bulk_poll_seconds=self.bulk_poll_seconds,
            bulk_timeout_seconds=self.bulk_timeout_seconds,
        )
