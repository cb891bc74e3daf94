"""GDPR erase of a subject however the tables store it: silver copies, hashed key columns, email case.

Each test materializes a real shop through the code location's assets, then runs the code
location's `gdpr_erase` job on the same instance with the run config the README documents, and
reads the rows left in Iceberg.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from atlas_assets.gdpr import SALT_ENV_VAR
from atlas_assets_tests.harness import START, Platform, Shop, platform

SECRET = "demo-privacy-secret-0123"
SUBJECT = "Quinn.Nakamura@Example.com"
HOUR = dt.timedelta(hours=1)
TOO_BIG_ID = 3_000_000_009


def customers_runner(shop: Shop, masking: str, policy: str) -> str:
    return f"""
    tenants:
      demo:
        privacy: {{secret: "{SECRET}"}}
        pii_scan: {{masking: {masking}}}
        sources:
          shop:
            kind: sql
            url: "{shop.url}"
            objects:
              customers:
                cursor: updated_at
                primary_key: [id]
                column_types: {{id: int32}}
                pii: {{email: {policy}}}
                subject_keys: {{email: email}}
    """


@pytest.fixture(autouse=True)
def salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SALT_ENV_VAR, "test-salt-7f3a")


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    """Quinn's address spelled three ways, two other customers, and one row of Quinn's that fails
    validation (its id does not fit the declared int32) and lands in quarantine."""
    shop = Shop(tmp_path / "shop.db")
    emails = [
        SUBJECT,
        "bob@example.com",
        "quinn.nakamura@example.com",
        "cy@example.com",
        "QUINN.NAKAMURA@EXAMPLE.COM",
    ]
    rows: list[dict[str, Any]] = [
        {"id": i, "email": email, "updated_at": START + i * HOUR} for i, email in enumerate(emails)
    ]
    rows.append({"id": TOO_BIG_ID, "email": SUBJECT, "updated_at": START + 9 * HOUR})
    shop.insert(shop.customers, rows)
    return shop


def materialized(tmp_path: Path, shop: Shop, masking: str, policy: str) -> Platform:
    atlas = platform(tmp_path, customers_runner(shop, masking, policy))
    silver = masking == "silver" and policy != "keep"
    keys = ["demo/shop/customers"] + (["demo/shop/customers_silver"] if silver else [])
    assert atlas.materialize(*keys, partition="2026-01-01").success
    return atlas


def erase(atlas: Platform, subject: str, monkeypatch: pytest.MonkeyPatch) -> dg.ExecuteInProcessResult:
    """`gdpr_erase` with the README's run config: the subject passed through an environment variable."""
    monkeypatch.setenv("ERASE_SUBJECT", subject)
    run_config = {
        "ops": {
            "erase_subject": {
                "config": {"tenant": "demo", "key": "email", "subject_env_var": "ERASE_SUBJECT"}
            }
        }
    }
    return atlas.defs.get_job_def("gdpr_erase").execute_in_process(
        run_config=run_config, instance=atlas.instance
    )


def ids(atlas: Platform, table: str) -> list[int]:
    return sorted(atlas.table(table).column("id").to_pylist())


def quarantined_ids(atlas: Platform, table: str) -> list[int]:
    return sorted(json.loads(text)["id"] for text in atlas.table(table).column("_atlas_row").to_pylist())


def output_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    [event] = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"]
    return {key: value.value for key, value in event.step_output_data.metadata.items()}


def test_emails_are_matched_without_regard_to_case(tmp_path, shop, monkeypatch):
    atlas = materialized(tmp_path, shop, masking="on_write", policy="keep")

    erase(atlas, "quinn.nakamura@example.com", monkeypatch)

    assert ids(atlas, "shop__customers") == [1, 3]


def test_quarantined_rows_are_matched_without_regard_to_case(tmp_path, shop, monkeypatch):
    atlas = materialized(tmp_path, shop, masking="on_write", policy="keep")
    assert quarantined_ids(atlas, "shop__customers__quarantine") == [TOO_BIG_ID]

    erase(atlas, "QUINN.nakamura@example.COM", monkeypatch)

    assert atlas.table("shop__customers__quarantine").num_rows == 0


def test_the_silver_copy_loses_the_subjects_rows_when_its_key_column_is_masked(tmp_path, shop, monkeypatch):
    atlas = materialized(tmp_path, shop, masking="silver", policy="mask")
    assert ids(atlas, "shop__customers_silver") == [0, 1, 2, 3, 4]

    result = erase(atlas, SUBJECT, monkeypatch)

    assert ids(atlas, "shop__customers_silver") == [1, 3]
    assert ids(atlas, "shop__customers") == [1, 3]
    assert output_metadata(result)["rows_removed"]["shop__customers_silver"] == 3


def test_the_silver_copy_loses_the_subjects_rows_when_its_key_column_is_hashed(tmp_path, shop, monkeypatch):
    atlas = materialized(tmp_path, shop, masking="silver", policy="hash")

    erase(atlas, "quinn.nakamura@example.com", monkeypatch)

    assert ids(atlas, "shop__customers") == [1, 3]
    # Silver holds digests: the lower-case spelling is found, the others were hashed as spelled.
    assert ids(atlas, "shop__customers_silver") == [0, 1, 3, 4]


def test_a_key_column_hashed_on_write_is_erased_by_the_subjects_digest(tmp_path, shop, monkeypatch):
    atlas = materialized(tmp_path, shop, masking="on_write", policy="hash")

    result = erase(atlas, SUBJECT, monkeypatch)

    # The digests of the spelling given and of its lower-case form: ids 0 and 2 (and the quarantined row).
    assert ids(atlas, "shop__customers") == [1, 3, 4]
    assert atlas.table("shop__customers__quarantine").num_rows == 0
    assert output_metadata(result)["rows_removed_total"] == 3


def test_a_subject_found_nowhere_is_a_warning_in_the_run_log_and_in_metadata(tmp_path, shop, monkeypatch):
    atlas = materialized(tmp_path, shop, masking="on_write", policy="keep")

    result = erase(atlas, "nobody@example.com", monkeypatch)

    assert result.success
    metadata = output_metadata(result)
    assert metadata["subject_found"] is False
    assert metadata["rows_removed_total"] == 0
    warnings = [r.user_message for r in atlas.instance.all_logs(result.run_id) if r.level == logging.WARNING]
    assert any("nothing was erased" in message for message in warnings)
    assert ids(atlas, "shop__customers") == [0, 1, 2, 3, 4]
