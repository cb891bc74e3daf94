"""What the Google connectors share: one key, one API base, one authorized session per run."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.contract import SourceConnector
from atlas_assets.connectors.secrets import OptionalSecretText, SecretText

if TYPE_CHECKING:
    from atlas_assets.connectors.saas.google.api import GoogleApi


class GoogleResource(SourceConnector):
    """A Google account's key (service account or authorized user) and the API base it talks to."""

    credentials: SecretText
    api_base_url: OptionalSecretText = None

    # The lineage namespace: scheme and the vendor's host when `api_base_url` is not set.
    namespace_scheme: ClassVar[str]
    default_host: ClassVar[str]

    def check_connection(self) -> None:
        """One token exchange: the credentials are valid for the connector's read scopes."""
        from google.auth.transport.requests import Request

        api = self.api(RetryConfig(max_retries=0), {})
        # A plain transport: through the authorized session the refresh would itself refresh first.
        api.call(lambda h: h.auth.refresh(Request()))

    def secret_values(self) -> list[str]:
        from atlas_assets.connectors.saas.google.credentials import secrets_in

        return secrets_in(self.credentials)

    def dataset_namespace(self) -> str:
        # The host only: a proxy URL's userinfo may hold credentials.
        return f"{self.namespace_scheme}://{urlsplit(self.api_base_url or '').hostname or self.default_host}"

    def api(self, retry: RetryConfig, stats: dict[str, int | str]) -> GoogleApi:
        from atlas_assets.connectors.saas.google.api import GoogleApi

        return GoogleApi(self.credentials, self.api_base_url, retry, stats)
