"""`${VAR}` and `${VAR:-default}` in runner.yaml values, resolved from the environment given."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from atlas_assets.config.errors import ConfigProblem, RunnerConfigError
from atlas_assets.config.loader import load_runner_config, parse_runner_config


def location(value: str, env: Mapping[str, str]) -> str:
    """`warehouse.location` after interpolating `value` (a plain, non-secret string field)."""
    # JSON quoting is valid YAML and keeps `$`, `{` and `:` literal for the parser.
    config, _specs = parse_runner_config(f"warehouse:\n  location: {json.dumps(value)}\n", "runner.yaml", env)
    return config.warehouse.location


def problems_for(value: str, env: Mapping[str, str]) -> list[ConfigProblem]:
    with pytest.raises(RunnerConfigError) as caught:
        location(value, env)
    return caught.value.problems


def test_reference_is_replaced_by_the_variable() -> None:
    assert location("${WAREHOUSE}", {"WAREHOUSE": "s3://lake/atlas"}) == "s3://lake/atlas"


def test_default_is_used_when_the_variable_is_unset() -> None:
    assert location("${WAREHOUSE:-.atlas/warehouse}", {}) == ".atlas/warehouse"


def test_variable_wins_over_the_default() -> None:
    assert location("${WAREHOUSE:-.atlas/warehouse}", {"WAREHOUSE": "s3://lake"}) == "s3://lake"


def test_default_is_used_when_the_variable_is_empty_as_in_the_shell() -> None:
    assert location("${WAREHOUSE:-.atlas/warehouse}", {"WAREHOUSE": ""}) == ".atlas/warehouse"


def test_empty_default_gives_an_empty_string() -> None:
    assert location("s3://lake/${PREFIX:-}", {}) == "s3://lake/"


def test_default_may_contain_colons_slashes_and_dollars() -> None:
    assert location("${URL:-http://h:8080/$x}", {}) == "http://h:8080/$x"


def test_several_references_in_one_string_are_all_replaced() -> None:
    env = {"BUCKET": "lake", "TENANT": "acme"}
    assert location("s3://${BUCKET}/${TENANT}/${SUFFIX:-raw}", env) == "s3://lake/acme/raw"


@pytest.mark.parametrize("text", ["$", "price: $5", "$$", "a$b", "$HOME"], ids=str)
def test_dollar_without_a_brace_is_left_alone(text: str) -> None:
    assert location(text, {"HOME": "/root", "b": "x"}) == text


def test_missing_variable_is_a_problem_naming_it_and_where_it_is_used() -> None:
    (problem,) = problems_for("${ATLAS_WAREHOUSE}", {})
    assert (problem.path, problem.line) == ("warehouse.location", 2)
    assert "environment variable ATLAS_WAREHOUSE is not set" in problem.message


def test_the_same_missing_variable_twice_in_one_value_is_one_problem() -> None:
    (problem,) = problems_for("${ROOT}/a/${ROOT}/b", {})
    assert "ROOT" in problem.message


def test_two_missing_variables_in_one_value_are_two_problems() -> None:
    problems = problems_for("${BUCKET}/${PREFIX}", {})
    assert len(problems) == 2
    assert "BUCKET" in problems[0].message
    assert "PREFIX" in problems[1].message


@pytest.mark.parametrize("text", ["${", "${1ST}", "${}", "${A B}", "${A:-${B}}", "${A:default}"], ids=str)
def test_malformed_reference_is_a_problem(text: str) -> None:
    (problem,) = problems_for(text, {"A": "a", "B": "b"})
    assert problem.path == "warehouse.location"
    assert "malformed reference" in problem.message


def test_interpolated_text_is_validated_as_the_field_type() -> None:
    text = "defaults:\n  batch_size: ${BATCH:-500}\n  schedule: {cron: '${CRON}', running: '${RUN:-true}'}\n"
    config, _specs = parse_runner_config(text, "runner.yaml", {"CRON": "0 3 * * *"})
    assert config.defaults.batch_size == 500
    assert config.defaults.schedule is not None
    assert (config.defaults.schedule.cron, config.defaults.schedule.running) == ("0 3 * * *", True)


def test_keys_are_not_interpolated() -> None:
    with pytest.raises(RunnerConfigError) as caught:
        parse_runner_config("tenants:\n  ${TENANT}: {}\n", "runner.yaml", {"TENANT": "acme"})
    assert caught.value.problems[0].path == "tenants.${TENANT}"


def test_parse_reads_only_the_environment_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATLAS_WAREHOUSE", "/from/os/environ")
    (problem,) = problems_for("${ATLAS_WAREHOUSE}", {})
    assert "ATLAS_WAREHOUSE" in problem.message


def test_load_reads_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ATLAS_WAREHOUSE", "/from/os/environ")
    path = tmp_path / "runner.yaml"
    path.write_text("warehouse:\n  location: ${ATLAS_WAREHOUSE}\n")
    config, _specs = load_runner_config(path)
    assert config.warehouse.location == "/from/os/environ"
