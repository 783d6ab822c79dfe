"""Head sampling: decided once per trace from its id, a trace is kept or dropped whole, the
share kept is the rate, and totals re-weighted by 1/rate estimate the truth without bias."""

from __future__ import annotations

import math
import random
from collections import Counter

from ollive_sdk import sampling

from tests.fixtures.trace_events import recorder, wire

RATE = 0.1
TRACES = 10_000
SIGMAS = 4  # a correct sampler fails one of these checks about once in 10,000 runs


def test_the_verdict_is_opentelemetry_s_trace_id_ratio_rule():
    bound = round(RATE * 2**64)  # TraceIdRatioBased: keep when the low 64 bits are below it
    high = "f" * 16
    assert sampling.keep(high + f"{bound - 1:016x}", RATE)
    assert not sampling.keep(high + f"{bound:016x}", RATE)
    assert sampling.keep(high + "0" * 16, 1e-9) and not sampling.keep("0" * 31 + "1", 0.0)
    assert sampling.keep(high * 2, 1.0)


def test_at_10_percent_whole_traces_are_kept_and_reweighted_totals_match_the_truth():
    client, events = recorder(sample_rate=RATE)
    shape = random.Random(12)  # the traces' sizes are fixed; which are kept is up to the ids
    truth: dict[str, tuple[int, int]] = {}  # trace id -> (events, input tokens)
    for _ in range(TRACES):
        calls = shape.randint(0, 4)
        tokens = 0
        with client.trace("turn") as turn, client.span("step", kind="agent"):
            for _ in range(calls):
                used = shape.randint(10, 1_000)
                tokens += used
                with client.inference(provider="p", model="m") as span:
                    span.set_usage(input_tokens=used, output_tokens=1)
                with client.tool("search"):
                    client.log("info", "searching")
        truth[turn.span_context.trace_id] = (2 + 3 * calls, tokens)

    kept = wire(events)
    per_trace = Counter(e["trace_id"] for e in kept)
    # whole traces: every kept trace arrived with all its events
    assert all(per_trace[t] == truth[t][0] for t in per_trace)
    assert {e["sample_rate"] for e in kept} == {RATE}
    total_events = sum(n for n, _ in truth.values())
    assert client.stats().sampled_out == total_events - len(kept)

    # the share of traces kept: binomial, sd = sqrt(n p (1 - p)) = 30 traces of 10,000
    sd_traces = math.sqrt(TRACES * RATE * (1 - RATE))
    assert abs(len(per_trace) - TRACES * RATE) <= SIGMAS * sd_traces

    # Horvitz-Thompson: each kept event counts 1/rate; the variance of the estimate is
    # sum over traces of size^2 (1 - p) / p (about 3.4 % of the event total here)
    def check(estimate: float, sizes: list[int]) -> None:
        sd = math.sqrt(sum(s * s for s in sizes) * (1 - RATE) / RATE)
        assert abs(estimate - sum(sizes)) <= SIGMAS * sd, (estimate, sum(sizes), sd)

    check(sum(1 / e["sample_rate"] for e in kept), [n for n, _ in truth.values()])
    check(
        sum(e["input_tokens"] / e["sample_rate"] for e in kept if e["log_type"] == "inference"),
        [t for _, t in truth.values()],
    )


def test_a_trace_continued_elsewhere_gets_the_same_verdict():
    """Two processes sampling at the same rate agree on every trace without talking."""
    producer, produced = recorder(sample_rate=RATE)
    consumer, consumed = recorder(sample_rate=RATE)
    for _ in range(500):
        with producer.trace("produce") as span:
            pass
        with consumer.trace("consume", traceparent=span.span_context.traceparent):
            pass
    assert [e["trace_id"] for e in wire(produced)] == [e["trace_id"] for e in wire(consumed)]
    assert 0 < len(produced) < 500
