"""`kind: stripe` in runner.yaml: the source's keys and each object's resource and defaults."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from atlas_assets.config.errors import FieldError
from atlas_assets.config.objects import (
    ObjectConfig,
    ObjectName,
    Secret,
    SourceConfigBase,
    WriteMode,
    _objects_shorthand,
)
from atlas_assets.connectors.saas.stripe.catalog import CHANGE_EVENT, CHANGED_AT, MUTABLE_RESOURCES
from atlas_assets.connectors.saas.stripe.resource import StripeResource
from atlas_assets.connectors.secrets import resource_secret

DEFAULT_API_BASE = "https://api.stripe.com"


class StripeObjectConfig(ObjectConfig):
    """An object of a Stripe source: one list resource (`/v1/<resource>`).

    Defaults follow the resource: a mutable one (customers, invoices, …) is an `upsert` on `id`
    from the events change feed, cursor `changed_at`; any other (balance_transactions, events,
    …) a `partition_overwrite` by `created`.
    """

    resource: str | None = Field(default=None, description="List resource name; defaults to the object name.")
    expand: list[str] | None = Field(
        default=None, description="Fields to expand; the source's `expand` by default."
    )
    nested: Literal["json", "struct"] = Field(
        default="json", description="Nested objects as JSON text (default) or Arrow structs."
    )

    @field_validator("write")
    @classmethod
    def _no_append(cls, value: WriteMode | None) -> WriteMode | None:
        if value is WriteMode.APPEND:
            raise ValueError("stripe objects support upsert, partition_overwrite, replace and snapshot")
        return value

    @model_validator(mode="after")
    def _stripe_fits(self) -> StripeObjectConfig:
        self.reject_sql_selection(
            "stripe objects name a list resource with `resource`, not `table` or `query`"
        )
        if self.primary_key != ["id"]:
            raise FieldError("primary_key", "stripe objects are keyed by `id`")
        return self


def _with_resource_defaults(value: Any) -> Any:
    """Fill each object's write mode, cursor and key from its resource (the object name by default)."""
    objects = _objects_shorthand(value)
    if not isinstance(objects, dict):
        return objects
    filled = {}
    for name, config in objects.items():
        if not isinstance(config, dict):
            filled[name] = config
            continue
        config = dict(config)
        resource = config.get("resource") or name
        mutable = resource in MUTABLE_RESOURCES
        write = config.setdefault("write", "upsert" if mutable else "partition_overwrite")
        config.setdefault("primary_key", ["id"])
        if write in ("upsert", "partition_overwrite"):
            config.setdefault("cursor", CHANGED_AT if mutable and write == "upsert" else "created")
        if mutable and write == "upsert" and config.get("cursor") == CHANGED_AT:
            config.setdefault("version", [CHANGED_AT, CHANGE_EVENT])
        filled[name] = config
    return filled


class StripeSourceConfig(SourceConfigBase):
    """`kind: stripe` — a Stripe account (or a Connect account) through the official SDK."""

    kind: Literal["stripe"]
    api_key: Secret = Field(description="Secret or restricted key (`sk_…`/`rk_…`).")
    api_base_url: Secret | None = Field(
        default=None,
        description="API base URL (proxies, regional endpoints, tests); a secret, as a proxy URL may hold "
        "credentials. Stripe's own by default.",
    )
    stripe_account: str | None = Field(
        default=None, description="Connect: the connected account (`acct_…`), sent as `Stripe-Account`."
    )
    api_version: str | None = Field(
        default=None, description="Pinned `Stripe-Version`; the account's default if unset."
    )
    expand: list[str] = Field(default_factory=list, description="Fields expanded for every object.")
    objects: Annotated[dict[ObjectName, StripeObjectConfig], BeforeValidator(_with_resource_defaults)] = (
        Field(min_length=1)
    )

    def build_resource(self) -> StripeResource:
        return StripeResource(
            api_key=resource_secret(self.api_key),
            api_base_url=resource_secret(self.api_base_url) if self.api_base_url else DEFAULT_API_BASE,
            stripe_account=self.stripe_account,
            api_version=self.api_version,
            expand=self.expand,
        )
