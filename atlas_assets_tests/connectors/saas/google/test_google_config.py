"""runner.yaml for `kind: google_sheets` and `kind: google_drive`: defaults, modes checked at load."""

from __future__ import annotations

import textwrap

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets.config.objects import WriteMode

ENV = {"ACME_GOOGLE_KEY": '{"type": "service_account", "private_key": "s3cr3t-key"}'}


def parse(objects: str):
    text = textwrap.dedent(f"""
        defaults:
          partitions: {{start: "2026-01-01"}}
        tenants:
          acme:
            sources:
              sheets:
                kind: google_sheets
                credentials: "${{ACME_GOOGLE_KEY}}"
                objects: {objects}
        """)
    config, _ = parse_runner_config(text, "runner.yaml", ENV)
    return config.tenants["acme"].sources["sheets"]


def problems(objects: str) -> str:
    with pytest.raises(RunnerConfigError) as caught:
        parse(objects)
    return str(caught.value)


def test_a_worksheet_is_replaced_by_default_with_an_auto_header():
    budget = parse("{budget: {spreadsheet: abc}}").objects["budget"]

    assert (budget.write_mode, budget.header_row, budget.dedupe_headers) == (WriteMode.REPLACE, "auto", False)


def test_the_credentials_reach_the_resource_as_their_runner_yaml_text():
    resource = parse("{budget: {spreadsheet: abc}}").build_resource()

    assert resource.credentials == "${ACME_GOOGLE_KEY}"


def test_a_bad_a1_range_is_a_load_error_naming_the_object_and_line():
    message = problems("{budget: {spreadsheet: abc, range: 'A1-F9'}}")

    assert "line 10: tenants.acme.sources.sheets.objects.budget.range: 'A1-F9' is not an A1 range" in message


def test_windowed_write_modes_are_rejected_naming_write():
    message = problems("{budget: {spreadsheet: abc, cursor: at, write: upsert, primary_key: id}}")

    assert "tenants.acme.sources.sheets.objects.budget.write" in message
    assert "written as `replace` or `snapshot`" in message


def test_a_header_row_below_one_is_rejected():
    message = problems("{budget: {spreadsheet: abc, header_row: 0}}")

    assert "tenants.acme.sources.sheets.objects.budget.header_row" in message


def drive(objects: str):
    text = textwrap.dedent(f"""
        defaults:
          partitions: {{start: "2026-01-01"}}
        tenants:
          acme:
            sources:
              drive:
                kind: google_drive
                credentials: "${{ACME_GOOGLE_KEY}}"
                objects: {objects}
        """)
    config, _ = parse_runner_config(text, "runner.yaml", ENV)
    return config.tenants["acme"].sources["drive"]


def test_a_drive_object_replaces_files_by_their_modified_time_by_default():
    orders = drive("{orders: {folder_id: f1}}").objects["orders"]

    assert (orders.write_mode, orders.cursor, orders.file_glob("orders")) == (
        WriteMode.PARTITION_OVERWRITE,
        "_drive_modified",
        "orders*.csv",
    )


def test_a_drive_object_written_otherwise_is_a_load_error_naming_write():
    with pytest.raises(RunnerConfigError) as caught:
        drive("{orders: {folder_id: f1, write: snapshot}}")

    assert "tenants.acme.sources.drive.objects.orders.write: google_drive objects replace" in str(
        caught.value
    )
