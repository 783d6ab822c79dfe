"""The offline Anthropic: the Messages API (`POST /v1/messages`) answered by the offline
responder, in Anthropic's wire format: a `message` JSON body, or the named server-sent events of
a stream (`message_start`, content blocks with their deltas, `message_delta`, `message_stop`),
and Anthropic's error bodies (429 `rate_limit_error`, 529 `overloaded_error`).

Anthropic counts input apart from the cache: `input_tokens` leaves out `cache_read_input_tokens`.
"""

from __future__ import annotations

import json
from typing import Any

from chatbot.offline_wire import Served, sse
from chatbot.responder import OfflineResponder, Reply

SNAPSHOTS = {
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
}
# the responder's 500 is Anthropic's usual server-side refusal, 529 overloaded
ERRORS = {
    429: (
        429,
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit.",
    ),
    500: (529, "overloaded_error", "Overloaded"),
}
STOP = {"MAX_TOKENS": "max_tokens", "STOP": "end_turn"}


class AnthropicWire:
    def __init__(self, responder: OfflineResponder) -> None:
        self.responder = responder

    def serve(self, path: str, body: dict[str, Any]) -> Served | None:
        if not path.endswith("/v1/messages"):
            return None
        model, stream = str(body.get("model")), bool(body.get("stream"))
        reply = self.responder.respond(model, responder_request(body), stream)
        request_id = {"request-id": f"req_{reply.chunks[0].body.get('responseId', 'error')}"}
        if reply.status != 200:
            status, type_, message = ERRORS[reply.status]
            error = {"type": "error", "error": {"type": type_, "message": message}}
            delay = reply.chunks[0].delay_s
            return Served(status, [(delay, json.dumps(error).encode())], headers=request_id)
        message = {
            "id": f"msg_{reply.chunks[0].body['responseId']}",
            "type": "message",
            "role": "assistant",
            "model": SNAPSHOTS.get(model, model),
        }
        if stream:
            return Served(200, _events(message, reply), stream=True, headers=request_id)
        blocks = _blocks([p for c in reply.chunks for p in _parts(c.body)])
        whole = {
            **message,
            "content": blocks,
            "stop_reason": _stop(reply, blocks),
            "stop_sequence": None,
            "usage": _usage(reply),
        }
        return Served(
            200, [(reply.chunks[0].delay_s, json.dumps(whole).encode())], headers=request_id
        )


def responder_request(body: dict[str, Any]) -> dict[str, Any]:
    """The Messages request as the responder reads requests (Gemini's shape)."""
    names: dict[str, str] = {}  # tool_use id -> tool name, for the tool results
    contents = []
    for message in body.get("messages") or []:
        blocks = message.get("content")
        if isinstance(blocks, str):
            blocks = [{"type": "text", "text": blocks}]
        parts: list[dict[str, Any]] = []
        for block in blocks or []:
            kind = block.get("type")
            if kind == "text":
                parts.append({"text": block["text"]})
            elif kind == "tool_use":
                names[block["id"]] = block["name"]
                parts.append(
                    {
                        "functionCall": {
                            "name": block["name"],
                            "id": block["id"],
                            "args": block.get("input") or {},
                        }
                    }
                )
            elif kind == "tool_result":
                parts.append(
                    {
                        "functionResponse": {
                            "name": names.get(block["tool_use_id"], "tool"),
                            "id": block["tool_use_id"],
                            "response": _json(block.get("content")),
                        }
                    }
                )
        role = "model" if message.get("role") == "assistant" else "user"
        contents.append({"role": role, "parts": parts})
    request: dict[str, Any] = {"contents": contents}
    system = body.get("system")
    if system:
        text = system if isinstance(system, str) else "".join(b.get("text", "") for b in system)
        request["systemInstruction"] = {"parts": [{"text": text}]}
    declarations = [
        {
            "name": t["name"],
            "description": t.get("description"),
            "parameters": t.get("input_schema"),
        }
        for t in body.get("tools") or []
    ]
    if declarations:
        request["tools"] = [{"functionDeclarations": declarations}]
    return request


def _json(content: Any) -> Any:
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
    try:
        return json.loads(content) if content else {}
    except (TypeError, ValueError):
        return {"text": content}


def _parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body["candidates"][0]["content"]["parts"]


def _blocks(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive text parts as one text block, a function call as a `tool_use` block."""
    blocks: list[dict[str, Any]] = []
    for part in parts:
        if "functionCall" in part:
            call = part["functionCall"]
            blocks.append(
                {
                    "type": "tool_use",
                    "id": _tool_use_id(call["id"]),
                    "name": call["name"],
                    "input": call["args"],
                }
            )
        elif blocks and blocks[-1]["type"] == "text":
            blocks[-1]["text"] += part.get("text", "")
        else:
            blocks.append({"type": "text", "text": part.get("text", "")})
    return blocks


def _tool_use_id(call_id: str) -> str:
    return "toolu_" + call_id.removeprefix("call_")


def _stop(reply: Reply, blocks: list[dict[str, Any]]) -> str:
    if any(b["type"] == "tool_use" for b in blocks):
        return "tool_use"
    return STOP.get(reply.chunks[-1].body["candidates"][0].get("finishReason", "STOP"), "end_turn")


def _usage(reply: Reply) -> dict[str, Any]:
    usage = reply.chunks[-1].body["usageMetadata"]
    cached = usage.get("cachedContentTokenCount", 0)
    return {
        "input_tokens": usage["promptTokenCount"] - cached,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": 0,
        "output_tokens": usage["candidatesTokenCount"] + usage.get("thoughtsTokenCount", 0),
        "service_tier": "standard",
    }


def _events(message: dict[str, Any], reply: Reply) -> list[tuple[float, bytes]]:
    def event(kind: str, **fields: Any) -> bytes:
        return sse({"type": kind, **fields}, name=kind)

    usage = _usage(reply)
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events = [(reply.chunks[0].delay_s, event("message_start", message=start))]
    blocks: list[dict[str, Any]] = []
    for i, chunk in enumerate(reply.chunks):
        delay = reply.chunks[i].delay_s if i else 0.0
        for part in _parts(chunk.body):
            [block] = _blocks([part])
            if block["type"] == "text" and blocks and blocks[-1]["type"] == "text":
                delta = {"type": "text_delta", "text": block["text"]}
            else:
                if blocks:
                    events.append((0.0, event("content_block_stop", index=len(blocks) - 1)))
                empty = {**block, "text": ""} if block["type"] == "text" else {**block, "input": {}}
                events.append(
                    (0.0, event("content_block_start", index=len(blocks), content_block=empty))
                )
                blocks.append(block)
                delta = (
                    {"type": "text_delta", "text": block["text"]}
                    if block["type"] == "text"
                    else {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
                )
            events.append((delay, event("content_block_delta", index=len(blocks) - 1, delta=delta)))
            delay = 0.0
    if blocks:
        events.append((0.0, event("content_block_stop", index=len(blocks) - 1)))
    events.append(
        (
            0.0,
            event(
                "message_delta",
                delta={"stop_reason": _stop(reply, blocks), "stop_sequence": None},
                usage={"output_tokens": usage["output_tokens"]},
            ),
        )
    )
    events.append((0.0, event("message_stop")))
    return events
