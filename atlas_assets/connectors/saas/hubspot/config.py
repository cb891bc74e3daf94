"""`kind: hubspot` in runner.yaml: the source's credentials and each object's type and properties."""

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
from atlas_assets.connectors.saas.hubspot.catalog import UPDATED_AT
from atlas_assets.connectors.saas.hubspot.resource import HubSpotResource
from atlas_assets.connectors.secrets import resource_secret

DEFAULT_API_BASE = "https://api.hubapi.com"


class HubSpotObjectConfig(ObjectConfig):
    """An object of a HubSpot source: one CRM object type (contacts, companies, deals, tickets,
    line_items or a custom object), upserted on `id` by its modification window."""

    object_type: str | None = Field(
        default=None, description="CRM object type (or custom object id/name); defaults to the object name."
    )
    properties: Literal["all"] | list[str] = Field(
        default="all", description="`all` (default: every property, from the properties API) or a list."
    )

    associations: list[str] = Field(
        default_factory=list,
        description="Object types whose associated ids become list columns `associated_<type>`.",
    )

    @model_validator(mode="after")
    def _hubspot_fits(self) -> HubSpotObjectConfig:
        self.reject_sql_selection("hubspot objects name a CRM object type with `object_type`")
        if self.write_mode is not WriteMode.UPSERT:
            raise FieldError("write", "hubspot objects are written as `upsert` on `id`")
        if self.primary_key != ["id"]:
            raise FieldError("primary_key", "hubspot objects are keyed by `id`")
        return self


def _with_upsert_defaults(value: Any) -> Any:
    """Every object is an `upsert` on `id` with cursor `updated_at`, unless written otherwise."""
    objects = _objects_shorthand(value)
    if not isinstance(objects, dict):
        return objects
    filled = {}
    for name, config in objects.items():
        if isinstance(config, dict):
            config = {"write": "upsert", "primary_key": ["id"], **config}
            if config["write"] == "upsert":
                config.setdefault("cursor", UPDATED_AT)
        filled[name] = config
    return filled


class HubSpotSourceConfig(SourceConfigBase):
    """`kind: hubspot` — a HubSpot account through the official `hubspot-api-client`.

    Authenticates with a private app's `access_token`, or an OAuth2 app's refresh grant
    (`client_id`, `client_secret`, `refresh_token`).
    """

    kind: Literal["hubspot"]
    access_token: Secret | None = Field(default=None, description="Private app access token (`pat-…`).")
    client_id: str | None = Field(default=None, description="OAuth2 app client id.")
    client_secret: Secret | None = Field(default=None, description="OAuth2 app client secret.")
    refresh_token: Secret | None = Field(default=None, description="OAuth2 refresh token of the account.")
    api_base_url: Secret | None = Field(
        default=None,
        description="API base URL (proxies, tests); a secret, as a proxy URL may hold credentials. "
        "HubSpot's own by default.",
    )
    rate_limit: float = Field(
        default=5.0,
        gt=0,
        description="Requests per second for the whole source (all its objects in a run); HubSpot's "
        "search limit by default. `X-HubSpot-RateLimit-*` headers pause it when a budget is spent.",
    )
    objects: Annotated[dict[ObjectName, HubSpotObjectConfig], BeforeValidator(_with_upsert_defaults)] = Field(
        min_length=1
    )

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> HubSpotSourceConfig:
        oauth = [self.client_id, self.client_secret, self.refresh_token]
        if self.access_token is not None and any(v is not None for v in oauth):
            raise FieldError("access_token", "give `access_token` or the OAuth2 keys, not both")
        if self.access_token is None and not all(v is not None for v in oauth):
            missing = [
                n
                for n, v in zip(("client_id", "client_secret", "refresh_token"), oauth, strict=True)
                if v is None
            ]
            raise FieldError(
                "access_token",
                f"give a private app `access_token`, or all of client_id, client_secret and refresh_token "
                f"(missing {', '.join(missing)})",
            )
        return self

    def build_resource(self) -> HubSpotResource:
        def secret(value: Any) -> str | None:
            return resource_secret(value) if value is not None else None

        return HubSpotResource(
            api_base_url=secret(self.api_base_url) or DEFAULT_API_BASE,
            access_token=secret(self.access_token),
            client_id=self.client_id,
            client_secret=secret(self.client_secret),
            refresh_token=secret(self.refresh_token),
            rate_limit=self.rate_limit,
        )
