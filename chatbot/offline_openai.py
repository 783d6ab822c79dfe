"""The offline OpenAI: Chat Completions (`POST /v1/chat/completions`) answered by the offline
responder, in OpenAI's wire format: a `chat.completion` JSON body, or `chat.completion.chunk`
server-sent events ending in `data: [DONE]` (with a usage chunk when
`stream_options.include_usage` asks for it), and OpenAI's error bodies for 429 and 500.

The request is read into the responder's request shape (the conversation, the declared tools),
so the same rules answer, as fast as the model played and repeatable for a seed.
"""

from __future__ import annotations

import json
import time
from typing import Any

from chatbot.offline_wire import Served, sse
from chatbot.responder import OfflineResponder, Reply

# what the API reports as the answering model for an alias
SNAPSHOTS = {"gpt-4o-mini": "gpt-4o-mini-2024-07-18", "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14"}
ERRORS = {
    429: (
        "Rate limit reached for requests. Please try again in 1s.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: ("The server had an error while processing your request.", "server_error", None),
}
FINISH = {"MAX_TOKENS": "length", "STOP": "stop"}


class OpenAIWire:
    def __init__(self, responder: OfflineResponder) -> None:
        self.responder = responder

    def serve(self, path: str, body: dict[str, Any]) -> Served | None:
        if not path.endswith("/chat/completions"):
            return None
        model, stream = str(body.get("model")), bool(body.get("stream"))
        reply = self.responder.respond(model, responder_request(body), stream)
        if reply.status != 200:
            message, type_, code = ERRORS[reply.status]
            error = {"error": {"message": message, "type": type_, "param": None, "code": code}}
            return Served(reply.status, [(reply.chunks[0].delay_s, json.dumps(error).encode())])
        head = {
            "id": f"chatcmpl-{reply.chunks[0].body['responseId']}",
            "created": int(time.time()),
            "model": SNAPSHOTS.get(model, model),
            "system_fingerprint": "fp_offline",
        }
        if not stream:
            return Served(
                200, [(reply.chunks[0].delay_s, json.dumps(_completion(head, reply)).encode())]
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return Served(200, _chunks(head, reply, include_usage), stream=True)


def responder_request(body: dict[str, Any]) -> dict[str, Any]:
    """The Chat Completions request as the responder reads requests (Gemini's shape)."""
    names: dict[str, str] = {}  # tool call id -> function name, for the tool messages
    contents: list[dict[str, Any]] = []
    system = []
    for message in body.get("messages") or []:
        role, content = message.get("role"), _text(message.get("content"))
        if role in ("system", "developer"):
            system.append({"text": content})
        elif role == "user":
            contents.append({"role": "user", "parts": [{"text": content}]})
        elif role == "assistant":
            parts: list[dict[str, Any]] = [{"text": content}] if content else []
            for call in message.get("tool_calls") or []:
                function = call["function"]
                names[call["id"]] = function["name"]
                parts.append(
                    {
                        "functionCall": {
                            "name": function["name"],
                            "id": call["id"],
                            "args": _json(function.get("arguments")),
                        }
                    }
                )
            contents.append({"role": "model", "parts": parts})
        elif role == "tool":
            call_id = message.get("tool_call_id")
            part = {
                "functionResponse": {
                    "name": names.get(call_id, "tool"),
                    "id": call_id,
                    "response": _json(content),
                }
            }
            last = contents[-1] if contents else None
            if last and last["role"] == "user" and "functionResponse" in last["parts"][0]:
                last["parts"].append(part)
            else:
                contents.append({"role": "user", "parts": [part]})
    request: dict[str, Any] = {"contents": contents}
    if system:
        request["systemInstruction"] = {"parts": system}
    declarations = [
        {
            "name": t["function"]["name"],
            "description": t["function"].get("description"),
            "parameters": t["function"].get("parameters"),
        }
        for t in body.get("tools") or []
        if t.get("type") == "function"
    ]
    if declarations:
        request["tools"] = [{"functionDeclarations": declarations}]
    return request


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) and text else (text or {})
    except ValueError:
        return {"text": text}


def _usage(reply: Reply) -> dict[str, Any]:
    usage = reply.chunks[-1].body["usageMetadata"]
    thoughts = usage.get("thoughtsTokenCount", 0)
    prompt, completion = usage["promptTokenCount"], usage["candidatesTokenCount"] + thoughts
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": usage.get("cachedContentTokenCount", 0),
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": thoughts,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _parts(reply: Reply) -> list[list[dict[str, Any]]]:
    return [c.body["candidates"][0]["content"]["parts"] for c in reply.chunks]


def _finish(reply: Reply, calls: bool) -> str:
    reason = reply.chunks[-1].body["candidates"][0].get("finishReason", "STOP")
    return "tool_calls" if calls else FINISH.get(reason, "stop")


def _tool_call(index: int, call: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": index,
        "id": call["id"],
        "type": "function",
        "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
    }


def _completion(head: dict[str, Any], reply: Reply) -> dict[str, Any]:
    parts = [p for piece in _parts(reply) for p in piece]
    text = "".join(p.get("text", "") for p in parts) or None
    calls = [
        _tool_call(i, p["functionCall"])
        for i, p in enumerate(p for p in parts if "functionCall" in p)
    ]
    for call in calls:
        del call["index"]
    message = {
        "role": "assistant",
        "content": text,
        "refusal": None,
        "annotations": [],
        **({"tool_calls": calls} if calls else {}),
    }
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": _finish(reply, bool(calls)),
    }
    return {
        **head,
        "object": "chat.completion",
        "choices": [choice],
        "usage": _usage(reply),
        "service_tier": "default",
    }


def _chunks(head: dict[str, Any], reply: Reply, include_usage: bool) -> list[tuple[float, bytes]]:
    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
        choices = (
            []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        )
        return sse({**head, "object": "chat.completion.chunk", "choices": choices, **extra})

    events, calls = [], 0
    for i, (c, piece) in enumerate(zip(reply.chunks, _parts(reply), strict=True)):
        delta: dict[str, Any] = {"role": "assistant"} if i == 0 else {}
        text = "".join(p.get("text", "") for p in piece)
        if text:
            delta["content"] = text
        tool_calls = [
            _tool_call(calls + j, p["functionCall"])
            for j, p in enumerate(p for p in piece if "functionCall" in p)
        ]
        if tool_calls:
            delta["tool_calls"], calls = tool_calls, calls + len(tool_calls)
        events.append((c.delay_s, chunk(delta)))
    events.append((0.0, chunk({}, _finish(reply, calls > 0))))
    if include_usage:
        events.append((0.0, chunk(None, usage=_usage(reply))))
    events.append((0.0, b"data: [DONE]\n\n"))
    return events
