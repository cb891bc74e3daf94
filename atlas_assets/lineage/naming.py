"""Dataset names: Iceberg tables as `<tenant namespace>.<table>` under the catalog's namespace, and
source objects under their source system's namespace. No name or namespace carries a credential."""

from __future__ import annotations

import re
from pathlib import Path

from atlas_assets.config.runner import WarehouseConfig
from atlas_assets.iceberg.catalog import catalog_uri

_USER_INFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")


def strip_credentials(uri: str) -> str:
    """`uri` without user info, query or fragment (`postgresql://u:p@h:5432/db?x=1` → `postgresql://h:5432/db`).

    Text edits rather than a parse/unparse round trip, which would mangle `sqlite:////abs/path`.
    """
    without_user = _USER_INFO.sub(r"\1", uri, count=1)
    return without_user.split("?", 1)[0].split("#", 1)[0]


def iceberg_namespace(warehouse: WarehouseConfig) -> str:
    """The OpenLineage namespace of every table in the catalog: `iceberg+<catalog endpoint>`.

    SQL catalogs are named by their database (`iceberg+postgresql://db:5432/catalog`, or the
    absolute path of an embedded SQLite file), REST catalogs by their endpoint, Glue by region.
    """
    catalog = warehouse.catalog
    if catalog.type == "glue":
        region = catalog.properties.get("glue.region") or catalog.properties.get("client.region") or "default"
        return f"iceberg+glue://{region}"
    uri = catalog_uri(warehouse)
    if uri is None:
        return f"iceberg://{catalog.name}"
    text = uri.value
    if text.startswith("sqlite:///"):
        return "iceberg+sqlite://" + Path(text.removeprefix("sqlite:///")).expanduser().resolve().as_posix()
    scheme, _, rest = text.partition("://")
    # SQLAlchemy driver suffixes (`postgresql+psycopg2`) name a client library, not the system.
    return "iceberg+" + strip_credentials(f"{scheme.split('+')[0]}://{rest}")


def iceberg_dataset_name(namespace: str, table: str) -> str:
    """`<tenant namespace>.<table>`, the table's identifier in the catalog."""
    return f"{namespace}.{table}"
