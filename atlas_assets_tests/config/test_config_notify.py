"""runner.yaml `notify:`: targets validated with path and line, the nearest level's list wins."""

from __future__ import annotations

import textwrap

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config

HOOK = "https://hooks.slack.example/services/T0/B0/secret"


def load(tenants: str, defaults: str = "", env: dict[str, str] | None = None):
    text = textwrap.dedent(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        """
    )
    text += textwrap.indent(textwrap.dedent(defaults), "  ")
    text += "tenants:\n" + textwrap.indent(textwrap.dedent(tenants), "  ")
    return parse_runner_config(text, "runner.yaml", env or {"ACME_HOOK": HOOK, "ATLAS_HOOK": HOOK})


SHOP = """\
shop:
  kind: sql
  url: "sqlite:///shop.db"
  objects: [orders]
"""


def tenant(name: str, notify: str = "", sources: str = SHOP) -> str:
    return f"{name}:\n{textwrap.indent(notify, '  ')}  sources:\n{textwrap.indent(sources, '    ')}"


def test_each_object_gets_the_nearest_levels_targets_and_where_they_were_set() -> None:
    silenced = SHOP.replace("  kind: sql", "  notify: []\n  kind: sql")
    _config, specs = load(
        tenant("acme", 'notify: [{kind: webhook, url: "${ACME_HOOK}"}]\n')
        + tenant("beta")
        + tenant("gamma", sources=silenced),
        defaults='notify: [{kind: slack, url: "${ATLAS_HOOK}"}]\n',
    )

    by_tenant = {spec.tenant: spec for spec in specs}
    assert [t.kind for t in by_tenant["acme"].notify] == ["webhook"]
    assert by_tenant["acme"].notify_path == "tenants.acme"
    assert [t.kind for t in by_tenant["beta"].notify] == ["slack"]
    assert by_tenant["beta"].notify_path == "defaults"
    assert by_tenant["gamma"].notify == ()


def test_a_webhook_url_is_a_secret_that_keeps_its_variable_name() -> None:
    _config, [spec] = load(tenant("acme", 'notify: [{kind: slack, url: "${ACME_HOOK}"}]\n'))

    [target] = spec.notify
    assert target.url.env_var == "ACME_HOOK"
    assert HOOK not in repr(target)
    assert HOOK not in target.model_dump_json()


def test_a_tenant_target_cannot_name_another_tenants_variable() -> None:
    with pytest.raises(RunnerConfigError) as raised:
        load(tenant("acme", 'notify: [{kind: slack, url: "${BETA_HOOK}"}]\n') + tenant("beta"))

    [problem] = raised.value.problems
    assert problem.path == "tenants.acme.notify.0.url"
    assert "BETA_HOOK" in problem.message


@pytest.mark.parametrize(
    ("notify", "path", "message"),
    [
        ("notify: [{kind: pager, url: x}]", "tenants.acme.notify.0.kind", "'pager'"),
        ('notify: [{kind: webhook, url: "ftp://x"}]', "tenants.acme.notify.0.url", "http:// or https://"),
        (
            "notify: [{kind: email, host: smtp.example, from: a@b.example}]",
            "tenants.acme.notify.0.to",
            "required key is missing",
        ),
        (
            "notify: [{kind: email, host: h, from: nobody, to: [x@y.example]}]",
            "tenants.acme.notify.0.from",
            "should match pattern",
        ),
    ],
    ids=["unknown-kind", "not-http", "email-without-to", "bad-from"],
)
def test_a_bad_target_is_reported_at_its_path_and_line(notify: str, path: str, message: str) -> None:
    with pytest.raises(RunnerConfigError) as raised:
        load(tenant("acme", notify + "\n"))

    [problem] = raised.value.problems
    assert problem.path == path
    assert problem.line == 5
    assert message in problem.message
