"""Shared by the load benchmarks: a throwaway SeaweedFS + embedded ClickHouse, bench objects, CPU.

Not a benchmark itself (`make bench` runs it and it does nothing).
"""

from __future__ import annotations

import contextlib
import gzip
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench.ingest_common as common  # noqa: E402
from dagster_project.resources.clickhouse import ClickHouseResource  # noqa: E402
from dagster_project.resources.object_store import ObjectStoreResource  # noqa: E402
from ollive.stack.private import private_settings  # noqa: E402
from ollive.stack.services import clickhouse, s3_credentials, seaweedfs  # noqa: E402
from ollive.stack.supervisor import Supervisor  # noqa: E402
from ollive.synthetic_events import make_event  # noqa: E402
from ollive_contract.events import EVENT_ADAPTER  # noqa: E402
from ollive_contract.object_keys import ObjectKey  # noqa: E402


@dataclass
class LoadStack:
    """The running services, resources pointing at them, and their process ids."""

    store: ObjectStoreResource
    clickhouse: ClickHouseResource
    state: Path
    pids: list[int]  # clickhouse server, seaweedfs: whose CPU a load costs


@contextlib.contextmanager
def load_stack() -> Iterator[LoadStack]:
    """SeaweedFS and the embedded ClickHouse server (the stack's own service specs) on free
    ports with a temporary state dir, stopped and removed on exit."""
    with tempfile.TemporaryDirectory(prefix="ollive-bench-") as tmp:
        settings = private_settings(Path(tmp))
        supervisor = Supervisor(settings.state_path, settings.host)
        supervisor.up([seaweedfs(settings), clickhouse(settings)], report=lambda _: None)
        try:
            store, clickhouse_resource = resources(settings)
            yield LoadStack(
                store=store,
                clickhouse=clickhouse_resource,
                state=Path(tmp),
                pids=[supervisor.running(n).pid for n in ("clickhouse", "seaweedfs")],
            )
        finally:
            supervisor.down(report=lambda _: None)


def resources(settings) -> tuple[ObjectStoreResource, ClickHouseResource]:
    """The loader's resources pointing at the stack `settings` describe."""
    creds = s3_credentials(settings)
    store = ObjectStoreResource(
        endpoint=creds.endpoint,
        access_key=creds.access_key,
        secret_key=creds.secret_key,
        bucket=creds.bucket,
    )
    return store, ClickHouseResource(
        host=settings.clickhouse.host,
        port=settings.clickhouse.port,
        username=settings.clickhouse.user,
        password=settings.clickhouse.password.get_secret_value(),
    )


def template(n: int, received_at: datetime) -> list[dict]:
    """`n` stored-line dicts built once from the contract models; objects reuse them."""
    docs = []
    for i in range(n):
        doc = EVENT_ADAPTER.dump_python(make_event("inference", received_at, i), mode="json")
        doc.update(
            received_at=received_at.isoformat(),
            project_id="bench",
            pii_detected=False,
            pii_entities=[],
            schema_version=1,
        )
        docs.append(doc)
    return docs


def put_objects(
    store: ObjectStoreResource, events: int, per_object: int, *, nulls: bool = False
) -> list[tuple[str, int]]:
    """`events` inference events (+1 warm-up object) as gzip NDJSON objects of `per_object`,
    without null fields, as the API writes them (`nulls=True`: written, as it did before)."""
    now = datetime.now(UTC)
    docs = template(per_object, now)
    s3 = store.client()
    count = (events + per_object - 1) // per_object + 1  # +1: the warm-up object
    objects = []
    started = time.monotonic()
    for i in range(count):  # sequential: the template is mutated per object
        for doc in docs:  # fresh event ids per object, so distinct counts mean something
            doc["event_id"] = str(uuid.uuid4())
        rows = docs if nulls else [_without_nulls(d) for d in docs]
        body = gzip.compress(
            b"".join(orjson.dumps(d, option=orjson.OPT_APPEND_NEWLINE) for d in rows),
            compresslevel=1,
        )
        key = str(ObjectKey.new("inference", now))
        s3.put_object(Bucket=store.bucket, Key=key, Body=body)
        objects.append((key, len(body)))
        if (i + 1) % max(1, count // 10) == 0:
            print(
                f"  wrote {i + 1}/{count} objects ({time.monotonic() - started:.1f}s)", flush=True
            )
    return objects


def _without_nulls(doc: dict) -> dict:
    """`doc` without null fields, in its tool calls too (pydantic's `exclude_none`, which the
    API's encoder uses; metadata keeps its null values)."""
    out = {k: v for k, v in doc.items() if v is not None}
    if out.get("tool_calls"):
        out["tool_calls"] = [
            {k: v for k, v in c.items() if v is not None} for c in out["tool_calls"]
        ]
    return out


def cpu_seconds(pids: list[int]) -> float:
    """CPU of `pids` and of the children they reaped (`ingest_common.cpu_seconds`)."""
    return common.cpu_seconds(pids, reaped_children=True)


def report(name: str, figures: dict, units: dict[str, str] | None = None) -> Path:
    """`ingest_common.report` for flat figures: `units` maps a figure's name, or the end of
    it, to its unit; values that are not numbers are written under `details`."""
    units = units or {}

    def unit(key: str) -> str:
        return units.get(key) or next((u for end, u in units.items() if key.endswith(end)), "")

    numbers = {k: v for k, v in figures.items() if isinstance(v, int | float)}
    details = {k: v for k, v in figures.items() if k not in numbers}
    pairs = {k: (v, unit(k)) for k, v in numbers.items()}
    return common.report(name, pairs, {"details": details} if details else None)
