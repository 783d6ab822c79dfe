"""Schemathesis against the served ingest API: no 5xx for any input, no hang, still serving.

Cases are generated from the API's own OpenAPI document (`/openapi.json` of the running
`python -m ingest_api` with a prepare worker, SeaweedFS behind it), in positive and negative
modes: every operation, `POST /v1/logs` and the OTLP `POST /v1/traces` included, with and
without a valid key. Each answer must come within the timeout and must not be a 5xx (a 503
would be the store's, and the store is up). Afterwards a good batch is still acknowledged and
the process is still alive. Example counts are bounded so the file adds well under a minute;
they are printed at the end (`-s`) and asserted non-zero.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

from tests.fixtures.ingest import IngestServer, ingest_env, s3_env
from tests.fixtures.ingest_events import inference, ndjson

EXAMPLES_PER_OPERATION = 25  # per operation and generation mode
TIMEOUT_S = 15.0
RUN: Counter[str] = Counter()


@schemathesis.serializer("application/x-protobuf")
def _protobuf(ctx: Any, value: Any) -> bytes:
    """Generated values as raw bytes: what a broken exporter could send as protobuf."""
    if isinstance(value, bytes):
        return value
    return _json(value) if value is not None else b""


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return _json(value)


def _json(value: Any) -> bytes:
    """orjson, or the standard library for what orjson refuses (integers beyond 64 bits, which
    hypothesis does generate and a client can send)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(value, default=repr).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def fuzz_target(s3_store: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IngestServer]:
    """Its own API process: one prepare worker, so the worker path is fuzzed too; redaction
    off, since it only changes strings (fuzzed on its own in `test_pii_fuzz.py`) and its
    warm-up would be most of this file's time."""
    c = s3_store.creds
    server = IngestServer(
        tmp_path_factory.mktemp("fuzz_api"),
        s3_env(c.endpoint, c.access_key, c.secret_key, c.bucket),
        **ingest_env(pii_enabled=False, prepare_workers=1),
    )
    server.start(timeout=180)
    yield server
    server.stop()


MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def _operations(server: IngestServer) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_no_input_gets_a_server_error(fuzz_target: IngestServer, mode: Any) -> None:
    """Drives each operation's schemathesis strategy with hypothesis (`max_examples` bounded)."""
    operations = _operations(fuzz_target)
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /v1/logs",
        "POST /v1/traces",
    }
    for operation in operations:
        if mode is schemathesis.GenerationMode.NEGATIVE and operation.method.upper() != "POST":
            continue  # a GET without parameters has nothing to make invalid

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: Any) -> None:
            name = f"{case.method.upper()} {case.path}"
            RUN[name] += 1
            # every other case without the key: the 401 path must hold up as well as the rest
            case.call_and_validate(
                base_url=fuzz_target.url,
                headers=fuzz_target.headers if RUN[name] % 2 else None,
                checks=[not_a_server_error],
                timeout=TIMEOUT_S,
            )

        try:
            call()
        except Unsatisfiable:
            # a schema that allows any value (OTLP's bodies) has no invalid input to generate:
            # positive mode already sends it anything
            assert mode is schemathesis.GenerationMode.NEGATIVE


def test_good_input_is_still_served_after_the_fuzzing(fuzz_target: IngestServer) -> None:
    print("\nschemathesis cases run: " + ", ".join(f"{k}: {n}" for k, n in sorted(RUN.items())))
    assert RUN["POST /v1/logs"] > 0 and RUN["POST /v1/traces"] > 0
    response = httpx.post(
        f"{fuzz_target.url}/v1/logs",
        content=ndjson([inference(), inference()]),
        headers={**fuzz_target.headers, "Content-Type": "application/x-ndjson"},
        timeout=30,
    )
    assert response.status_code == 202 and response.json()["accepted"] == 2
    assert httpx.get(f"{fuzz_target.url}/readyz", timeout=10).json()["status"] == "ok"
    assert fuzz_target.proc is not None and fuzz_target.proc.poll() is None
