"""Generic SQL source: any SQLAlchemy URL, streamed through a server-side cursor into Arrow."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import dagster as dg
import pyarrow as pa
import sqlalchemy as sa
from pydantic import Field, PrivateAttr

from atlas_assets.config.objects import Secret, SourceConfigBase
from atlas_assets.connectors.arrow import rows_to_batch
from atlas_assets.connectors.contract import ExtractRequest, SourceConnector
from atlas_assets.connectors.errors import PermanentSourceError, SourceError, TransientSourceError, redact
from atlas_assets.connectors.secrets import env_or_value
from atlas_assets.connectors.sql_errors import classify_sql_error
from atlas_assets.connectors.sql_select import SelectPlan, plan_select


class SqlSourceConfig(SourceConfigBase):
    """`kind: sql` — any database SQLAlchemy can reach by URL (SQLite for the demo)."""

    kind: Literal["sql"]
    url: Secret = Field(description="SQLAlchemy URL; may hold credentials, so it is treated as a secret.")
    db_schema: str | None = Field(default=None, description="Schema that unqualified table names live in.")

    def build_resource(self) -> SqlResource:
        return SqlResource(url=env_or_value(self.url), db_schema=self.db_schema)


class SqlResource(SourceConnector):
    """Streams a table or query through SQLAlchemy; one pooled engine per resource instance."""

    url: str
    db_schema: str | None = None

    _engine: sa.Engine | None = PrivateAttr(default=None)

    def engine(self) -> sa.Engine:
        if self._engine is None:
            try:
                self._engine = self.create_engine()
            except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
                raise PermanentSourceError(f"invalid database URL: {self._scrub(str(exc))}") from None
        return self._engine

    def create_engine(self) -> sa.Engine:
        """Dialect resources override this to add driver options (timeouts, SSL)."""
        return sa.create_engine(self.url, pool_pre_ping=True)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def secret_values(self) -> list[str]:
        password = sa.engine.make_url(self.url).password
        return [str(password)] if password else []

    def dataset_namespace(self) -> str:
        url = sa.engine.make_url(self.url)
        return url.set(password=None, username=None, query={}).render_as_string(hide_password=True)

    def check_connection(self) -> None:
        with self._classified("check_connection"), self.engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def extract(self, request: ExtractRequest) -> Iterator[pa.RecordBatch]:
        with self._classified(request.label):
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
    def _classified(self, label: str) -> Iterator[None]:
        try:
            yield
        except SourceError as exc:
            exc.args = (self._scrub(str(exc)),)
            raise
        except sa.exc.SQLAlchemyError as exc:
            error = classify_sql_error(exc)
            message = f"{label}: {self._scrub(str(error))}"
            raise (
                TransientSourceError(message) if isinstance(error, TransientSourceError) else PermanentSourceError(message)
            ) from None

    def _scrub(self, text: str) -> str:
        return redact(text, self.secret_values())
