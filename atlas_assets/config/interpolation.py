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

# A default may hold `$` but not another `${`: nested references are not supported, and without
# this `${A:-${B}}` would silently yield the literal text `${B}`.
_DEFAULT = r"(?:[^}$]|\$(?!\{))*"
_PATTERN = re.compile(rf"\$\{{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>{_DEFAULT}))?\}}")
_BAD_REFERENCE = re.compile(rf"\$\{{(?![A-Za-z_][A-Za-z0-9_]*(?::-{_DEFAULT})?\}})")

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


def _walk(
    value: Any, path: Path, doc: YamlDocument, env: Mapping[str, str], problems: list[ConfigProblem]
) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, (*path, str(k)), doc, env, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), doc, env, problems) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    resolved = _substitute(value, path, doc, env, problems)
    if path and str(path[-1]) in SECRET_KEYS:
        return EnvRef(resolved, _sole_variable(value, env))
    return resolved


def _sole_variable(text: str, env: Mapping[str, str]) -> str | None:
    """The variable whose value *is* `text`'s value, so `dg.EnvVar(name)` reads the same thing.

    None when the text is a literal, has other text around the reference, or fell back to its default.
    """
    whole = _PATTERN.fullmatch(text)
    if whole is None or whole.group("name") not in env:
        return None
    name, default = whole.group("name"), whole.group("default")
    return name if default is None or env[name] else None


def _substitute(
    text: str, path: Path, doc: YamlDocument, env: Mapping[str, str], problems: list[ConfigProblem]
) -> str:
    dotted = ".".join(str(p) for p in path)
    if _BAD_REFERENCE.search(text):
        problems.append(
            ConfigProblem(
                dotted,
                "malformed reference: write ${NAME} or ${NAME:-default}, where NAME is letters, digits and _"
                " not starting with a digit (references do not nest)",
                doc.line_of(path),
            )
        )
        return text

    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        # As in the shell, `:-` also covers a variable that is set but empty.
        if default is not None and not env.get(name):
            return default
        if name in env:
            return env[name]
        if name not in missing:  # `${A}/${A}` is one problem, not two
            missing.append(name)
        return ""

    resolved = _PATTERN.sub(replace, text)
    problems.extend(
        ConfigProblem(
            dotted,
            f"environment variable {name} is not set and has no default (write ${{{name}:-default}})",
            doc.line_of(path),
        )
        for name in missing
    )
    return resolved
