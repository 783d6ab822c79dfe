"""Superset's action log still records chart requests, written by the writer thread after the
request instead of inside it (superset_config/action_log.py)."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path


def logged(database: Path, since: datetime) -> list[tuple]:
    """Chart data requests logged at or after `since` (the tests make no other at the time)."""
    with sqlite3.connect(database) as db:
        return db.execute(
            "select user_id, dttm, json from logs"
            " where action = 'ChartDataRestApi.data' and dttm >= ?",
            (since.strftime("%Y-%m-%d %H:%M:%S.%f"),),
        ).fetchall()


def test_a_chart_request_is_in_the_action_log_soon_after(superset, superset_data) -> None:
    api = superset.api()
    (chart,) = api.get(
        "/api/v1/chart/",
        params={"q": "(filters:!((col:slice_name,opr:eq,value:Requests)),page_size:1)"},
    ).json()["result"]
    context = json.loads(api.get(f"/api/v1/chart/{chart['id']}").json()["result"]["query_context"])
    database = Path(superset.env["OLLIVE_SUPERSET_STATE_DIR"]) / "superset.db"
    since = datetime.now(UTC).replace(tzinfo=None)

    answer = api.post("/api/v1/chart/data", json=context | {"force": True})
    assert answer.status_code == 200, answer.text

    rows: list[tuple] = []
    deadline = time.monotonic() + 20
    while not rows and time.monotonic() < deadline:
        time.sleep(0.5)
        rows = logged(database, since)
    assert len(rows) == 1, rows
    user_id, dttm, payload = rows[0]
    assert user_id is not None  # the admin who asked, as Superset's own logger records it
    assert datetime.fromisoformat(dttm) >= since
    assert json.loads(payload)["path"] == "/api/v1/chart/data"
