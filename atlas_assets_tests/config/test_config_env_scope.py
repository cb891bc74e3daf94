"""`${VAR}` scoping: a tenant names only its own variables; platform ones live in warehouse/defaults."""

from __future__ import annotations

import textwrap

import pytest

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import parse_runner_config

ENV = {
    "ALPHA_PG_URL": "sqlite:///alpha.db",
    "BETA_PG_URL": "sqlite:///beta.db",
    "BETA_PW": "beta-password",
    "ACME_KEY": "sqlite:///acme.db",
    "ACME_EU_KEY": "sqlite:///acme-eu.db",
    "ATLAS_CATALOG_URI": "sqlite:///catalog.db",
    "SMTP_PASSWORD": "sqlite:///smtp.db",
}


def runner(tenants: dict[str, str], top: str = "") -> str:
    """A runner.yaml whose tenants each have one sql source `db` with the given `url`."""
    body = "".join(
        f'  {name}:\n    sources:\n      db: {{kind: sql, url: "{url}", objects: [items]}}\n'
        for name, url in tenants.items()
    )
    return textwrap.dedent(top) + "tenants:\n" + body


def problems_of(text: str) -> list[ConfigProblem]:
    with pytest.raises(RunnerConfigError) as caught:
        parse_runner_config(text, "runner.yaml", ENV)
    return caught.value.problems


def loads(text: str) -> None:
    parse_runner_config(text, "runner.yaml", ENV)


def test_a_tenant_cannot_read_another_tenants_variable():
    (problem,) = problems_of(runner({"alpha": "${BETA_PG_URL}", "beta": "${BETA_PG_URL}"}))

    assert (problem.path, problem.line) == ("tenants.alpha.sources.db.url", 4)
    assert "${BETA_PG_URL} belongs to tenant beta" in problem.message
    assert "tenants.alpha may name only its own variables (ALPHA_*)" in problem.message


def test_a_reference_embedded_in_a_longer_value_is_scoped_too():
    (problem,) = problems_of(runner({"alpha": "postgresql://u:${BETA_PW}@db/app", "beta": "${BETA_PG_URL}"}))

    assert problem.path == "tenants.alpha.sources.db.url"
    assert "${BETA_PW} belongs to tenant beta" in problem.message
    assert "beta-password" not in problem.message


def test_the_longest_tenant_prefix_owns_a_variable():
    (problem,) = problems_of(runner({"acme": "${ACME_EU_KEY}", "acme_eu": "${ACME_EU_KEY}"}))

    assert problem.path == "tenants.acme.sources.db.url"
    assert "${ACME_EU_KEY} belongs to tenant acme_eu" in problem.message


def test_each_tenant_reads_its_own_variables():
    loads(runner({"acme": "${ACME_KEY}", "acme_eu": "${ACME_EU_KEY}", "alpha": "${ALPHA_PG_URL:-x}"}))


def test_a_platform_variable_is_not_a_tenants():
    (problem,) = problems_of(runner({"alpha": "${ATLAS_CATALOG_URI}"}))

    assert problem.path == "tenants.alpha.sources.db.url"
    assert "${ATLAS_CATALOG_URI} is a platform variable (it belongs to no tenant)" in problem.message
    assert "tenants.alpha.shared_env" in problem.message


def test_a_tenant_may_opt_into_a_platform_variable_for_itself_only():
    text = runner({"alpha": "${SMTP_PASSWORD}", "beta": "${SMTP_PASSWORD}"})
    text = text.replace("  alpha:\n", "  alpha:\n    shared_env: [SMTP_PASSWORD]\n")

    (problem,) = problems_of(text)

    assert problem.path == "tenants.beta.sources.db.url"
    assert "${SMTP_PASSWORD} is a platform variable" in problem.message


def test_an_opt_in_cannot_grant_another_tenants_variable():
    text = runner({"alpha": "${BETA_PG_URL}", "beta": "${BETA_PG_URL}"})
    text = text.replace("  alpha:\n", "  alpha:\n    shared_env: [BETA_PG_URL]\n")

    (problem,) = problems_of(text)

    assert "${BETA_PG_URL} belongs to tenant beta" in problem.message


def test_the_warehouse_cannot_read_a_tenants_variable():
    top = """\
    warehouse:
      catalog: {uri: "${BETA_PG_URL}"}
    """
    (problem,) = problems_of(runner({"beta": "${BETA_PG_URL}"}, top))

    assert (problem.path, problem.line) == ("warehouse.catalog.uri", 2)
    assert "${BETA_PG_URL} belongs to tenant beta; name it only under tenants.beta" in problem.message


def test_warehouse_and_defaults_read_platform_variables():
    top = """\
    defaults:
      partitions: {start: "${ATLAS_START:-2026-01-01}"}
    warehouse:
      catalog: {uri: "${ATLAS_CATALOG_URI}"}
    """
    loads(runner({"alpha": "${ALPHA_PG_URL}"}, top))


def test_a_misplaced_variable_is_never_read_even_to_report_it_unset():
    (problem,) = problems_of(runner({"alpha": "${BETA_UNSET_URL}", "beta": "${BETA_PG_URL}"}))

    assert "${BETA_UNSET_URL} belongs to tenant beta" in problem.message
    assert "not set" not in problem.message
