"""Values that parse as YAML but could never work are load-time errors at their path and line.

Each of these used to load silently and fail (or do nothing) only when a run reached them.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.yaml_source import MIN_EXPANDED_VALUES
from atlas_assets_tests.config.problems import marked_line, problems_of

OBJECT = """\
defaults:
  partitions: {{start: "2026-01-01"}}
tenants:
  acme:
    sources:
      app_db:
        kind: sql
        url: "sqlite:///app.db"
        objects:
          orders:
            {key}  # <-- here
"""
ORDERS = "tenants.acme.sources.app_db.objects.orders"


def only_problem(text: str) -> ConfigProblem:
    (problem,) = problems_of(text)
    return problem


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("money", "unknown column type 'money'; expected one of: int32, int64"),
        ("decimal(5,9)", "column type 'decimal(5,9)': scale must not exceed precision"),
        ("decimal(50,2)", "column type 'decimal(50,2)': precision must be between 1 and 38"),
    ],
)
def test_a_column_type_that_cannot_be_written_is_rejected_at_its_column(declared: str, expected: str) -> None:
    text = OBJECT.format(key=f"column_types: {{amount: '{declared}'}}")

    problem = only_problem(text)

    assert (problem.path, problem.line) == (f"{ORDERS}.column_types.amount", marked_line(text))
    assert expected in problem.message


@pytest.mark.parametrize(
    ("kind", "url", "expected"),
    [
        ("sql", "not a url", "is not a database URL"),
        (
            "sql",
            "postgres://u:hunter2@db/app",
            "names the database kind 'postgres', which SQLAlchemy does not know",
        ),
        ("postgres", "db.internal:5432/hunter2", "is not a database URL"),
    ],
)
def test_a_url_that_is_not_one_is_rejected_without_showing_it(kind: str, url: str, expected: str) -> None:
    text = f"""\
    tenants:
      acme:
        sources:
          app_db:
            kind: {kind}
            url: "{url}"  # <-- here
            objects: [orders]
    """

    with pytest.raises(RunnerConfigError) as caught:
        parse_runner_config(textwrap.dedent(text), "runner.yaml", {})

    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("tenants.acme.sources.app_db.url", marked_line(text))
    assert expected in problem.message
    assert "hunter2" not in str(caught.value)


def test_a_cursor_on_a_replace_object_is_rejected() -> None:
    text = OBJECT.format(key="{cursor: updated_at, write: replace}")

    problem = only_problem(text)

    assert (problem.path, problem.line) == (f"{ORDERS}.cursor", marked_line(text))
    assert "write mode 'replace' reads the whole table and never uses a cursor" in problem.message


def test_a_primary_key_column_listed_twice_is_rejected() -> None:
    text = OBJECT.format(key="write: replace\n            primary_key: [id, id]")

    problem = only_problem(text)

    assert (problem.path, problem.line) == (f"{ORDERS}.primary_key", marked_line(text))
    assert problem.message == "column 'id' is listed more than once"


def test_a_start_with_no_complete_partition_yet_is_rejected_where_it_is_written() -> None:
    next_year = dt.date.today().year + 1
    text = f"""\
    defaults:
      partitions: {{start: "{next_year}-01-01"}}  # <-- here
    tenants:
      acme:
        sources:
          app_db:
            kind: sql
            url: "sqlite:///app.db"
            objects: {{orders: {{cursor: created_at}}, refunds: {{cursor: created_at}}}}
    """

    problem = only_problem(text)

    assert (problem.path, problem.line) == ("defaults.partitions.start", marked_line(text))
    assert problem.message.startswith(
        f"{next_year}-01-01 leaves no complete daily partition yet, so 2 objects (first {ORDERS}) "
        "would have nothing to materialize"
    )


def test_a_start_in_the_past_loads() -> None:
    _config, specs = parse_runner_config(OBJECT.format(key="cursor: created_at"), "runner.yaml", {})

    assert [spec.name for spec in specs] == ["orders"]


def test_an_alias_bomb_is_rejected_before_it_is_expanded() -> None:
    # Nine levels of nine aliases: a billion values if expanded.
    anchors = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    anchors += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    text = "bomb:\n" + "\n".join(anchors) + "\ndefaults:\n  owners: *l8\n"

    problem = only_problem(text)

    assert (problem.path, problem.line) == ("bomb", 1)
    assert f"its aliases expand to more than {MIN_EXPANDED_VALUES:,} values" in problem.message


def test_aliases_that_repeat_a_block_load() -> None:
    text = """\
    defaults:
      partitions: {start: "2026-01-01"}
    tenants:
      acme:
        sources:
          app_db:
            kind: sql
            url: "sqlite:///app.db"
            objects:
              orders: &incremental {cursor: updated_at, primary_key: [id], write: upsert}
              refunds: *incremental
              invoices: {<<: *incremental, lookback: 2h}
    """

    _config, specs = parse_runner_config(textwrap.dedent(text), "runner.yaml", {})

    assert {spec.name: spec.write_mode.value for spec in specs} == dict.fromkeys(
        ["orders", "refunds", "invoices"], "upsert"
    )


def unclosed_quote_file(cursor_line: str) -> str:
    """Objects on lines 10..29; line 16 holds `cursor_line`, line 28 a correctly quoted value."""
    head = "defaults:\n  partitions: {start: '2026-01-01'}\ntenants:\n  acme:\n    sources:\n"
    head += "      app_db:\n        kind: sql\n        url: sqlite:///app.db\n        objects:\n"
    lines = [f"          o{n}: {{cursor: c}}" for n in range(10, 30)]
    lines[16 - 10] = cursor_line
    lines[28 - 10] = '          o28: {cursor: "c"}'
    return head + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "cursor_line",
    ['          o16: {cursor: "c}', "          o16: {cursor: 'c}"],
    ids=["double", "single"],
)
def test_an_unclosed_quote_is_reported_on_its_own_line(cursor_line: str) -> None:
    text = unclosed_quote_file(cursor_line)
    if "'" in cursor_line:
        text = text.replace('"c"', "'c'")

    problem = only_problem(text)

    quote = cursor_line[-3]
    assert problem.line == 16
    assert problem.message == (
        f"invalid YAML: the quote ({quote}) opened on this line is not closed on it, so the string runs "
        f"on to the next {quote} on line 28, where parsing fails"
    )


def test_a_quote_never_closed_is_reported_on_its_own_line() -> None:
    text = unclosed_quote_file('          o16: {cursor: "c}').replace('"c"', "c")

    problem = only_problem(text)

    assert (problem.line, problem.message) == (
        16,
        "invalid YAML: the quote opened on this line is never closed",
    )
