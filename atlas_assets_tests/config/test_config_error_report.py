"""How a RunnerConfigError reads to a person: a header, then one line per problem in file order."""

from __future__ import annotations

import pytest

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import parse_runner_config

THREE_MISTAKES = """\
defaults:
  partitions: {start: "2026-01-01", timezone: Moon/Base}
tenants:
  acme:
    sources:
      app_db:
        kind: sql
        url: ${ACME_DB_URL}
        objects:
          orders: {cursor: created_at, colour: red}
"""


def report_of(text: str, file: str = "runner.yaml") -> str:
    with pytest.raises(RunnerConfigError) as caught:
        parse_runner_config(text, file, {})
    return str(caught.value)


def test_header_names_the_file_and_the_problem_count() -> None:
    header = report_of(THREE_MISTAKES, "/srv/atlas/runner.yaml").splitlines()[0]
    assert header == "/srv/atlas/runner.yaml: 3 problems in the runner config"


def test_header_is_singular_for_one_problem() -> None:
    header = report_of("defaults: {colour: red}\n").splitlines()[0]
    assert header == "runner.yaml: 1 problem in the runner config"


def test_each_problem_is_one_indented_line_with_line_number_path_and_message() -> None:
    lines = report_of(THREE_MISTAKES).splitlines()[1:]
    assert len(lines) == 3
    assert lines[0].startswith("  line 2: defaults.partitions.timezone: unknown timezone 'Moon/Base'")
    assert lines[1].startswith("  line 8: tenants.acme.sources.app_db.url: environment variable ACME_DB_URL")
    assert lines[2].startswith(
        "  line 10: tenants.acme.sources.app_db.objects.orders.colour: unknown key 'colour'"
    )


def test_problems_are_sorted_by_line_whatever_order_they_were_found_in() -> None:
    error = RunnerConfigError(
        "runner.yaml",
        [ConfigProblem("b", "second", 9), ConfigProblem("a", "first", 3), ConfigProblem("c", "third", 12)],
    )
    assert [p.line for p in error.problems] == [3, 9, 12]
    assert str(error).splitlines()[1:] == ["  line 3: a: first", "  line 9: b: second", "  line 12: c: third"]


def test_problems_without_a_line_come_before_those_with_one() -> None:
    error = RunnerConfigError("runner.yaml", [ConfigProblem("a", "late", 4), ConfigProblem("", "whole file")])
    assert str(error).splitlines()[1:] == ["  whole file", "  line 4: a: late"]


def test_a_multi_line_message_stays_on_one_report_line() -> None:
    problem = ConfigProblem("defaults.owners", "first part\nsecond part", 2)
    assert str(problem) == "line 2: defaults.owners: first part second part"


def test_a_yaml_syntax_error_gives_the_failing_line_and_where_the_construct_began() -> None:
    report = report_of("tenants:\n  acme: [one\n")
    assert report.splitlines()[1] == (
        "  line 3: invalid YAML: did not find expected ',' or ']'"
        " while parsing a flow sequence that starts on line 2"
    )
