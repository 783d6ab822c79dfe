"""`ollive demo`: traffic through the SDK, then watch it reach the 5-minute rollup, then show it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import clickhouse_connect
import ollive_sdk
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from chatbot.traffic import TrafficSummary, send_traffic
from ollive_contract.settings import StackSettings
from ollive_contract.tables import MARTS_DATABASE, staging_table

DEMO_SERVICE = "ollive-demo"
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


def _stage_counts(client) -> dict[str, int]:
    where = f"where service = '{DEMO_SERVICE}'"
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


def run_demo(
    settings: StackSettings,
    conversations: int,
    timeout_s: float,
    console: Console,
    seed: int | None = None,
) -> DemoResult | None:
    """Simulate `conversations` chats, wait until the rollup counts them; None on time-out."""
    ch = clickhouse_connect.get_client(
        host=settings.clickhouse.host,
        port=settings.clickhouse.port,
        username=settings.clickhouse.user,
        password=settings.clickhouse.password.get_secret_value(),
    )
    before = _stage_counts(ch)
    sdk = ollive_sdk.Client(
        endpoint=settings.ingest.url,
        api_key=settings.ingest.demo_api_key.get_secret_value(),
        service=DEMO_SERVICE,
        environment="local",
    )
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("chat traffic → SDK → ingest API", total=conversations)
        summary = send_traffic(
            sdk,
            conversations,
            seed=int(time.time()) if seed is None else seed,
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
            if now["in rollup"] >= want:
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
    return DemoResult(summary, stats.sent, stats.dropped_total, reached, result.result_rows)
