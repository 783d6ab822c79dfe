"""A turn end to end in-process: tools traced, ids on every event, retries, application logs."""

from __future__ import annotations

import asyncio

import pytest

from chatbot.gemini import make_genai_client
from chatbot.service import ChatError, ChatRequest, ChatService
from chatbot.telemetry import attach_log_handler, detach_log_handler
from chatbot.tools import Toolbox
from tests.fixtures.chatbot import fast_settings


@pytest.fixture
def service(sdk):
    def make(**overrides):
        settings = fast_settings(**overrides)
        return ChatService(settings, make_genai_client(settings, sdk), Toolbox(sdk, 0.0))

    handler = attach_log_handler(sdk)
    yield make
    detach_log_handler(handler)


def ask(service: ChatService, message: str, stream: bool = False, cid: str = "conv-1"):
    request = ChatRequest(conversation_id=cid, message=message, user_id="user-1",
                          session_id="sess-1")  # fmt: skip
    return asyncio.run(service.turn(request, stream))


@pytest.mark.parametrize("stream", [False, True])
def test_tool_round_trip_is_traced_with_the_conversation_ids(service, captured, stream) -> None:
    chat = service()
    result = ask(chat, "I was charged twice, reach me at kim@example.com", stream)
    assert result.model_calls == 2 and result.text.startswith("I have opened ticket SUP-")
    first, second = captured("inference")
    [tool] = captured("tool_execution")
    assert first["tool_calls"][0]["name"] == "create_ticket" and "tool_calls" not in second
    assert tool["tool_name"] == "create_ticket" and tool["status"] == "ok"
    assert "kim@example.com" in tool["arguments_preview"] and "SUP-" in tool["result_preview"]
    assert second["stream"] is stream and ("ttft_ms" in second) is stream
    [log] = captured("application")
    assert (log["level"], log["logger"], log["message"]) == ("info", "chatbot.service",
                                                             "turn answered")  # fmt: skip
    assert log["metadata"]["model_calls"] == 2
    for ev in captured():
        assert (ev["conversation_id"], ev["user_id"], ev["session_id"]) == (
            "conv-1", "user-1", "sess-1")  # fmt: skip


def test_history_is_sent_back_on_the_next_turn(service, captured) -> None:
    chat = service()
    ask(chat, "What's the weather in Paris?")
    ask(chat, "Thanks!")
    assert len(chat.history.get("conv-1")) == 6  # user, call, tool reply, answer, user, answer
    third = captured("inference")[2]
    assert third["input_preview"] == "Thanks!" and third["input_tokens"] > 100


def test_refused_calls_are_retried_then_reported(service, captured) -> None:
    chat = service(error_rate=1.0, retries=2)
    with pytest.raises(ChatError) as raised:
        ask(chat, "hello")
    assert raised.value.code in (429, 500)
    assert [e["status"] for e in captured("inference")] == ["error"] * 3
    levels = [e["level"] for e in captured("application")]
    assert levels == ["warning", "warning", "error"]
    assert chat.counters.failed_calls == 3 and chat.counters.errors == 1


def test_cancelling_a_turn_records_the_inference_as_cancelled(service, captured) -> None:
    chat = service(time_scale=1.0)

    async def main() -> None:
        turn = asyncio.create_task(
            chat.turn(ChatRequest("conv-2", "Tell me a story", model="gemini-2.5-pro"), True)
        )
        await asyncio.sleep(0.2)
        turn.cancel()
        with pytest.raises(asyncio.CancelledError):
            await turn

    asyncio.run(main())
    [ev] = captured("inference")
    assert ev["status"] == "cancelled" and ev["conversation_id"] == "conv-2"
    [log] = captured("application")
    assert log["message"] == "turn cancelled" and log["level"] == "warning"
    assert chat.history.get("conv-2") == []  # a cancelled turn is not remembered
