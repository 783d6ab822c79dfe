"""User ids never raw: the real ingest API stores keyed pseudonyms, and so does staging.

Events with user ids (an e-mail address among them, in the field and in metadata) go through
`python -m ingest_api` into SeaweedFS; the raw objects' bytes are searched for the ids, then the
objects are loaded by a real Dagster run into the embedded ClickHouse's staging tables, searched
the same way. Pseudonyms are checked against HMAC-SHA256 computed here from the key.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import dagster as dg
import httpx

from dagster_project.ingestion.assets import build_staging_asset, load_op_name
from ollive_contract.object_keys import OTLP_TRACES_ARCHIVE
from ollive_contract.tables import staging_table
from tests.fixtures.ingest import IngestServer, ingest_env, s3_env
from tests.fixtures.ingest_events import application, inference, ndjson, stored_objects
from tests.fixtures.otlp import CHAT, protobuf_body, spans
from tests.fixtures.pipeline import Pipeline

KEY = "test-user-id-key-of-our-own-0123456789"
KEY_ID = "t1"
USERS = ("jane.doe@example.com", "user-4711", "ünïcödé-user")


def _expected(user_id: str) -> str:
    digest = hmac.new(KEY.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    return f"{KEY_ID}:{digest}"


def _post(server: IngestServer, events: list[dict]) -> None:
    response = httpx.post(
        f"{server.url}/v1/logs",
        content=ndjson(events),
        headers={**server.headers, "Content-Type": "application/x-ndjson"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == len(events)


def test_archive_and_staging_hold_pseudonyms_not_user_ids(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    c = pipeline.store
    server = IngestServer(
        tmp_path,
        s3_env(c.endpoint, c.access_key, c.secret_key, c.bucket),
        **ingest_env(user_id_key=KEY, user_id_key_id=KEY_ID, prepare_workers=1, pii_enabled=False),
    )
    server.start()
    try:
        # two requests: the same user must get the same pseudonym in both
        for user in USERS:
            _post(
                server,
                [
                    inference(user_id=user, metadata={"user_id": user, "region": "eu"}),
                    application(user_id=user),
                ],
            )
        _post(server, [inference(user_id=USERS[0])])
    finally:
        server.stop()

    objects = stored_objects(pipeline.s3(), c.bucket)
    assert objects
    for key, obj in objects.items():
        for user in USERS:
            assert user.encode() not in obj["raw"], f"raw user id in {key}"
    events = [e for o in objects.values() for e in o["events"]]
    by_user = [e["user_id"] for e in events]
    assert sorted(by_user) == sorted(
        [_expected(u) for u in USERS for _ in (0, 1)] + [_expected(USERS[0])]
    )
    assert {e["metadata"]["user_id"] for e in events if "user_id" in e.get("metadata", {})} == {
        _expected(u) for u in USERS
    }
    assert {e["metadata"]["region"] for e in events if "region" in e.get("metadata", {})} == {"eu"}

    for log_type in ("inference", "application"):
        keys = [k for k in objects if k.startswith(f"raw/{log_type}/")]
        result = dg.materialize(
            [build_staging_asset(log_type)],
            resources=pipeline.resources,
            run_config={"ops": {load_op_name(log_type): {"config": {"object_keys": keys}}}},
        )
        assert result.success
        rows = pipeline.ch().raw_query(
            f"SELECT * FROM {staging_table(log_type)} WHERE _object_key IN {{keys:Array(String)}} "
            "FORMAT JSONEachRow",
            parameters={"keys": keys},
        )
        assert rows.count(b"\n") == (4 if log_type == "inference" else 3)
        for user in USERS:
            assert user.encode() not in rows and user.encode("unicode_escape") not in rows
        staged = pipeline.ch().query(
            f"SELECT user_id, count() FROM {staging_table(log_type)} "
            "WHERE _object_key IN {keys:Array(String)} GROUP BY user_id",
            parameters={"keys": keys},
        )
        expected_rows = {_expected(u): 1 for u in USERS}
        if log_type == "inference":
            expected_rows[_expected(USERS[0])] = 2
        assert dict(staged.result_rows) == expected_rows


def test_otlp_archive_and_events_hold_pseudonyms_not_user_ids(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    """The raw OTLP request archive keeps every attribute, so its user-id attributes must be
    pseudonymised too, with the same pseudonym as the event mapped from them."""
    c = pipeline.store
    server = IngestServer(
        tmp_path,
        s3_env(c.endpoint, c.access_key, c.secret_key, c.bucket),
        **ingest_env(user_id_key=KEY, user_id_key_id=KEY_ID, prepare_workers=1),
    )
    server.start()
    try:
        body = protobuf_body(spans({**CHAT, "user.id": USERS[1], "enduser.id": USERS[2]}))
        response = httpx.post(
            f"{server.url}/v1/traces",
            content=body,
            headers={**server.headers, "Content-Type": "application/x-protobuf"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    finally:
        server.stop()

    s3 = pipeline.s3()
    archive = stored_objects(s3, c.bucket, prefix=f"raw/{OTLP_TRACES_ARCHIVE}/")
    events = stored_objects(s3, c.bucket)
    assert archive and events
    for key, obj in {**archive, **events}.items():
        for user in USERS:
            assert user.encode() not in obj["raw"], f"raw user id in {key}"
    (mapped,) = [e for o in events.values() for e in o["events"]]
    assert mapped["user_id"] == _expected(USERS[1])
    (line,) = [line for o in archive.values() for line in o["events"]]
    attributes = {
        a["key"]: a["value"]
        for rs in line["request"]["resourceSpans"]
        for ss in rs["scopeSpans"]
        for span in ss["spans"]
        for a in span["attributes"]
    }
    assert attributes["user.id"] == {"stringValue": _expected(USERS[1])}
    assert attributes["enduser.id"] == {"stringValue": _expected(USERS[2])}
