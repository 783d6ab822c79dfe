"""An over-limit body gets its 413, whatever the client's way of sending it.

Against the real served API (`python -m ingest_api`): Python's urllib writes the whole body
before it reads the answer and sends `Connection: close`; a client that sends
`Expect: 100-continue` must get the 413 without sending the body at all; a keep-alive client
can send a good batch on the same connection after its refused one.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.fixtures.ingest import IngestServer
from tests.fixtures.ingest_events import inference, ndjson

LIMIT = 5 * 2**20  # OLLIVE_INGEST_MAX_BODY_BYTES's default, which the fixture keeps
OVER = LIMIT + 3 * 2**20


def _urllib_post(server: IngestServer, path: str, body: object, content_type: str) -> tuple:
    request = urllib.request.Request(
        f"{server.url}{path}",
        data=body,  # type: ignore[arg-type]
        method="POST",
        headers={**server.headers, "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b" " * part


@pytest.mark.parametrize(
    ("path", "content_type", "expected_code"),
    [
        ("/v1/logs", "application/x-ndjson", b'"body_too_large"'),
        ("/v1/traces", "application/json", b"exceeds"),
    ],
)
def test_urllib_with_content_length_reads_the_413(
    ingest_api: IngestServer, path: str, content_type: str, expected_code: bytes
) -> None:
    status, body = _urllib_post(ingest_api, path, b"x" * OVER, content_type)
    assert status == 413
    assert expected_code in body


def test_urllib_streaming_a_chunked_body_reads_the_413(ingest_api: IngestServer) -> None:
    """No Content-Length: the limit is found while reading, then the rest is drained."""
    status, body = _urllib_post(ingest_api, "/v1/logs", _chunks(OVER), "application/x-ndjson")
    assert status == 413
    assert json.loads(body)["error"]["code"] == "body_too_large"


def test_expect_100_continue_gets_the_413_before_sending_the_body(
    ingest_api: IngestServer,
) -> None:
    with socket.create_connection(("127.0.0.1", ingest_api.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/logs HTTP/1.1\r\nHost: ingest\r\n"
            + f"Authorization: Bearer {ingest_api.api_key}\r\n".encode()
            + b"Content-Type: application/x-ndjson\r\n"
            + f"Content-Length: {OVER}\r\nExpect: 100-continue\r\n\r\n".encode()
        )
        started = time.monotonic()
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:80]
    assert b"100 Continue" not in answer
    assert time.monotonic() - started < 5


def test_keep_alive_connection_serves_a_good_batch_after_a_refused_one(
    ingest_api: IngestServer,
) -> None:
    conn = http.client.HTTPConnection(urlsplit(ingest_api.url).netloc, timeout=30)
    headers = {**ingest_api.headers, "Content-Type": "application/x-ndjson"}
    try:
        conn.request("POST", "/v1/logs", body=b"x" * OVER, headers=headers)
        refused = conn.getresponse()
        assert refused.status == 413 and b"body_too_large" in refused.read()
        conn.request("POST", "/v1/logs", body=ndjson([inference()]), headers=headers)
        good = conn.getresponse()
        assert good.status == 202, good.read()
        assert json.loads(good.read())["accepted"] == 1
    finally:
        conn.close()
