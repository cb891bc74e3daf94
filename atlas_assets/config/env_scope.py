"""Which `${VAR}` each place of runner.yaml may name: a tenant reads only its own variables.

A variable belongs to the tenant whose upper-case name plus `_` starts it (`ACME_STRIPE_KEY` is
`acme`'s); the longest such tenant wins, so with tenants `acme` and `acme_eu`, `ACME_EU_KEY` is
`acme_eu`'s and `acme` cannot read it. Variables no tenant owns are the platform's (`ATLAS_*` and
the rest): `warehouse` and top-level `defaults` may name them, a tenant only when it lists them
under its own `shared_env` (an explicit opt-in, visible per tenant). No opt-in grants another
tenant's variable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from atlas_assets.config.yaml_source import Path

PLATFORM_SECTIONS = ("warehouse", "defaults")
SHARED_ENV_KEY = "shared_env"


@dataclass(frozen=True)
class EnvScope:
    """The tenants of one runner.yaml and the platform variables each opted into."""

    tenants: tuple[str, ...]
    shared: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, data: Any) -> EnvScope:
        """The scope of a parsed (not yet validated) runner.yaml."""
        tenants = data.get("tenants") if isinstance(data, dict) else None
        if not isinstance(tenants, dict):
            return cls((), {})
        shared = {
            name: frozenset(v for v in body.get(SHARED_ENV_KEY) or () if isinstance(v, str))
            for name, body in tenants.items()
            if isinstance(body, dict) and isinstance(body.get(SHARED_ENV_KEY), list)
        }
        return cls(tuple(str(name) for name in tenants), shared)

    @classmethod
    def for_tenants(cls, shared_env: Mapping[str, Iterable[str]]) -> EnvScope:
        """The scope of validated tenants: tenant name → the platform variables it lists in `shared_env`."""
        return cls(tuple(shared_env), {name: frozenset(names) for name, names in shared_env.items()})

    def owner(self, variable: str) -> str | None:
        """The tenant `variable` belongs to (longest matching prefix), or None for a platform variable."""
        owners = [t for t in self.tenants if variable.startswith(f"{t.upper()}_")]
        return max(owners, key=len, default=None)

    def problem(self, path: Path, variable: str) -> str | None:
        """Why the value at `path` may not name `variable`, or None when it may."""
        owner = self.owner(variable)
        if len(path) >= 2 and path[0] == "tenants":
            tenant = str(path[1])
            own = f"tenants.{tenant} may name only its own variables ({tenant.upper()}_*)"
            if owner == tenant:
                return None
            if owner is not None:
                return f"${{{variable}}} belongs to tenant {owner}; {own}"
            if variable in self.shared.get(tenant, frozenset()):
                return None
            return (
                f"${{{variable}}} is a platform variable (it belongs to no tenant); {own}, or platform "
                f"variables it lists under tenants.{tenant}.{SHARED_ENV_KEY}"
            )
        if path and path[0] in PLATFORM_SECTIONS:
            if owner is None:
                return None
            return f"${{{variable}}} belongs to tenant {owner}; name it only under tenants.{owner}"
        return None  # elsewhere the key itself is reported as unknown
