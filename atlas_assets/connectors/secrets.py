"""Secrets from runner.yaml reach resources as text to expand at run time, never as values.

Dagster persists every resource's config (job snapshots in run storage, the launchpad), so a
resolved secret there is stored in clear. Resources therefore receive a secret's text as written
in runner.yaml (`${ACME_STRIPE_KEY}`, `postgresql://u:${ACME_PG_PW}@db/app`) and expand it when
they are set up for execution, in the run's own process, from its environment.

How a connector declares a secret (and gets tenant scoping and at-rest protection for free):

1. In its runner.yaml model, type the field `Secret` (`atlas_assets.config.secret`), e.g.
   `api_key: Secret`. Its value is then masked in reprs, dumps and errors; `${VAR}` in it (as
   anywhere in runner.yaml) is checked against the tenant's variables at load.
2. In its resource, type the field `SecretText` (`OptionalSecretText` when it may be absent, a
   mapping of secrets `SecretMapping`); the resource extends `ResolvesSecrets` (every
   `SourceConnector` does; one that overrides `setup_for_execution` calls `super()` first).
3. In `build_resource`, pass `resource_secret(self.api_key)`.

Inside `extract` / `check_connection` the field then holds the resolved value. Code that uses a
resource outside a Dagster run calls `resolve_secrets()` first (it is idempotent).

Run config can replace a resource's texts (the launchpad's `resources:` section), so the tenant
boundary is checked again when they are expanded: a resource `scoped_to` its place in runner.yaml
expands only the variables that place may name (`config.env_scope`), whatever the run config says.
"""

from __future__ import annotations

import os
import weakref
from typing import Annotated, Any, Self

import dagster as dg
from pydantic import PrivateAttr

from atlas_assets.config.env_scope import EnvScope
from atlas_assets.config.interpolation import EnvRef, expand, references


class _SecretMarker:
    """Marks a resource field whose value is runner.yaml text to expand at run time."""

    def __repr__(self) -> str:
        return "SECRET"


SECRET = _SecretMarker()
_SCOPES: weakref.WeakKeyDictionary[dg.ResourceDefinition, tuple[EnvScope, tuple[str, ...]]] = (
    weakref.WeakKeyDictionary()
)
SecretText = Annotated[str, SECRET]
"""A resource field holding a secret's runner.yaml text (`${VAR}` references unexpanded)."""
OptionalSecretText = Annotated[str | None, SECRET]
"""`SecretText` that may be absent (the marker must wrap the whole type for pydantic to keep it)."""
SecretMapping = Annotated[dict[str, str], SECRET]
"""A resource field mapping names to secrets' runner.yaml text (e.g. catalog properties)."""


def resource_secret(value: EnvRef | str) -> str:
    """What a resource receives for a `Secret`: its text as written, never its resolved value."""
    return value.template if isinstance(value, EnvRef) else value


class ResolvesSecrets(dg.ConfigurableResource):
    """A resource whose `SecretText` / `SecretMapping` fields are expanded when it is set up."""

    _secrets_resolved: bool = PrivateAttr(default=False)
    _env_scope: EnvScope | None = PrivateAttr(default=None)
    _env_place: tuple[str, ...] = PrivateAttr(default=())

    def scoped_to(self, scope: EnvScope, place: tuple[str, ...]) -> Self:
        """Expand only variables that `place` (e.g. `("tenants", "acme", "sources", "db")`) may name."""
        self._env_scope = scope
        self._env_place = place
        # Dagster sets a resource up as a new instance built from the run config, without private
        # attributes; its resource definition (one per instance, cached) is what run config cannot
        # reach, so the scope is kept against it.
        _SCOPES[self.get_resource_definition()] = (scope, place)
        return self

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        try:
            definition = context.resource_def
        except dg.DagsterInvariantViolationError:
            definition = None  # set up outside a job (`process_config_and_initialize`): no run config
        scoped = _SCOPES.get(definition) if definition is not None else None
        if scoped is not None:
            self._env_scope, self._env_place = scoped
        self.resolve_secrets()

    def resolve_secrets(self) -> None:
        """Expand every secret field from the environment, once; a missing variable fails the run."""
        if self._secrets_resolved:
            return
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if SECRET not in field.metadata or value is None:
                continue
            if isinstance(value, dict):
                resolved: Any = {key: self._expanded(f"{name}.{key}", text) for key, text in value.items()}
            else:
                resolved = self._expanded(name, value)
            # Only this execution's copy changes: the definition (what Dagster persists) keeps the text.
            self.__dict__[name] = resolved
        self._secrets_resolved = True

    def _expanded(self, field: str, text: str) -> str:
        self._check_scope(field, text)
        value, missing = expand(text, os.environ)
        if missing:
            raise dg.Failure(
                f"{type(self).__name__}.{field}: environment variable {', '.join(missing)} is not set in "
                "the run's environment (set it where runs execute, as where definitions load)",
                allow_retries=False,
            )
        return value

    def _check_scope(self, field: str, text: str) -> None:
        if self._env_scope is None:
            return
        problems = [
            problem
            for variable in references(text)
            if (problem := self._env_scope.problem(self._env_place, variable)) is not None
        ]
        if problems:
            place = ".".join(self._env_place)
            raise dg.Failure(
                f"{type(self).__name__}.{field} (of {place}): {'; '.join(problems)}; run config cannot "
                "point a tenant's resource at variables runner.yaml does not let it read",
                allow_retries=False,
            )
