"""Fixtures of the file-arrival tests: a runner.yaml of csv sources and its real sensors, ticked
in process with `dg.build_sensor_context`, tick after tick with the cursor each tick saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from atlas_assets.config.loader import load_runner_config
from atlas_assets.factory.definitions import build_definitions
from atlas_assets_tests.harness import write_runner


@dataclass
class Sensor:
    """One file-arrival sensor of the definitions, and the cursor its last tick saved."""

    definition: dg.SensorDefinition
    cursor: str | None = None
    ticks: list[list[dg.RunRequest] | dg.SkipReason] = field(default_factory=list)

    def tick(self) -> list[dg.RunRequest] | dg.SkipReason:
        """Evaluate once, as the daemon does, carrying the cursor over."""
        context = dg.build_sensor_context(cursor=self.cursor)
        result = self.definition(context)
        self.cursor = context.cursor
        self.ticks.append(result)
        return result


@dataclass
class Files:
    """runner.yaml under `root` and its definitions; `sensor(name)` picks a sensor by object."""

    root: Path

    def load(self, body: str) -> dg.Definitions:
        config, specs = load_runner_config(write_runner(self.root, body))
        return build_definitions(config, specs)

    def sensor(self, defs: dg.Definitions, tenant: str, source: str, name: str) -> Sensor:
        return Sensor(defs.resolve_sensor_def(f"{tenant}__{source}__{name}__file_arrival"))

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


def spans(result: list[dg.RunRequest] | dg.SkipReason) -> list[tuple[str | None, str | None]]:
    """Each requested run's (first, last) partition; (None, None) for an unpartitioned run."""
    assert not isinstance(result, dg.SkipReason), f"no run requested: {result.skip_message}"
    found = []
    for request in result:
        if request.partition_key is not None:
            found.append((request.partition_key, request.partition_key))
        else:
            found.append(
                (
                    request.tags.get("dagster/asset_partition_range_start"),
                    request.tags.get("dagster/asset_partition_range_end"),
                )
            )
    return sorted(found, key=lambda span: tuple(part or "" for part in span))
