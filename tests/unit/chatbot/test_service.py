"""A turn end to end in-process: one trace, tools traced and linked, ids on every event, retries,
application logs."""

from __future__ import annotations

import asyncio

import pytest

from chatbot.backends import Backends
from chatbot.service import TURN_SPAN, ChatError, ChatRequest, ChatService
from chatbot.telemetry import attach_log_handler, detach_log_handler
from chatbot.tools import Toolbox
from tests.fixtures.chatbot import fast_settings


@pytest.fixture
def service(sdk):
    def make(**overrides):
        settings = fast_settings(**overrides)
        return ChatService(settings, Backends(settings, sdk), Toolbox(sdk, 0.0), sdk)

    handler = attach_log_handler(sdk)
    yield make
    detach_log_handler(handler)


def ask(service: ChatService, message: str, stream: bool = False, cid: str = "conv-1", model=None):
    request = ChatRequest(conversation_id=cid, message=message, user_id="user-1",
                          session_id="sess-1", model=model)  # fmt: skip
    return asyncio.run(service.turn(request, stream))


def chatbot_logs(captured) -> list[dict]:
    """The chatbot's own log records (not the SDK's trace blocks, also application events)."""
    return [e for e in captured("application") if e["logger"].startswith("chatbot")]


def turn_blocks(captured) -> list[dict]:
    return [e for e in captured("application") if e["logger"] == "ollive.span"]


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
    [log] = chatbot_logs(captured)
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
    levels = [e["level"] for e in chatbot_logs(captured)]
    assert levels == ["warning", "warning", "error"]
    [turn] = turn_blocks(captured)
    assert turn["level"] == "error" and turn["metadata"]["ollive.span.status"] == "error"
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
    [log] = chatbot_logs(captured)
    assert log["message"] == "turn cancelled" and log["level"] == "warning"
    [turn] = turn_blocks(captured)
    assert turn["metadata"]["ollive.span.status"] == "cancelled"
    assert ev["parent_span_id"] == turn["span_id"]
    assert chat.history.get("conv-2") == []  # a cancelled turn is not remembered


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gpt-4o-mini", "claude-sonnet-4-6"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_turn_is_one_trace_tree_with_tools_linked_to_the_calls(
    service, captured, model, stream
) -> None:
    result = ask(service(), "What's the weather in Lisbon?", stream, model=model)
    assert result.model_calls == 2 and "Lisbon" in result.text
    [turn] = turn_blocks(captured)
    assert (turn["message"], turn["metadata"]["ollive.span.kind"]) == (TURN_SPAN, "agent")
    assert turn["metadata"]["ollive.span.status"] == "ok" and "parent_span_id" not in turn
    assert turn["metadata"]["model_calls"] == 2 and turn["metadata"]["model"] == model
    events = captured()
    assert len(events) == 5  # the turn, two model calls, one tool run, one log record
    assert {e["trace_id"] for e in events} == {turn["trace_id"]}
    assert len({e["span_id"] for e in events}) == 5
    children = [e for e in events if e is not turn]
    assert {e.get("parent_span_id") for e in children} == {turn["span_id"]}
    asking, answering = captured("inference")
    [tool] = captured("tool_execution")
    [call] = asking["tool_calls"]
    assert call["name"] == tool["tool_name"] == "get_weather"
    assert tool["tool_call_id"] == call["id"] == result.tool_calls[0]["id"]
    assert asking["started_at"] < tool["started_at"] < answering["started_at"]
