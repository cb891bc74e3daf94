"""The file-arrival sensor's rules, tick by tick on the real sensor of a runner.yaml (the daemon
runs the same sensor in `product/test_file_arrival_in_daemon.py`)."""

from __future__ import annotations

import json
import os

import dagster as dg
import pytest

from atlas_assets_tests.ops.file_arrival.conftest import spans

PAYMENTS = """\
tenants:
  demo:
    sources:
      files:
        kind: csv
        path: "{root}/demo"
        sensor: {{file_arrival: true}}
        objects:
          payments: {{cursor: paid_at{extra}}}
"""


def _csv(*days: str) -> str:
    return "id,paid_at\n" + "".join(f"{i},{day}T10:00:00\n" for i, day in enumerate(days))


def _payments(files, extra: str = ""):
    (files.root / "demo").mkdir(exist_ok=True)
    defs = files.load(PAYMENTS.format(root=files.root, extra=extra))
    return files.sensor(defs, "demo", "files", "payments")


def test_files_landing_in_one_tick_are_merged_into_one_run_per_run_of_consecutive_partitions(files):
    sensor = _payments(files)
    sensor.tick()
    files.write("demo/payments_a.csv", _csv("2026-01-02", "2026-01-05"))
    files.write("demo/payments_b.csv", _csv("2026-01-03", "2026-01-04", "2026-01-09"))

    assert spans(sensor.tick()) == [("2026-01-02", "2026-01-05"), ("2026-01-09", "2026-01-09")]


def test_a_range_run_carries_the_tags_of_a_single_run_backfill(files):
    sensor = _payments(files)
    sensor.tick()
    files.write("demo/payments_a.csv", _csv("2026-01-02", "2026-01-03"))

    (request,) = sensor.tick()

    assert request.partition_key is None
    assert request.asset_selection == [dg.AssetKey(["demo", "files", "payments"])]
    assert request.tags == {
        "dagster/asset_partition_range_start": "2026-01-02",
        "dagster/asset_partition_range_end": "2026-01-03",
    }


def test_run_keys_differ_for_each_version_of_a_file(files):
    sensor = _payments(files)
    sensor.tick()
    path = files.write("demo/payments_a.csv", _csv("2026-01-02"))
    (first,) = sensor.tick()
    os.utime(path, (os.stat(path).st_mtime + 5,) * 2)
    (second,) = sensor.tick()

    assert first.partition_key == second.partition_key == "2026-01-02"
    assert first.run_key != second.run_key


def test_a_changed_file_also_requests_the_partitions_its_previous_version_touched(files):
    sensor = _payments(files)
    sensor.tick()
    path = files.write("demo/payments_a.csv", _csv("2026-01-02", "2026-01-03"))
    sensor.tick()
    path.write_text(_csv("2026-01-02"))  # the 3 January row was taken out

    assert spans(sensor.tick()) == [("2026-01-02", "2026-01-03")]


def test_a_removed_file_requests_the_partitions_it_touched(files):
    sensor = _payments(files)
    sensor.tick()
    path = files.write("demo/payments_a.csv", _csv("2026-01-06"))
    sensor.tick()
    path.unlink()

    assert spans(sensor.tick()) == [("2026-01-06", "2026-01-06")]


def test_values_before_the_first_partition_or_in_partitions_to_come_touch_nothing(files):
    sensor = _payments(files)
    sensor.tick()
    files.write("demo/payments_a.csv", _csv("2025-12-31", "2999-01-01"))

    result = sensor.tick()

    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == "1 new or changed and 0 removed file(s) touch no existing partition"


def test_a_file_that_cannot_be_placed_is_told_once_and_not_read_again(files):
    sensor = _payments(files)
    sensor.tick()
    files.write("demo/payments_a.csv", "id,created\n1,2026-01-02\n")

    told = sensor.tick()
    again = sensor.tick()

    assert isinstance(told, dg.SkipReason)
    assert "payments_a.csv was not placed in partitions: cursor column 'paid_at' is not a column of" in (
        told.skip_message or ""
    )
    assert isinstance(again, dg.SkipReason)
    assert again.skip_message == "no file is new, changed or removed"


def test_a_snapshot_object_requests_its_latest_partition(files):
    sensor = _payments(files, extra=", write: snapshot")
    sensor.tick()
    files.write("demo/payments_a.csv", _csv("2026-01-02"))

    (request,) = sensor.tick()

    partitions = dg.DailyPartitionsDefinition(start_date="2026-01-01")
    assert request.partition_key == partitions.get_last_partition_key()


def test_a_replace_object_requests_one_unpartitioned_run(files):
    (files.root / "demo").mkdir()
    defs = files.load(
        PAYMENTS.format(root=files.root, extra="").replace("{cursor: paid_at}", "{write: replace}")
    )
    sensor = files.sensor(defs, "demo", "files", "payments")
    sensor.tick()
    files.write("demo/payments_a.csv", _csv("2026-01-02"))

    assert spans(sensor.tick()) == [(None, None)]


def test_a_tenants_sensor_never_sees_another_tenants_files(files):
    (files.root / "demo").mkdir()
    (files.root / "acme").mkdir()
    body = PAYMENTS.format(root=files.root, extra="") + PAYMENTS.format(root=files.root, extra="").replace(
        "tenants:\n", ""
    ).replace("demo", "acme")
    defs = files.load(body)
    demo = files.sensor(defs, "demo", "files", "payments")
    acme = files.sensor(defs, "acme", "files", "payments")
    demo.tick()
    acme.tick()
    files.write("acme/payments_a.csv", _csv("2026-01-02"))

    assert isinstance(demo.tick(), dg.SkipReason)
    assert spans(acme.tick()) == [("2026-01-02", "2026-01-02")]


def test_the_cursor_holds_file_ids_fingerprints_and_partition_keys_only(files):
    sensor = _payments(files)
    sensor.tick()
    files.write("demo/payments_a.csv", _csv("2026-01-02", "2026-01-03"))
    sensor.tick()

    assert sensor.cursor is not None
    saved = json.loads(sensor.cursor)
    (entry,) = saved["files"].values()
    assert list(saved["files"]) == ["payments_a.csv"]
    assert entry["p"] == [["2026-01-02", "2026-01-03"]]
    assert str(files.root) not in sensor.cursor
    assert "10:00" not in sensor.cursor  # no row content


def test_a_directory_that_is_gone_fails_the_tick_naming_the_object(files):
    sensor = _payments(files)
    (files.root / "demo").rmdir()

    with pytest.raises(Exception, match=r"demo\.files\.payments: directory .*demo does not exist"):
        sensor.tick()
