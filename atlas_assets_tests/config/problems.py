"""How the config tests read a runner.yaml's problems: parse a text that must not load.

A case may mark the line its problem must point at with `# <-- here`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pytest

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import parse_runner_config

FILE = "conf/runner.yaml"
MARK = "# <-- here"


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
