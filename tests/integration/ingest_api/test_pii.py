"""A corpus of PII strings sent in every free-text field: none of them reaches the store."""

from __future__ import annotations

import httpx

from ingest_api.pii.redaction import Redactor
from ollive_contract.settings import DEFAULT_PII_ENTITIES
from tests.fixtures.ingest_events import application, inference, stored_objects, tool_execution
from tests.fixtures.pii_corpus import load_corpus


def test_no_pii_value_reaches_the_store(ingest_api, s3_store) -> None:
    rows = [r for r in load_corpus() if r["values"]]
    plain = Redactor(DEFAULT_PII_ENTITIES, fast_path=False)
    # strings plain Presidio itself misses (recall < 1, measured in tests/unit/ingest_api) are set
    # aside and listed, so a regression in what we catch cannot hide among them
    caught = [r for r in rows if not any(v in plain.redact(r["text"])[0] for v in r["values"])]
    missed = [r["text"] for r in rows if r not in caught]
    assert len(missed) <= 3, missed
    events = []
    for row in caught:
        t = row["text"]
        events += [
            inference(
                input_preview=t,
                output_preview=t,
                error_message=t,
                metadata={"note": t},
                tool_calls=[{"name": "f", "arguments_preview": t}],
            ),
            tool_execution(arguments_preview=t, result_preview=t, error_message=t),
            application(message=t, exception_message=t, exception_stack=t),
        ]
    ids = {e["event_id"] for e in events}
    for start in range(0, len(events), 200):
        resp = httpx.post(
            f"{ingest_api.url}/v1/logs",
            json=events[start : start + 200],
            headers=ingest_api.headers,
            timeout=60,
        )
        assert resp.status_code == 202 and not resp.json()["rejected"], resp.text
    objects = stored_objects(s3_store.client(), s3_store.creds.bucket)
    mine = [o for o in objects.values() if any(e["event_id"] in ids for e in o["events"])]
    assert sum(1 for o in mine for e in o["events"] if e["event_id"] in ids) == len(ids)
    blob = b"\n".join(o["raw"] for o in mine).decode()
    leaked = [v for r in caught for v in r["values"] if v in blob]
    assert not leaked, leaked
    flagged = [e for o in mine for e in o["events"] if e["event_id"] in ids]
    assert all(e["pii_detected"] and e["pii_entities"] for e in flagged)
