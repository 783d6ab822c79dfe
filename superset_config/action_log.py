"""Superset's action log (its `logs` table) written off the request path.

Superset's `DBEventLogger` inserts and commits a row for every event inside the request that
caused it: a chart data request logs four (`execute_sql`, post-processing, the JSON dump and
`ChartDataRestApi.data`), so it pays four metadata-database commits, and each commit expires
the request's ORM objects, which are then loaded again. Profiled on the embedded stack, that was
about a quarter of a chart request's time in Superset. `BackgroundEventLogger` keeps the same
rows (same columns, the event's own time) but hands them to one writer thread per process,
which serialises their records and inserts them in batches on its own connection. The price:
rows still queued when a process is killed (not stopped) are lost, and a full queue drops rows
(counted in Superset's log), which an action log can afford and a chart request's latency
cannot.

Runs inside Superset's virtualenv only (`superset_config.py` imports it).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_app_context
from superset.utils import json
from superset.utils.log import AbstractEventLogger

logger = logging.getLogger(__name__)

QUEUE_ROWS = 10_000
BATCH_ROWS = 500
FLUSH_EVERY_S = 1.0


def _serialised(row: dict[str, Any]) -> dict[str, Any]:
    """The queued row as a `logs` row: its record as JSON, serialised by the writer, not the
    request (as DBEventLogger: a record it cannot serialise logs no JSON)."""
    record = row.pop("record")
    try:
        row["json"] = json.dumps(record)
    except Exception:
        row["json"] = None
    return row


class BackgroundEventLogger(AbstractEventLogger):
    """`DBEventLogger`'s rows, inserted by a writer thread in batches instead of per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(QUEUE_ROWS)
        self.dropped = 0

    def log(
        self,
        user_id: int | None,
        action: str,
        dashboard_id: int | None,
        duration_ms: int | None,
        slice_id: int | None,
        referrer: str | None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if not has_app_context():
            return
        records = kwargs.get("records") or []
        if not records and kwargs.get("curated_payload"):
            records = [kwargs["curated_payload"]]
        now = datetime.now(UTC).replace(tzinfo=None)  # the column is naive UTC
        rows = [
            {
                "action": action,
                "record": record,
                "dashboard_id": dashboard_id or record.get("dashboard_id"),
                "slice_id": slice_id or record.get("slice_id"),
                "duration_ms": duration_ms,
                "referrer": referrer,
                "user_id": user_id,
                "dttm": now,
            }
            for record in records
        ]
        self._ensure_writer(current_app._get_current_object())  # type: ignore[attr-defined]
        for row in rows:
            try:
                self._queue.put_nowait(row)
            except queue.Full:
                self.dropped += 1
                if self.dropped % 1000 == 1:
                    logger.warning("action log queue full: %d rows dropped so far", self.dropped)

    def _ensure_writer(self, app: Any) -> None:
        """One writer per process: gunicorn forks its workers, and a thread does not survive it."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._queue = queue.Queue(QUEUE_ROWS)
            self._pid = os.getpid()
            writer = threading.Thread(
                target=self._write_forever, args=(app,), name="action-log-writer", daemon=True
            )
            writer.start()
            atexit.register(self._flush, app)

    def _write_forever(self, app: Any) -> None:
        while True:
            try:
                first = self._queue.get(timeout=FLUSH_EVERY_S)
            except queue.Empty:
                continue
            self._insert(app, [first, *self._drain(BATCH_ROWS - 1)])

    def _drain(self, limit: int) -> list[dict[str, Any]]:
        rows = []
        while len(rows) < limit:
            try:
                rows.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return rows

    def _flush(self, app: Any) -> None:
        """What is still queued when the process exits normally."""
        while rows := self._drain(BATCH_ROWS):
            self._insert(app, rows)

    @staticmethod
    def _insert(app: Any, rows: list[dict[str, Any]]) -> None:
        # imported when the app is initialised, not when the config is read
        from superset.extensions import db
        from superset.models.core import Log

        try:
            with app.app_context(), db.engine.begin() as connection:
                connection.execute(Log.__table__.insert(), [_serialised(row) for row in rows])
        except Exception as exc:  # the action log never takes a request or a worker down
            logger.error("action log: %d rows not written (%s)", len(rows), type(exc).__name__)


class NoEventLogger(AbstractEventLogger):
    """No action log at all (`OLLIVE_SUPERSET_ACTION_LOG=off`)."""

    def log(self, *args: Any, **kwargs: Any) -> None:
        return None
