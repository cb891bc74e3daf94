"""Which runner.yaml the code location loads: `$ATLAS_RUNNER_CONFIG`, else ./runner.yaml."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV_VAR = "ATLAS_RUNNER_CONFIG"
DEFAULT_CONFIG_FILE = "runner.yaml"
DEMO_DATA_DIR = Path(".atlas/demo")
"""Where `python -m atlas_assets.demo` writes the demo tenant's data (relative to the working directory)."""


def runner_config_path() -> Path:
    """`$ATLAS_RUNNER_CONFIG`, else ./runner.yaml."""
    return Path(os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_FILE)


def generated_by_demo(path: Path) -> bool:
    """Whether `path` lies in the directory the demo generates (which may not exist yet)."""
    return path.expanduser().resolve().is_relative_to(DEMO_DATA_DIR.resolve())
