"""How the config tests parse a runner.yaml text: one that must load, or one whose problems
they read. A case may mark the line its problem must point at with `# <-- here`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pytest

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig

FILE = "conf/runner.yaml"
MARK = "# <-- here"


def load(text: str, env: Mapping[str, str] | None = None) -> tuple[RunnerConfig, list[ObjectSpec]]:
    """The config and object specs of `text`, which must load."""
    return parse_runner_config(textwrap.dedent(text), FILE, env or {})


def error_of(text: str, env: Mapping[str, str] | None = None) -> RunnerConfigError:
    """The error `parse_runner_config` raises for `text` (failing the test if it loads)."""
    with pytest.raises(RunnerConfigError) as caught:
        parse_runner_config(textwrap.dedent(text), FILE, env or {})
    return caught.value


def problems_of(text: str, env: Mapping[str, str] | None = None) -> list[ConfigProblem]:
    """The problems `parse_runner_config` reports for `text`."""
    return error_of(text, env).problems


def marked_line(text: str) -> int:
    """The 1-based line holding the `# <-- here` marker."""
    lines = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if MARK in line]
    assert len(lines) == 1, "a case marks exactly one line"
    return lines[0]
