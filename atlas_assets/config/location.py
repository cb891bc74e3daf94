"""Which runner.yaml the code location loads: `$ATLAS_RUNNER_CONFIG`, else ./runner.yaml."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV_VAR = "ATLAS_RUNNER_CONFIG"
DEFAULT_CONFIG_FILE = "runner.yaml"


def runner_config_path() -> Path:
    """`$ATLAS_RUNNER_CONFIG`, else ./runner.yaml."""
    return Path(os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_FILE)
