"""Load-time check that no two config paths generate the same Dagster or Iceberg name.

`config.naming` makes most collisions impossible by construction; this catches the rest: two
tenants sharing a namespace, an object that takes a silver asset's name, two schedules whose
readable job names meet. One problem per colliding pair, naming both paths and lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from atlas_assets.config import naming
from atlas_assets.config.errors import ConfigProblem
from atlas_assets.config.resolve import ObjectSpec
from atlas_assets.config.runner import RunnerConfig

LineOf = Callable[[str], int | None]


class _Claims:
    """Names claimed so far, each by the config path that first generated it."""

    def __init__(self, line_of: LineOf):
        self.owner: dict[tuple[str, str], str] = {}
        self.line_of = line_of

    def claim(self, path: str, names: list[tuple[str, str]]) -> Iterator[ConfigProblem]:
        """Claim `(kind, name)`s for `path`; one problem per earlier path that holds any of them."""
        clashes: dict[str, list[str]] = {}
        for kind, name in names:
            other = self.owner.setdefault((kind, name), path)
            if other != path:
                clashes.setdefault(other, []).append(f"{kind} {name!r}")
        for other, what in clashes.items():
            line = self.line_of(other)
            where = f"{other} (line {line})" if line is not None else other
            yield ConfigProblem(
                path,
                f"generates the same {', '.join(what)} as {where}; rename one of them",
                self.line_of(path),
            )


def name_collisions(config: RunnerConfig, specs: list[ObjectSpec], line_of: LineOf) -> list[ConfigProblem]:
    """Every collision between generated names, as problems at the later of the two paths."""
    claims = _Claims(line_of)
    problems, shared = _namespace_collisions(config, claims)
    for spec in specs:
        if spec.tenant in shared:
            continue  # its tables collide because its namespace does: reported once, above
        problems += claims.claim(spec.path, _object_names(spec))
        if naming.masks_in_silver(spec):
            problems += claims.claim(f"{spec.path}.pii_scan.masking", _silver_names(spec))
    groups = naming.schedule_groups(specs)
    for group, job in naming.schedule_job_names(list(groups)).items():
        problems += claims.claim(f"{groups[group][0].path}.schedule", [("job", job)])
    return problems


def _namespace_collisions(config: RunnerConfig, claims: _Claims) -> tuple[list[ConfigProblem], set[str]]:
    """A tenant's namespace is its own. Implicit namespaces (the tenant's name) are claimed first,
    so the problem lands on the `namespace:` key that reached into another tenant's."""
    problems: list[ConfigProblem] = []
    shared: set[str] = set()
    ordered = sorted(config.tenants.items(), key=lambda item: item[1].namespace is not None)
    for tenant_name, tenant in ordered:
        namespace = tenant.namespace or tenant_name
        path = f"tenants.{tenant_name}.namespace" if tenant.namespace else f"tenants.{tenant_name}"
        found = list(claims.claim(path, [("Iceberg namespace", namespace)]))
        if found:
            shared.add(tenant_name)
        problems += found
    return problems, shared


def _object_names(spec: ObjectSpec) -> list[tuple[str, str]]:
    return [
        ("asset key", spec.asset_key.to_user_string()),
        ("Iceberg table", f"{spec.namespace}.{spec.table_name}"),
        ("Iceberg table", f"{spec.namespace}.{spec.quarantine_table}"),
        ("Iceberg table", f"{spec.namespace}.{naming.tombstone_table_name(spec.table_name)}"),
    ]


def _silver_names(spec: ObjectSpec) -> list[tuple[str, str]]:
    table = naming.silver_table_name(spec.table_name)
    return [
        ("asset key", naming.silver_asset_key(spec.asset_key).to_user_string()),
        ("Iceberg table", f"{spec.namespace}.{table}"),
        ("Iceberg table", f"{spec.namespace}.{naming.quarantine_table_name(table, spec.quarantine_suffix)}"),
    ]
