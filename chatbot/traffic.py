"""Synthetic but realistic LLM traffic through the SDK: users, models, tools, errors, some PII.

Each simulated call really takes its time (scaled down), so the SDK measures genuine latencies
and time to first chunk. Plans come from a seeded RNG: the same seed sends the same calls.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import ollive_sdk

MODELS: list[tuple[str, str, float]] = [
    # provider, model, typical latency (ms)
    ("gcp.gemini", "gemini-2.5-flash", 650.0),
    ("gcp.gemini", "gemini-2.5-pro", 2400.0),
    ("openai", "gpt-4o-mini", 800.0),
    ("anthropic", "claude-sonnet-4-5", 1900.0),
]
TOOLS = ["search_docs", "get_weather", "create_ticket"]
PROMPTS = [
    "How do I rotate my API key?",
    "Summarise yesterday's incidents",
    "My email is jane.doe@example.com, please update my account",
    "Call me on +1 415 555 0134 about the invoice",
    "What is the weather in Lisbon?",
]


@dataclass(frozen=True)
class Turn:
    """One planned chat turn."""

    index: int
    provider: str
    model: str
    user: str
    prompt: str
    latency_s: float
    stream: bool
    fails: bool
    tool: str | None
    input_tokens: int
    output_tokens: int
    cached_tokens: int


@dataclass
class TrafficSummary:
    """What was sent, so callers can check what arrived."""

    inferences: int = 0
    tool_calls: int = 0
    logs: int = 0
    errors: int = 0
    event_ids: list[str] = field(default_factory=list)


def plan(conversations: int, seed: int, time_scale: float) -> list[Turn]:
    rng = random.Random(seed)
    turns = []
    for i in range(conversations):
        provider, model, typical_ms = rng.choice(MODELS)
        turns.append(
            Turn(
                index=i,
                provider=provider,
                model=model,
                user=f"user-{rng.randrange(40)}",
                prompt=rng.choice(PROMPTS),
                latency_s=rng.lognormvariate(0, 0.35) * typical_ms / 1000 * time_scale,
                stream=rng.random() < 0.5,
                fails=rng.random() < 0.05,
                tool=rng.choice(TOOLS) if rng.random() < 0.4 else None,
                input_tokens=rng.randrange(50, 2000),
                output_tokens=rng.randrange(20, 800),
                cached_tokens=rng.choice([0, 0, 128]),
            )
        )
    return turns


def run_turn(client: ollive_sdk.Client, turn: Turn, seed: int) -> str | None:
    """One chat turn: the model call (streamed or not), maybe a tool, an application log."""
    with (
        ollive_sdk.context(conversation_id=f"conv-{seed}-{turn.index}", user_id=turn.user),
        client.inference(
            provider=turn.provider, model=turn.model, stream=turn.stream, input=turn.prompt
        ) as span,
    ):
        if turn.stream:
            time.sleep(turn.latency_s * 0.3)
            span.first_chunk()
            time.sleep(turn.latency_s * 0.7)
        else:
            time.sleep(turn.latency_s)
        span.set_usage(
            input_tokens=turn.input_tokens,
            output_tokens=turn.output_tokens,
            cached_input_tokens=turn.cached_tokens,
        )
        if turn.fails:
            span.set_status("error", code="RESOURCE_EXHAUSTED", message="quota exceeded")
        else:
            span.set_output("Here is what I found.")
            span.set_finish_reason("stop")
        if turn.tool and not turn.fails:
            span.add_tool_call(turn.tool, id=f"call-{seed}-{turn.index}")
            with client.tool(
                turn.tool, call_id=f"call-{seed}-{turn.index}", arguments={"q": turn.prompt}
            ) as tool_span:
                time.sleep(turn.latency_s * 0.1)
                tool_span.set_result({"ok": True})
    level = "error" if turn.fails else "info"
    client.log(level, f"turn {turn.index} answered", logger="chatbot")
    return span.event_id


def send_traffic(
    client: ollive_sdk.Client,
    conversations: int,
    seed: int = 7,
    time_scale: float = 0.2,
    concurrency: int = 32,
    progress: Callable[[int], None] | None = None,
) -> TrafficSummary:
    """Run `conversations` turns on `concurrency` threads; returns what was sent."""
    turns = plan(conversations, seed, time_scale)
    summary = TrafficSummary()
    lock = threading.Lock()
    done = 0

    def one(turn: Turn) -> None:
        nonlocal done
        event_id = run_turn(client, turn, seed)
        with lock:
            summary.event_ids.append(event_id or "")
            summary.inferences += 1
            summary.logs += 1
            summary.errors += turn.fails
            summary.tool_calls += bool(turn.tool and not turn.fails)
            done += 1
            if progress:
                progress(done)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, turns))
    return summary
