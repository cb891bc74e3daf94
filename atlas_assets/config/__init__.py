"""runner.yaml: loading, validation, interpolation and inheritance."""

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import load_runner_config, runner_config_path
from atlas_assets.config.resolve import ObjectSpec, resolve_objects
from atlas_assets.config.runner import RunnerConfig

__all__ = [
    "ConfigProblem",
    "ObjectSpec",
    "RunnerConfig",
    "RunnerConfigError",
    "load_runner_config",
    "resolve_objects",
    "runner_config_path",
]
