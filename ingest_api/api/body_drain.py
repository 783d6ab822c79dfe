"""A 413 that a client which writes its whole body before reading the answer can read.

Routes refuse an over-limit body as soon as they know (the declared Content-Length, or the
running count of a streamed body), without reading the rest. Clients that send
`Expect: 100-continue` are served well by that: uvicorn sends `100 Continue` only when the app
first reads the body, so they get the 413 and never send it. Clients that do not (Python's
urllib, many simple HTTP clients) are still writing when the answer goes out, and urllib also
sends `Connection: close`: uvicorn closes the socket right after the response, with body bytes
unread in the kernel's buffer, and the kernel answers them with a reset that destroys the 413
before the client reads it.

This middleware reads and drops the rest of such a body (up to `max_drain_bytes`) before the
413 leaves, so the connection closes cleanly and the client reads the answer. A body longer
than that is cut off as before, with `Connection: close` on the 413.
"""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_DRAIN_BYTES = 64 * 2**20

Message = dict[str, Any]


class DrainRefusedBody:
    """Pure ASGI middleware: drain the unread request body before a 413 is sent."""

    def __init__(self, app: Any, max_drain_bytes: int = DEFAULT_MAX_DRAIN_BYTES) -> None:
        self.app = app
        self.max_drain_bytes = max_drain_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_pending = True

        async def tracked_receive() -> Message:
            nonlocal body_pending
            message = await receive()
            body_pending = message["type"] == "http.request" and message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal body_pending
            if (
                message["type"] == "http.response.start"
                and message["status"] == 413
                and body_pending
                and not _expects_continue(scope)
            ):
                body_pending = False
                if not await self._drain(receive):
                    message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        await self.app(scope, tracked_receive, guarded_send)

    async def _drain(self, receive: Any) -> bool:
        """Read and drop the body; False when it was longer than `max_drain_bytes`."""
        drained = 0
        while drained <= self.max_drain_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return True  # the client went away: nothing left to read
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False


_CLOSE = (b"connection", b"close")


def _expects_continue(scope: dict[str, Any]) -> bool:
    return any(
        name == b"expect" and value.lower() == b"100-continue"
        for name, value in scope.get("headers", [])
    )
