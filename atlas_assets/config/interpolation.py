"""`${VAR}` and `${VAR:-default}` interpolation from the environment.

Values under secret keys stay wrapped in :class:`EnvRef` so the variable's *name* survives:
resources then receive ``dg.EnvVar(name)`` and Dagster never displays the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from atlas_assets.config.errors import ConfigProblem
from atlas_assets.config.yaml_source import Path, YamlDocument

_PATTERN = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_BAD_REFERENCE = re.compile(r"\$\{(?![A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})")

# Keys whose values are credentials wherever they appear.
SECRET_KEYS = frozenset(
    {"password", "api_key", "token", "access_token", "secret", "client_secret", "private_key", "url", "uri"}
)


@dataclass(frozen=True)
class EnvRef:
    """A secret value and, when it came from exactly one `${VAR}`, that variable's name."""

    value: str
    env_var: str | None

    def __repr__(self) -> str:
        return f"EnvRef(env_var={self.env_var!r}, value='***')"


def interpolate(doc: YamlDocument, env: Mapping[str, str]) -> list[ConfigProblem]:
    """Replace references in place; return one problem per missing variable or bad reference."""
    problems: list[ConfigProblem] = []
    doc.data = _walk(doc.data, (), doc, env, problems)
    return problems


def _walk(value: Any, path: Path, doc: YamlDocument, env: Mapping[str, str], problems: list[ConfigProblem]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, (*path, str(k)), doc, env, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), doc, env, problems) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    resolved = _substitute(value, path, doc, env, problems)
    if path and str(path[-1]) in SECRET_KEYS:
        whole = _PATTERN.fullmatch(value)
        return EnvRef(resolved, whole.group("name") if whole and whole.group("name") in env else None)
    return resolved


def _substitute(
    text: str, path: Path, doc: YamlDocument, env: Mapping[str, str], problems: list[ConfigProblem]
) -> str:
    dotted = ".".join(str(p) for p in path)
    if _BAD_REFERENCE.search(text):
        problems.append(
            ConfigProblem(dotted, "malformed reference: write ${NAME} or ${NAME:-default}", doc.line_of(path))
        )
        return text

    def replace(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(
            ConfigProblem(
                dotted,
                f"environment variable {name} is not set and has no default (write ${{{name}:-default}})",
                doc.line_of(path),
            )
        )
        return ""

    return _PATTERN.sub(replace, text)
