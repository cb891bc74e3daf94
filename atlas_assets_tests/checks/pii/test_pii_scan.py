"""PII scan checks: undeclared PII found in what a run wrote fails the check; declared PII passes."""

from __future__ import annotations

import json
import random

import dagster as dg
import pyarrow as pa
import pytest
import yaml

from atlas_assets.checks.pii.check import PII_CHECK, pii_check_specs, run_pii_checks
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.resolve import ObjectSpec

FIRST = ["John", "Maria", "Wei", "Ahmed", "Emily", "Olga", "Pierre", "Fatima", "Kenji", "Lucas"]
LAST = ["Smith", "Garcia", "Chen", "Khan", "Johnson", "Petrova", "Dubois", "Haddad", "Tanaka", "Silva"]
CARDS = ["4111 1111 1111 1111", "5500 0000 0000 0004", "3782 822463 10005", "6011 1111 1111 1117"]
ROWS = 400


def object_spec(
    obj: dict | None = None, tenant: dict | None = None, defaults: dict | None = None
) -> ObjectSpec:
    """The spec of `demo.shop.customers`, through the real runner.yaml loader."""
    document = {
        "defaults": {"partitions": {"granularity": "daily", "start": "2026-01-01"}, **(defaults or {})},
        "tenants": {
            "demo": {
                **(tenant or {}),
                "sources": {
                    "shop": {
                        "kind": "sql",
                        "url": "sqlite:///shop.db",
                        "objects": {"customers": {"cursor": "updated_at", **(obj or {})}},
                    }
                },
            }
        },
    }
    _, specs = parse_runner_config(yaml.safe_dump(document), "runner.yaml", {})
    return specs[0]


def people(rows: int = ROWS, seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rows)]
    return {
        "status": [rng.choice(["paid", "pending", "refunded"]) for _ in range(rows)],
        "contact_email": [f"{n.lower().replace(' ', '.')}{i}@example.com" for i, n in enumerate(names)],
        "mobile": [f"+1 212 {rng.randint(200, 999)} {rng.randint(1000, 9999)}" for _ in range(rows)],
        "holder": names,
        "card_number": [rng.choice(CARDS) for _ in range(rows)],
    }


def scan(spec: ObjectSpec, columns: dict[str, list[str]]) -> dg.AssetCheckResult:
    (result,) = run_pii_checks(spec, pa.table(columns))
    return result


def undeclared(result: dg.AssetCheckResult) -> dict[str, dict[str, float]]:
    return result.metadata["undeclared_pii"].value


@pytest.mark.parametrize(
    ("column", "entity"),
    [
        ("contact_email", "EMAIL_ADDRESS"),
        ("mobile", "PHONE_NUMBER"),
        ("holder", "PERSON"),
        ("card_number", "CREDIT_CARD"),
    ],
)
def test_an_undeclared_column_holding_pii_fails_the_check_naming_its_entity(column, entity):
    data = people()

    result = scan(object_spec(), {"status": data["status"], column: data[column]})

    assert result.passed is False
    assert result.check_name == PII_CHECK
    assert undeclared(result)[column][entity] >= 0.9


def test_the_check_passes_when_every_pii_column_is_declared():
    spec = object_spec({"pii": ["contact_email", "mobile", "holder", "card_number"]})

    result = scan(spec, people())

    assert result.passed is True
    assert undeclared(result) == {}


def test_a_column_without_pii_is_not_reported():
    result = scan(object_spec(), {"status": people()["status"], "holder": people()["holder"]})

    assert "status" not in undeclared(result)


def test_hit_rate_is_the_share_of_sampled_rows_holding_the_entity():
    notes = ["call after 5pm"] * 300 + [f"write to buyer{i}@example.org" for i in range(100)]

    result = scan(object_spec(), {"notes": notes})

    assert undeclared(result)["notes"]["EMAIL_ADDRESS"] == pytest.approx(0.25, abs=0.01)


def test_metadata_never_contains_a_scanned_value():
    data = people()

    result = scan(object_spec(), data)

    metadata = json.dumps({key: str(value.value) for key, value in result.metadata.items()})
    text = metadata + (result.description or "")
    for column in data.values():
        for value in set(column):
            assert value not in text


def test_lineage_columns_are_not_scanned():
    emails = people()["contact_email"]

    result = scan(object_spec(), {"status": people()["status"], "_atlas_run_id": emails})

    assert result.passed is True
    assert "_atlas_run_id" not in result.metadata["columns_scanned"].value


def test_on_undeclared_warn_reports_a_non_blocking_warning():
    spec = object_spec(defaults={"pii_scan": {"on_undeclared": "warn"}})

    (check,) = pii_check_specs(spec)
    result = scan(spec, {"mobile": people()["mobile"]})

    assert check.blocking is False
    assert result.severity == dg.AssetCheckSeverity.WARN


def test_on_undeclared_fail_makes_a_blocking_error_check():
    spec = object_spec(defaults={"pii_scan": {"on_undeclared": "fail"}})

    (check,) = pii_check_specs(spec)
    result = scan(spec, {"mobile": people()["mobile"]})

    assert check.blocking is True
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.passed is False


def test_on_undeclared_ignore_declares_no_check_and_scans_nothing():
    spec = object_spec(defaults={"pii_scan": {"on_undeclared": "ignore"}})

    assert pii_check_specs(spec) == []
    assert run_pii_checks(spec, pa.table(people())) == []


def test_excluded_columns_are_not_scanned():
    spec = object_spec({"pii_scan": {"exclude_columns": ["holder"]}})

    result = scan(spec, {"holder": people()["holder"]})

    assert result.passed is True
    assert result.metadata["columns_scanned"].value == []


def test_a_tenant_recognizer_from_runner_yaml_finds_its_entity():
    recognizer = {"entity": "EMPLOYEE_ID", "patterns": [r"\bEMP-\d{6}\b"], "context": ["employee", "staff"]}
    spec = object_spec(tenant={"privacy": {"recognizers": [recognizer]}})

    result = scan(spec, {"staff_ref": [f"EMP-{i:06d}" for i in range(200)]})

    assert undeclared(result)["staff_ref"]["EMPLOYEE_ID"] == 1.0


def test_the_sample_is_capped_at_sample_rows():
    spec = object_spec(defaults={"pii_scan": {"sample_rows": 50}})

    result = scan(spec, {"holder": people(rows=2_000)["holder"]})

    assert result.metadata["sampled_rows"].value == 50


def test_the_same_rows_give_the_same_findings_every_time():
    spec = object_spec(defaults={"pii_scan": {"sample_rows": 100}})
    notes = [f"reach me at user{i}@example.com" if i % 3 == 0 else "no contact" for i in range(5_000)]

    first, second = scan(spec, {"notes": notes}), scan(spec, {"notes": notes})

    assert undeclared(first) == undeclared(second)


def test_empty_data_passes_without_loading_anything():
    result = scan(object_spec(), {"holder": pa.array([], pa.string())})

    assert result.passed is True
    assert result.metadata["sampled_rows"].value == 0


def test_a_lower_case_phrase_in_free_text_is_not_taken_for_a_person():
    notes = ["gift wrap please", "leave at the door", "call on arrival"] * 100

    result = scan(object_spec(), {"notes": notes})

    assert result.passed is True


def test_a_lower_case_name_column_still_counts_as_person():
    names = [name.lower() for name in people()["holder"]]

    result = scan(object_spec(), {"holder": names})

    assert undeclared(result)["holder"]["PERSON"] >= 0.8
