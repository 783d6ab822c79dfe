"""Load through the chatbot's own code path: many users in multi-turn conversations on Gemini,
OpenAI and Anthropic models, streaming and not, tools, provider errors, users pressing stop, PII
in prompts.

`python -m chatbot.simulate --conversations 200 --concurrency 16 --seed 7`
Without a provider's key (GEMINI_API_KEY, OPENAI_API_KEY, ANTHROPIC_API_KEY) the offline
responder answers for it; with one, this spends real tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ollive_sdk

from chatbot.backends import PROVIDERS, Backends
from chatbot.counting import CountingClient
from chatbot.scenarios import PlannedConversation, PlannedTurn, plan
from chatbot.service import ChatError, ChatRequest, ChatService
from chatbot.telemetry import attach_log_handler, detach_log_handler, init_sdk
from chatbot.tools import Toolbox
from ollive_contract.settings import ChatbotSettings


@dataclass
class SimulationSummary:
    """What a run did, and what it emitted through the SDK."""

    conversations: int = 0
    turns: int = 0
    answered: int = 0
    failed: int = 0
    cancelled: int = 0
    model_calls: int = 0
    failed_calls: int = 0
    tool_calls: int = 0
    inference_ids: list[str] = field(default_factory=list)
    tool_ids: list[str] = field(default_factory=list)
    logs: int = 0
    scores: int = 0
    seconds: float = 0.0
    outcomes: list[tuple[str, int, str, str]] = field(default_factory=list)  # id, turn, how, text


def simulate(
    settings: ChatbotSettings,
    sdk: ollive_sdk.Client,
    conversations: int,
    concurrency: int = 16,
    progress: Callable[[int], None] | None = None,
    feedback: bool = False,
) -> SimulationSummary:
    """Run the plan for `settings.seed` on a fresh service; blocks until every turn ended.
    With `feedback`, some users rate their conversation when it ends (`give_feedback`)."""
    counting = CountingClient(sdk)
    handler = attach_log_handler(counting, settings.log_level)  # type: ignore[arg-type]
    summary = SimulationSummary(conversations=conversations)
    t0 = time.perf_counter()
    try:
        asyncio.run(_run(settings, counting, plan(conversations, settings.seed), concurrency,
                         summary, progress, feedback))  # fmt: skip
    finally:
        detach_log_handler(handler)
    summary.seconds = time.perf_counter() - t0
    summary.inference_ids, summary.tool_ids = counting.inference_ids, counting.tool_ids
    summary.logs = counting.logs
    summary.outcomes.sort()
    return summary


async def _run(
    settings: ChatbotSettings,
    sdk: Any,
    planned: list[PlannedConversation],
    concurrency: int,
    summary: SimulationSummary,
    progress: Callable[[int], None] | None,
    feedback: bool,
) -> None:
    backends = Backends(settings, sdk)
    service = ChatService(settings, backends, Toolbox(sdk, settings.time_scale), sdk)
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(conversation: PlannedConversation) -> None:
        nonlocal done
        async with gate:
            outcomes = []
            for index, turn in enumerate(conversation.turns):
                await asyncio.sleep(turn.think_s * settings.time_scale * (index > 0))
                outcomes.append(await _turn(service, conversation, index, turn))
            summary.outcomes += outcomes
            if feedback:
                summary.scores += give_feedback(sdk, conversation, outcomes, settings.seed)
        done += 1
        if progress:
            progress(done)

    await asyncio.gather(*(one(c) for c in planned))
    await backends.aclose()
    counters = service.counters
    summary.turns, summary.failed, summary.cancelled = (
        counters.turns,
        counters.errors,
        counters.cancelled,
    )
    summary.answered = counters.turns - counters.errors - counters.cancelled
    summary.model_calls, summary.tool_calls = counters.model_calls, counters.tool_calls
    summary.failed_calls = counters.failed_calls


def give_feedback(
    sdk: Any, conversation: PlannedConversation, outcomes: list[tuple], seed: int
) -> int:
    """About a third of users rate the conversation (thumbs up or down, down far more often
    when a turn failed or was stopped), a few also give a 1-5 helpfulness; returns the scores
    sent. Seeded apart from the plan, so the plan is the same with or without feedback."""
    rng = random.Random(f"{seed}|feedback|{conversation.conversation_id}")
    if rng.random() >= 0.35:
        return 0
    went_wrong = any(how != "answered" for _, _, how, _ in outcomes)
    liked = rng.random() < (0.25 if went_wrong else 0.85)
    with ollive_sdk.context(
        conversation_id=conversation.conversation_id,
        user_id=conversation.user.user_id,
        session_id=conversation.session_id,
    ):
        sdk.score("thumbs", liked, conversation_id=conversation.conversation_id)
        if rng.random() >= 0.4:
            return 1
        helpfulness = rng.choice((3, 4, 5) if liked else (1, 2, 3))
        sdk.score("helpfulness", helpfulness, conversation_id=conversation.conversation_id)
    return 2


async def _turn(
    service: ChatService, conversation: PlannedConversation, index: int, turn: PlannedTurn
) -> tuple[str, int, str, str]:
    """One user message; a planned stop cancels the turn after that many streamed chunks, as
    the HTTP layer does when a user presses stop (deterministic, unlike a timer)."""
    request = ChatRequest(
        conversation_id=conversation.conversation_id,
        message=turn.message,
        user_id=conversation.user.user_id,
        session_id=conversation.session_id,
        model=conversation.model,
    )
    chunks = 0

    def on_event(event: dict[str, Any]) -> None:
        nonlocal chunks
        if event["type"] == "text" and turn.stop_after_chunks is not None:
            chunks += 1
            if chunks == turn.stop_after_chunks:
                task.cancel()

    task = asyncio.ensure_future(service.turn(request, turn.stream, on_event))
    key = (conversation.conversation_id, index)
    try:
        result = await task
    except asyncio.CancelledError:
        return (*key, "cancelled", "")
    except ChatError as e:
        return (*key, "error", e.status or str(e.code))
    return (*key, "answered", result.text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m chatbot.simulate", description=__doc__)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=None, help="default: OLLIVE_CHATBOT_SEED")
    parser.add_argument(
        "--time-scale", type=float, default=None, help="default: OLLIVE_CHATBOT_TIME_SCALE"
    )
    args = parser.parse_args(argv)
    from rich.progress import Progress  # the CLI's dependency only

    settings = ChatbotSettings()
    updates = {"seed": args.seed, "time_scale": args.time_scale}
    settings = settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    sdk = init_sdk(settings)
    live = [p for p in PROVIDERS if settings.api_key(p) is not None]
    mode = f"live: {', '.join(live)}" if live else "offline responder"
    with Progress() as bar:
        task = bar.add_task(f"conversations ({mode})", total=args.conversations)
        summary = simulate(settings, sdk, args.conversations, args.concurrency,
                           lambda n: bar.update(task, completed=n))  # fmt: skip
    sdk.shutdown(10.0)
    stats = sdk.stats()
    print(
        f"{summary.conversations} conversations, {summary.turns} turns in {summary.seconds:.1f}s: "
        f"{summary.answered} answered, {summary.failed} failed, {summary.cancelled} cancelled; "
        f"{summary.model_calls} model calls, {summary.tool_calls} tool calls, {summary.logs} logs. "
        f"SDK: {stats.sent} events sent, {stats.dropped_total} dropped"
        + ("" if sdk.enabled else " (telemetry off: set OLLIVE_ENDPOINT and OLLIVE_API_KEY)")
    )


if __name__ == "__main__":
    main()
