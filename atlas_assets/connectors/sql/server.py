"""What the server database kinds (PostgreSQL, MySQL) share: connection settings and their resource.

runner.yaml names a server either by `url` or by host/port/database/user/password; both kinds
take the same SSL and timeout keys, which each dialect translates into its driver's options.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
from pydantic import Field, field_validator, model_validator

from atlas_assets.config.interpolation import EnvRef
from atlas_assets.config.objects import Duration, SourceConfigBase
from atlas_assets.config.secret import Secret
from atlas_assets.connectors.secrets import OptionalSecretText, resource_secret
from atlas_assets.connectors.sql.generic import SqlResource, parsed_database_url

SslMode = Literal["disable", "prefer", "require", "verify-ca", "verify-full"]


class ServerSourceConfig(SourceConfigBase):
    """Connection keys shared by `kind: postgres` and `kind: mysql`."""

    url: Secret | None = Field(
        default=None, description="SQLAlchemy-style URL instead of host/port/...; a secret."
    )
    host: str | None = None
    port: int | None = Field(
        default=None, ge=1, le=65535, description="The dialect's default port when omitted."
    )
    database: str | None = None
    user: str | None = None
    password: Secret | None = Field(
        default=None, description="Write `${VAR}`: expanded by the resource at run time, never stored."
    )
    db_schema: str | None = Field(
        default=None, description="Schema (PostgreSQL) or database (MySQL) of unqualified tables."
    )
    sslmode: SslMode | None = Field(
        default=None, description="TLS: disable, prefer, require, verify-ca, verify-full."
    )
    ssl_ca: str | None = Field(default=None, description="CA certificate file for verify-ca / verify-full.")
    ssl_cert: str | None = Field(default=None, description="Client certificate file.")
    ssl_key: str | None = Field(default=None, description="Client key file.")
    connect_timeout: Duration = Field(
        default=dt.timedelta(seconds=10), description="Give up connecting after this."
    )
    statement_timeout: Duration = Field(
        default=None, description="Cancel any statement running longer (transient)."
    )

    @field_validator("url")
    @classmethod
    def _url_parses(cls, value: EnvRef | None) -> EnvRef | None:
        # The kind's own driver replaces whatever the URL's scheme names, so only its shape matters.
        return parsed_database_url(value, dialect_matters=False)

    @model_validator(mode="after")
    def _one_way_to_connect(self) -> ServerSourceConfig:
        parts = [k for k in ("host", "port", "database", "user", "password") if getattr(self, k) is not None]
        if self.url is None and self.host is None:
            raise ValueError("give either 'url' or 'host' (with port, database, user, password)")
        if self.url is not None and parts:
            raise ValueError(
                f"give either 'url' or host/port/database/user/password, not both (found {parts})"
            )
        return self

    def resource_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the kind's resource; secrets as written, expanded at run time."""
        return {
            "url": resource_secret(self.url) if self.url is not None else None,
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "password": resource_secret(self.password) if self.password is not None else None,
            "db_schema": self.db_schema,
            "sslmode": self.sslmode,
            "ssl_ca": self.ssl_ca,
            "ssl_cert": self.ssl_cert,
            "ssl_key": self.ssl_key,
            "connect_timeout_seconds": self.connect_timeout.total_seconds() if self.connect_timeout else None,
            "statement_timeout_seconds": self.statement_timeout.total_seconds()
            if self.statement_timeout
            else None,
        }


class ServerSqlResource(SqlResource):
    """A pooled engine for a database server; dialects add driver options and their fast stream."""

    driver: ClassVar[str]
    """SQLAlchemy `dialect+driver`, e.g. `postgresql+psycopg2`."""
    default_port: ClassVar[int]

    url: OptionalSecretText = None  # type: ignore[assignment]
    host: str | None = None
    port: int | None = None
    database: str | None = None
    user: str | None = None
    password: OptionalSecretText = None
    # Dagster resource config has no Literal type; runner.yaml's model validated these already.
    sslmode: str | None = None
    ssl_ca: str | None = None
    ssl_cert: str | None = None
    ssl_key: str | None = None
    connect_timeout_seconds: float | None = 10.0
    statement_timeout_seconds: float | None = None

    def connection_url(self) -> sa.URL:
        if self.url:
            # Whatever driver the URL names, this kind speaks through its own.
            return sa.engine.make_url(self.url).set(drivername=self.driver)
        return sa.URL.create(
            self.driver,
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port or self.default_port,
            database=self.database,
        )

    def create_engine(self) -> sa.Engine:
        return sa.create_engine(
            self.connection_url(),
            pool_pre_ping=True,
            pool_size=2,
            max_overflow=4,
            connect_args=self.connect_args(),
        )

    @abstractmethod
    def connect_args(self) -> dict[str, Any]:
        """Driver keyword arguments: timeouts, TLS and session settings."""

    def secret_values(self) -> list[str]:
        return [s for s in (self.password, *super().secret_values()) if s]

    def dataset_namespace(self) -> str:
        url = self.connection_url()
        return f"{url.get_backend_name()}://{url.host}:{url.port or self.default_port}"


@contextmanager
def driver_connection(engine: sa.Engine) -> Iterator[Any]:
    """A pooled connection's raw DB-API connection, for COPY and unbuffered cursors.

    Any failure or early exit (the consumer stopped iterating mid-stream) invalidates the
    connection instead of returning it to the pool: its protocol state is unknown.
    """
    with engine.connect() as conn:
        try:
            yield conn.connection.dbapi_connection
        except BaseException:
            conn.invalidate()
            raise
