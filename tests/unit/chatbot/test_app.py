"""The HTTP surface with TestClient: JSON chat, SSE streaming, cancel by endpoint and by
disconnect."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from chatbot.app import create_app
from tests.fixtures.chatbot import fast_settings


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        name, data = block.split("\n")
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


def test_healthz_and_json_chat(sdk, captured) -> None:
    with TestClient(create_app(fast_settings(), sdk)) as client:
        assert client.get("/healthz").json() == {"status": "ok", "mode": "offline",
                                                  "in_flight": 0}  # fmt: skip
        reply = client.post("/chat", json={"message": "What's the weather in Tokyo?",
                                           "conversation_id": "c1", "user_id": "u1"})  # fmt: skip
    assert reply.status_code == 200
    body = reply.json()
    assert body["conversation_id"] == "c1" and "Tokyo" in body["text"]
    assert body["tool_calls"][0]["name"] == "get_weather" and body["model_calls"] == 2
    assert len(captured("inference")) == 2 and len(captured("tool_execution")) == 1
    assert {e["user_id"] for e in captured("inference")} == {"u1"}


def test_sse_stream_relays_text_tools_and_done(sdk, captured) -> None:
    with TestClient(create_app(fast_settings(), sdk)) as client:
        reply = client.post("/chat/stream", json={"message": "How do I rotate my API key?",
                                                  "conversation_id": "c2"})  # fmt: skip
    assert reply.headers["content-type"].startswith("text/event-stream")
    events = sse_events(reply.text)
    names = [name for name, _ in events]
    assert names[:3] == ["start", "tool_call", "tool_result"] and names[-1] == "done"
    assert names.count("text") > 1
    streamed = "".join(data["text"] for name, data in events if name == "text")
    assert streamed == events[-1][1]["text"] and "Rotate an API key" in streamed
    assert [e["stream"] for e in captured("inference")] == [True, True]


def test_cancel_endpoint_stops_a_stream(sdk, captured) -> None:
    settings = fast_settings(time_scale=1.0, model="gemini-2.5-pro")
    with TestClient(create_app(settings, sdk)) as client:
        assert client.post("/chat/nobody/cancel").status_code == 404
        replies: list[Any] = []
        story = {"message": "Tell me a story", "conversation_id": "c3"}
        streaming = threading.Thread(
            target=lambda: replies.append(client.post("/chat/stream", json=story))
        )
        streaming.start()
        deadline = time.monotonic() + 5
        while client.get("/healthz").json()["in_flight"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.post("/chat/c3/cancel").json() == {"conversation_id": "c3", "cancelled": 1}
        streaming.join(5)
    names = [name for name, _ in sse_events(replies[0].text)]
    assert names == ["start", "cancelled"]
    [ev] = captured("inference")
    assert ev["status"] == "cancelled"


def test_client_disconnect_cancels_the_generation(sdk, captured) -> None:
    """Raw ASGI, so the disconnect lands mid-stream as a server would deliver it."""
    app = create_app(fast_settings(time_scale=1.0, model="gemini-2.5-pro"), sdk)
    body = json.dumps({"message": "Tell me a story", "conversation_id": "c4"}).encode()
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/chat/stream",
             "raw_path": b"/chat/stream", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8080)}  # fmt: skip

    async def main() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        gone = asyncio.Event()
        messages = iter([{"type": "http.request", "body": body, "more_body": False}])

        async def receive() -> dict[str, Any]:
            message = next(messages, None)
            if message is not None:
                return message
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and message.get("body"):
                gone.set()  # the user closes the tab after the first event

        async with app.router.lifespan_context(app):
            await asyncio.wait_for(app(scope, receive, send), 5)
            await asyncio.sleep(0.05)  # let the cancelled turn finish unwinding
        return sent

    sent = asyncio.run(main())
    assert b"event: start" in sent[1]["body"]
    [ev] = captured("inference")
    assert ev["status"] == "cancelled" and ev["conversation_id"] == "c4"
