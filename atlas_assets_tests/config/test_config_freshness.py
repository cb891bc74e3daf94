"""runner.yaml `freshness:`: `max_lag` is a duration, inherited, and a bad one is reported with its line."""

from __future__ import annotations

import datetime as dt

from atlas_assets_tests.config.problems import load, problems_of


def test_an_objects_max_lag_is_read_as_a_duration() -> None:
    _config, specs = load(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            sources:
              shop:
                kind: sql
                url: "sqlite:///shop.db"
                objects:
                  orders: {cursor: created_at, freshness: {max_lag: 26h}}
                  refunds: {cursor: created_at}
        """
    )

    by_name = {spec.name: spec.freshness for spec in specs}
    assert by_name["orders"] is not None
    assert by_name["orders"].max_lag == dt.timedelta(hours=26)
    assert by_name["refunds"] is None


def test_max_lag_is_inherited_from_the_nearest_level_that_sets_it() -> None:
    _config, specs = load(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
          freshness: {max_lag: 2d}
        tenants:
          acme:
            freshness: {max_lag: 6h}
            sources:
              shop:
                kind: sql
                url: "sqlite:///shop.db"
                objects:
                  orders: {cursor: created_at}
          beta:
            sources:
              shop: {kind: sql, url: "sqlite:///shop.db", objects: [orders]}
        """
    )

    lags = {spec.tenant: spec.freshness.max_lag for spec in specs if spec.freshness}
    assert lags == {"acme": dt.timedelta(hours=6), "beta": dt.timedelta(days=2)}


def test_a_bad_max_lag_is_reported_at_its_path_and_line() -> None:
    [problem] = problems_of(
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            sources:
              shop:
                kind: sql
                url: "sqlite:///shop.db"
                objects:
                  orders:
                    cursor: created_at
                    freshness: {max_lag: soon}
        """
    )
    assert problem.path == "tenants.acme.sources.shop.objects.orders.freshness.max_lag"
    assert problem.line == 12
    assert "'soon' is not a duration" in problem.message
