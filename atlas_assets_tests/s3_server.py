"""A local S3 (and ECS) for tests: moto in server mode on 127.0.0.1, started and stopped by the test."""

from __future__ import annotations

import contextlib
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from atlas_assets_tests.dagster_processes import BIN, free_port, poll

REGION = "us-east-1"
ACCESS_KEY_ID = "atlas-test-key"


@dataclass(frozen=True)
class LocalS3:
    """A running moto server and the AWS settings that reach it."""

    endpoint: str

    def env(self, secret_access_key: str = "atlas-test-secret") -> dict[str, str]:
        """AWS variables pointing every boto3 client (S3, ECS, ...) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": secret_access_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key="atlas-test-secret",
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in `bucket` under `prefix`."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()


@contextlib.contextmanager
def moto_server() -> Iterator[LocalS3]:
    """`moto_server` on a free port of 127.0.0.1 until the block ends (its in-memory state goes with it)."""
    port = free_port()
    popen = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = LocalS3(f"http://127.0.0.1:{port}")
    try:
        poll(lambda: _answers(server.endpoint) or popen.poll() is not None, 30, "moto_server to listen", 0.2)
        if popen.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {popen.returncode}")
        yield server
    finally:
        popen.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=10)
        popen.kill()
        popen.wait()


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
            return True
    except OSError:
        return False
