"""The demo's summariser through the whole pipeline: eight days of one model's calls with four
injected incidents in the last day, SDK → ingest API → S3 → Dagster → dbt (the session's
`pipeline_demo`, what `ollive demo` sends), and the anomaly model flags each incident in its
own window, with at most one false alarm (a run of flagged windows, a minute apart, of one
metric) elsewhere in the scored day.

The truth is the simulator's own schedule (`default_incidents`), not the detector's output.
"""

from __future__ import annotations

import pytest

from chatbot import summariser as summariser_service
from chatbot.incidents import Incident
from chatbot.summariser import SummariserRun
from ollive.demo import DemoResult
from ollive_contract.tables import MARTS_DATABASE

# the metrics that show each kind of incident (docs/dbt.md, "Anomalies")
SHOWN_BY = {
    "error_burst": {"error_rate"},
    "latency_spike": {"latency_p50_ms", "latency_p95_ms", "ttft_p50_ms", "ttft_p95_ms"},
    "cost_jump": {"cost_per_request_usd"},
    "traffic_drop": {"requests"},
}
DETECT_WITHIN_S = 600  # an incident's flag may fall in the windows up to 10 minutes after it
WINDOW_S = 300  # a scored window's length; one starts every minute


@pytest.fixture(scope="module")
def summariser(pipeline_demo: DemoResult) -> SummariserRun:
    """The demo's summariser, landed in the rollup and scored (`run_demo` waits for both)."""
    run = pipeline_demo.summariser
    assert run is not None and run.calls > 70_000, run
    assert run.dropped == 0 and run.acknowledged == run.calls, run
    return run


def _flags(embedded_stack) -> list[tuple[float, str]]:
    rows = embedded_stack.clickhouse().query(
        f"select toUnixTimestamp(bucket_start), metric from {MARTS_DATABASE}.anomalies_5m "
        f"where service = '{summariser_service.SERVICE}'"
    )
    return [(float(at), metric) for at, metric in rows.result_rows]


def _in(incident: Incident, at_s: float) -> bool:
    return incident.start_s - WINDOW_S < at_s < incident.end_s + DETECT_WITHIN_S


def _alarms(flags: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """The first window of each run of flagged windows of one metric that overlap or touch: one
    excursion flags every window holding enough of it, one alarm."""
    alarms, last = [], {}
    for at, metric in sorted(flags):
        if metric not in last or at - last[metric] > WINDOW_S:
            alarms.append((at, metric))
        last[metric] = at
    return alarms


def test_every_incident_is_flagged_in_its_window(summariser, embedded_stack) -> None:
    flags = _flags(embedded_stack)
    assert len(summariser.incidents) == 4
    missed = [
        i.kind
        for i in summariser.incidents
        if not any(_in(i, at) and metric in SHOWN_BY[i.kind] for at, metric in flags)
    ]
    assert not missed, f"not flagged: {missed}; flags: {sorted(flags)}"


def test_at_most_one_false_alarm_in_the_scored_day(summariser, embedded_stack) -> None:
    # once it stops calling, its series is a gap: scored as a drop when later minutes exist, in
    # every window holding the minute it stopped in or a later one
    last = summariser.stopped_s - summariser.stopped_s % 60 - WINDOW_S
    day = [(at, m) for at, m in _flags(embedded_stack) if summariser.end_s - 86400 <= at < last]
    false = [(at, m) for at, m in day if not any(_in(i, at) for i in summariser.incidents)]
    assert len(_alarms(false)) <= 1, f"false alarms: {false}"


def test_the_first_week_is_not_scored(summariser, embedded_stack) -> None:
    """Without a same-time baseline a week back, nothing is judged: no flag before day 8."""
    first_week_end = summariser.start_s + 7 * 86400
    early = [(at, m) for at, m in _flags(embedded_stack) if at < first_week_end]
    assert not early, early


def test_the_demo_prints_one_row_per_incident(pipeline_demo: DemoResult, summariser) -> None:
    """What `ollive demo` printed: its flagged rows, read from the same view."""
    printed = {(int(at), metric) for at, metric, *_ in pipeline_demo.anomaly_rows}
    for incident in summariser.incidents:
        assert any(_in(incident, at) for at, _ in printed), incident.kind
