"""`concurrency:` on a tenant or a source: how many of its runs may be in progress at once."""

from __future__ import annotations

from pydantic import Field

from atlas_assets.config.strict import StrictModel


class ConcurrencyConfig(StrictModel):
    """A run limit the queued run coordinator enforces (see `ops.fairness`).

    Not inherited: a tenant's limit counts all of the tenant's runs together, a source's only the
    runs that read that source. `runs` is a plain number (strict), because the run coordinator reads
    it straight from runner.yaml without interpolating the file's `${VAR}` secrets.
    """

    runs: int = Field(ge=1, strict=True, description="Runs in progress at once; more wait in the queue.")
