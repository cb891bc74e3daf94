"""Source kinds by name: the one place a new connector is registered."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from atlas_assets.connectors.files.csv import CsvSourceConfig
from atlas_assets.connectors.http.rest import RestSourceConfig
from atlas_assets.connectors.saas.google.drive_config import GoogleDriveSourceConfig
from atlas_assets.connectors.saas.google.sheets_config import GoogleSheetsSourceConfig
from atlas_assets.connectors.saas.hubspot.config import HubSpotSourceConfig
from atlas_assets.connectors.saas.salesforce.config import SalesforceSourceConfig
from atlas_assets.connectors.saas.stripe.config import StripeSourceConfig
from atlas_assets.connectors.sql.generic import SqlSourceConfig
from atlas_assets.connectors.sql.mysql.resource import MysqlSourceConfig
from atlas_assets.connectors.sql.postgres.resource import PostgresSourceConfig

SOURCE_CONFIGS = (
    SqlSourceConfig,
    PostgresSourceConfig,
    MysqlSourceConfig,
    CsvSourceConfig,
    StripeSourceConfig,
    RestSourceConfig,
    HubSpotSourceConfig,
    GoogleSheetsSourceConfig,
    GoogleDriveSourceConfig,
    SalesforceSourceConfig,
)

SourceConfig = Annotated[Union[*SOURCE_CONFIGS], Field(discriminator="kind")]

SOURCE_KINDS: tuple[str, ...] = tuple(
    cls.model_fields["kind"].annotation.__args__[0] for cls in SOURCE_CONFIGS
)
