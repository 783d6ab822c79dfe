"""Demo traffic: the traffic simulator, offline, through a given SDK client.

`ollive demo` calls `send_history` (a simulated day or week in the past) and `send_traffic`
(a few minutes now); the turns go through the chatbot's own service, the real google-genai,
openai and anthropic clients and the offline responder, so the demo's events are the chatbot's
events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import ollive_sdk

from chatbot.backdate import Backdate
from chatbot.incidents import TRAFFIC_KEPT, Incident, default_incidents
from chatbot.scenarios import history_starts, plan
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
    scores: int = 0
    errors: int = 0
    event_ids: list[str] = field(default_factory=list)


def send_traffic(
    client: ollive_sdk.Client,
    conversations: int,
    seed: int = 7,
    time_scale: float = 0.2,
    concurrency: int = 32,
    progress: Callable[[int], None] | None = None,
    feedback: bool = False,
) -> TrafficSummary:
    """Run `conversations` simulated conversations, `concurrency` at a time; `progress` gets
    the number of conversations finished; with `feedback`, users rate some of them."""
    # model_construct: the demo's traffic must not depend on this shell's OLLIVE_CHATBOT_*
    settings = ChatbotSettings.model_construct(seed=seed, time_scale=time_scale)
    run = simulate(settings, client, conversations, concurrency, progress, feedback)
    return TrafficSummary(
        inferences=len(run.inference_ids),
        tool_calls=len(run.tool_ids),
        logs=run.logs,
        scores=run.scores,
        errors=run.failed_calls,
        event_ids=list(run.inference_ids),
    )


@dataclass
class History:
    """A simulated past: what was sent, over which span of time, with which incidents."""

    summary: TrafficSummary
    start_s: float
    end_s: float
    incidents: list[Incident]
    acknowledged: int = 0
    dropped: int = 0


def send_history(
    client_options: dict,
    conversations: int,
    days: float,
    seed: int = 7,
    end_s: float | None = None,
    incidents: list[Incident] | None = None,
    concurrency: int = 64,
    progress: Callable[[int], None] | None = None,
) -> History:
    """`conversations` conversations spread over the `days` before `end_s` (now) by the daily
    and weekly cycle, with feedback and the incidents (default: one of each kind in the last
    day), sent through a client made from `client_options` whose events are backdated."""
    end_s = time.time() - 600 if end_s is None else end_s
    start_s = end_s - days * 86400
    incidents = default_incidents(end_s) if incidents is None else incidents
    quiet = [(i.start_s, i.end_s, TRAFFIC_KEPT) for i in incidents if i.kind == "traffic_drop"]
    starts = history_starts(conversations, start_s, end_s, seed, quiet)
    planned = plan(conversations, seed)
    backdate = Backdate({c.conversation_id: t for c, t in zip(planned, starts, strict=True)},
                        incidents)  # fmt: skip
    client = ollive_sdk.Client(**client_options, mask=backdate)
    try:
        summary = send_traffic(client, conversations, seed, concurrency=concurrency,
                               progress=progress, feedback=True)  # fmt: skip
        client.flush(timeout=60)
    finally:
        client.shutdown(timeout=10)
    stats = client.stats()
    return History(summary, start_s, end_s, incidents, stats.sent, stats.dropped_total)
