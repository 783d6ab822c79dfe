"""Per-key quotas through the real ingest API (`python -m ingest_api`, real SeaweedFS): a key over
its quota gets 429 + Retry-After on /v1/logs and /v1/traces and stores nothing, other keys and
projects go on, /metrics counts refusals by project, and the SDK's retries deliver everything."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import ollive_sdk
import pytest
from google.rpc.status_pb2 import Status
from ollive_sdk.transport import TransportConfig

from tests.fixtures.ingest import REPO_ROOT, IngestServer, ingest_env, s3_env
from tests.fixtures.ingest_events import inference, stored_objects
from tests.fixtures.otlp import CHAT, protobuf_body, spans

RATE, BURST = 20, 50  # events/s and burst of every key, except project `bulk`'s
QUOTAS = ingest_env(
    quota_events_per_second=RATE,
    quota_events_burst=BURST,
    quota_overrides=json.dumps({"bulk": {"events_burst": 100_000}}),
)


# keys minted before the server starts (a running API learns new keys within seconds)
KEYS = {"other": "demo", "sdk": "demo", "bulk": "bulk", "small": "small"}


@pytest.fixture(scope="module")
def limited(s3_store, tmp_path_factory) -> Iterator[IngestServer]:
    c = s3_store.creds
    server = IngestServer(
        tmp_path_factory.mktemp("ingest_quota"),
        s3_env(c.endpoint, c.access_key, c.secret_key, c.bucket),
        **QUOTAS,
    )
    server.state_dir.mkdir(parents=True, exist_ok=True)
    server.keys = {name: new_key(server, project) for name, project in KEYS.items()}
    server.start()
    yield server
    server.stop()


def new_key(server: IngestServer, project: str) -> str:
    """A key minted with the keys CLI against the server's own key store."""
    done = subprocess.run(
        [sys.executable, "-m", "ingest_api.keys", "create", project],
        env=server.env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return re.search(r"^key: (\S+)$", done.stdout, re.M).group(1)


def post_logs(server: IngestServer, key: str, events: list[dict]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/logs", json=events, headers={"Authorization": f"Bearer {key}"}
    )


def stored_ids(s3_store) -> Counter[str]:
    objects = stored_objects(s3_store.client(), s3_store.creds.bucket)
    return Counter(e["event_id"] for o in objects.values() for e in o["events"])


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_over_quota_is_429_with_retry_after_stores_nothing_and_spares_other_keys(
    limited, s3_store
) -> None:
    key = limited.api_key  # project `demo`
    burst = [inference() for _ in range(BURST)]
    assert post_logs(limited, key, burst).status_code == 202

    over = [inference() for _ in range(10)]
    refused = post_logs(limited, key, over)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 2  # 10 events at 20/s from an empty bucket

    otlp = httpx.post(
        f"{limited.url}/v1/traces",
        content=protobuf_body(spans(*[CHAT] * BURST)),  # more than a second of refill
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-protobuf"},
    )
    assert otlp.status_code == 429  # OTLP/HTTP: 429 + Retry-After, a google.rpc.Status body
    assert int(otlp.headers["Retry-After"]) >= 1
    assert Status.FromString(otlp.content).code == 8  # RESOURCE_EXHAUSTED

    other = limited.keys["other"]  # same project, its own bucket
    spared = [inference() for _ in range(BURST)]
    assert post_logs(limited, other, spared).status_code == 202

    time.sleep(wait)
    assert post_logs(limited, key, over).status_code == 202  # the same request, resent
    ids = stored_ids(s3_store)
    assert all(ids[e["event_id"]] == 1 for e in burst + over + spared)

    text = httpx.get(f"{limited.url}/metrics").text
    assert metric(text, "ollive_ingest_quota_refusals_total", project="demo", route="logs") == 1
    assert metric(text, "ollive_ingest_quota_refusals_total", project="demo", route="traces") == 1
    assert metric(text, "ollive_ingest_quota_refused_events_total", project="demo") == 10 + BURST
    assert metric(text, "ollive_ingest_requests_total", status="429") == 1
    assert key not in text and other not in text


def test_a_projects_override_replaces_the_default_burst(limited) -> None:
    bulk = limited.keys["bulk"]
    for _ in range(3):  # 1,500 events at once: 30 times the default burst
        assert post_logs(limited, bulk, [inference() for _ in range(500)]).status_code == 202
    small = limited.keys["small"]  # the defaults: a first big batch, then the rate
    assert post_logs(limited, small, [inference() for _ in range(500)]).status_code == 202
    assert post_logs(limited, small, [inference()]).status_code == 429


def test_the_sdk_honours_retry_after_and_delivers_every_event(limited, s3_store) -> None:
    service, sent = "quota-sdk", 4 * BURST
    client = ollive_sdk.Client(
        endpoint=limited.url,
        api_key=limited.keys["sdk"],
        service=service,
        transport=TransportConfig(max_batch_events=25, flush_interval_s=0.05),
    )
    started = time.monotonic()
    for i in range(sent):
        client.log("info", f"event {i}")
    assert client.flush(timeout=60)
    elapsed = time.monotonic() - started
    stats = client.stats()
    client.shutdown(timeout=5)
    assert stats.sent == sent and stats.dropped_total == 0
    assert stats.retried > 0  # it was refused on the way ...
    assert elapsed >= (sent - BURST) / RATE * 0.9  # ... and held to the key's rate
    objects = stored_objects(s3_store.client(), s3_store.creds.bucket, prefix="raw/application/")
    mine = Counter(
        e["event_id"] for o in objects.values() for e in o["events"] if e["service"] == service
    )
    assert len(mine) == sent and set(mine.values()) == {1}
