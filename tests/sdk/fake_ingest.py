"""A stdlib HTTP server standing in for the ingest API, misbehaving on purpose when told to.

Each request is answered from `script` (a queue of responses) once it is empty the server
accepts everything. `hold()` keeps every handler waiting (a silent server) until `release()`.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # None: {"accepted": n, "rejected": []}
    delay_s: float = 0.0
    reject_indexes: tuple[int, ...] = ()


@dataclass
class Request:
    at: float
    headers: dict[str, str]
    events: list[dict[str, Any]]
    peer: tuple[str, int]
    status: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeIngest:
    """The server plus what it saw: every request, and the event ids it accepted."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.script: deque[Reply] = deque()
        self.requests: list[Request] = []
        self.accepted: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self._open = threading.Event()
        self._open.set()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeIngest:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real API
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def hold(self) -> None:
        """From now on requests wait for `release()`; `arrived` fires on the next one."""
        self.arrived.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def reply(self, *replies: Reply) -> None:
        with self.lock:
            self.script.extend(replies)

    @property
    def received(self) -> Counter[str]:
        """Every event id that reached the server, accepted or not, with its count."""
        with self.lock:
            return Counter(e["event_id"] for r in self.requests for e in r.events)

    def wait_accepted(self, n: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.accepted) >= n:
                    return True
            time.sleep(0.01)
        return False

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        if h.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        events = [json.loads(line) for line in body.splitlines() if line.strip()]
        request = Request(time.monotonic(), dict(h.headers), events, h.client_address)
        with self.lock:
            self.requests.append(request)
            reply = self.script.popleft() if self.script else Reply()
        self.arrived.set()
        self._open.wait()
        if reply.delay_s:
            time.sleep(reply.delay_s)
        request.status = reply.status
        payload = reply.body
        if 200 <= reply.status < 300:
            rejected = [
                {"index": i, "event_id": events[i]["event_id"], "reason": "invalid"}
                for i in reply.reject_indexes
                if i < len(events)
            ]
            with self.lock:
                for i, e in enumerate(events):
                    if i not in reply.reject_indexes:
                        self.accepted[e["event_id"]] += 1
            if payload is None:
                payload = {"accepted": len(events) - len(rejected), "rejected": rejected}
        data = json.dumps(payload or {"detail": "scripted"}).encode()
        try:
            h.send_response(reply.status)
            for k, v in reply.headers.items():
                h.send_header(k, v)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass  # the client gave up on us (timeout tests)
