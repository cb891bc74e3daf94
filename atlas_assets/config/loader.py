"""Loading runner.yaml: parse, interpolate, validate, resolve; every problem reported at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.interpolation import interpolate
from atlas_assets.config.resolve import ObjectSpec, resolve_objects
from atlas_assets.config.runner import RunnerConfig
from atlas_assets.config.yaml_source import YamlDocument, parse_yaml

CONFIG_ENV_VAR = "ATLAS_RUNNER_CONFIG"


def runner_config_path() -> Path:
    """`$ATLAS_RUNNER_CONFIG`, else ./runner.yaml."""
    return Path(os.environ.get(CONFIG_ENV_VAR) or "runner.yaml")


def load_runner_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> tuple[RunnerConfig, list[ObjectSpec]]:
    """The validated config and its resolved objects, or a `RunnerConfigError` listing every problem."""
    file = Path(path) if path is not None else runner_config_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunnerConfigError(
            str(file), [ConfigProblem("", f"file not found; set {CONFIG_ENV_VAR} or run from the project directory")]
        ) from None
    return parse_runner_config(text, str(file), os.environ if env is None else env)


def parse_runner_config(text: str, file: str, env: Mapping[str, str]) -> tuple[RunnerConfig, list[ObjectSpec]]:
    """As `load_runner_config`, from text."""
    doc = parse_yaml(text, file)
    problems = [*doc.problems, *interpolate(doc, env)]
    if not isinstance(doc.data, dict):
        raise RunnerConfigError(file, [*problems, ConfigProblem("", "the document must be a mapping of keys")])
    try:
        config = RunnerConfig.model_validate(doc.data)
    except ValidationError as exc:
        problems += [_problem(error, doc) for error in exc.errors(include_url=False, include_input=False)]
        raise RunnerConfigError(file, sorted(problems, key=lambda p: p.line or 0)) from None
    specs, resolve_problems = resolve_objects(config)
    problems += [_with_line(p, doc) for p in resolve_problems]
    if problems:
        raise RunnerConfigError(file, problems)
    return config, specs


def _problem(error: Any, doc: YamlDocument) -> ConfigProblem:
    loc = tuple(error["loc"])
    is_name = "[key]" in loc
    path = _yaml_path(doc.data, loc[: loc.index("[key]")] if is_name else loc)
    message = _message(error)
    if is_name:
        message = f"name {loc[loc.index('[key]') - 1]!r} {message}"
    return ConfigProblem(".".join(map(str, path)), message, doc.line_of(path))


def _yaml_path(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Pydantic's loc with its own entries (union tags, validator names) dropped."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict) and not path_exists_below(node, loc, part):
            # A key the user did not write: the error is about a missing or extra key here.
            path.append(part)
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def path_exists_below(node: dict[Any, Any], loc: tuple[Any, ...], part: Any) -> bool:
    """Whether `part` is a pydantic-internal loc entry (a union tag) rather than a config key."""
    return isinstance(part, str) and part == node.get("kind")


def _message(error: Any) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown key; check the spelling against README.md's runner.yaml reference"
    if kind == "missing":
        return "required key is missing"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        expected = error.get("ctx", {}).get("expected_tags", "")
        return f"unknown or missing source kind; expected one of: {expected}"
    if kind == "string_pattern_mismatch":
        return "must be lower-case letters, digits and underscores, starting with a letter (max 63 characters)"
    return msg.removeprefix("Value error, ")


def _with_line(problem: ConfigProblem, doc: YamlDocument) -> ConfigProblem:
    path = tuple(problem.path.split("."))
    return ConfigProblem(problem.path, problem.message, doc.line_of(path))
