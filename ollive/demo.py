"""`ollive demo`: a simulated day of history and a few minutes of live traffic through the SDK,
then watch them reach the 5-minute rollup, then show it.

The history (`chatbot.traffic.send_history`) is the chatbot's own traffic with event times
moved into the past, under its own service (`ollive-demo-history`), so every chart has a day's
shape, feedback and incidents to show; the live traffic (`ollive-demo`) is what the printed
rollup and the tests follow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import clickhouse_connect
import ollive_sdk
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from chatbot.traffic import History, TrafficSummary, send_history, send_traffic
from ollive_contract.settings import StackSettings
from ollive_contract.tables import MARTS_DATABASE, staging_table

DEMO_SERVICE = "ollive-demo"
HISTORY_SERVICE = "ollive-demo-history"
HISTORY_CONVERSATIONS_PER_DAY = 300
ROLLUP_QUERY = f"""
select formatDateTime(bucket_start, '%%H:%%i') as bucket, provider, model,
       requests, errors,
       round(latency_p50_ms) as p50_ms, round(latency_p95_ms) as p95_ms,
       round(ttft_p50_ms) as ttft_p50_ms,
       input_tokens + output_tokens as tokens, round(cost_usd, 4) as cost_usd
from {MARTS_DATABASE}.agg_inference_5m
where service = %(service)s
order by bucket_start desc, requests desc
limit 12
"""


def _count(client, sql: str) -> int:
    try:
        return int(client.command(sql) or 0)
    except Exception:  # a table that does not exist yet counts as empty
        return 0


def _stage_counts(client, service: str = DEMO_SERVICE) -> dict[str, int]:
    where = f"where service = '{service}'"
    return {
        "staged": _count(client, f"select count() from {staging_table('inference')} {where}"),
        "in facts": _count(client, f"select count() from {MARTS_DATABASE}.fct_inferences {where}"),
        "in rollup": _count(
            client, f"select sum(requests) from {MARTS_DATABASE}.agg_inference_5m {where}"
        ),
    }


@dataclass(frozen=True)
class DemoResult:
    """What the demo sent and what reached each stage (tests assert on it)."""

    sent: TrafficSummary
    acknowledged: int
    dropped: int
    reached: dict[str, int]
    rollup_rows: list[tuple]
    history: History | None = None


def run_demo(
    settings: StackSettings,
    conversations: int,
    timeout_s: float,
    console: Console,
    seed: int | None = None,
    history_days: float = 1.0,
    history_conversations: int | None = None,
) -> DemoResult | None:
    """Backfill `history_days` of simulated history (`history_conversations`, by default
    HISTORY_CONVERSATIONS_PER_DAY a day; 0 days for none), simulate `conversations` chats now,
    wait until the rollup counts them all; None on time-out."""
    ch = clickhouse_connect.get_client(
        host=settings.clickhouse.host,
        port=settings.clickhouse.port,
        username=settings.clickhouse.user,
        password=settings.clickhouse.password.get_secret_value(),
    )
    before = _stage_counts(ch)
    history_before = _stage_counts(ch, HISTORY_SERVICE)["in rollup"]
    seed = int(time.time()) if seed is None else seed
    options = {
        "endpoint": settings.ingest.url,
        "api_key": settings.ingest.demo_api_key.get_secret_value(),
        "environment": "local",
    }
    history = None
    if history_days > 0:
        n = history_conversations or round(HISTORY_CONVERSATIONS_PER_DAY * history_days)
        history = _send_history(options, n, history_days, seed, console)
    sdk = ollive_sdk.Client(**options, service=DEMO_SERVICE)
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("chat traffic → SDK → ingest API", total=conversations)
        summary = send_traffic(
            sdk,
            conversations,
            seed=seed,
            progress=lambda n: progress.update(task, completed=n),
        )
        sdk.flush(timeout=30)
    stats = sdk.stats()
    sdk.shutdown(timeout=10)
    console.print(
        f"Sent {summary.inferences} inferences, {summary.tool_calls} tool calls, "
        f"{summary.logs} logs through the SDK ({stats.sent} events acknowledged, "
        f"{stats.dropped_total} dropped)."
    )

    want = before["in rollup"] + summary.inferences
    deadline = time.monotonic() + timeout_s
    console.print("Waiting for the Dagster sensor to load the objects and dbt to build the rollup:")
    with Progress(console=console) as progress:
        tasks = {
            stage: progress.add_task(f"  {stage}", total=summary.inferences)
            for stage in ("staged", "in facts", "in rollup")
        }
        while time.monotonic() < deadline:
            now = _stage_counts(ch)
            for stage, task in tasks.items():
                progress.update(task, completed=max(0, now[stage] - before[stage]))
            if now["in rollup"] >= want and _history_landed(ch, history, history_before):
                break
            time.sleep(2)
        else:
            console.print(
                f"[red]The rollup did not reach {want} requests within {timeout_s:.0f}s.[/red] "
                "`ollive logs dagster-daemon` shows what the sensor and runs did."
            )
            return None

    result = ch.query(ROLLUP_QUERY, parameters={"service": DEMO_SERVICE})
    table = Table(title=f"{MARTS_DATABASE}.agg_inference_5m, service {DEMO_SERVICE} (UTC buckets)")
    for name in result.column_names:
        table.add_column(name, justify="left" if name in ("provider", "model") else "right")
    for row in result.result_rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)
    password_file = settings.state_path / "superset" / "admin_password"
    login = (
        f"user {settings.superset.admin_user}, password in {password_file}"
        if settings.superset.admin_password is None
        else f"user {settings.superset.admin_user}, password from OLLIVE_SUPERSET_ADMIN_PASSWORD"
    )
    console.print(
        f"Dagster UI:      http://{settings.host}:{settings.dagster_port}\n"
        f"Superset:        http://{settings.host}:{settings.superset.port} ({login})\n"
        f"Ingest API docs: {settings.ingest.url}/docs"
    )
    reached = {stage: count - before[stage] for stage, count in _stage_counts(ch).items()}
    return DemoResult(
        summary, stats.sent, stats.dropped_total, reached, result.result_rows, history
    )


def _send_history(
    options: dict, conversations: int, days: float, seed: int, console: Console
) -> History:
    """The simulated past, sent first so that the waits below cover it too."""
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task(
            f"{days:g} day(s) of history → SDK → ingest API", total=conversations
        )
        history = send_history(
            {**options, "service": HISTORY_SERVICE},
            conversations,
            days,
            seed=seed + 1,  # other conversation ids than the live traffic's
            progress=lambda n: progress.update(task, completed=n),
        )
    sent = history.summary
    console.print(
        f"History: {sent.inferences} inferences, {sent.tool_calls} tool calls, {sent.logs} logs, "
        f"{sent.scores} scores from {conversations} conversations over {days:g} day(s) "
        f"({history.acknowledged} events acknowledged, {history.dropped} dropped); incidents: "
        + ", ".join(
            f"{i.kind.replace('_', ' ')} at {time.strftime('%H:%M', time.gmtime(i.start_s))}"
            for i in history.incidents
        )
        + " UTC."
    )
    return history


def _history_landed(ch, history: History | None, before: int) -> bool:
    """Every model call of the history is counted by the rollup (or there is none)."""
    if history is None:
        return True
    return _stage_counts(ch, HISTORY_SERVICE)["in rollup"] - before >= history.summary.inferences
