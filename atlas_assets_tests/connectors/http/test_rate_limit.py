"""The per-source rate limit holds for the whole run: every object, every step process."""

from __future__ import annotations

import threading

import dagster as dg
import pytest

from atlas_assets_tests.connectors.http.api_server import ApiServer, Received, json_reply
from atlas_assets_tests.connectors.http.conftest import items, rest_body
from atlas_assets_tests.dagster_processes import Deployment
from atlas_assets_tests.harness import platform, write_runner

RATE = 10  # requests per second for the source
PAGES = 25  # per object: at RATE, the two objects' 50 requests take 5 s


def paged_together(objects: int):
    """Pages of one item each; every object's first page is held until all objects asked for theirs,
    so the steps send concurrently however far apart their processes started."""
    all_started = threading.Barrier(objects, timeout=120)

    def route(request: Received):
        offset = int(request.params["offset"])
        if offset == 0:
            all_started.wait()
        return json_reply(items(offset, 1 if offset < PAGES - 1 else 0))

    return route


def busiest_second(arrivals: list[float]) -> int:
    """The most requests that arrived within any one second."""
    return max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)


def test_the_rate_limit_spaces_requests_of_all_objects_of_the_source(tmp_path, api):
    api.route("/a", lambda r: json_reply(items(0, 1)))
    api.route("/b", lambda r: json_reply(items(0, 1)))
    atlas = platform(tmp_path, rest_body(api.url, {"a": {}, "b": {}}, rate_limit=4))

    atlas.materialize("acme/api/a", "acme/api/b")

    first, second = sorted(r.at for r in api.log)
    # Two requests at 4/s are sent a quarter second apart; their arrival at the server jitters by
    # the first one's connection setup, so allow 50 ms (without the limit the gap is ~0).
    assert second - first >= 0.2


@pytest.mark.slow
def test_the_rate_limit_holds_across_the_step_processes_of_one_cli_run(tmp_path, api: ApiServer):
    pagination = {"type": "offset", "limit": 1}
    route = paged_together(2)
    api.route("/a", route)
    api.route("/b", route)
    objects = {"a": {"pagination": pagination}, "b": {"pagination": pagination}}
    body = rest_body(api.url, objects, rate_limit=RATE, timeout=150)
    deployment = Deployment.create(tmp_path, write_runner(tmp_path, body))

    completed = deployment.materialize("acme/api/a,acme/api/b")

    assert completed.returncode == 0, completed.stderr[-3000:]
    with deployment.instance() as instance:
        [run] = instance.get_runs()
        starts = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_START).records
        step_processes = {record.event_log_entry.dagster_event.pid for record in starts}
    assert len(step_processes) == 2  # the multiprocess executor: one process per object
    a, b = ([r.at for r in api.requests_to(path)] for path in ("/a", "/b"))
    assert min(a[-1], b[-1]) - max(a[0], b[0]) >= 1.0  # the two steps sent concurrently for a while
    arrivals = sorted(a + b)
    # Send times are reserved 1/RATE apart; on a busy machine a late-scheduled sender can still
    # land a request or two next to the following ones (one process per step would show 2 × RATE).
    assert busiest_second(arrivals) <= RATE + 3
    assert arrivals[-1] - arrivals[0] >= 0.95 * (len(arrivals) - 1) / RATE
