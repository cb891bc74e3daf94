"""runner.yaml `sensor:`: `file_arrival` is inherited like other settings, applies to file sources,
and written on a source or object of another kind is an error naming its path and line."""

from __future__ import annotations

from atlas_assets_tests.config.problems import load, problems_of


def test_file_arrival_and_its_interval_are_inherited_field_by_field() -> None:
    _config, specs = load(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
          sensor: {file_arrival: true}
        tenants:
          acme:
            sources:
              files:
                kind: csv
                path: /tmp
                sensor: {interval_seconds: 120}
                objects:
                  payments: {cursor: paid_at}
                  refunds: {cursor: paid_at, sensor: {file_arrival: false}}
        """
    )

    by_name = {spec.name: spec for spec in specs}
    assert by_name["payments"].watches_files
    assert by_name["payments"].sensor.interval_seconds == 120
    assert not by_name["refunds"].watches_files


def test_file_arrival_inherited_by_a_source_that_has_no_files_gives_it_no_sensor() -> None:
    _config, specs = load(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
          sensor: {file_arrival: true}
        tenants:
          acme:
            sources:
              shop: {kind: sql, url: "sqlite:///shop.db", objects: {orders: {cursor: created_at}}}
        """
    )

    (spec,) = specs
    assert spec.sensor.file_arrival
    assert not spec.watches_files


def test_file_arrival_written_on_a_source_without_files_is_an_error_with_its_line() -> None:
    (problem,) = problems_of(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            sources:
              shop:
                kind: sql
                url: "sqlite:///shop.db"
                sensor: {file_arrival: true}
                objects:
                  orders: {cursor: created_at}
        """
    )
    assert problem.path == "tenants.acme.sources.shop.sensor.file_arrival"
    assert problem.line == 9
    assert "kind 'sql' has no files to watch" in problem.message


def test_a_sensor_interval_under_five_seconds_is_an_error_naming_it() -> None:
    (problem,) = problems_of(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            sources:
              files:
                kind: csv
                path: /tmp
                objects:
                  payments: {cursor: paid_at, sensor: {file_arrival: true, interval_seconds: 1}}
        """
    )
    assert problem.path == "tenants.acme.sources.files.objects.payments.sensor.interval_seconds"
    assert problem.line == 10
