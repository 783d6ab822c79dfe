"""`ollive demo`: a simulated past and a few minutes of live traffic through the SDK, then watch
them reach the 5-minute rollup, then show it and the anomalies found.

The history (`chatbot.traffic.send_history`) is the chatbot's own traffic with event times
moved into the past, under its own service (`ollive-demo-history`), so every chart has a day's
shape, feedback and incidents to show. The summariser (`chatbot.summariser`, service
`ollive-demo-summariser`) calls one model steadily over the eight days before now, with the same
incidents in its last day: the volume and the week of baseline the anomaly detector needs. The
live traffic (`ollive-demo`) is what the printed rollup and the tests follow.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import clickhouse_connect
import ollive_sdk
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from chatbot import summariser
from chatbot.incidents import Incident, default_incidents
from chatbot.summariser import SummariserRun, send_summariser_history
from chatbot.traffic import History, TrafficSummary, send_history, send_traffic
from ollive_contract.settings import StackSettings
from ollive_contract.tables import MARTS_DATABASE, staging_table

DEMO_SERVICE = "ollive-demo"
HISTORY_SERVICE = "ollive-demo-history"
HISTORY_CONVERSATIONS_PER_DAY = 300
SUMMARISER_DAYS = 8.0  # a week of same-time baselines and the day the detector scores
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
ANOMALY_QUERY = f"""
select toUnixTimestamp(bucket_start) as at, metric, direction, robust_z
from {MARTS_DATABASE}.anomalies_5m
where service = %(service)s
order by bucket_start, metric
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
    summariser: SummariserRun | None = None
    anomaly_rows: list[tuple] = ()


def run_demo(
    settings: StackSettings,
    conversations: int,
    timeout_s: float,
    console: Console,
    seed: int | None = None,
    history_days: float = 1.0,
    history_conversations: int | None = None,
    summariser_days: float = SUMMARISER_DAYS,
) -> DemoResult | None:
    """Backfill `history_days` of simulated history (`history_conversations`, by default
    HISTORY_CONVERSATIONS_PER_DAY a day; 0 days for none) and `summariser_days` of the
    summariser's calls (0: none), simulate `conversations` chats now while the summariser keeps
    calling, wait until the rollup counts them all; None on time-out."""
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
    summariser_before = _stage_counts(ch, summariser.SERVICE)["in rollup"]
    live = _Summariser(options, summariser_days, history, seed, console)
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
    summariser_run = live.stop()
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
        summariser_task = (
            progress.add_task("  summariser calls in rollup", total=summariser_run.calls)
            if summariser_run is not None
            else None
        )
        while time.monotonic() < deadline:
            now = _stage_counts(ch)
            for stage, task in tasks.items():
                progress.update(task, completed=max(0, now[stage] - before[stage]))
            if summariser_task is not None:
                counted = _stage_counts(ch, summariser.SERVICE)["in rollup"] - summariser_before
                progress.update(summariser_task, completed=max(0, counted))
            waiting = {
                f"the rollup to count {want} live requests": now["in rollup"] < want,
                "the history to land": not _history_landed(ch, history, history_before),
                "the summariser's calls to be counted and scored": not _summariser_landed(
                    ch, summariser_run, summariser_before
                ),
            }
            if not any(waiting.values()):
                break
            time.sleep(2)
        else:
            missing = "; ".join(what for what, still in waiting.items() if still)
            console.print(
                f"[red]Still waiting after {timeout_s:.0f}s for {missing}.[/red] "
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
    anomaly_rows = _print_anomalies(ch, summariser_run, console)
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
        summary,
        stats.sent,
        stats.dropped_total,
        reached,
        result.result_rows,
        history,
        summariser_run,
        anomaly_rows,
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
        f"{_incident_list(history.incidents)}."
    )
    return history


def _incident_list(incidents: list[Incident]) -> str:
    return (
        ", ".join(
            f"{i.kind.replace('_', ' ')} at {time.strftime('%a %H:%M', time.gmtime(i.start_s))} "
            f"for {i.minutes:g} min"
            for i in incidents
        )
        + " (UTC)"
    )


def _history_landed(ch, history: History | None, before: int) -> bool:
    """Every model call of the history is counted by the rollup (or there is none)."""
    if history is None:
        return True
    return _stage_counts(ch, HISTORY_SERVICE)["in rollup"] - before >= history.summary.inferences


class _Summariser:
    """The summariser on a thread of its own: its backfill first (with a progress bar), then
    calls in real time until `stop`, so its series has no gap while the live traffic runs."""

    def __init__(
        self,
        options: dict,
        days: float,
        history: History | None,
        seed: int,
        console: Console,
    ) -> None:
        self._stop = threading.Event()
        self._run: SummariserRun | None = None
        self._thread: threading.Thread | None = None
        if days <= 0:
            return
        incidents = history.incidents if history else default_incidents(time.time() - 600)
        backfilled = threading.Event()
        with Progress(console=console, transient=False) as progress:
            task = progress.add_task(
                f"{days:g} days of the summariser's calls → SDK → ingest API", total=None
            )

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)
                if done == total:
                    backfilled.set()

            self._thread = threading.Thread(
                target=self._send,
                args=(options, days, incidents, seed + 2, report),
                name="ollive-demo-summariser",
                daemon=True,
            )
            self._thread.start()
            while not backfilled.wait(0.5) and self._thread.is_alive():
                pass
        console.print(
            f"Summariser ({summariser.SERVICE}, one model): {days:g} days of calls sent, still "
            f"calling in real time; the same incidents: {_incident_list(incidents)}."
        )

    def _send(
        self,
        options: dict,
        days: float,
        incidents: list[Incident],
        seed: int,
        report,
    ) -> None:
        self._run = send_summariser_history(
            options, days, incidents, seed=seed, progress=report, live_until=self._stop
        )

    def stop(self) -> SummariserRun | None:
        """Stop the live calls; what was sent in all (None when the summariser was off)."""
        if self._thread is None:
            return None
        self._stop.set()
        self._thread.join(timeout=180)
        return self._run


def _summariser_landed(ch, run: SummariserRun | None, before: int) -> bool:
    """Every summariser call is counted by the rollup, and the anomaly model has scored its
    series past its last incident from the rollup as it is now (or it did not run): a build
    that scored buckets whose calls were still on their way flags them as a drop until the
    next build rescores them. The load compared is the newest among the buckets scored: the
    still-filling newest bucket is never scored, so its loads would be waited for in vain."""
    if run is None:
        return True
    if _stage_counts(ch, summariser.SERVICE)["in rollup"] - before < run.calls:
        return False
    where = f"where service = '{summariser.SERVICE}'"
    scored_until, scored_load = _pair(
        ch,
        "select toUnixTimestamp(max(bucket_start)), toUnixTimestamp64Milli(max(last_loaded_at)) "
        f"from {MARTS_DATABASE}.anomaly_scores_5m {where}",
    )
    newest_load = _count(
        ch,
        "select toUnixTimestamp64Milli(max(last_loaded_at)) "
        f"from {MARTS_DATABASE}.agg_inference_5m {where} "
        f"and bucket_start <= toDateTime({scored_until}, 'UTC')",
    )
    return scored_until >= max(i.end_s for i in run.incidents) and scored_load >= newest_load


def _pair(client, sql: str) -> tuple[int, int]:
    try:
        ((a, b),) = client.query(sql).result_rows
        return int(a or 0), int(b or 0)
    except Exception:  # a table that does not exist yet counts as empty
        return 0, 0


def _print_anomalies(ch, run: SummariserRun | None, console: Console) -> list[tuple]:
    """The summariser's flagged buckets, as a person reads them: each run of adjacent flagged
    buckets one row, with the metrics that left their baseline and the largest |z|."""
    if run is None:
        return []
    try:
        rows = ch.query(ANOMALY_QUERY, parameters={"service": summariser.SERVICE}).result_rows
    except Exception:  # the anomaly model has not been built yet
        console.print("The anomaly model has not been built yet; see the Anomalies dashboard.")
        return []
    table = Table(
        title=f"Anomalies flagged on {summariser.SERVICE} ({MARTS_DATABASE}.anomalies_5m; "
        "the injected incidents are listed above)"
    )
    for name in ("from (UTC)", "to", "metrics", "largest |z|"):
        table.add_column(name, justify="right" if name == "largest |z|" else "left")
    for first, last, metrics, z in _episodes(rows):
        table.add_row(
            time.strftime("%a %H:%M", time.gmtime(first)),
            time.strftime("%H:%M", time.gmtime(last + 300)),
            ", ".join(f"{m} {d}" for m, d in sorted(metrics)),
            f"{z:.1f}",
        )
    console.print(table)
    return list(rows)


def _episodes(rows: list[tuple]) -> list[tuple[int, int, set[tuple[str, str]], float]]:
    """Flagged (bucket epoch, metric, direction, z) rows, in bucket order, joined into runs of
    buckets at most 5 minutes apart: (first bucket, last bucket, metrics, largest |z|)."""
    runs: list[tuple[int, int, set[tuple[str, str]], float]] = []
    for at, metric, direction, z in rows:
        if runs and at - runs[-1][1] <= 300:
            first, _, metrics, top = runs[-1]
            runs[-1] = (first, at, metrics | {(metric, direction)}, max(top, abs(z)))
        else:
            runs.append((at, at, {(metric, direction)}, abs(z)))
    return runs
