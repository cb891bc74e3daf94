"""OpenLineage clients for each transport, bounded so a slow or dead receiver costs one timeout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.serde import Serde
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport, TokenProvider
from openlineage.client.transport.noop import NoopConfig, NoopTransport
from openlineage.client.transport.transport import Config, Transport

from atlas_assets.lineage.config import LineageConfig

# Retries happen across sensor ticks (the cursor stays put), not inside one: no urllib3 retries.
_NO_RETRIES: dict[str, Any] = {"total": 0, "connect": 0, "read": 0, "status": 0, "backoff_factor": 0}


class StdoutTransport(Transport):
    """One JSON event per line on standard output (OpenLineage's console transport logs at INFO,
    which Dagster's processes do not show by default)."""

    kind = "console"
    config_class = Config

    def __init__(self, config: Config) -> None:
        self.config = config

    def emit(self, event: Any) -> None:
        sys.stdout.write(Serde.to_json(event) + "\n")
        sys.stdout.flush()


def build_client(config: LineageConfig) -> OpenLineageClient:
    """A client whose `emit` raises when the event was not delivered (so the caller can retry)."""
    return OpenLineageClient(transport=_transport(config))


def _transport(config: LineageConfig) -> Transport:
    if config.transport == "http":
        assert config.url is not None
        auth = ApiKeyTokenProvider({"apiKey": config.api_key.value}) if config.api_key else TokenProvider({})
        return HttpTransport(
            HttpConfig(
                url=config.url,
                endpoint=config.endpoint,
                timeout=config.timeout_seconds,
                auth=auth,
                retry=dict(_NO_RETRIES),
            )
        )
    if config.transport == "file":
        Path(config.file_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return FileTransport(FileConfig(log_file_path=config.file_path, append=True))
    if config.transport == "none":
        return NoopTransport(NoopConfig())
    return StdoutTransport(Config())
