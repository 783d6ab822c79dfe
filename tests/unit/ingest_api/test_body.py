"""Body decoding: formats, limits, and a gzip bomb refused while it inflates."""

from __future__ import annotations

import gzip
import tracemalloc

import pytest

from ingest_api.intake.body import BodyError, decode, gunzip_limited, parse_events, parse_line


def test_formats_json_array_wrapper_and_ndjson() -> None:
    assert [e.value for e in parse_events(b'[{"a":1},{"a":2}]', "application/json", 10)] == [
        {"a": 1},
        {"a": 2},
    ]
    wrapped = parse_events(b'{"events":[{"a":1}]}', "application/json; charset=utf-8", 10)
    assert [e.value for e in wrapped] == [{"a": 1}]
    lines = parse_events(b'{"a":1}\n\nnot json\n{"a":2}\n', "application/x-ndjson", 10)
    # NDJSON lines stay bytes until validation; blank lines are skipped
    assert [e.line for e in lines] == [b'{"a":1}', b"not json", b'{"a":2}']
    assert [parse_line(e.line).value for e in lines] == [{"a": 1}, None, {"a": 2}]
    assert parse_line(lines[1].line).parse_error


@pytest.mark.parametrize(
    ("body", "ctype", "status", "code"),
    [
        (b"[", "application/json", 400, "bad_json"),
        (b'{"a":1}', "application/json", 400, "bad_shape"),
        (b"[]", "application/json", 400, "empty_batch"),
        (b"[1]", "text/plain", 415, "unsupported_media_type"),
        (b"[1,2,3]", "application/json", 413, "too_many_events"),
        (b'["\xff"]', "application/json", 400, "bad_json"),
    ],
)
def test_refusals(body: bytes, ctype: str, status: int, code: str) -> None:
    with pytest.raises(BodyError) as err:
        parse_events(body, ctype, 2)
    assert (err.value.status, err.value.code) == (status, code)


def test_gzip_roundtrip_and_multiple_members() -> None:
    data = gzip.compress(b"[1,") + gzip.compress(b"2]")
    assert decode(data, "gzip", 100) == b"[1,2]"


def test_bad_and_truncated_gzip() -> None:
    for body in (b"not gzip at all", gzip.compress(b"x" * 1000)[:-12]):
        with pytest.raises(BodyError) as err:
            decode(body, "gzip", 10_000)
        assert err.value.status == 400


def test_unknown_encoding_is_415() -> None:
    with pytest.raises(BodyError) as err:
        decode(b"x", "br", 10)
    assert err.value.status == 415


def test_bomb_is_refused_while_inflating() -> None:
    bomb = gzip.compress(b"\0" * (512 * 2**20), compresslevel=9)  # 512 MiB -> ~0.5 MiB
    tracemalloc.start()
    with pytest.raises(BodyError) as err:
        gunzip_limited(bomb, 8 * 2**20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert err.value.status == 413
    assert peak < 32 * 2**20  # never came near the 512 MiB it would inflate to
