"""Demo traffic: the traffic simulator, offline, through a given SDK client.

`ollive demo` calls `send_traffic`; the turns go through the chatbot's own service, the real
google-genai, openai and anthropic clients and the offline responder, so the demo's events are
the chatbot's events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ollive_sdk

from chatbot.simulate import simulate
from ollive_contract.settings import ChatbotSettings


@dataclass
class TrafficSummary:
    """What was sent (event counts by type, inference event ids), so callers can check what
    arrived. `logs` counts every application event: log records and one `chat turn` trace
    block per turn. Exact unless the client samples (`sample_rate` < 1)."""

    inferences: int = 0
    tool_calls: int = 0
    logs: int = 0
    errors: int = 0
    event_ids: list[str] = field(default_factory=list)


def send_traffic(
    client: ollive_sdk.Client,
    conversations: int,
    seed: int = 7,
    time_scale: float = 0.2,
    concurrency: int = 32,
    progress: Callable[[int], None] | None = None,
) -> TrafficSummary:
    """Run `conversations` simulated conversations, `concurrency` at a time; `progress` gets
    the number of conversations finished."""
    # model_construct: the demo's traffic must not depend on this shell's OLLIVE_CHATBOT_*
    settings = ChatbotSettings.model_construct(seed=seed, time_scale=time_scale)
    run = simulate(settings, client, conversations, concurrency, progress)
    return TrafficSummary(
        inferences=len(run.inference_ids),
        tool_calls=len(run.tool_ids),
        logs=run.logs,
        errors=run.failed_calls,
        event_ids=list(run.inference_ids),
    )
