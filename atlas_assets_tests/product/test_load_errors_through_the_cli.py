"""Issue 7's load-time errors, each through `dagster definitions validate` as a user meets them.

Every runner.yaml below is wrong in one way; the code location must fail to load with exit code
1, naming the dotted config path of the mistake and its line. The config tests check each
message in detail; this proves the CLI shows them.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from atlas_assets_tests.dagster_processes import BIN

HEADER = """\
defaults:
  partitions: {{granularity: daily, start: "{start}"}}
warehouse:
  catalog: {{type: sql, uri: "sqlite:///{root}/catalog.db"}}
  location: "{root}/warehouse"
  quarantine_suffix: "{suffix}"
tenants:
"""
SHOP = 'kind: sql, url: "sqlite:///{root}/shop.db"'

# id → (tenants section, dotted path reported, text on the reported line, runner-wide settings)
CASES: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "tenant name holding the separator": (
        "  alpha__beta:\n    sources:\n      db: {" + SHOP + ", objects: [orders]}\n",
        "tenants.alpha__beta",
        "alpha__beta:",
        {},
    ),
    "source name holding the separator": (
        "  alpha:\n    sources:\n      beta__db: {" + SHOP + ", objects: [orders]}\n",
        "tenants.alpha.sources.beta__db",
        "beta__db:",
        {},
    ),
    "object named like a quarantine table": (
        "  alpha:\n    sources:\n      db: {" + SHOP + ", objects: {items: {}, items__quarantine: {}}}\n",
        "tenants.alpha.sources.db.objects.items__quarantine",
        "items__quarantine",
        {},
    ),
    "empty quarantine suffix": (
        "  alpha:\n    sources:\n      db: {" + SHOP + ", objects: [orders]}\n",
        "warehouse.quarantine_suffix",
        "quarantine_suffix:",
        {"suffix": ""},
    ),
    "unknown column type": (
        "  alpha:\n    sources:\n      db:\n        "
        + SHOP.replace(", ", "\n        ")
        + "\n        objects:\n          orders: {cursor: at, column_types: {price: money}}\n",
        "tenants.alpha.sources.db.objects.orders.column_types.price",
        "money",
        {},
    ),
    "decimal scale above its precision": (
        "  alpha:\n    sources:\n      db:\n        "
        + SHOP.replace(", ", "\n        ")
        + "\n        objects:\n          orders: {cursor: at, column_types: {price: 'decimal(5,9)'}}\n",
        "tenants.alpha.sources.db.objects.orders.column_types.price",
        "decimal(5,9)",
        {},
    ),
    "decimal wider than Iceberg allows": (
        "  alpha:\n    sources:\n      db:\n        "
        + SHOP.replace(", ", "\n        ")
        + "\n        objects:\n          orders: {cursor: at, column_types: {price: 'decimal(50,2)'}}\n",
        "tenants.alpha.sources.db.objects.orders.column_types.price",
        "decimal(50,2)",
        {},
    ),
    "url that is not one": (
        "  alpha:\n    sources:\n      db:\n        kind: sql\n"
        '        url: "not a url"\n        objects: [orders]\n',
        "tenants.alpha.sources.db.url",
        "not a url",
        {},
    ),
    "partitions starting in the future": (
        "  alpha:\n    sources:\n      db: {" + SHOP + ", objects: {orders: {cursor: at}}}\n",
        "defaults.partitions.start",
        "start:",
        {"start": "2999-01-01"},
    ),
    "cursor on a replace object": (
        "  alpha:\n    sources:\n      db:\n        "
        + SHOP.replace(", ", "\n        ")
        + "\n        objects:\n          orders: {cursor: at, write: replace}\n",
        "tenants.alpha.sources.db.objects.orders.cursor",
        "write: replace",
        {},
    ),
    "primary key column listed twice": (
        "  alpha:\n    sources:\n      db:\n        "
        + SHOP.replace(", ", "\n        ")
        + "\n        objects:\n          orders: {primary_key: [id, id]}\n",
        "tenants.alpha.sources.db.objects.orders.primary_key",
        "[id, id]",
        {},
    ),
}


def validate(tmp: Path, runner_yaml: Path) -> subprocess.CompletedProcess[str]:
    home = tmp / "dagster_home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ATLAS_DAGSTER_PG_URL"}
    env.update(DAGSTER_HOME=str(home), ATLAS_RUNNER_CONFIG=str(runner_yaml))
    return subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-m", "atlas_assets.definitions"],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_definitions_validate_names_the_path_and_line_of_the_mistake(tmp_path: Path, case: str) -> None:
    tenants, path, marker, settings = CASES[case]
    header = HEADER.format(root=tmp_path, **{"start": "2026-01-01", "suffix": "__quarantine", **settings})
    text = header + tenants.replace("{root}", str(tmp_path))
    runner_yaml = tmp_path / "runner.yaml"
    runner_yaml.write_text(text)

    completed = validate(tmp_path, runner_yaml)

    assert completed.returncode == 1, completed.stdout[-3000:]
    assert f"line {line_of(text, marker)}: {path}" in completed.stdout, completed.stdout[-3000:]


@pytest.mark.slow
def test_definitions_validate_rejects_an_alias_bomb_at_once_naming_it(tmp_path: Path) -> None:
    anchors = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    anchors += [f"l{i}: &l{i} [{', '.join(f'*l{i - 1}' for _ in range(9))}]" for i in range(1, 9)]
    runner_yaml = tmp_path / "runner.yaml"
    runner_yaml.write_text("\n".join(anchors) + "\ntenants: {}\n")

    completed = validate(tmp_path, runner_yaml)

    assert completed.returncode == 1, completed.stdout[-3000:]
    assert "aliases expand to more than" in completed.stdout


@pytest.mark.slow
def test_definitions_validate_reports_an_unclosed_quote_on_the_line_that_opens_it(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        tenants:
          alpha:
            sources:
              db:
                kind: sql
                url: "sqlite:///shop.db
                objects: [orders]
          beta:
            sources: {}
        """
    )
    runner_yaml = tmp_path / "runner.yaml"
    runner_yaml.write_text(text)

    completed = validate(tmp_path, runner_yaml)

    assert completed.returncode == 1, completed.stdout[-3000:]
    assert f"line {line_of(text, 'url:')}" in completed.stdout
    assert "quote" in completed.stdout
