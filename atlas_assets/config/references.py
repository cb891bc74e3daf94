"""What runner.yaml points at on disk: csv directories and hand-written Soda contract files.

Checked when runner.yaml is loaded from a file, so a missing directory or a contract that does
not parse fails `dagster definitions validate` instead of the first run.
"""

from __future__ import annotations

from pathlib import Path

from atlas_assets.checks.quality.check import quality_config_problems
from atlas_assets.config.errors import ConfigProblem
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig


def reference_problems(config: RunnerConfig, specs: list[ObjectSpec], base_dir: Path) -> list[ConfigProblem]:
    """Problems with sources' files and objects' `quality:` contract files (relative to `base_dir`)."""
    problems = [
        ConfigProblem(f"tenants.{tenant_name}.sources.{source_name}.{error.field}", str(error))
        for tenant_name, tenant in config.tenants.items()
        for source_name, source in tenant.sources.items()
        for error in source.reference_problems()
    ]
    return problems + quality_config_problems(specs, base_dir)
