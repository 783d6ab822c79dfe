"""The offline model: answers `generateContent` request bodies with Gemini's own JSON shapes
(`offline_openai.py` and `offline_anthropic.py` translate to and from OpenAI's and Anthropic's).

It is a small rule-based model, not a mock of one call: it reads the conversation, asks for a
tool when the user's words call for one (and the request declares it), answers from a tool's
result, counts tokens, and takes as long as the model it plays. Every reply comes from an RNG
seeded by the seed, the request body and how often that body was seen, so a run is repeatable
whatever order concurrent requests arrive in.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

# model family -> (median time to first token in s, output tokens per second); the first family
# named in the model's name wins, flash otherwise
SPEEDS: dict[str, tuple[float, float]] = {
    "flash-lite": (0.25, 260.0),
    "flash": (0.45, 180.0),
    "pro": (1.6, 90.0),
    "gpt-4o-mini": (0.4, 110.0),
    "gpt-4.1-mini": (0.5, 100.0),
    "haiku": (0.55, 150.0),
    "sonnet": (1.1, 70.0),
}
CITIES = ("Lisbon", "Paris", "Berlin", "Tokyo", "New York", "São Paulo", "Nairobi", "Sydney")
_TOOL_WORDS = {
    "get_weather": re.compile(r"\b(weather|forecast|rain|temperature|umbrella)\b", re.I),
    "create_ticket": re.compile(
        r"\b(ticket|broken|refund|invoice|charged|bug|outage|cannot|can't|down)\b", re.I
    ),
    "search_docs": re.compile(r"\b(how|docs?|configure|rotate|set ?up|limit|api|sdk)\b", re.I),
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")
SMALL_TALK = (
    "Happy to help. Could you tell me a little more about what you are trying to do?",
    "Sure. In short: yes, and the settings page lets you change it whenever you like.",
    "Thanks for the details. I have noted that, and the team usually replies within a day.",
    "Good question. The short answer is that it depends on your plan; most teams start on "
    "the free tier and move up when they need longer retention.",
)
ERRORS = {
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "An internal error has occurred. Please retry or report it."),
}


@dataclass(frozen=True)
class Chunk:
    """One body the wire carries, sent `delay_s` after the previous one."""

    delay_s: float
    body: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """HTTP status and the bodies to send: one for `generateContent`, several for a stream."""

    status: int
    chunks: list[Chunk]


class OfflineResponder:
    """Deterministic answers for a seed; `time_scale` 0 answers instantly."""

    def __init__(self, seed: int = 7, time_scale: float = 1.0, error_rate: float = 0.04) -> None:
        self.seed = seed
        self.time_scale = time_scale
        self.error_rate = error_rate
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def respond(self, model: str, request: dict[str, Any], stream: bool) -> Reply:
        rng = self._rng(model, request)
        if rng.random() < self.error_rate:
            return self._error(rng, 429 if rng.random() < 0.7 else 500)
        ttft_s, tokens_per_s = _speed(model)
        ttft = rng.lognormvariate(math.log(ttft_s), 0.35)
        parts, finish = _answer(rng, request)
        usage = _usage(rng, model, request, parts)
        pieces = _pieces(parts) if stream else [parts]
        chunks, sent = [], 0
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            total = usage["candidatesTokenCount"]
            tokens = total if last else min(total, sent + _tokens(piece))
            delay = (ttft if i == 0 else 0.0) + (tokens - sent) / tokens_per_s
            sent = tokens
            body = _body(model, rng, piece, finish if last else None, usage, tokens, last)
            chunks.append(Chunk(delay * self.time_scale, body))
        return Reply(200, chunks)

    def _rng(self, model: str, request: dict[str, Any]) -> random.Random:
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        key = f"{self.seed}|{model}|{digest}"
        with self._lock:
            self._seen[key] += 1
            n = self._seen[key]
        return random.Random(f"{key}|{n}")

    def _error(self, rng: random.Random, code: int) -> Reply:
        status, message = ERRORS[code]
        body = {"error": {"code": code, "message": message, "status": status}}
        return Reply(code, [Chunk(rng.uniform(0.05, 0.3) * self.time_scale, body)])


def _speed(model: str) -> tuple[float, float]:
    for family, speed in SPEEDS.items():
        if family in model:
            return speed
    return SPEEDS["flash"]


def _texts(content: dict[str, Any]) -> list[str]:
    return [p["text"] for p in content.get("parts", []) if p.get("text")]


def _answer(rng: random.Random, request: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The reply's parts and finish reason: a tool call, an answer from a tool, or small talk."""
    contents = request.get("contents") or [{}]
    last = contents[-1]
    results = [p["functionResponse"] for p in last.get("parts", []) if "functionResponse" in p]
    if results:
        return [{"text": _from_tool(rng, results[0])}], "STOP"
    prompt = " ".join(_texts(last))
    declared = {
        d["name"] for t in request.get("tools") or [] for d in t.get("functionDeclarations") or []
    }
    for name, words in _TOOL_WORDS.items():
        if name in declared and words.search(prompt):
            call = {"name": name, "args": _arguments(rng, name, prompt),
                    "id": f"call_{rng.getrandbits(48):012x}"}  # fmt: skip
            return [{"functionCall": call}], "STOP"
    text = rng.choice(SMALL_TALK)
    contact = _EMAIL.search(prompt) or _PHONE.search(prompt)
    if contact:
        text = f"I will follow up at {contact.group(0)}. {text}"
    return [{"text": text}], "MAX_TOKENS" if rng.random() < 0.03 else "STOP"


def _arguments(rng: random.Random, name: str, prompt: str) -> dict[str, Any]:
    if name == "get_weather":
        city = next((c for c in CITIES if c.lower() in prompt.lower()), rng.choice(CITIES))
        return {"city": city}
    if name == "create_ticket":
        contact = _EMAIL.search(prompt) or _PHONE.search(prompt)
        args = {"summary": prompt[:120], "priority": rng.choice(["low", "normal", "high"])}
        return {**args, "contact": contact.group(0)} if contact else args
    return {"query": prompt[:120]}


def _from_tool(rng: random.Random, result: dict[str, Any]) -> str:
    """Phrase a tool's result the way a model would."""
    name, data = result.get("name", "tool"), result.get("response") or {}
    if name == "get_weather" and "city" in data:
        return (f"It is {data.get('temperature_c')}°C and {data.get('sky')} in {data['city']} "
                "right now.")  # fmt: skip
    if name == "create_ticket" and "ticket" in data:
        return (f"I have opened ticket {data['ticket']} ({data.get('priority')} priority). "
                + rng.choice(("Someone will get back to you shortly.",
                              "You will hear from the team within a day.")))  # fmt: skip
    hits = data.get("results") or []
    if name == "search_docs" and hits:
        return f"According to “{hits[0]['title']}”: {hits[0]['snippet']}"
    if name == "search_docs":
        return "I could not find anything in the docs about that; could you rephrase?"
    return f"{name} returned: {json.dumps(data, ensure_ascii=False)[:300]}"


def _tokens(part: dict[str, Any]) -> int:
    return max(1, math.ceil(len(json.dumps(part, ensure_ascii=False)) / 4))


def _usage(
    rng: random.Random, model: str, request: dict[str, Any], parts: list[dict[str, Any]]
) -> dict[str, int]:
    """Gemini's counts: prompt includes cached; thoughts are billed apart from candidates."""
    prompt = max(1, math.ceil(len(json.dumps(request, ensure_ascii=False)) / 4))
    turns = len(request.get("contents") or [])
    cached = (prompt * rng.randint(40, 80) // 100) if turns > 2 and rng.random() < 0.6 else 0
    candidates = sum(_tokens(p) for p in parts)
    thoughts = rng.randint(16, 6 * candidates) if "2.5" in model or "pro" in model else 0
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": candidates}
    if cached:
        usage["cachedContentTokenCount"] = cached
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    usage["totalTokenCount"] = prompt + candidates + thoughts
    return usage


def _pieces(parts: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A streamed text arrives a few words at a time; a function call arrives whole."""
    if "text" not in parts[0]:
        return [parts]
    words = parts[0]["text"].split(" ")
    return [[{"text": " ".join(words[i : i + 6]) + (" " if i + 6 < len(words) else "")}]
            for i in range(0, len(words), 6)]  # fmt: skip


def _body(
    model: str,
    rng: random.Random,
    parts: list[dict[str, Any]],
    finish: str | None,
    usage: dict[str, int],
    sent: int,
    last: bool,
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    running = usage if last else {"promptTokenCount": usage["promptTokenCount"],
                                  "candidatesTokenCount": sent,
                                  "totalTokenCount": usage["promptTokenCount"] + sent}  # fmt: skip
    return {
        "candidates": [candidate],
        "usageMetadata": running,
        "modelVersion": model,
        "responseId": f"{rng.getrandbits(64):016x}",
    }
