"""Posts one gzip NDJSON body to the ingest API over a kept-alive connection and classifies the
answer: sent (maybe with per-event rejections), retry later, or drop."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from ollive_sdk.backoff import parse_retry_after

INGEST_PATH = "/v1/logs"
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

Outcome = Literal["sent", "retry", "drop"]


@dataclass
class SendResult:
    """What became of one POST."""

    outcome: Outcome
    status: int | None = None
    rejected: list[dict] = field(default_factory=list)
    retry_after_s: float | None = None
    reason: str = ""


class HttpSender:
    """One persistent HTTP(S) connection to the ingest endpoint, used by the worker thread only."""

    def __init__(self, endpoint: str, api_key: str, timeout_s: float, user_agent: str) -> None:
        parts = urlsplit(endpoint.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"endpoint must be an http(s) URL, got {endpoint!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        base = parts.path.rstrip("/")
        self.path = base if base.endswith(INGEST_PATH) else base + INGEST_PATH
        self._timeout_s = timeout_s
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/x-ndjson",
            "Content-Encoding": "gzip",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()  # guards _conn against abort() from another thread

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            if self._conn is not None:
                return self._conn, True
            if self._https:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout_s,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                self._conn = http.client.HTTPConnection(
                    self._host, self._port, timeout=self._timeout_s
                )
            return self._conn, False

    def send(self, body: bytes) -> SendResult:
        """POST `body`; a stale kept-alive connection gets one immediate fresh retry."""
        for _ in range(2):
            conn, reused = self._connection()
            try:
                conn.request("POST", self.path, body=body, headers=self._headers)
                response = conn.getresponse()
                payload = response.read()
                retry_after = response.getheader("Retry-After")
                if response.will_close:
                    self.close()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self.close()
                if reused:
                    continue  # the server closed an idle connection; not a real failure
                return SendResult("retry", reason=f"network: {type(e).__name__}")
            except (OSError, http.client.HTTPException) as e:
                self.close()
                kind = "timeout" if isinstance(e, socket.timeout) else type(e).__name__
                return SendResult("retry", reason=f"network: {kind}")
            return _classify(response.status, payload, retry_after)
        return SendResult("retry", reason="network: connection closed")

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def abort(self) -> None:
        """Unblock a send stuck on a silent server (called from `shutdown`, another thread)."""
        with self._lock:
            sock = self._conn.sock if self._conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def forget(self) -> None:
        """Drop the connection without closing it: after fork it belongs to the parent."""
        self._conn = None
        self._lock = threading.Lock()


def _rejections(payload: bytes) -> list[dict]:
    """The per-event rejections a response lists (none when its body is unreadable)."""
    try:
        doc = json.loads(payload) if payload else {}
    except ValueError:
        return []
    if isinstance(doc, dict) and isinstance(doc.get("rejected"), list):
        return [r for r in doc["rejected"] if isinstance(r, dict)]
    return []


def _classify(status: int, payload: bytes, retry_after: str | None) -> SendResult:
    if 200 <= status < 300:
        # a 2xx without a readable body still means accepted
        return SendResult("sent", status=status, rejected=_rejections(payload))
    if status == 422 and (rejected := _rejections(payload)):
        # no event of the batch was valid, and the API says why for each: the batch was
        # delivered and judged event by event, as in a 202 with rejections
        return SendResult("sent", status=status, rejected=rejected)
    if status in _RETRY_STATUSES or status >= 500:
        return SendResult(
            "retry", status=status, retry_after_s=parse_retry_after(retry_after),
            reason=f"http_{status}",
        )  # fmt: skip
    return SendResult("drop", status=status, reason=f"http_{status}")
