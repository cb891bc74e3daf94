"""Generic SQL source: any SQLAlchemy URL, streamed through a server-side cursor into Arrow.

`SqlResource` also holds what every database kind shares: the pooled engine and its disposal,
`check_connection`, error classification and secret scrubbing. `postgres.py` and `mysql.py`
subclass it (through `sql_server.py`) and replace only how rows are streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import dagster as dg
import pyarrow as pa
import sqlalchemy as sa
from pydantic import Field, PrivateAttr, field_validator

from atlas_assets.config.interpolation import EnvRef
from atlas_assets.config.objects import SourceConfigBase
from atlas_assets.config.secret import Secret
from atlas_assets.connectors.arrow import rows_to_batch
from atlas_assets.connectors.contract import ExtractRequest, SourceConnector
from atlas_assets.connectors.cursor_window import cursor_in_window
from atlas_assets.connectors.errors import PermanentSourceError, SourceError, TransientSourceError, redact
from atlas_assets.connectors.secrets import SecretText, resource_secret
from atlas_assets.connectors.sql.errors import classify_sql_error
from atlas_assets.connectors.sql.select import SelectPlan, plan_select

_URL_EXAMPLES = (
    "write e.g. 'postgresql+psycopg2://user:${PASSWORD}@host:5432/db' or 'sqlite:///path/to/file.db'"
)


def parsed_database_url(value: EnvRef | None, *, dialect_matters: bool = True) -> EnvRef | None:
    """`value` if it is a SQLAlchemy URL (of a dialect SQLAlchemy knows, when `dialect_matters`).

    The messages never quote the value: a URL may hold a password.
    """
    if value is None:
        return None
    if not value.value.strip():
        if "${" in value.template:
            return value  # a missing or foreign variable: interpolation reports it, with its name
        raise ValueError(f"is empty; {_URL_EXAMPLES}")
    try:
        url = sa.engine.make_url(value.value)
    except (sa.exc.ArgumentError, ValueError):
        raise ValueError(f"is not a database URL; {_URL_EXAMPLES}") from None
    if dialect_matters:
        try:
            url.get_dialect()
        except sa.exc.NoSuchModuleError:
            raise ValueError(
                f"names the database kind {url.drivername!r}, which SQLAlchemy does not know "
                f"(a typo, or its dialect package is not installed); {_URL_EXAMPLES}"
            ) from None
    return value


class SqlSourceConfig(SourceConfigBase):
    """`kind: sql` — any database SQLAlchemy can reach by URL (SQLite for the demo)."""

    kind: Literal["sql"]
    url: Secret = Field(description="SQLAlchemy URL; may hold credentials, so it is treated as a secret.")
    db_schema: str | None = Field(default=None, description="Schema that unqualified table names live in.")

    _url_parses = field_validator("url")(parsed_database_url)

    def build_resource(self) -> SqlResource:
        return SqlResource(url=resource_secret(self.url), db_schema=self.db_schema)


def _read_only_sqlite(url: sa.URL) -> sa.URL:
    """`url` opened read-only: a source is never written, and a mistyped path must not become a new
    empty database that every check would then report as healthy."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return url
    if not Path(database).is_file():
        raise PermanentSourceError(
            f"SQLite database file {database!r} does not exist (check the source's `url`)"
        )
    return url.set(database=f"file:{database}", query={**url.query, "mode": "ro", "uri": "true"})


class SqlResource(SourceConnector):
    """Streams a table or query through SQLAlchemy; one pooled engine per resource instance."""

    url: SecretText
    db_schema: str | None = None

    _engine: sa.Engine | None = PrivateAttr(default=None)

    def engine(self) -> sa.Engine:
        """The resource's pooled engine, created on first use and disposed in teardown."""
        if self._engine is None:
            try:
                self._engine = self.create_engine()
            except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
                raise PermanentSourceError(f"invalid database settings: {self._scrub(str(exc))}") from None
        return self._engine

    def connection_url(self) -> sa.URL:
        """The SQLAlchemy URL to connect with (credentials included; never log it)."""
        return sa.engine.make_url(self.url)

    def create_engine(self) -> sa.Engine:
        """Dialect resources override this to add driver options (timeouts, SSL)."""
        url = self.connection_url()
        if url.get_backend_name() == "sqlite":
            url = _read_only_sqlite(url)
        return sa.create_engine(url, pool_pre_ping=True)

    def dispose(self) -> None:
        """Close every pooled connection (teardown, or when a test is done with the resource)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.dispose()

    def secret_values(self) -> list[str]:
        try:
            password = self.connection_url().password
        except (sa.exc.ArgumentError, ValueError):
            return [self.url]  # unparseable, so hide it whole
        return [str(password)] if password else []

    def dataset_namespace(self) -> str:
        url = self.connection_url()
        # URL.set(username=None) keeps the old value, so rebuild the URL without user info.
        bare = sa.engine.URL.create(url.drivername, host=url.host, port=url.port, database=url.database)
        return bare.render_as_string(hide_password=True)

    def check_connection(self) -> None:
        with self._classified(), self.engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def extract(self, request: ExtractRequest) -> Iterator[pa.RecordBatch]:
        with self._classified():
            for batch in self.stream(request):
                batch = cursor_in_window(batch, request)
                if batch.num_rows:
                    yield batch

    def stream(self, request: ExtractRequest) -> Iterator[pa.RecordBatch]:
        """Batches for `request`; errors are classified by `extract`. Dialects override this."""
        plan = self.plan(request)
        with self.engine().connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=request.batch_size).execute(
                plan.statement
            )
            for rows in result.partitions(request.batch_size):
                yield rows_to_batch(rows, plan.schema)

    def plan(self, request: ExtractRequest) -> SelectPlan:
        """The quoted, parameterised SELECT for a request, and the Arrow schema of its rows."""
        return plan_select(self.engine(), request, self.db_schema)

    @contextmanager
    def _classified(self) -> Iterator[None]:
        """Re-raise any failure as a scrubbed Transient/PermanentSourceError (the caller names the object)."""
        try:
            yield
        except SourceError as exc:
            exc.args = (self._scrub(str(exc)),)
            raise
        except (sa.exc.SQLAlchemyError, *self._driver_errors()) as exc:
            error = classify_sql_error(exc)
            message = self._scrub(str(error))
            raise (
                TransientSourceError(message)
                if isinstance(error, TransientSourceError)
                else PermanentSourceError(message)
            ) from None

    def _driver_errors(self) -> tuple[type[BaseException], ...]:
        """The DB-API driver's base error, for failures raised by direct cursor use."""
        dbapi = self._engine.dialect.loaded_dbapi if self._engine is not None else None
        return (dbapi.Error,) if dbapi is not None else ()

    def _scrub(self, text: str) -> str:
        return redact(text, self.secret_values())
