"""`${VAR}` and `${VAR:-default}` interpolation from the environment, scoped per tenant.

Every string that held a reference keeps its text as written (:class:`Interpolated`), so fields
typed `Secret` can hand resources the *template* (`postgresql://u:${ACME_PW}@host/db`) instead
of the value: resources expand it at run time (`connectors.secrets`), and nothing Dagster
persists ever holds a resolved secret. Which variables a place may name is `EnvScope`'s rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from atlas_assets.config.env_scope import EnvScope
from atlas_assets.config.errors import ConfigProblem
from atlas_assets.config.yaml_source import Path, YamlDocument

# A default may hold `$` but not another `${`: nested references are not supported, and without
# this `${A:-${B}}` would silently yield the literal text `${B}`.
_DEFAULT = r"(?:[^}$]|\$(?!\{))*"
_PATTERN = re.compile(rf"\$\{{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>{_DEFAULT}))?\}}")
_BAD_REFERENCE = re.compile(rf"\$\{{(?![A-Za-z_][A-Za-z0-9_]*(?::-{_DEFAULT})?\}})")


class Interpolated(str):
    """A string whose text held `${...}` references: the resolved value, plus the text as written."""

    template: str

    def __new__(cls, value: str, template: str) -> Interpolated:
        interpolated = super().__new__(cls, value)
        interpolated.template = template
        return interpolated

    def __reduce__(self) -> tuple[Any, ...]:
        return (Interpolated, (str(self), self.template))


@dataclass(frozen=True)
class EnvRef:
    """A secret: its resolved value (for validation at load) and its text as written in runner.yaml."""

    value: str
    template: str = field(repr=False)

    @property
    def env_var(self) -> str | None:
        """The variable when the text is exactly one `${VAR}` (without a default), else None."""
        whole = _PATTERN.fullmatch(self.template)
        return whole.group("name") if whole and whole.group("default") is None else None

    def __repr__(self) -> str:
        # A literal's text is its value: show the text only when it names variables.
        template = self.template if "${" in self.template else "***"
        return f"EnvRef(template={template!r}, value='***')"


def interpolate(doc: YamlDocument, env: Mapping[str, str]) -> list[ConfigProblem]:
    """Replace references in place; return one problem per missing, misplaced or bad reference."""
    problems: list[ConfigProblem] = []
    doc.data = _walk(doc.data, (), doc, env, EnvScope.of(doc.data), problems)
    return problems


def expand(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """`text` with its references replaced, and the variables that are unset and have no default.

    The one expansion rule, used at load and by resources at run time. As in the shell, `:-`
    also covers a variable that is set but empty; a missing variable becomes "".
    """
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        if default is not None and not env.get(name):
            return default
        if name in env:
            return env[name]
        if name not in missing:  # `${A}/${A}` is one problem, not two
            missing.append(name)
        return ""

    return _PATTERN.sub(replace, text), missing


def references(text: str) -> list[str]:
    """The variables `text` names, in order."""
    return [match.group("name") for match in _PATTERN.finditer(text)]


def _walk(
    value: Any,
    path: Path,
    doc: YamlDocument,
    env: Mapping[str, str],
    scope: EnvScope,
    problems: list[ConfigProblem],
) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, (*path, str(k)), doc, env, scope, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), doc, env, scope, problems) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    resolved = _substitute(value, path, doc, env, scope, problems)
    return Interpolated(resolved, value)


def _substitute(
    text: str,
    path: Path,
    doc: YamlDocument,
    env: Mapping[str, str],
    scope: EnvScope,
    problems: list[ConfigProblem],
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
    misplaced = [
        message for name in dict.fromkeys(references(text)) if (message := scope.problem(path, name))
    ]
    problems.extend(ConfigProblem(dotted, message, doc.line_of(path)) for message in misplaced)
    if misplaced:
        return ""  # never read a variable this place may not name, not even to validate it
    resolved, missing = expand(text, env)
    problems.extend(
        ConfigProblem(
            dotted,
            f"environment variable {name} is not set and has no default (write ${{{name}:-default}})",
            doc.line_of(path),
        )
        for name in missing
    )
    return resolved
